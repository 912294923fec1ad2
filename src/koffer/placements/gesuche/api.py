"""API of the youth office's needs: ranked search of free places, Platzgesuche and their
Kostenzusage."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal

from ninja import Query, Router, Schema, Status
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.api.problems import ApiProblem, not_found
from koffer.placements import access
from koffer.placements.gesuche import services
from koffer.placements.models import (
    Betreuungsform,
    Merkmal,
    Platzgesuch,
    Region,
)
from koffer.placements.search import Need, search

# Published operation ids name the module these endpoints came from.
OPERATION_ID_MODULE = "koffer.placements.api"

router = Router(tags=["Platzbörse"])


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


@router.get("/platzboerse/suche", response=list[TrefferOut])
def suche(request: TenantRequest, q: Query[PlatzSucheQuery]) -> list[TrefferOut]:
    """Free places ranked by fit, then day rate, then distance; pseudonymous input only."""
    access.require_requester(request)
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


@router.post("/platzboerse/gesuche", response={201: GesuchOut})
def gesuch_create(request: TenantRequest, body: GesuchIn) -> Status[GesuchOut]:
    """A pseudonymous need; the pseudonym is generated."""
    access.require_requester(request)
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


@router.put("/platzboerse/gesuche/{gesuch_id}/kostenzusage", response={200: GesuchOut})
def gesuch_kostenzusage(
    request: TenantRequest, gesuch_id: uuid.UUID, body: KostenzusageIn
) -> GesuchOut:
    """Enter or correct the youth office's Kostenzusage/Aktenzeichen of a case; invoices
    built from now on carry it as contract reference (BT-12)."""
    access.require_requester(request)
    gesuch = access.get_or_none(access.gesuche(request.tenant), gesuch_id)
    if gesuch is None:
        raise not_found("Dieses Gesuch")
    return _gesuch_out(
        services.set_kostenzusage(actor=request.user, gesuch=gesuch, kostenzusage=body.kostenzusage)
    )
