"""Portal pages: thin; sign-in logic lives in saml.py / email.py, sessions in sitzung.py."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from koffer.portal import access, sitzung


def seite(
    request: HttpRequest, template: str, context: dict[str, Any] | None = None, status: int = 200
) -> HttpResponse:
    """Render a portal page with the Mandant and the citizen the frame shows."""
    values = {
        "portal_mandant": getattr(request, "portal_mandant", None),
        "buerger": getattr(request, "buerger", None),
        **(context or {}),
    }
    return render(request, template, values, status=status)


@sitzung.buerger_erforderlich
def start(request: HttpRequest, mandant: str) -> HttpResponse:
    konto = request.buerger  # type: ignore[attr-defined]
    return seite(
        request,
        "portal/start.html",
        {"page_title": "Mein Bereich", "personen": access.personen_des_kontos(konto)},
    )


def anmelden(request: HttpRequest, mandant: str) -> HttpResponse:
    request.portal_mandant = sitzung.mandant_des_portals(mandant)  # type: ignore[attr-defined]
    return seite(
        request,
        "portal/anmelden.html",
        {"page_title": "Anmelden", "next": request.GET.get("next", "")},
    )


@require_POST
def abmelden(request: HttpRequest, mandant: str) -> HttpResponse:
    portal_mandant = sitzung.mandant_des_portals(mandant)
    sitzung.abmelden(request)
    return HttpResponseRedirect(reverse("portal:anmelden", kwargs={"mandant": portal_mandant.slug}))
