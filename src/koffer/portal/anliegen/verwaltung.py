"""The caseworker's page on a Vorgang of an online application: „Unterlagen anfordern
(Online-Dienste)“ — the requests made so far, and a new one (items, deadline, note for the
citizen). Linked from the Vorgang's page through ``records.erweiterungen``."""

from __future__ import annotations

import uuid
from datetime import date

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from koffer.accounts.access import Access, requires
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.errors import DomainError
from koffer.portal import access
from koffer.portal.anliegen import selectors, services
from koffer.portal.errors import Ungueltig
from koffer.portal.models import Nachforderung
from koffer.records import selectors as records_selectors
from koffer.records.breadcrumbs import akte_trail
from koffer.records.models import Akte, Vorgang

TITEL = "Unterlagen anfordern (Online-Dienste)"


def link(
    grants: Access, user_id: uuid.UUID | None, akte: Akte, vorgang: Vorgang | None
) -> str | None:
    """The Vorgang page's link, for whoever may edit the Akte, on a Vorgang that holds an
    online application."""
    if vorgang is None or akte.status != Akte.Status.OPEN:
        return None
    if not access.darf_nachfordern(grants, user_id, akte):
        return None
    if services.antrag_des_vorgangs(vorgang) is None:
        return None
    return reverse("portal:nachforderung_verwaltung", args=[vorgang.pk])


def _datum(roh: str) -> date | None:
    try:
        return date.fromisoformat(roh)
    except ValueError:
        return None


@requires(lambda access, tenant: access.can(Perm.RECORDS_VIEW))
def nachforderung_verwaltung(request: TenantRequest, vorgang_id: uuid.UUID) -> HttpResponse:
    vorgang = records_selectors.vorgang(records_selectors.Viewer.of(request), vorgang_id)
    if vorgang is None:
        raise Http404("Diesen Vorgang gibt es nicht.")
    # Without an online application the page says so (a request needs a citizen's account).
    antrag = services.antrag_des_vorgangs(vorgang)
    error, status = "", 200
    werte = {"posten": "", "frist": "", "hinweis": ""}
    if request.method == "POST":
        werte = {k: request.POST.get(k, "") for k in werte}
        frist = _datum(werte["frist"])
        try:
            if frist is None:
                raise Ungueltig("frist_fehlt", "Bitte geben Sie die Frist als Datum an.")
            services.nachfordern(
                actor=request.user,
                access=request.access,
                vorgang=vorgang,
                posten=werte["posten"].splitlines(),
                frist=frist,
                hinweis=werte["hinweis"],
            )
        except DomainError as exc:
            error, status = exc.message, exc.status
        else:
            messages.success(
                request,
                "Die Unterlagen sind angefordert. Die Bürgerin oder der Bürger sieht die Anforderung in den Online-Diensten.",
            )
            return HttpResponseRedirect(request.path)
    return render(
        request,
        "portal/anliegen/nachforderung_verwaltung.html",
        {
            "page_title": TITEL,
            "breadcrumbs": akte_trail(
                vorgang.akte,
                (vorgang.title, reverse("records:vorgang_detail", args=[vorgang.pk])),
                (TITEL, None),
            ),
            "vorgang": vorgang,
            "antrag": antrag,
            "darf": antrag is not None
            and services.access_darf(request.access, request.user, vorgang),
            "bisherige": list(
                Nachforderung.objects.for_tenant(vorgang.tenant_id)
                .filter(vorgang=vorgang)
                .prefetch_related(selectors.posten_prefetch(vorgang.tenant_id))
                .order_by("-erstellt_am")
            ),
            "werte": werte,
            "error": error,
        },
        status=status,
    )
