"""Page „Koffer: Konflikte“: the changes from a Koffer that the office had changed
differently meanwhile, each with the Akte, what, the base, both values and two buttons.
Thin: selectors read, services write and ask ``field.access``."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import FieldDoesNotExist
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.field import access
from koffer.field.abgleich import regeln, selectors, services
from koffer.field.models import Konflikt
from koffer.shell.breadcrumbs import trail

KONFLIKTE = "Koffer: Konflikte"


def _wert(value: Any) -> str:
    if value is None or value == "":
        return "(leer)"
    return str(value)


def _koffer_wert(k: Konflikt) -> str:
    """The Koffer's value; a new row waiting whole is named by its title or file."""
    if k.feld or not isinstance(k.koffer_wert, dict):
        return _wert(k.koffer_wert)
    felder = k.koffer_wert.get("fields") or {}
    name = next((felder[f] for f in ("title", "filename", "label", "note") if felder.get(f)), "")
    return f"neu angelegt: {name}" if name else "neu angelegt"


def _feldname(k: Konflikt) -> str:
    model = regeln.GEAENDERT_MODELLE.get(k.modell)
    if model is None or not k.feld:
        return k.feld
    try:
        return str(regeln.feld(model, k.feld).verbose_name)
    except FieldDoesNotExist:  # renamed since: show its name
        return k.feld


@require_GET
@requires(access.seite_konflikte)
def konflikte(request: TenantRequest) -> HttpResponse:
    rows = selectors.konflikte(actor=request.user, access=request.access)
    return render(
        request,
        "field/abgleich/konflikte.html",
        {
            "page_title": KONFLIKTE,
            "breadcrumbs": trail((KONFLIKTE, None)),
            "konflikte": [
                {
                    "k": k,
                    "was": (
                        f"{regeln.name(k.modell)}: {_feldname(k)}"
                        if k.feld
                        else regeln.name(k.modell)
                    ),
                    "basis": _wert(k.basis),
                    "buero": _wert(k.buero_wert),
                    "koffer": _koffer_wert(k),
                    "grund": k.hinweis if k.art == Konflikt.Art.ABGELEHNT else "",
                }
                for k in rows
            ],
        },
    )


@require_POST
@requires(access.seite_konflikte)
def entscheiden(request: TenantRequest, konflikt_id: uuid.UUID) -> HttpResponse:
    try:
        row = selectors.konflikt(actor=request.user, access=request.access, konflikt_id=konflikt_id)
    except DomainError as exc:
        raise Http404 from exc
    try:
        row = services.entscheiden(
            actor=request.user, konflikt=row, entscheidung=request.POST.get("entscheidung", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if row.entscheidung == Konflikt.Entscheidung.KOFFER:
            messages.success(request, "Der Wert aus dem Koffer ist übernommen.")
        elif row.art == Konflikt.Art.ABGELEHNT:
            messages.success(
                request, "Die Änderung aus dem Koffer wird nicht übernommen; sie bleibt vermerkt."
            )
        elif row.art == Konflikt.Art.GELOESCHT:
            messages.warning(request, row.hinweis)
        else:
            messages.success(request, "Der Wert aus dem Büro bleibt.")
    return redirect("field:konflikte")
