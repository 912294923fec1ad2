"""API of holds and occupancy: Reservierungen (hold, confirm, decline, withdraw) and the
absences of a Belegung. A taken place is 409, a busy lock 503 with ``code: busy``."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from ninja import Router, Schema, Status
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.api.pagination import paginate
from koffer.api.problems import not_found
from koffer.errors import Forbidden
from koffer.placements import access, events, selectors
from koffer.placements.abrechnung.abgerechnet import AbgerechneterMonat, abgerechnete_monate
from koffer.placements.belegung import services
from koffer.placements.models import (
    Abwesenheit,
    Angebot,
    Belegung,
    Platz,
    Reservierung,
    with_gesuch,
)

# Published operation ids name the module these endpoints came from.
OPERATION_ID_MODULE = "koffer.placements.api"

router = Router(tags=["Platzbörse"])


class ReservierungIn(Schema):
    gesuch: uuid.UUID
    angebot: uuid.UUID | None = None
    platz: uuid.UUID | None = None


class ReservierungOut(Schema):
    id: uuid.UUID
    status: str
    platz_id: uuid.UUID
    angebot_id: uuid.UUID
    einrichtung: str
    gesuch_pseudonym: str
    expires_at: datetime
    reason: str


class ReservierungPage(Schema):
    items: list[ReservierungOut]
    next_cursor: str | None


def _hold_out(h: Reservierung) -> ReservierungOut:
    return ReservierungOut(
        id=h.pk,
        status=h.status,
        platz_id=h.platz_id,
        angebot_id=h.platz.angebot_id,
        einrichtung=h.platz.einrichtung.name,
        gesuch_pseudonym=h.gesuch.pseudonym,
        expires_at=h.expires_at,
        reason=h.reason,
    )


@router.post("/platzboerse/reservierungen", response={201: ReservierungOut})
def reservierung_create(request: TenantRequest, body: ReservierungIn) -> Status[ReservierungOut]:
    """Hold a free place of an Angebot (or a named place) for a need: 409 ``vergeben``
    when none is free, 503 ``busy`` when the lock stayed busy."""
    access.require_requester(request)
    gesuch = access.get_or_none(access.gesuche(request.tenant), body.gesuch)
    if gesuch is None:
        raise not_found("Dieses Gesuch")
    angebot = (
        Angebot.objects.unscoped()
        .select_related("einrichtung", "betreuungsform__fachbereich")
        .filter(pk=body.angebot)
        .first()
        if body.angebot
        else None
    )
    platz = (
        Platz.objects.unscoped()
        .select_related("angebot__einrichtung", "angebot__betreuungsform")
        .filter(pk=body.platz)
        .first()
        if body.platz
        else None
    )
    if angebot is None and platz is None:
        raise not_found("Dieses Angebot oder dieser Platz")
    hold = services.reserve(actor=request.user, gesuch=gesuch, angebot=angebot, platz=platz)
    return Status(201, _hold_out(_reloaded(request, hold)))


@router.get("/platzboerse/reservierungen", response=ReservierungPage)
def reservierungen(
    request: TenantRequest, cursor: str | None = None, limit: int = 50
) -> ReservierungPage:
    """Holds the Mandant is a party of (as provider or as requester)."""
    if request.tenant is None or not (
        access.is_provider(request.access, request.tenant)
        or access.is_requester(request.access, request.tenant)
    ):
        raise Forbidden("forbidden", "Dafür fehlt Ihnen die Berechtigung.")
    qs = with_gesuch(access.reservierungen(request.tenant).select_related("platz__einrichtung"))
    rows, next_cursor = paginate(qs, cursor=cursor, limit=limit)
    return ReservierungPage(items=[_hold_out(h) for h in rows], next_cursor=next_cursor)


class ZusageIn(Schema):
    beginn: date


class BelegungOut(Schema):
    id: uuid.UUID
    platz_id: uuid.UUID
    gesuch_pseudonym: str
    beginn: date
    ende: date | None


class GrundIn(Schema):
    reason: str = Field(min_length=1, max_length=300)


def _reloaded(request: TenantRequest, hold: Reservierung) -> Reservierung:
    """The hold as a service left it, with what its answer shows."""
    return with_gesuch(
        Reservierung.objects.for_party(request.tenant).select_related("platz__einrichtung")
    ).get(pk=hold.pk)


def _own_hold(
    request: TenantRequest, reservierung_id: uuid.UUID, *, provider: bool
) -> Reservierung:
    qs = access.reservierungen(request.tenant)
    qs = qs.filter(tenant=request.tenant) if provider else qs.filter(jugendamt=request.tenant)
    hold = access.get_or_none(qs, reservierung_id)
    if hold is None:
        raise not_found("Diese Reservierung")
    return hold


@router.post("/platzboerse/reservierungen/{reservierung_id}/zusage", response={201: BelegungOut})
def zusage(
    request: TenantRequest, reservierung_id: uuid.UUID, body: ZusageIn
) -> Status[BelegungOut]:
    """The provider confirms: the hold becomes a Belegung from ``beginn``."""
    access.require_provider(request)
    hold = _own_hold(request, reservierung_id, provider=True)
    b = services.confirm(
        actor=request.user, tenant=request.tenant, reservierung_id=hold.pk, beginn=body.beginn
    )
    return Status(
        201,
        BelegungOut(
            id=b.pk,
            platz_id=b.platz_id,
            gesuch_pseudonym=hold.gesuch.pseudonym,
            beginn=b.beginn,
            ende=b.ende,
        ),
    )


@router.post("/platzboerse/reservierungen/{reservierung_id}/absage", response=ReservierungOut)
def absage(request: TenantRequest, reservierung_id: uuid.UUID, body: GrundIn) -> ReservierungOut:
    """The provider declines with a reason; the place is free again."""
    access.require_provider(request)
    hold = _own_hold(request, reservierung_id, provider=True)
    services.decline(
        actor=request.user,
        tenant=request.tenant,
        reservierung_id=hold.pk,
        reason=body.reason,
        anbieter_id=hold.tenant_id,
    )
    return _hold_out(_reloaded(request, hold))


@router.post("/platzboerse/reservierungen/{reservierung_id}/rueckzug", response=ReservierungOut)
def rueckzug(request: TenantRequest, reservierung_id: uuid.UUID, body: GrundIn) -> ReservierungOut:
    """The youth office withdraws its request with a reason."""
    access.require_requester(request)
    hold = _own_hold(request, reservierung_id, provider=False)
    services.withdraw(
        actor=request.user,
        tenant=request.tenant,
        reservierung_id=hold.pk,
        reason=body.reason,
        anbieter_id=hold.tenant_id,
    )
    return _hold_out(_reloaded(request, hold))


class AbwesenheitIn(Schema):
    von: date
    bis: date
    grund: str = Field(min_length=1, max_length=200)


class AbgerechnetOut(Schema):
    """A billed month the absence falls into: its invoice was not changed."""

    monat: date
    nachweis_id: uuid.UUID
    rechnung_id: uuid.UUID | None
    rechnung: str = Field(description="Rechnungsnummer; leer, wenn noch keine Rechnung besteht")
    korrigierbar: bool = Field(
        description="Die Rechnung ist abgelehnt: POST /platzboerse/leistungsnachweise/"
        "{nachweis_id}/korrektur legt die Korrektur an"
    )
    warnung: str


class AbwesenheitOut(Schema):
    id: uuid.UUID
    belegung_id: uuid.UUID
    von: date
    bis: date
    grund: str
    abgerechnet: list[AbgerechnetOut] = Field(
        default_factory=list,
        description="Nur in der Antwort auf eine Änderung: bereits abgerechnete Monate, deren "
        "Rechnung unverändert bleibt",
    )


def _abgerechnet_out(billed: list[AbgerechneterMonat]) -> list[AbgerechnetOut]:
    return [
        AbgerechnetOut(
            monat=b.monat,
            nachweis_id=b.nachweis_id,
            rechnung_id=b.rechnung_id,
            rechnung=b.rechnung_number,
            korrigierbar=b.korrigierbar,
            warnung=b.warnung,
        )
        for b in billed
    ]


def _abwesenheit_out(
    a: Abwesenheit, billed: list[AbgerechneterMonat] | None = None
) -> AbwesenheitOut:
    return AbwesenheitOut(
        id=a.pk,
        belegung_id=a.belegung_id,
        von=a.von,
        bis=a.bis,
        grund=a.grund,
        abgerechnet=_abgerechnet_out(billed or []),
    )


def _own_belegung(request: TenantRequest, belegung_id: uuid.UUID) -> Belegung:
    item = selectors.eigene_belegung(request.tenant, belegung_id)
    if item is None:
        raise not_found("Diese Belegung")
    return item


@router.get("/platzboerse/belegungen/{belegung_id}/abwesenheiten", response=list[AbwesenheitOut])
def abwesenheiten(request: TenantRequest, belegung_id: uuid.UUID) -> list[AbwesenheitOut]:
    """Absence days of a Belegung on an own place (the access is logged)."""
    access.require_provider(request)
    belegung = _own_belegung(request, belegung_id)
    events.record_read(
        actor=request.user,
        tenant=request.tenant,
        obj=belegung,
        subject=belegung.gesuch,
        purpose="Abwesenheiten über die API abgerufen",
    )
    return [_abwesenheit_out(a) for a in selectors.abwesenheiten_of(belegung)]


@router.post("/platzboerse/belegungen/{belegung_id}/abwesenheiten", response={201: AbwesenheitOut})
def abwesenheit_create(
    request: TenantRequest, belegung_id: uuid.UUID, body: AbwesenheitIn
) -> Status[AbwesenheitOut]:
    """Record absence days (paid at the rate's absence share). 422 ``period``,
    ``outside`` (not inside the Belegung); 409 ``absence_overlap``."""
    access.require_provider(request)
    belegung = _own_belegung(request, belegung_id)
    item = services.record_abwesenheit(
        actor=request.user, belegung=belegung, von=body.von, bis=body.bis, grund=body.grund
    )
    billed = abgerechnete_monate(belegung, (item.von, item.bis))
    return Status(201, _abwesenheit_out(item, billed))


def _own_abwesenheit(request: TenantRequest, abwesenheit_id: uuid.UUID) -> Abwesenheit:
    item = selectors.eigene_abwesenheit(request.tenant, abwesenheit_id)
    if item is None:
        raise not_found("Diese Abwesenheit")
    return item


@router.put("/platzboerse/abwesenheiten/{abwesenheit_id}", response=AbwesenheitOut)
def abwesenheit_change(
    request: TenantRequest, abwesenheit_id: uuid.UUID, body: AbwesenheitIn
) -> AbwesenheitOut:
    """Correct the days or the reason of an absence; the rules of a new one apply. A month
    already billed keeps its invoice: ``abgerechnet`` names it (and whether it can be
    corrected now)."""
    access.require_provider(request)
    item = _own_abwesenheit(request, abwesenheit_id)
    old = (item.von, item.bis)
    changed = services.change_abwesenheit(
        actor=request.user, abwesenheit=item, von=body.von, bis=body.bis, grund=body.grund
    )
    billed = abgerechnete_monate(item.belegung, old, (changed.von, changed.bis))
    return _abwesenheit_out(changed, billed)


class AbwesenheitGeloescht(Schema):
    abgerechnet: list[AbgerechnetOut]


@router.delete("/platzboerse/abwesenheiten/{abwesenheit_id}", response=AbwesenheitGeloescht)
def abwesenheit_delete(request: TenantRequest, abwesenheit_id: uuid.UUID) -> AbwesenheitGeloescht:
    """Delete an absence entered by mistake; ``abgerechnet`` as for a change."""
    access.require_provider(request)
    item = _own_abwesenheit(request, abwesenheit_id)
    services.delete_abwesenheit(actor=request.user, abwesenheit=item)
    billed = abgerechnete_monate(item.belegung, (item.von, item.bis))
    return AbwesenheitGeloescht(abgerechnet=_abgerechnet_out(billed))
