"""API of the § 47 SGB VIII notifications: providers file and follow them, the
Landesjugendamt lists its inbox and answers. Same services as the pages; a notification
the Mandant is no party of answers 404."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from django.http.response import HttpResponseBase
from django.utils import timezone
from ninja import Query, Router, Schema, Status
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.api.enums import schema_enum
from koffer.api.files import file_download
from koffer.api.pagination import paginate
from koffer.api.problems import ApiProblem, Problem, not_found
from koffer.errors import Forbidden
from koffer.placements import access
from koffer.placements.meldungen import selectors
from koffer.placements.meldungen import services as meldungen
from koffer.placements.meldungen.downloads import receipt_response
from koffer.placements.models import Meldung

router = Router(tags=["Meldungen nach § 47 SGB VIII"])
# For mypy the model's enum; at run time a copy under a name of its own (koffer.api.enums).
if TYPE_CHECKING:
    MeldungStatus = Meldung.Status
else:
    MeldungStatus = schema_enum("MeldungStatus", Meldung.Status)


class MeldungIn(Schema):
    einrichtung_id: uuid.UUID = Field(description="Eine Einrichtung des eigenen Trägers")
    art: Meldung.Art
    ereignis_datum: date = Field(
        description="Datum des Ereignisses; bei der Jahresmeldung ein Tag des Berichtsjahres"
    )
    betreff: str = Field(min_length=1, max_length=meldungen.MAX_BETREFF)
    inhalt: str = Field(min_length=1, max_length=meldungen.MAX_INHALT)
    daten: dict[str, Any] | None = Field(
        default=None,
        description="Zusätzliche strukturierte Angaben; bei der Jahresmeldung werden die "
        "Zahlen aus den Belegungen berechnet und dieses Feld nicht verwendet",
    )
    stand: str | None = Field(
        default=None,
        description="Nur Jahresmeldung: `stand` aus der Vorschau; weichen die Zahlen inzwischen "
        "ab, antwortet die API mit 409 `zahlen_geaendert`",
    )


class MeldungOut(Schema):
    id: uuid.UUID
    number: str
    art: Meldung.Art
    art_label: str
    status: MeldungStatus
    status_label: str
    traeger_id: uuid.UUID
    traeger: str
    einrichtung_id: uuid.UUID
    einrichtung: str
    landesjugendamt_id: uuid.UUID
    landesjugendamt: str
    ereignis_datum: date
    betreff: str
    inhalt: str
    daten: dict[str, Any]
    eingereicht_at: datetime
    frist: date
    ueberfaellig: bool
    bestaetigt_at: datetime | None
    antwort: str
    aufbewahren_bis: date
    inhalt_sha256: str = Field(description="Prüfwert des Inhalts, steht auf der Quittung")
    quittung_sha256: str = Field(description="SHA-256 des PDF der Eingangsbestätigung")


class MeldungPage(Schema):
    next_cursor: str | None
    items: list[MeldungOut]


class AntwortIn(Schema):
    antwort: str = Field(default="", max_length=meldungen.MAX_ANTWORT)


class RueckfrageIn(Schema):
    text: str = Field(min_length=1, max_length=meldungen.MAX_ANTWORT)


class Vorschau(Schema):
    stand: str = Field(description="Beim Einreichen als `stand` mitsenden")
    daten: dict[str, Any]


class ListFilter(Schema):
    rolle: str = Field(
        default="",
        description="`traeger`: eingereichte, `landesjugendamt`: eingegangene; leer: beide",
    )
    art: str = ""
    status: str = Field(default="", description="ein Status oder `offen`")
    cursor: str | None = None
    limit: int = 50


def _out(m: Meldung) -> MeldungOut:
    return MeldungOut(
        id=m.pk,
        number=m.number,
        art=Meldung.Art(m.art),
        art_label=m.get_art_display(),
        status=MeldungStatus(m.status),
        status_label=m.get_status_display(),
        traeger_id=m.tenant_id,
        traeger=m.tenant.name,
        einrichtung_id=m.einrichtung_id,
        einrichtung=m.einrichtung.name,
        landesjugendamt_id=m.jugendamt_id,
        landesjugendamt=m.jugendamt.name,
        ereignis_datum=m.ereignis_datum,
        betreff=m.betreff,
        inhalt=m.inhalt,
        daten=m.daten,
        eingereicht_at=m.eingereicht_at,
        frist=m.frist,
        ueberfaellig=meldungen.is_overdue(m),
        bestaetigt_at=m.bestaetigt_at,
        antwort=m.antwort,
        aufbewahren_bis=m.aufbewahren_bis,
        inhalt_sha256=meldungen.inhalt_sha256(m),
        quittung_sha256=m.quittung_sha256,
    )


def _sicht(request: TenantRequest, meldung_id: uuid.UUID) -> access.Sicht:
    sicht = access.meldung_sicht(request.access, request.tenant, meldung_id)
    if sicht is None:
        raise not_found("Diese Meldung")
    return sicht


@router.get(
    "/platzboerse/meldungen",
    operation_id="koffer_placements_api_meldungen_list_meldungen",
    response={200: MeldungPage, 400: Problem, 403: Problem},
    summary="Meldungen: eingereichte (Träger) und eingegangene (Landesjugendamt)",
)
def list_meldungen(request: TenantRequest, filters: Query[ListFilter]) -> MeldungPage:
    may_file = access.may_file_meldungen(request.access)
    may_review = access.may_review_meldungen(request.access)
    if filters.rolle not in {"", meldungen.PROVIDER, meldungen.RECEIVER}:
        raise ApiProblem(
            400, "invalid_rolle", "Ungültiger Filter", "rolle ist traeger oder landesjugendamt."
        )
    want_filed = may_file and filters.rolle in {"", meldungen.PROVIDER}
    want_received = may_review and filters.rolle in {"", meldungen.RECEIVER}
    if not (may_file or may_review):
        raise Forbidden("forbidden", "Dafür fehlt Ihnen die Berechtigung.")
    qs = selectors.filed(request.tenant).none()
    if want_filed and want_received:
        qs = Meldung.objects.for_party(request.tenant)
    elif want_filed:
        qs = selectors.filed(request.tenant)
    elif want_received:
        qs = selectors.received(request.tenant)
    qs = selectors.filtered(
        qs.select_related("tenant", "einrichtung", "jugendamt"),
        art=filters.art,
        status=filters.status,
    )
    items, cursor = paginate(qs, cursor=filters.cursor, limit=filters.limit)
    return MeldungPage(next_cursor=cursor, items=[_out(m) for m in items])


@router.post(
    "/platzboerse/meldungen",
    operation_id="koffer_placements_api_meldungen_create_meldung",
    response={201: MeldungOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Meldung einreichen (Träger); die Eingangsbestätigung entsteht sofort",
)
def create_meldung(request: TenantRequest, payload: MeldungIn) -> Status:
    if not access.may_file_meldungen(request.access):
        raise Forbidden("forbidden", "Dafür fehlt Ihnen die Berechtigung.")
    meldung = meldungen.file_meldung(
        actor=request.user,
        tenant=request.tenant,
        einrichtung=payload.einrichtung_id,
        art=payload.art.value,
        ereignis_datum=payload.ereignis_datum,
        betreff=payload.betreff,
        inhalt=payload.inhalt,
        daten=payload.daten,
        stand=payload.stand,
    )
    return Status(201, _out(meldung))


@router.get(
    "/platzboerse/meldungen/vorschau/jahresmeldung",
    operation_id="koffer_placements_api_meldungen_preview_jahresmeldung",
    response={200: Vorschau, 403: Problem, 404: Problem, 422: Problem},
    summary="Vorschau der Jahresmeldung: die aus den Belegungen berechneten Zahlen",
)
def preview_jahresmeldung(request: TenantRequest, einrichtung_id: uuid.UUID, jahr: int) -> Vorschau:
    if not access.may_file_meldungen(request.access):
        raise Forbidden("forbidden", "Dafür fehlt Ihnen die Berechtigung.")
    eingabe = meldungen.check_meldung(
        tenant=request.tenant,
        einrichtung=einrichtung_id,
        art=Meldung.Art.JAHRESMELDUNG,
        ereignis_datum=date(max(1, min(jahr, 9999)), 12, 31),
        betreff="Vorschau",
        inhalt="Vorschau",
        today=timezone.localdate(),
    )
    daten = meldungen.prefill_jahresmeldung(eingabe.einrichtung, eingabe.ereignis_datum.year)
    return Vorschau(stand=meldungen.daten_stand(daten), daten=daten)


@router.get(
    "/platzboerse/meldungen/{meldung_id}",
    operation_id="koffer_placements_api_meldungen_get_meldung",
    response={200: MeldungOut, 403: Problem, 404: Problem},
    summary="Eine Meldung (wird protokolliert)",
)
def get_meldung(request: TenantRequest, meldung_id: uuid.UUID) -> MeldungOut:
    sicht = _sicht(request, meldung_id)
    meldungen.record_read(
        actor=request.user,
        tenant=request.tenant,
        meldung=sicht.meldung,
        purpose="Meldung über die API abgerufen",
    )
    return _out(sicht.meldung)


@router.get(
    "/platzboerse/meldungen/{meldung_id}/eingangsbestaetigung",
    operation_id="koffer_placements_api_meldungen_download_quittung",
    summary="Eingangsbestätigung als PDF (PDF/A-2b)",
    response={200: None, 403: Problem, 404: Problem},
    openapi_extra=file_download("Das PDF als Anhang", "application/pdf"),
)
def download_quittung(request: TenantRequest, meldung_id: uuid.UUID) -> HttpResponseBase:
    return receipt_response(request, _sicht(request, meldung_id).meldung)


def _receiver(request: TenantRequest, meldung_id: uuid.UUID) -> Meldung:
    sicht = _sicht(request, meldung_id)
    if not sicht.is_receiver:
        raise not_found("Diese Meldung")
    return sicht.meldung


def _answered(
    request: TenantRequest,
    meldung_id: uuid.UUID,
    answer: Callable[..., Meldung],
    payload: AntwortIn | RueckfrageIn,
) -> MeldungOut:
    """The Landesjugendamt's answer (one of the services below), then the Meldung as it is now."""
    meldung = _receiver(request, meldung_id)
    answer(actor=request.user, tenant=request.tenant, meldung=meldung, **payload.model_dump())
    return _out(_receiver(request, meldung_id))


@router.post(
    "/platzboerse/meldungen/{meldung_id}/bestaetigen",
    operation_id="koffer_placements_api_meldungen_acknowledge",
    response={200: MeldungOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Eingang bestätigen (Landesjugendamt, einmal)",
)
def acknowledge(request: TenantRequest, meldung_id: uuid.UUID, payload: AntwortIn) -> MeldungOut:
    return _answered(request, meldung_id, meldungen.acknowledge, payload)


@router.post(
    "/platzboerse/meldungen/{meldung_id}/rueckfrage",
    operation_id="koffer_placements_api_meldungen_ask_back",
    response={200: MeldungOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Rückfrage an den Träger (Landesjugendamt)",
)
def ask_back(request: TenantRequest, meldung_id: uuid.UUID, payload: RueckfrageIn) -> MeldungOut:
    return _answered(request, meldung_id, meldungen.ask_back, payload)


@router.post(
    "/platzboerse/meldungen/{meldung_id}/abschliessen",
    operation_id="koffer_placements_api_meldungen_close",
    response={200: MeldungOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Meldung abschließen (Landesjugendamt)",
)
def close(request: TenantRequest, meldung_id: uuid.UUID, payload: AntwortIn) -> MeldungOut:
    return _answered(request, meldung_id, meldungen.close, payload)
