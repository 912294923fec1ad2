"""Youth-office pages: needs (Platzgesuche), the ranked matches with live updates, the
Kostenzusage and sending requests. Thin: parse, call one service or selector, render."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.placements import access, events, selectors
from koffer.placements.belegung import services as belegung_services
from koffer.placements.errors import Busy
from koffer.placements.gesuche import services
from koffer.placements.gesuche.forms import GesuchForm
from koffer.placements.models import Angebot
from koffer.placements.pages import GESUCHE, form_page
from koffer.shell.breadcrumbs import trail
from koffer.shell.live import stream_origin, stream_url


@requires(access.is_requester)
def gesuche(request: TenantRequest) -> HttpResponse:
    return render(
        request,
        "placements/gesuche.html",
        {
            "gesuche": selectors.gesuche_of(request.tenant, limit=200),
            "page_title": GESUCHE,
            "breadcrumbs": trail((GESUCHE, None)),
        },
    )


@requires(access.is_requester)
def gesuch_neu(request: TenantRequest) -> HttpResponse:
    form = GesuchForm(
        request.POST or None, initial={"ab_datum": selectors.today(), "radius_km": 50}
    )
    if request.method == "POST" and form.is_valid():
        try:
            gesuch = services.create_gesuch(
                actor=request.user, tenant=request.tenant, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("placements:gesuch", gesuch.pk)
    return form_page(
        request,
        form,
        "Neues Platzgesuch",
        [(GESUCHE, reverse("placements:gesuche"))],
        "Passende Plätze suchen",
    )


def _own_gesuch(request: TenantRequest, gesuch_id: uuid.UUID) -> Any:
    gesuch = selectors.gesuch_detail(request.tenant, gesuch_id)
    if gesuch is None:
        raise Http404
    return gesuch


@requires(access.is_requester)
def gesuch(request: TenantRequest, gesuch_id: uuid.UUID) -> HttpResponse:
    item = _own_gesuch(request, gesuch_id)
    events.record_read(
        actor=request.user,
        tenant=request.tenant,
        obj=item,
        subject=item,
        purpose="Platzgesuch geöffnet",
    )
    live_path = reverse("placements:live") + f"?form={item.betreuungsform_id}"
    response = render(
        request,
        "placements/gesuch.html",
        {
            "gesuch": item,
            "treffer": selectors.treffer_for(item) if item.status == "offen" else [],
            "anfragen": selectors.anfragen_of(item),
            "live_url": stream_url(request, live_path),
            "page_title": f"Platzgesuch {item.pseudonym}",
            "breadcrumbs": trail((GESUCHE, reverse("placements:gesuche")), (item.pseudonym, None)),
        },
    )
    streams = stream_origin(request)
    if streams:  # django-csp adds it to the settings' connect-src for this page
        response._csp_update = {"connect-src": [streams]}  # type: ignore[attr-defined]
    return response


@requires(access.is_requester)
@require_GET
def gesuch_treffer(request: TenantRequest, gesuch_id: uuid.UUID) -> HttpResponse:
    """The ranked results alone, refreshed by the page when availability changes."""
    item = _own_gesuch(request, gesuch_id)
    return render(
        request,
        "placements/_treffer.html",
        {"gesuch": item, "treffer": selectors.treffer_for(item) if item.status == "offen" else []},
    )


@requires(access.is_requester)
@require_POST
def gesuch_kostenzusage(request: TenantRequest, gesuch_id: uuid.UUID) -> HttpResponse:
    """The youth office enters its Kostenzusage/Aktenzeichen; invoices carry it (BT-12)."""
    item = _own_gesuch(request, gesuch_id)
    try:
        services.set_kostenzusage(
            actor=request.user, gesuch=item, kostenzusage=request.POST.get("kostenzusage", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Kostenzusage/Aktenzeichen gespeichert.")
    return redirect("placements:gesuch", item.pk)


@requires(access.is_requester)
@require_POST
def gesuch_anfragen(request: TenantRequest, gesuch_id: uuid.UUID) -> HttpResponse:
    """Request one place at each chosen Angebot; each answer is reported on its own."""
    item = _own_gesuch(request, gesuch_id)
    chosen = request.POST.getlist("angebot")[:10]
    if not chosen:
        messages.error(request, "Bitte mindestens ein Angebot auswählen.")
        return redirect("placements:gesuch", item.pk)
    for raw in chosen:
        try:
            angebot_id = uuid.UUID(raw)
        except ValueError:
            continue
        angebot = (
            Angebot.objects.unscoped()
            .select_related("einrichtung", "betreuungsform")
            .filter(pk=angebot_id)
            .first()
        )
        if angebot is None:
            messages.error(request, "Ein gewähltes Angebot gibt es nicht mehr.")
            continue
        try:
            belegung_services.reserve(actor=request.user, gesuch=item, angebot=angebot)
        except Busy as exc:
            messages.warning(request, f"{angebot.einrichtung.name}: {exc.message}")
        except DomainError as exc:
            messages.error(request, f"{angebot.einrichtung.name}: {exc.message}")
        else:
            messages.success(
                request, f"{angebot.einrichtung.name}: Platz reserviert, Anfrage gesendet."
            )
    return redirect("placements:gesuch", item.pk)
