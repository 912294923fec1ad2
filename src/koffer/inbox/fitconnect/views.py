"""The page „Posteingang: FIT-Connect“ of the Mandant's administration: its destinations
with their public keys (to register at the Zustelldienst) and the last poll, a form to
set one up, and the submissions fetched with their decision. Thin: the service writes,
the selectors read."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.inbox import access
from koffer.inbox.fitconnect import selectors, services
from koffer.inbox.fitconnect.forms import ZielForm
from koffer.shell.breadcrumbs import trail
from koffer.tenancy.models import Organisationseinheit

TITLE = "Posteingang: FIT-Connect"
SHOWN = 50


@requires(access.configures)
def fitconnect_page(request: TenantRequest) -> HttpResponse:
    units = list(Organisationseinheit.objects.for_tenant(request.tenant).order_by("path"))
    form = ZielForm(units=units)
    if request.method == "POST":
        form = ZielForm(request.POST, units=units)
        if form.is_valid():
            data = form.cleaned_data
            unit = next(u for u in units if str(u.pk) == data["unit"])
            try:
                services.ziel_einrichten(
                    actor=request.user,
                    access=request.access,
                    tenant=request.tenant,
                    destination_id=data["destination_id"],
                    name=data["name"],
                    unit=unit,
                    base_url=data["base_url"],
                    token_url=data["token_url"],
                    client_id=data["client_id"],
                    client_secret=data["client_secret"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    "Der Zustellpunkt ist eingerichtet. Bitte hinterlegen Sie seinen "
                    "öffentlichen Verschlüsselungsschlüssel beim Zustelldienst.",
                )
                return redirect("inbox:fitconnect")
    ziele = list(selectors.ziele(request.tenant))
    return render(
        request,
        "inbox/fitconnect.html",
        {
            "page_title": TITLE,
            "breadcrumbs": trail((TITLE, None)),
            "form": form,
            "ziele": [(z, selectors.oeffentliche_schluessel(z)) for z in ziele],
            "einreichungen": list(selectors.einreichungen(request.access, request.tenant)[:SHOWN]),
        },
        status=400 if form.errors else 200,
    )
