"""API of the billing: Leistungsnachweise (providers), invoices for both parties, the
XRechnung as XML, sending (provider), approving and rejecting (youth office). Same
services as the pages; another Mandant's ids and invoices not yet sent to the youth office
answer 404."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse
from ninja import Router, Schema, Status
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.api.enums import schema_enum
from koffer.api.files import file_download
from koffer.api.pagination import paginate
from koffer.api.problems import ApiProblem, Problem, not_found
from koffer.errors import Forbidden
from koffer.placements import access
from koffer.placements.abrechnung import downloads, positions, selectors
from koffer.placements.abrechnung import pruefung as checking
from koffer.placements.abrechnung import services as billing
from koffer.placements.models import Belegung, Leistungsnachweis, Platz, Rechnung

router = Router(tags=["Abrechnung"])
# For mypy the model's enum; at run time a copy under a name of its own (koffer.api.enums).
if TYPE_CHECKING:
    NachweisStatus = Leistungsnachweis.Status
    RechnungStatus = Rechnung.Status
else:
    NachweisStatus = schema_enum("NachweisStatus", Leistungsnachweis.Status)
    RechnungStatus = schema_enum("RechnungStatus", Rechnung.Status)

MONAT_PATTERN = r"^\d{4}-(0[1-9]|1[0-2])$"


class PositionOut(Schema):
    art: str = Field(description="anwesenheit, abwesenheit oder vorhaltung")
    bezeichnung: str
    von: date
    bis: date
    zeitraeume: list[tuple[date, date]]
    tage: int
    tagessatz: Decimal
    anteil: Decimal = Field(description="Anteil des Tagessatzes in Prozent")
    preis: Decimal = Field(description="Preis je Tag: Tagessatz × Anteil, kaufmännisch gerundet")
    betrag: Decimal


class NachweisOut(Schema):
    id: uuid.UUID
    monat: str = Field(description="JJJJ-MM")
    belegung_id: uuid.UUID | None
    platz_id: uuid.UUID
    jugendamt_id: uuid.UUID
    period_start: date
    period_end: date
    anwesenheitstage: int
    abwesenheitstage: int
    vorhaltetage: int
    betrag: Decimal
    status: NachweisStatus
    status_label: str
    positionen: list[PositionOut]
    rechnung_id: uuid.UUID | None
    korrektur_von: uuid.UUID | None = Field(
        default=None, description="Der ersetzte Leistungsnachweis (nach abgelehnter Rechnung)"
    )


class NachweisPage(Schema):
    items: list[NachweisOut]
    next_cursor: str | None


class NachweisIn(Schema):
    monat: str = Field(pattern=MONAT_PATTERN, description="JJJJ-MM", examples=["2026-10"])
    belegung_id: uuid.UUID | None = Field(default=None, description="die Belegung …")
    platz_id: uuid.UUID | None = Field(default=None, description="… oder der Vorhalteplatz")


class FindingOut(Schema):
    rule_id: str = Field(description="z. B. BR-DE-15, BR-CO-10, XSD")
    flag: str = Field(description="fatal (Fehler) oder warning/information (Hinweis)")
    field: str = Field(description="das betroffene Feld, z. B. „Leitweg-ID (BT-10)“")
    message: str
    location: str = Field(description="XPath der Fundstelle")
    check: str = Field(description="XSD, EN16931 oder XRechnung")


class PruefpunktOut(Schema):
    label: str
    laut_rechnung: str
    laut_jugendamt: str
    ok: bool
    hinweis: str


class RechnungOut(Schema):
    id: uuid.UUID
    number: str
    issue_date: date
    traeger_id: uuid.UUID
    traeger: str
    jugendamt_id: uuid.UUID
    jugendamt: str
    leitweg_id: str
    nachweis_id: uuid.UUID
    monat: str
    total: Decimal
    status: RechnungStatus
    status_label: str
    findings: list[FindingOut]
    sent_at: datetime | None
    decided_at: datetime | None
    decision_reason: str
    xml_sha256: str


class RechnungDetail(RechnungOut):
    pruefung: list[PruefpunktOut] | None = Field(
        description="Nur für das Jugendamt: Abgleich mit den eigenen Belegungsdaten"
    )


class RechnungPage(Schema):
    items: list[RechnungOut]
    next_cursor: str | None


class AblehnungIn(Schema):
    reason: str = Field(min_length=1, max_length=500, description="Begründung für den Träger")


def _require_provider(request: TenantRequest) -> None:
    if not access.is_provider(request.access, request.tenant):
        raise Forbidden(
            "forbidden", "Das dürfen nur Träger mit der Berechtigung „Plätze verwalten“."
        )


def _monat(text: str) -> date:
    return positions.parse_monat(text)


def _nachweis_out(item: Leistungsnachweis, rechnung_id: uuid.UUID | None) -> NachweisOut:
    return NachweisOut(
        id=item.pk,
        monat=item.monat.isoformat()[:7],
        belegung_id=item.belegung_id,
        platz_id=item.platz_id,
        jugendamt_id=item.jugendamt_id,
        period_start=item.period_start,
        period_end=item.period_end,
        anwesenheitstage=item.anwesenheitstage,
        abwesenheitstage=item.abwesenheitstage,
        vorhaltetage=item.vorhaltetage,
        betrag=item.betrag,
        status=NachweisStatus(item.status),
        status_label=item.get_status_display(),
        positionen=[PositionOut(**p) for p in item.positionen],
        rechnung_id=rechnung_id,
        korrektur_von=item.korrektur_von_id,
    )


def _rechnung_out(item: Rechnung) -> dict[str, Any]:
    return {
        "id": item.pk,
        "number": item.number,
        "issue_date": item.issue_date,
        "traeger_id": item.tenant_id,
        "traeger": item.tenant.name,
        "jugendamt_id": item.jugendamt_id,
        "jugendamt": item.jugendamt.name,
        "leitweg_id": item.leitweg_id,
        "nachweis_id": item.nachweis_id,
        "monat": item.nachweis.monat.isoformat()[:7],
        "total": item.total,
        "status": RechnungStatus(item.status),
        "status_label": item.get_status_display(),
        "findings": [FindingOut(**f) for f in item.findings],
        "sent_at": item.sent_at,
        "decided_at": item.decided_at,
        "decision_reason": item.decision_reason,
        "xml_sha256": item.xml_sha256,
    }


def _rechnung(request: TenantRequest, rechnung_id: uuid.UUID) -> Rechnung:
    found = selectors.rechnung_for(request.tenant, rechnung_id)
    if found is None:
        raise not_found("Diese Rechnung")
    if found.tenant_id == request.tenant.pk:
        _require_provider(request)
    elif not access.is_requester(request.access, request.tenant):
        raise Forbidden(
            "forbidden", "Das dürfen nur Jugendämter mit der Berechtigung „Plätze suchen“."
        )
    return found


def _detail(request: TenantRequest, item: Rechnung) -> RechnungDetail:
    pruefung = None
    if item.jugendamt_id == request.tenant.pk and item.status in billing.SENT_STATES:
        check = checking.check_rechnung(item)
        pruefung = [
            PruefpunktOut(
                label=p.label,
                laut_rechnung=p.laut_rechnung,
                laut_jugendamt=p.laut_jugendamt,
                ok=p.ok,
                hinweis=p.hinweis,
            )
            for p in check.punkte
        ]
    return RechnungDetail(**_rechnung_out(item), pruefung=pruefung)


# --- Leistungsnachweise (providers) --------------------------------------------------------------


@router.get(
    "/platzboerse/leistungsnachweise",
    operation_id="koffer_placements_api_abrechnung_list_nachweise",
    response={200: NachweisPage, 403: Problem, 422: Problem},
    summary="Leistungsnachweise des Trägers (optional eines Monats)",
)
def list_nachweise(
    request: TenantRequest, monat: str | None = None, cursor: str | None = None, limit: int = 50
) -> NachweisPage:
    _require_provider(request)
    qs = selectors.nachweise_des_traegers(request.tenant, _monat(monat) if monat else None)
    rows, next_cursor = paginate(qs, cursor=cursor, limit=limit)
    invoices = dict(
        Rechnung.objects.for_tenant(request.tenant)
        .filter(nachweis_id__in=[r.pk for r in rows])
        .values_list("nachweis_id", "pk")
    )
    return NachweisPage(
        items=[_nachweis_out(r, invoices.get(r.pk)) for r in rows], next_cursor=next_cursor
    )


@router.post(
    "/platzboerse/leistungsnachweise",
    operation_id="koffer_placements_api_abrechnung_compute_nachweis",
    response={201: NachweisOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Leistungsnachweis einer Belegung oder eines Vorhalteplatzes berechnen",
    description="Legt den Leistungsnachweis des Monats an oder berechnet ihn neu, solange er "
    "ein Entwurf ist, und korrigiert ihn, wenn seine Rechnung abgelehnt wurde. 409 "
    "`already_billed`: schon bestätigt oder abgerechnet; 422 `rate_gap`: "
    "für die genannten Tage gilt kein Entgelt; 422 `not_yet`: der Monat ist nicht vorbei.",
)
def compute_nachweis(request: TenantRequest, payload: NachweisIn) -> Status:
    _require_provider(request)
    monat = _monat(payload.monat)
    if bool(payload.belegung_id) == bool(payload.platz_id):
        raise ApiProblem(
            422,
            "belegung_or_platz",
            "Eingaben ungültig",
            "Bitte genau eines angeben: belegung_id oder platz_id.",
        )
    if payload.belegung_id:
        belegung = Belegung.objects.for_tenant(request.tenant).filter(pk=payload.belegung_id)
        found = belegung.first()
        if found is None:
            raise not_found("Diese Belegung")
        item = billing.compute_nachweis(actor=request.user, belegung=found, monat=monat)
    else:
        platz = Platz.objects.for_tenant(request.tenant).filter(pk=payload.platz_id).first()
        if platz is None:
            raise not_found("Diesen Platz")
        item = billing.compute_standby_nachweis(actor=request.user, platz=platz, monat=monat)
    return Status(201, _nachweis_out(item, None))


def _own_nachweis(request: TenantRequest, nachweis_id: uuid.UUID) -> Leistungsnachweis:
    found = selectors.nachweis_for(request.tenant, nachweis_id)
    if found is None or found.tenant_id != request.tenant.pk:
        raise not_found("Diesen Leistungsnachweis")
    _require_provider(request)
    return found


@router.post(
    "/platzboerse/leistungsnachweise/{nachweis_id}/bestaetigung",
    operation_id="koffer_placements_api_abrechnung_confirm_nachweis",
    response={200: NachweisOut, 403: Problem, 404: Problem, 409: Problem},
    summary="Leistungsnachweis bestätigen",
)
def confirm_nachweis(request: TenantRequest, nachweis_id: uuid.UUID) -> NachweisOut:
    item = _own_nachweis(request, nachweis_id)
    item = billing.confirm_nachweis(actor=request.user, nachweis=item)
    return _nachweis_out(item, None)


@router.post(
    "/platzboerse/leistungsnachweise/{nachweis_id}/korrektur",
    operation_id="koffer_placements_api_abrechnung_correct_nachweis",
    response={201: NachweisOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Leistungsnachweis nach abgelehnter Rechnung korrigieren",
    description="Legt aus den aktuellen Daten einen neuen Entwurf für denselben Monat an; der "
    "bisherige Nachweis und seine abgelehnte Rechnung bleiben unverändert (Status `ersetzt`). "
    "Nach Bestätigung erhält die neue Rechnung eine neue Nummer mit Verweis auf die abgelehnte "
    "(BT-25). 409 `not_rejected`: die Rechnung wurde nicht abgelehnt; 409 `already_corrected`.",
)
def correct_nachweis(request: TenantRequest, nachweis_id: uuid.UUID) -> Status:
    item = _own_nachweis(request, nachweis_id)
    korrektur = billing.correct_nachweis(actor=request.user, nachweis=item)
    return Status(201, _nachweis_out(korrektur, None))


@router.post(
    "/platzboerse/leistungsnachweise/{nachweis_id}/rechnung",
    operation_id="koffer_placements_api_abrechnung_create_rechnung",
    response={201: RechnungOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="XRechnung zum bestätigten Leistungsnachweis erstellen und prüfen",
    description="Status `bereit`, wenn die Rechnung XML-Schema, EN 16931 und XRechnung "
    "besteht, sonst `ungueltig` mit den Befunden. Eine ungültige Rechnung wird durch einen "
    "erneuten Aufruf unter derselben Nummer neu erstellt.",
)
def create_rechnung(request: TenantRequest, nachweis_id: uuid.UUID) -> Status:
    item = _own_nachweis(request, nachweis_id)
    rechnung = billing.create_rechnung(actor=request.user, nachweis=item)
    found = selectors.rechnung_for(request.tenant, rechnung.pk)
    return Status(201, RechnungOut(**_rechnung_out(found or rechnung)))


# --- Rechnungen (both parties) -------------------------------------------------------------------


@router.get(
    "/platzboerse/rechnungen",
    operation_id="koffer_placements_api_abrechnung_list_rechnungen",
    response={200: RechnungPage, 403: Problem, 422: Problem},
    summary="Rechnungen: die eigenen (als Träger) und die eingegangenen (als Jugendamt)",
)
def list_rechnungen(
    request: TenantRequest,
    status: RechnungStatus | None = None,
    monat: str | None = None,
    cursor: str | None = None,
    limit: int = 50,
) -> RechnungPage:
    provider = access.is_provider(request.access, request.tenant)
    payer = access.is_requester(request.access, request.tenant)
    if not provider and not payer:
        raise Forbidden("forbidden", "Dafür fehlt Ihnen die Berechtigung.")
    # A Kreis may run facilities and place children: it sees both kinds of invoices.
    qs = selectors.rechnungen_der_partei(request.tenant, own=provider, received=payer)
    if status is not None:
        qs = qs.filter(status=status)
    if monat:
        qs = qs.filter(nachweis__monat=_monat(monat))
    rows, next_cursor = paginate(qs, cursor=cursor, limit=limit)
    return RechnungPage(
        items=[RechnungOut(**_rechnung_out(r)) for r in rows], next_cursor=next_cursor
    )


@router.get(
    "/platzboerse/rechnungen/{rechnung_id}",
    operation_id="koffer_placements_api_abrechnung_get_rechnung",
    response={200: RechnungDetail, 403: Problem, 404: Problem},
    summary="Eine Rechnung mit Befunden (und für das Jugendamt dem Abgleich)",
)
def get_rechnung(request: TenantRequest, rechnung_id: uuid.UUID) -> RechnungDetail:
    return _detail(request, _rechnung(request, rechnung_id))


@router.get(
    "/platzboerse/rechnungen/{rechnung_id}/xml",
    operation_id="koffer_placements_api_abrechnung_get_rechnung_xml",
    summary="Die XRechnung (CII) als XML",
    response={200: None, 403: Problem, 404: Problem, 409: Problem},
    openapi_extra=file_download("Die XRechnung (UN/CEFACT CII D16B) als Anhang", "application/xml"),
)
def get_rechnung_xml(request: TenantRequest, rechnung_id: uuid.UUID) -> HttpResponse:
    item = _rechnung(request, rechnung_id)
    return downloads.xml_response(request, item, purpose="XRechnung über die API abgerufen")


@router.get(
    "/platzboerse/rechnungen/{rechnung_id}/pdf",
    operation_id="koffer_placements_api_abrechnung_get_rechnung_pdf",
    summary="Die Rechnung als lesbares PDF",
    description="Aus der gespeicherten XRechnung erzeugt, barrierefrei getaggt (PDF/UA-1), "
    "als PDF/A-2a gekennzeichnet nur, wenn die PDF/A-Prüfung es bestätigt. Maßgeblich "
    "bleibt die XRechnung.",
    response={200: None, 403: Problem, 404: Problem, 409: Problem},
    openapi_extra=file_download("Die Rechnung als PDF-Anhang", "application/pdf"),
)
def get_rechnung_pdf(request: TenantRequest, rechnung_id: uuid.UUID) -> HttpResponse:
    item = _rechnung(request, rechnung_id)
    return downloads.pdf_response(request, item, purpose="Rechnung als PDF über die API abgerufen")


@router.post(
    "/platzboerse/rechnungen/{rechnung_id}/versand",
    operation_id="koffer_placements_api_abrechnung_send_rechnung",
    response={200: RechnungDetail, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Geprüfte Rechnung an das Jugendamt versenden (Träger)",
    description="Nur aus `bereit`; eine Rechnung mit Befunden wird mit 422 `invalid_invoice` "
    "und den verletzten Regeln abgelehnt.",
)
def send_rechnung(request: TenantRequest, rechnung_id: uuid.UUID) -> RechnungDetail:
    item = _rechnung(request, rechnung_id)
    if item.tenant_id != request.tenant.pk:
        raise not_found("Diese Rechnung")
    billing.send_rechnung(actor=request.user, rechnung=item)
    return _detail(request, _rechnung(request, rechnung_id))


def _payer_rechnung(request: TenantRequest, rechnung_id: uuid.UUID) -> Rechnung:
    item = _rechnung(request, rechnung_id)
    if item.jugendamt_id != request.tenant.pk:
        raise not_found("Diese Rechnung")
    return item


@router.post(
    "/platzboerse/rechnungen/{rechnung_id}/freigabe",
    operation_id="koffer_placements_api_abrechnung_approve_rechnung",
    response={200: RechnungDetail, 403: Problem, 404: Problem, 409: Problem},
    summary="Eingegangene Rechnung freigeben (Jugendamt)",
)
def approve_rechnung(request: TenantRequest, rechnung_id: uuid.UUID) -> RechnungDetail:
    item = _payer_rechnung(request, rechnung_id)
    billing.approve_rechnung(actor=request.user, tenant=request.tenant, rechnung=item)
    return _detail(request, _rechnung(request, rechnung_id))


@router.post(
    "/platzboerse/rechnungen/{rechnung_id}/ablehnung",
    operation_id="koffer_placements_api_abrechnung_reject_rechnung",
    response={200: RechnungDetail, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Eingegangene Rechnung mit Begründung ablehnen (Jugendamt)",
)
def reject_rechnung(
    request: TenantRequest, rechnung_id: uuid.UUID, payload: AblehnungIn
) -> RechnungDetail:
    item = _payer_rechnung(request, rechnung_id)
    billing.reject_rechnung(
        actor=request.user, tenant=request.tenant, rechnung=item, reason=payload.reason
    )
    return _detail(request, _rechnung(request, rechnung_id))
