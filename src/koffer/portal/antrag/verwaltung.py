"""„Portal: Online-Anträge“, the administration's page: per form of the active catalogue
whether citizens can apply online, and which team's triage gets applications that find
no Akte. Thin: ``angebote.angebot_setzen`` writes and asks ``portal.access``."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import render

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.forms.katalog import selectors as katalog
from koffer.portal import access
from koffer.portal.antrag import angebote
from koffer.portal.errors import NotFound
from koffer.portal.models import OnlineAngebot
from koffer.shell.breadcrumbs import trail
from koffer.tenancy.models import Organisationseinheit

TITEL = "Portal: Online-Anträge"


def _uuid(roh: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(roh)
    except ValueError:
        return None


@requires(lambda grants, tenant: access.verwaltet_angebot(grants))
def angebote_verwaltung(request: TenantRequest) -> HttpResponse:
    tenant_id = request.tenant.pk
    formulare = {f.pk: f for f in katalog.katalog(tenant_id)}
    einheiten = list(Organisationseinheit.objects.for_tenant(tenant_id).order_by("path"))
    error = ""
    if request.method == "POST":
        formular = formulare.get(_uuid(request.POST.get("formular", "")))  # type: ignore[arg-type]
        unit_id = _uuid(request.POST.get("unit", ""))
        unit = next((u for u in einheiten if u.pk == unit_id), None)
        try:
            if formular is None:
                raise NotFound("formular_not_found", "Dieses Formular gibt es nicht.")
            angebote.angebot_setzen(
                actor=request.user,
                access=request.access,
                formular=formular,
                unit=unit,
                aktiv=request.POST.get("aktiv") == "1",
            )
        except DomainError as exc:
            error = exc.message
        else:
            messages.success(request, f"„{formular.titel}“ ist gespeichert.")
            return HttpResponseRedirect(request.path)
    bestehende = {
        a.formular_id: a for a in OnlineAngebot.objects.for_tenant(tenant_id).select_related("unit")
    }
    return render(
        request,
        "portal/antrag/angebote_verwaltung.html",
        {
            "page_title": TITEL,
            "breadcrumbs": trail((TITEL, None)),
            "zeilen": [(f, bestehende.get(f.pk)) for f in formulare.values()],
            "einheiten": einheiten,
            "error": error,
        },
        status=400 if error else 200,
    )
