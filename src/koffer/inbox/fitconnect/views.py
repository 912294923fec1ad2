"""The page „Posteingang: FIT-Connect“ of the Mandant's administration: its destinations
with their public keys (to register at the Zustelldienst), the current key's id and age,
„Neuen Schlüssel erzeugen“ (asked again first: ``?schluessel=<destination>``, then the
same service as ``manage.py inbox_fitconnect_schluessel``) and the last poll, a form to
set one up, and the submissions fetched with their decision. Thin: the service writes,
the selectors read."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.inbox import access
from koffer.inbox.fitconnect import selectors, services
from koffer.inbox.fitconnect.forms import ZielForm
from koffer.inbox.models import FitConnectZiel
from koffer.shell.breadcrumbs import trail
from koffer.tenancy.models import Organisationseinheit

TITLE = "Posteingang: FIT-Connect"
SHOWN = 50


def _ziel(request: TenantRequest, wert: str | None) -> FitConnectZiel:
    """The Mandant's destination a posted or linked id names; else 404."""
    try:
        pk = uuid.UUID(str(wert))
    except ValueError as exc:
        raise Http404 from exc
    ziel = FitConnectZiel.objects.for_tenant(request.tenant).filter(pk=pk).first()
    if ziel is None:
        raise Http404
    return ziel


def _schluessel_wechseln(request: TenantRequest) -> HttpResponse:
    ziel = _ziel(request, request.POST.get("ziel"))
    try:
        services.schluessel_wechseln(actor=request.user, access=request.access, ziel=ziel)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Für „{ziel.name}“ wurden neue Schlüssel erzeugt. Bitte hinterlegen Sie die neuen "
            "öffentlichen Schlüssel beim Zustelldienst; der bisherige Entschlüsselungsschlüssel "
            "bleibt, bis keine Einreichung ihn mehr braucht.",
        )
    return redirect("inbox:fitconnect")


@requires(access.configures)
def fitconnect_page(request: TenantRequest) -> HttpResponse:
    units = list(Organisationseinheit.objects.for_tenant(request.tenant).order_by("path"))
    form = ZielForm(units=units)
    if request.method == "POST" and request.POST.get("aktion") == "schluessel":
        return _schluessel_wechseln(request)
    # „Neuen Schlüssel erzeugen“ asks once more before anything is changed.
    wechseln = _ziel(request, request.GET["schluessel"]) if "schluessel" in request.GET else None
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
            "ziele": [
                (z, selectors.oeffentliche_schluessel(z), selectors.schluesselstand(z))
                for z in ziele
            ],
            "wechseln": wechseln,
            "einreichungen": list(selectors.einreichungen(request.access, request.tenant)[:SHOWN]),
        },
        status=400 if form.errors else 200,
    )
