"""Start page, accessibility statement and the German error pages."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_GET

from koffer.accounts.access import (
    Access,
    handles_incoming_mail,
    mail_room_units,
    sees_organisation,
)
from koffer.accounts.http import body_refused
from koffer.accounts.roles import PERM_LABELS
from koffer.shell.tasks_registry import tasks_for
from koffer.tenancy.models import Mandant, Organisationseinheit
from koffer.tenancy.selectors import units_of

# A Kreis has dozens of units, not thousands; the bound keeps the start page small anyway.
MAIL_ROOM_UNITS_SHOWN = 200


@dataclass(frozen=True)
class MailRoom:
    """The mail room's start while the Posteingang only takes scan batches in (filing
    into Akten follows): what its role covers, and the units the post goes to (their
    tree, read-only)."""

    own_units: list[str]
    rights: list[str]
    other_tenants: list[str]
    units: list[Organisationseinheit]
    more_units: bool


def _mail_room(access: Access, tenant: Mandant | None, tenants: list[Mandant]) -> MailRoom | None:
    if tenant is None or not handles_incoming_mail(access):
        return None
    units: list[Organisationseinheit] = []
    if sees_organisation(access):
        units = list(units_of(tenant)[: MAIL_ROOM_UNITS_SHOWN + 1])
    return MailRoom(
        own_units=mail_room_units(access),
        rights=[PERM_LABELS[p] for p in sorted(access.permissions) if p in PERM_LABELS],
        other_tenants=[t.name for t in tenants if t.pk != tenant.pk],
        units=units[:MAIL_ROOM_UNITS_SHOWN],
        more_units=len(units) > MAIL_ROOM_UNITS_SHOWN,
    )


@login_required
def start(request: HttpRequest) -> HttpResponse:
    access = request.access  # type: ignore[attr-defined]
    return render(
        request,
        "shell/start.html",
        {
            "page_title": "Start",
            "roles": access.roles,
            "tasks": tasks_for(request),
            "mail_room": _mail_room(
                access, getattr(request, "tenant", None), getattr(request, "tenants", [])
            ),
        },
    )


@require_GET
def favicon(request: HttpRequest) -> HttpResponse:
    """/favicon.ico, which browsers ask for on their own where no page names its icon: a
    page image opened alone, a PDF, an error from a proxy. A 404 there shows up in every
    browser console; the icon itself is the static SVG that the pages name."""
    response = HttpResponseRedirect(static("koffer/favicon.svg"))
    patch_cache_control(response, public=True, max_age=86400)
    return response


def accessibility(request: HttpRequest) -> HttpResponse:
    return render(request, "shell/accessibility.html", {"page_title": "Barrierefreiheit"})


def _error(request: HttpRequest, status: int, title: str, detail: str) -> HttpResponse:
    return render(
        request,
        "shell/error.html",
        {"status": status, "title": title, "detail": detail},
        status=status,
    )


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    refused = body_refused(exception) if exception is not None else None
    if refused is not None:
        return _error(request, refused.status, refused.title, refused.detail)
    return _error(
        request,
        400,
        "Anfrage ungültig",
        "Die Anfrage konnte nicht verarbeitet werden. Bitte prüfen Sie Ihre Eingaben und "
        "versuchen Sie es erneut. Es wurde nichts gespeichert.",
    )


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request, 403, "Keine Berechtigung", "Für diese Seite fehlt Ihnen die nötige Berechtigung."
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return _error(
        request,
        404,
        "Seite nicht gefunden",
        "Die Seite gibt es nicht, oder Sie dürfen sie nicht sehen. Prüfen Sie die Adresse.",
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # Rendered without a request context: the error might come from a context processor.
    from django.template.loader import render_to_string

    html = render_to_string(
        "shell/error_plain.html",
        {
            "status": 500,
            "title": "Interner Fehler",
            "detail": "Es ist ein Fehler aufgetreten. Bitte versuchen Sie es erneut; nichts wurde halb gespeichert.",
        },
    )
    return HttpResponse(html, status=500)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    return _error(
        request,
        403,
        "Sitzung abgelaufen oder Formular ungültig",
        "Das Formular konnte nicht sicher übermittelt werden. Bitte laden Sie die Seite neu und senden Sie es erneut. Es wurde nichts gespeichert.",
    )
