"""API of the provider side for providers' systems: places and their availability,
facility data, day rates, new places."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from ninja import Router, Schema, Status
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.api.pagination import paginate
from koffer.api.problems import ApiProblem, not_found
from koffer.placements import access
from koffer.placements.angebote import services
from koffer.placements.models import (
    Angebot,
    Betreuungsform,
    Einrichtung,
    Entgelt,
    Merkmal,
    Platz,
)
from koffer.tenancy.models import Mandant

# Published operation ids name the module these endpoints came from.
OPERATION_ID_MODULE = "koffer.placements.api"

router = Router(tags=["Platzbörse"])


class PlatzOut(Schema):
    id: uuid.UUID
    label: str
    angebot_id: uuid.UUID
    einrichtung_id: uuid.UUID
    valid_from: date
    valid_to: date | None
    frei_ab: date | None
    is_standby: bool


class PlatzPage(Schema):
    items: list[PlatzOut]
    next_cursor: str | None


def _platz_out(p: Platz) -> PlatzOut:
    return PlatzOut(
        id=p.pk,
        label=p.label,
        angebot_id=p.angebot_id,
        einrichtung_id=p.einrichtung_id,
        valid_from=p.valid_from,
        valid_to=p.valid_to,
        frei_ab=p.frei_ab,
        is_standby=p.is_standby,
    )


@router.get("/platzboerse/plaetze", response=PlatzPage)
def plaetze(request: TenantRequest, cursor: str | None = None, limit: int = 100) -> PlatzPage:
    """The provider's own places."""
    access.require_provider(request)
    rows, next_cursor = paginate(
        Platz.objects.for_tenant(request.tenant), cursor=cursor, limit=limit
    )
    return PlatzPage(items=[_platz_out(p) for p in rows], next_cursor=next_cursor)


class FreiIn(Schema):
    frei_ab: date | None = Field(
        description="Frei ab diesem Tag; null nimmt den Platz aus der Börse"
    )


@router.put("/platzboerse/plaetze/{platz_id}/frei", response=PlatzOut)
def platz_frei(request: TenantRequest, platz_id: uuid.UUID, body: FreiIn) -> PlatzOut:
    """Set a place free from a date (providers' systems keep availability current)."""
    access.require_provider(request)
    platz = access.get_or_none(
        Platz.objects.for_tenant(request.tenant).select_related("angebot"), platz_id
    )
    if platz is None:
        raise not_found("Dieser Platz")
    platz = services.set_frei(actor=request.user, platz=platz, frei_ab=body.frei_ab)
    return _platz_out(platz)


class EinrichtungOut(Schema):
    id: uuid.UUID
    name: str
    fachbereich_id: uuid.UUID
    street: str
    postcode: str
    city: str
    region: str
    lat: float
    lon: float
    phone: str
    email: str
    licence_number: str
    licence_date: date | None
    licence_conditions: str
    age_min: int
    age_max: int
    accepts_w: bool
    accepts_m: bool
    accepts_d: bool
    formen: list[uuid.UUID]
    merkmale: list[uuid.UUID]


class EinrichtungPatch(Schema):
    """Only the fields sent are changed; ``formen`` and ``merkmale`` replace the lists."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    street: str | None = Field(default=None, min_length=1, max_length=200)
    postcode: str | None = Field(default=None, min_length=1, max_length=10)
    city: str | None = Field(default=None, min_length=1, max_length=100)
    region: str | None = Field(default=None, max_length=120)
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)
    phone: str | None = Field(default=None, max_length=40)
    email: str | None = Field(default=None, max_length=254)
    licence_number: str | None = Field(default=None, max_length=60)
    licence_date: date | None = Field(default=None, description="null löscht das Datum")
    licence_conditions: str | None = None
    age_min: int | None = Field(default=None, ge=0, le=120)
    age_max: int | None = Field(default=None, ge=0, le=120)
    accepts_w: bool | None = None
    accepts_m: bool | None = None
    accepts_d: bool | None = None
    formen: list[uuid.UUID] | None = None
    merkmale: list[uuid.UUID] | None = None


NULLABLE = frozenset({"licence_date"})


def _einrichtung_out(e: Einrichtung) -> EinrichtungOut:
    return EinrichtungOut(
        id=e.pk,
        name=e.name,
        fachbereich_id=e.fachbereich_id,
        street=e.street,
        postcode=e.postcode,
        city=e.city,
        region=e.region,
        lat=e.lat,
        lon=e.lon,
        phone=e.phone,
        email=e.email,
        licence_number=e.licence_number,
        licence_date=e.licence_date,
        licence_conditions=e.licence_conditions,
        age_min=e.age_min,
        age_max=e.age_max,
        accepts_w=e.accepts_w,
        accepts_m=e.accepts_m,
        accepts_d=e.accepts_d,
        formen=sorted(f.pk for f in e.formen.all()),
        merkmale=sorted(m.pk for m in e.merkmale.all()),
    )


def _own_einrichtung(request: TenantRequest, einrichtung_id: uuid.UUID) -> Einrichtung:
    item = access.get_or_none(
        access.einrichtungen(request.tenant).prefetch_related("formen", "merkmale"),
        einrichtung_id,
    )
    if item is None:
        raise not_found("Diese Einrichtung")
    return item


def _unknown(what: str) -> ApiProblem:
    return ApiProblem(422, "unknown_reference", "Unbekannter Bezug", f"{what} gibt es nicht.")


@router.get("/platzboerse/einrichtungen/{einrichtung_id}", response=EinrichtungOut)
def einrichtung_get(request: TenantRequest, einrichtung_id: uuid.UUID) -> EinrichtungOut:
    """One of the provider's own facilities."""
    access.require_provider(request)
    return _einrichtung_out(_own_einrichtung(request, einrichtung_id))


@router.patch("/platzboerse/einrichtungen/{einrichtung_id}", response=EinrichtungOut)
def einrichtung_patch(
    request: TenantRequest, einrichtung_id: uuid.UUID, body: EinrichtungPatch
) -> EinrichtungOut:
    """Change a facility's data (licence, forms of care, ages, gender, criteria, address,
    coordinates). 422 ``age_range``, ``form_field``; 409 ``form_in_use`` when a form of
    care that an active Angebot uses would be removed."""
    access.require_provider(request)
    item = _own_einrichtung(request, einrichtung_id)
    fields = body.model_dump(exclude_unset=True)
    nulls = sorted(k for k, v in fields.items() if v is None and k not in NULLABLE)
    if nulls:
        raise ApiProblem(
            422,
            "null_value",
            "Eingaben ungültig",
            f"Diese Angaben dürfen nicht leer sein: {', '.join(nulls)}.",
        )
    formen = merkmale = None
    if "formen" in fields:
        wanted = set(fields.pop("formen"))
        formen = list(Betreuungsform.objects.filter(pk__in=wanted))
        if len(formen) != len(wanted):
            raise _unknown("Eine Betreuungsform")
    if "merkmale" in fields:
        wanted = set(fields.pop("merkmale"))
        merkmale = list(Merkmal.objects.filter(pk__in=wanted))
        if len(merkmale) != len(wanted):
            raise _unknown("Ein Merkmal")
    services.update_einrichtung(
        actor=request.user, einrichtung=item, formen=formen, merkmale=merkmale, **fields
    )
    return _einrichtung_out(_own_einrichtung(request, einrichtung_id))


class EntgeltIn(Schema):
    valid_from: date = Field(description="Der neue Tagessatz gilt ab diesem Tag")
    valid_to: date | None = None
    leistungsentgelt: Decimal = Field(ge=0, max_digits=9, decimal_places=2)
    grundleistung: Decimal = Field(default=Decimal("0"), ge=0, max_digits=9, decimal_places=2)
    investitionsbetrag: Decimal = Field(default=Decimal("0"), ge=0, max_digits=9, decimal_places=2)
    absence_share: Decimal | None = Field(
        default=None,
        ge=0,
        le=100,
        max_digits=5,
        decimal_places=2,
        description="Ohne Angabe gilt der im Fachbereich eingestellte Anteil",
    )


class EntgeltOut(Schema):
    id: uuid.UUID
    angebot_id: uuid.UUID
    valid_from: date
    valid_to: date | None
    leistungsentgelt: Decimal
    grundleistung: Decimal
    investitionsbetrag: Decimal
    absence_share: Decimal
    tagessatz: Decimal


def _entgelt_out(e: Entgelt) -> EntgeltOut:
    return EntgeltOut(
        id=e.pk,
        angebot_id=e.angebot_id,
        valid_from=e.valid_from,
        valid_to=e.valid_to,
        leistungsentgelt=e.leistungsentgelt,
        grundleistung=e.grundleistung,
        investitionsbetrag=e.investitionsbetrag,
        absence_share=e.absence_share,
        tagessatz=e.tagessatz,
    )


def _own_angebot(request: TenantRequest, angebot_id: uuid.UUID) -> Angebot:
    item = access.get_or_none(
        Angebot.objects.for_tenant(request.tenant).select_related(
            "einrichtung", "betreuungsform__fachbereich"
        ),
        angebot_id,
    )
    if item is None:
        raise not_found("Dieses Angebot")
    return item


@router.get("/platzboerse/angebote/{angebot_id}/entgelte", response=list[EntgeltOut])
def entgelte(request: TenantRequest, angebot_id: uuid.UUID) -> list[EntgeltOut]:
    """The day rates of an own Angebot, oldest first."""
    access.require_provider(request)
    angebot = _own_angebot(request, angebot_id)
    rows = Entgelt.objects.for_tenant(request.tenant).filter(angebot=angebot)
    return [_entgelt_out(e) for e in rows.order_by("valid_from")]


@router.post("/platzboerse/angebote/{angebot_id}/entgeltwechsel", response={201: EntgeltOut})
def entgeltwechsel(
    request: TenantRequest, angebot_id: uuid.UUID, body: EntgeltIn
) -> Status[EntgeltOut]:
    """A new day rate from ``valid_from``: the rate in force that day ends the day before,
    without a gap. 422 ``no_current_rate``, ``rate_start``, ``rate_gap`` (an end would
    leave days without a rate); 409 ``rate_overlap`` (a later
    rate exists), ``rate_billed`` (days from then on are already billed)."""
    access.require_provider(request)
    angebot = _own_angebot(request, angebot_id)
    entgelt = services.change_entgelt(actor=request.user, angebot=angebot, **body.model_dump())
    return Status(201, _entgelt_out(entgelt))


class PlaetzeIn(Schema):
    count: int = Field(ge=1, le=500)
    valid_from: date
    valid_to: date | None = None
    frei_ab: date | None = None
    standby_jugendamt: uuid.UUID | None = Field(
        default=None,
        description="Vorhalteplatz: der Mandant (Kreis oder Stadt), der ihn jeden Tag bezahlt",
    )


@router.post("/platzboerse/angebote/{angebot_id}/plaetze", response={201: list[PlatzOut]})
def plaetze_create(
    request: TenantRequest, angebot_id: uuid.UUID, body: PlaetzeIn
) -> Status[list[PlatzOut]]:
    """Add places (also standby places, Vorhalteplätze) to an own Angebot."""
    access.require_provider(request)
    angebot = _own_angebot(request, angebot_id)
    payer = None
    if body.standby_jugendamt is not None:
        payer = Mandant.objects.filter(pk=body.standby_jugendamt, is_active=True).first()
        if payer is None:
            raise _unknown("Dieses Jugendamt")
    created = services.add_plaetze(
        actor=request.user,
        angebot=angebot,
        count=body.count,
        valid_from=body.valid_from,
        valid_to=body.valid_to,
        frei_ab=body.frei_ab,
        standby_jugendamt=payer,
    )
    return Status(201, [_platz_out(p) for p in created])
