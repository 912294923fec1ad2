"""API of the Platzbörse for providers' systems (availability) and youth offices'
specialist software (search, needs, holds). Errors are problem+json; "vergeben" is 409,
a busy lock 503 with ``code: busy`` ("bitte erneut versuchen")."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.api.pagination import paginate
from koffer.api.problems import ApiProblem, Problem, not_found
from koffer.errors import Forbidden
from koffer.placements import access, events, selectors, services
from koffer.placements.abrechnung import api as abrechnung_api
from koffer.placements.abrechnung.abgerechnet import AbgerechneterMonat, abgerechnete_monate
from koffer.placements.meldungen import api as meldungen_api
from koffer.placements.models import (
    Abwesenheit,
    Angebot,
    Belegung,
    Betreuungsform,
    Einrichtung,
    Entgelt,
    Fachbereich,
    Merkmal,
    Platz,
    Platzgesuch,
    Region,
    Reservierung,
)
from koffer.placements.search import Need, search
from koffer.placements.statistik import api as statistik_api
from koffer.tenancy.models import Mandant

exchange = Router(tags=["Platzbörse"])


def _provider(request: TenantRequest) -> None:
    if request.tenant is None or not access.is_provider(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für Einrichtungsträger mit Platzverwaltung.")


def _requester(request: TenantRequest) -> None:
    if request.tenant is None or not access.is_requester(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für Stellen, die Plätze suchen dürfen.")


class FormOut(Schema):
    id: uuid.UUID
    code: str
    label: str
    rechtsgrundlage: str


class MerkmalOut(Schema):
    id: uuid.UUID
    code: str
    label: str
    group: str


class FachbereichOut(Schema):
    id: uuid.UUID
    code: str
    label: str
    place_label: str
    reservation_hours: int
    formen: list[FormOut]
    merkmale: list[MerkmalOut]


@exchange.get("/platzboerse/fachbereiche", response={200: list[FachbereichOut], 403: Problem})
def fachbereiche(request: TenantRequest) -> list[FachbereichOut]:
    """The configured fields with their forms of care and criteria."""
    if not access.sees_catalogue(request.access):
        raise Forbidden("forbidden", "Dafür fehlt Ihnen die Berechtigung.")
    out = []
    for fb in Fachbereich.objects.prefetch_related("formen", "merkmale"):
        out.append(
            FachbereichOut(
                id=fb.pk,
                code=fb.code,
                label=fb.label,
                place_label=fb.place_label,
                reservation_hours=fb.reservation_hours,
                formen=[
                    FormOut(id=f.pk, code=f.code, label=f.label, rechtsgrundlage=f.rechtsgrundlage)
                    for f in fb.formen.all()
                ],
                merkmale=[
                    MerkmalOut(id=m.pk, code=m.code, label=m.label, group=m.group)
                    for m in fb.merkmale.all()
                ],
            )
        )
    return out


class PlatzSucheQuery(Schema):
    betreuungsform: uuid.UUID
    alter: int = Field(ge=0, le=120)
    geschlecht: str = Field(pattern="^[wmd]$")
    ab: date
    lat: float = Field(ge=-90, le=90)
    lon: float = Field(ge=-180, le=180)
    radius_km: int = Field(default=50, ge=1, le=1000)
    merkmal: list[uuid.UUID] = Field(default_factory=list)
    limit: int = Field(default=25, ge=1, le=100)


class TrefferOut(Schema):
    angebot_id: uuid.UUID
    einrichtung_id: uuid.UUID
    einrichtung: str
    traeger: str
    city: str
    title: str
    free_count: int
    frei_ab: date
    tagessatz: Decimal | None
    distance_km: float
    criteria_met: int
    criteria_total: int
    missing: list[str]
    reason: str


@exchange.get("/platzboerse/suche", response=list[TrefferOut])
def suche(request: TenantRequest, q: Query[PlatzSucheQuery]) -> list[TrefferOut]:
    """Free places ranked by fit, then day rate, then distance; pseudonymous input only."""
    _requester(request)
    if not Betreuungsform.objects.filter(pk=q.betreuungsform).exists():
        raise not_found("Diese Betreuungsform")
    need = Need(
        betreuungsform_id=q.betreuungsform,
        alter=q.alter,
        geschlecht=q.geschlecht,
        ab_datum=q.ab,
        lat=q.lat,
        lon=q.lon,
        radius_km=q.radius_km,
        merkmal_ids=frozenset(q.merkmal),
    )
    return [
        TrefferOut(
            angebot_id=t.angebot_id,
            einrichtung_id=t.einrichtung_id,
            einrichtung=t.einrichtung,
            traeger=t.traeger,
            city=t.city,
            title=t.title,
            free_count=t.free_count,
            frei_ab=t.frei_ab,
            tagessatz=t.tagessatz,
            distance_km=round(t.distance_km, 1),
            criteria_met=t.met,
            criteria_total=t.total,
            missing=t.missing,
            reason=t.reason,
        )
        for t in search(need, limit=q.limit)
    ]


class GesuchIn(Schema):
    betreuungsform: uuid.UUID
    alter: int = Field(ge=0, le=120)
    geschlecht: str = Field(pattern="^[wmd]$")
    ab: date
    region: str = Field(
        min_length=1, max_length=120, description="Name einer konfigurierten Region"
    )
    radius_km: int = Field(default=50, ge=1, le=1000)
    merkmale: list[uuid.UUID] = Field(default_factory=list)
    kostenzusage: str = Field(
        default="",
        max_length=60,
        description="Kostenzusage/Aktenzeichen des Jugendamts; steht als Vertragsnummer "
        "(BT-12) auf den Rechnungen dieses Falls",
    )


class GesuchOut(Schema):
    id: uuid.UUID
    pseudonym: str
    status: str
    betreuungsform_id: uuid.UUID
    alter: int
    geschlecht: str
    ab: date
    kostenzusage: str = Field(description="Kostenzusage/Aktenzeichen (leer, wenn unbekannt)")


@exchange.post("/platzboerse/gesuche", response={201: GesuchOut})
def gesuch_create(request: TenantRequest, body: GesuchIn) -> Status[GesuchOut]:
    """A pseudonymous need; the pseudonym is generated."""
    _requester(request)
    form = (
        Betreuungsform.objects.select_related("fachbereich").filter(pk=body.betreuungsform).first()
    )
    region = Region.objects.filter(name=body.region).first()
    if form is None or region is None:
        raise ApiProblem(
            422,
            "unknown_reference",
            "Unbekannter Bezug",
            "Betreuungsform oder Region gibt es nicht.",
        )
    merkmale = list(Merkmal.objects.filter(pk__in=body.merkmale))
    if len(merkmale) != len(set(body.merkmale)):
        raise ApiProblem(
            422, "unknown_reference", "Unbekannter Bezug", "Ein Merkmal gibt es nicht."
        )
    g = services.create_gesuch(
        actor=request.user,
        tenant=request.tenant,
        betreuungsform=form,
        alter=body.alter,
        geschlecht=body.geschlecht,
        ab_datum=body.ab,
        region=region,
        radius_km=body.radius_km,
        merkmale=merkmale,
        kostenzusage=body.kostenzusage,
    )
    return Status(201, _gesuch_out(g))


def _gesuch_out(g: Platzgesuch) -> GesuchOut:
    return GesuchOut(
        id=g.pk,
        pseudonym=g.pseudonym,
        status=g.status,
        betreuungsform_id=g.betreuungsform_id,
        alter=g.alter,
        geschlecht=g.geschlecht,
        ab=g.ab_datum,
        kostenzusage=g.kostenzusage,
    )


class KostenzusageIn(Schema):
    kostenzusage: str = Field(
        max_length=60, description="Kostenzusage/Aktenzeichen; leer löscht die Angabe"
    )


@exchange.put("/platzboerse/gesuche/{gesuch_id}/kostenzusage", response={200: GesuchOut})
def gesuch_kostenzusage(
    request: TenantRequest, gesuch_id: uuid.UUID, body: KostenzusageIn
) -> GesuchOut:
    """Enter or correct the youth office's Kostenzusage/Aktenzeichen of a case; invoices
    built from now on carry it as contract reference (BT-12)."""
    _requester(request)
    gesuch = access.get_or_none(access.gesuche(request.tenant), gesuch_id)
    if gesuch is None:
        raise not_found("Dieses Gesuch")
    return _gesuch_out(
        services.set_kostenzusage(actor=request.user, gesuch=gesuch, kostenzusage=body.kostenzusage)
    )


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


@exchange.post("/platzboerse/reservierungen", response={201: ReservierungOut})
def reservierung_create(request: TenantRequest, body: ReservierungIn) -> Status[ReservierungOut]:
    """Hold a free place of an Angebot (or a named place) for a need: 409 ``vergeben``
    when none is free, 503 ``busy`` when the lock stayed busy."""
    _requester(request)
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


@exchange.get("/platzboerse/reservierungen", response=ReservierungPage)
def reservierungen(
    request: TenantRequest, cursor: str | None = None, limit: int = 50
) -> ReservierungPage:
    """Holds the Mandant is a party of (as provider or as requester)."""
    if request.tenant is None or not (
        access.is_provider(request.access, request.tenant)
        or access.is_requester(request.access, request.tenant)
    ):
        raise Forbidden("forbidden", "Dafür fehlt Ihnen die Berechtigung.")
    qs = access.reservierungen(request.tenant).select_related("platz__einrichtung", "gesuch")
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
    return (
        Reservierung.objects.for_party(request.tenant)
        .select_related("platz__einrichtung", "gesuch")
        .get(pk=hold.pk)
    )


def _own_hold(
    request: TenantRequest, reservierung_id: uuid.UUID, *, provider: bool
) -> Reservierung:
    qs = access.reservierungen(request.tenant)
    qs = qs.filter(tenant=request.tenant) if provider else qs.filter(jugendamt=request.tenant)
    hold = access.get_or_none(qs, reservierung_id)
    if hold is None:
        raise not_found("Diese Reservierung")
    return hold


@exchange.post("/platzboerse/reservierungen/{reservierung_id}/zusage", response={201: BelegungOut})
def zusage(
    request: TenantRequest, reservierung_id: uuid.UUID, body: ZusageIn
) -> Status[BelegungOut]:
    """The provider confirms: the hold becomes a Belegung from ``beginn``."""
    _provider(request)
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


@exchange.post("/platzboerse/reservierungen/{reservierung_id}/absage", response=ReservierungOut)
def absage(request: TenantRequest, reservierung_id: uuid.UUID, body: GrundIn) -> ReservierungOut:
    """The provider declines with a reason; the place is free again."""
    _provider(request)
    hold = _own_hold(request, reservierung_id, provider=True)
    services.decline(
        actor=request.user, tenant=request.tenant, reservierung_id=hold.pk, reason=body.reason
    )
    return _hold_out(_reloaded(request, hold))


@exchange.post("/platzboerse/reservierungen/{reservierung_id}/rueckzug", response=ReservierungOut)
def rueckzug(request: TenantRequest, reservierung_id: uuid.UUID, body: GrundIn) -> ReservierungOut:
    """The youth office withdraws its request with a reason."""
    _requester(request)
    hold = _own_hold(request, reservierung_id, provider=False)
    services.withdraw(
        actor=request.user, tenant=request.tenant, reservierung_id=hold.pk, reason=body.reason
    )
    return _hold_out(_reloaded(request, hold))


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


@exchange.get("/platzboerse/plaetze", response=PlatzPage)
def plaetze(request: TenantRequest, cursor: str | None = None, limit: int = 100) -> PlatzPage:
    """The provider's own places."""
    _provider(request)
    rows, next_cursor = paginate(
        Platz.objects.for_tenant(request.tenant), cursor=cursor, limit=limit
    )
    return PlatzPage(items=[_platz_out(p) for p in rows], next_cursor=next_cursor)


class FreiIn(Schema):
    frei_ab: date | None = Field(
        description="Frei ab diesem Tag; null nimmt den Platz aus der Börse"
    )


@exchange.put("/platzboerse/plaetze/{platz_id}/frei", response=PlatzOut)
def platz_frei(request: TenantRequest, platz_id: uuid.UUID, body: FreiIn) -> PlatzOut:
    """Set a place free from a date (providers' systems keep availability current)."""
    _provider(request)
    platz = access.get_or_none(
        Platz.objects.for_tenant(request.tenant).select_related("angebot"), platz_id
    )
    if platz is None:
        raise not_found("Dieser Platz")
    platz = services.set_frei(actor=request.user, platz=platz, frei_ab=body.frei_ab)
    return _platz_out(platz)


# --- provider: facility data, day rates, places, absences -------------------------------------


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


@exchange.get("/platzboerse/einrichtungen/{einrichtung_id}", response=EinrichtungOut)
def einrichtung_get(request: TenantRequest, einrichtung_id: uuid.UUID) -> EinrichtungOut:
    """One of the provider's own facilities."""
    _provider(request)
    return _einrichtung_out(_own_einrichtung(request, einrichtung_id))


@exchange.patch("/platzboerse/einrichtungen/{einrichtung_id}", response=EinrichtungOut)
def einrichtung_patch(
    request: TenantRequest, einrichtung_id: uuid.UUID, body: EinrichtungPatch
) -> EinrichtungOut:
    """Change a facility's data (licence, forms of care, ages, gender, criteria, address,
    coordinates). 422 ``age_range``, ``form_field``; 409 ``form_in_use`` when a form of
    care that an active Angebot uses would be removed."""
    _provider(request)
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


@exchange.get("/platzboerse/angebote/{angebot_id}/entgelte", response=list[EntgeltOut])
def entgelte(request: TenantRequest, angebot_id: uuid.UUID) -> list[EntgeltOut]:
    """The day rates of an own Angebot, oldest first."""
    _provider(request)
    angebot = _own_angebot(request, angebot_id)
    rows = Entgelt.objects.for_tenant(request.tenant).filter(angebot=angebot)
    return [_entgelt_out(e) for e in rows.order_by("valid_from")]


@exchange.post("/platzboerse/angebote/{angebot_id}/entgeltwechsel", response={201: EntgeltOut})
def entgeltwechsel(
    request: TenantRequest, angebot_id: uuid.UUID, body: EntgeltIn
) -> Status[EntgeltOut]:
    """A new day rate from ``valid_from``: the rate in force that day ends the day before,
    without a gap. 422 ``no_current_rate``, ``rate_start``, ``rate_gap`` (an end would
    leave days without a rate); 409 ``rate_overlap`` (a later
    rate exists), ``rate_billed`` (days from then on are already billed)."""
    _provider(request)
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


@exchange.post("/platzboerse/angebote/{angebot_id}/plaetze", response={201: list[PlatzOut]})
def plaetze_create(
    request: TenantRequest, angebot_id: uuid.UUID, body: PlaetzeIn
) -> Status[list[PlatzOut]]:
    """Add places (also standby places, Vorhalteplätze) to an own Angebot."""
    _provider(request)
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


@exchange.get("/platzboerse/belegungen/{belegung_id}/abwesenheiten", response=list[AbwesenheitOut])
def abwesenheiten(request: TenantRequest, belegung_id: uuid.UUID) -> list[AbwesenheitOut]:
    """Absence days of a Belegung on an own place (the access is logged)."""
    _provider(request)
    belegung = _own_belegung(request, belegung_id)
    events.record_read(
        actor=request.user,
        tenant=request.tenant,
        obj=belegung,
        subject=belegung.gesuch,
        purpose="Abwesenheiten über die API abgerufen",
    )
    return [_abwesenheit_out(a) for a in selectors.abwesenheiten_of(belegung)]


@exchange.post(
    "/platzboerse/belegungen/{belegung_id}/abwesenheiten", response={201: AbwesenheitOut}
)
def abwesenheit_create(
    request: TenantRequest, belegung_id: uuid.UUID, body: AbwesenheitIn
) -> Status[AbwesenheitOut]:
    """Record absence days (paid at the rate's absence share). 422 ``period``,
    ``outside`` (not inside the Belegung); 409 ``absence_overlap``."""
    _provider(request)
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


@exchange.put("/platzboerse/abwesenheiten/{abwesenheit_id}", response=AbwesenheitOut)
def abwesenheit_change(
    request: TenantRequest, abwesenheit_id: uuid.UUID, body: AbwesenheitIn
) -> AbwesenheitOut:
    """Correct the days or the reason of an absence; the rules of a new one apply. A month
    already billed keeps its invoice: ``abgerechnet`` names it (and whether it can be
    corrected now)."""
    _provider(request)
    item = _own_abwesenheit(request, abwesenheit_id)
    old = (item.von, item.bis)
    changed = services.change_abwesenheit(
        actor=request.user, abwesenheit=item, von=body.von, bis=body.bis, grund=body.grund
    )
    billed = abgerechnete_monate(item.belegung, old, (changed.von, changed.bis))
    return _abwesenheit_out(changed, billed)


class AbwesenheitGeloescht(Schema):
    abgerechnet: list[AbgerechnetOut]


@exchange.delete("/platzboerse/abwesenheiten/{abwesenheit_id}", response=AbwesenheitGeloescht)
def abwesenheit_delete(request: TenantRequest, abwesenheit_id: uuid.UUID) -> AbwesenheitGeloescht:
    """Delete an absence entered by mistake; ``abgerechnet`` as for a change."""
    _provider(request)
    item = _own_abwesenheit(request, abwesenheit_id)
    services.delete_abwesenheit(actor=request.user, abwesenheit=item)
    billed = abgerechnete_monate(item.belegung, (item.von, item.bis))
    return AbwesenheitGeloescht(abgerechnet=_abgerechnet_out(billed))


# One router per app for koffer.urls: the exchange's own endpoints, then each feature's.
# The gathering router has no tags, so each feature keeps its own tag in the schema.
router = Router()
router.add_router("", exchange)
router.add_router("", meldungen_api.router)
router.add_router("", statistik_api.router)
router.add_router("", abrechnung_api.router)
