"""API of the Hausbesuche: a field worker's day (their own by default; another's shows only
the visits of Akten the caller may read), plan a visit, close it as done, cancel it, move
it, and the route sheet as PDF. Unknown and invisible both answer 404."""

from __future__ import annotations

import uuid
from datetime import date, datetime, time
from typing import Literal

from django.http import HttpResponse
from django.utils import timezone
from ninja import Field, Query, Router, Schema, Status

from koffer.accounts.http import TenantRequest
from koffer.accounts.models import User
from koffer.api.files import file_download
from koffer.api.problems import Problem, not_found
from koffer.field import access as rules
from koffer.field.besuche import files, selectors, services
from koffer.field.besuche.selectors import Besuchszeile
from koffer.field.errors import FieldError, Forbidden
from koffer.field.models import Hausbesuch
from koffer.records import selectors as records

router = Router(tags=["Koffer"])

BesuchStatus = Literal["geplant", "erledigt", "abgesagt"]
BesuchQuelle = Literal["sachbearbeitung", "portal"]


class BesuchNeu(Schema):
    akte: uuid.UUID
    aussendienst: uuid.UUID = Field(description="Die Person im Außendienst, die hingeht")
    datum: date = Field(description="Heute oder später")
    uhrzeit: time | None = None
    anlass: str = Field(max_length=300)
    formulare: list[str] = Field(
        default_factory=list, description="Schlüssel aktiver Formulare des Katalogs"
    )
    hinweise: str = Field(default="", max_length=500)
    vorgang: uuid.UUID | None = None
    aus_wiedervorlage: uuid.UUID | None = Field(
        default=None,
        description="Eine offene Wiedervorlage der Akte, die der Hausbesuch übernimmt "
        "(sie wird erledigt)",
    )


class BesuchOut(Schema):
    id: uuid.UUID
    akte: uuid.UUID
    aktenzeichen: str
    vorgang: uuid.UUID | None
    aussendienst: uuid.UUID
    datum: date
    uhrzeit: time | None
    anlass: str
    formulare: list[str] = Field(description="Beim Planen gewählte Formulare (Schlüssel)")
    hinweise: str
    quelle: BesuchQuelle
    status: BesuchStatus
    absagegrund: str
    wiedervorlage: uuid.UUID | None
    created_at: datetime
    erledigt_am: datetime | None


class MitnehmenOut(Schema):
    schluessel: str
    titel: str
    gewaehlt: bool = Field(
        description="Beim Planen gewählt; sonst passt es zu einem offenen Vorgang"
    )


class BesuchZeileOut(BesuchOut):
    name: str = Field(description="Die erste Person der Akte")
    anschrift: str
    telefon: str
    mitnehmen: list[MitnehmenOut]
    im_koffer: bool = Field(description="Die Akte liegt schon im Koffer des Außendiensts")
    im_koffer_seit: datetime | None


class AbsageIn(Schema):
    grund: str = Field(max_length=500)


class VerlegungIn(Schema):
    datum: date
    uhrzeit: time | None = None


class TagFilter(Schema):
    datum: date | None = Field(default=None, description="Standard: heute (Europe/Berlin)")
    aussendienst: uuid.UUID | None = Field(
        default=None, description="Standard: die eigenen Hausbesuche"
    )


def _out(b: Hausbesuch) -> BesuchOut:
    return BesuchOut(
        id=b.pk,
        akte=b.akte_id,
        aktenzeichen=b.akte.aktenzeichen,
        vorgang=b.vorgang_id,
        aussendienst=b.aussendienst_id,
        datum=b.datum,
        uhrzeit=b.uhrzeit,
        anlass=b.anlass,
        formulare=list(b.formulare),
        hinweise=b.hinweise,
        quelle=b.quelle,  # type: ignore[arg-type]
        status=b.status,  # type: ignore[arg-type]
        absagegrund=b.absagegrund,
        wiedervorlage=b.wiedervorlage_id,
        created_at=b.created_at,
        erledigt_am=b.erledigt_am,
    )


def _zeile_out(z: Besuchszeile) -> BesuchZeileOut:
    return BesuchZeileOut(
        **_out(z.besuch).dict(),
        name=z.name,
        anschrift=z.anschrift,
        telefon=z.telefon,
        mitnehmen=[
            MitnehmenOut(schluessel=f.schluessel, titel=f.titel, gewaehlt=f.gewaehlt)
            for f in z.formulare
        ],
        im_koffer=z.im_koffer,
        im_koffer_seit=z.im_koffer_seit,  # type: ignore[arg-type]
    )


def _besuch(request: TenantRequest, besuch_id: uuid.UUID) -> Hausbesuch:
    row = selectors.besuch(request.access, request.user.pk, besuch_id)
    if row is None:
        raise not_found("Dieser Hausbesuch")
    return row


def _aussendienst(request: TenantRequest, user_id: uuid.UUID | None) -> User:
    """Whose day: the caller's own, or another person of the Mandant; only for whoever reads
    Akten (each visit then asks ``field.access.besuche_q``)."""
    if not rules.sieht_besuche(request.access):
        raise Forbidden("forbidden", "Hausbesuche sehen nur, wer Akten lesen darf.")
    if user_id is None or user_id == request.user.pk:
        return request.user
    person = User.objects.filter(pk=user_id, memberships__tenant=request.tenant).first()
    if person is None:
        raise not_found("Diese Person")
    return person


@router.get(
    "/koffer/besuche",
    response={200: list[BesuchZeileOut], 403: Problem, 404: Problem},
    summary="Die Hausbesuche eines Tages in Reihenfolge, mit Anschrift, Telefon, Formularen "
    "zum Mitnehmen und ob die Akte schon im Koffer ist",
)
def list_besuche(request: TenantRequest, filters: Query[TagFilter]) -> list[BesuchZeileOut]:
    datum = filters.datum or timezone.localdate()
    person = _aussendienst(request, filters.aussendienst)
    zeilen = selectors.tag(request.access, request.user.pk, aussendienst_id=person.pk, datum=datum)
    services.tag_gelesen(
        actor=request.user,
        tenant_id=request.tenant.pk,
        aussendienst_id=person.pk,
        datum=datum,
        akten=[(z.akte, z.person) for z in zeilen],
        zweck="Hausbesuche über die API gelesen",
    )
    return [_zeile_out(z) for z in zeilen]


@router.get(
    "/koffer/besuche/tourenplan.pdf",
    response={200: None, 403: Problem, 404: Problem},
    summary="Der Tourenplan eines Tages (PDF/A, zum Ausdrucken)",
    openapi_extra=file_download("Der Tourenplan", "application/pdf"),
)
def tourenplan(request: TenantRequest, filters: Query[TagFilter]) -> HttpResponse:
    return files.tourenplan_response(
        actor=request.user,
        access=request.access,
        tenant=request.tenant,
        aussendienst=_aussendienst(request, filters.aussendienst),
        datum=filters.datum or timezone.localdate(),
    )


@router.post(
    "/koffer/besuche",
    response={201: BesuchOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Einen Hausbesuch planen; der Außendienst bekommt eine Wiedervorlage für den Tag",
)
def plan_besuch(request: TenantRequest, body: BesuchNeu) -> Status:
    akte = records.akte(records.Viewer.of(request), body.akte)
    if akte is None:
        raise not_found("Diese Akte")
    vorgang = records.akte_vorgaenge(akte).filter(pk=body.vorgang).first() if body.vorgang else None
    if body.vorgang and vorgang is None:
        raise not_found("Dieser Vorgang")
    wv = None
    if body.aus_wiedervorlage:
        wv = next(
            (
                w
                for w in selectors.uebernehmbare_wiedervorlagen(akte)
                if w.pk == body.aus_wiedervorlage
            ),
            None,
        )
        if wv is None:
            raise not_found("Diese Wiedervorlage")
    person = User.objects.filter(pk=body.aussendienst).first()
    if person is None:
        raise FieldError(
            "besuch_aussendienst", "Diese Person kann für diese Akte keine Hausbesuche machen."
        )
    besuch = services.planen(
        actor=request.user,
        access=request.access,
        akte=akte,
        aussendienst=person,
        datum=body.datum,
        uhrzeit=body.uhrzeit,
        anlass=body.anlass,
        formulare=body.formulare,
        hinweise=body.hinweise,
        vorgang=vorgang,
        aus_wiedervorlage=wv,
    )
    return Status(201, _out(_besuch(request, besuch.pk)))


@router.post(
    "/koffer/besuche/{besuch_id}/erledigt",
    response={200: BesuchOut, 403: Problem, 404: Problem, 409: Problem},
    summary="Einen Hausbesuch als erledigt abschließen",
)
def besuch_erledigt(request: TenantRequest, besuch_id: uuid.UUID) -> BesuchOut:
    row = _besuch(request, besuch_id)
    return _out(services.erledigen(actor=request.user, access=request.access, besuch=row))


@router.post(
    "/koffer/besuche/{besuch_id}/absagen",
    response={200: BesuchOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Einen Hausbesuch mit Grund absagen",
)
def besuch_absagen(request: TenantRequest, besuch_id: uuid.UUID, body: AbsageIn) -> BesuchOut:
    row = _besuch(request, besuch_id)
    return _out(
        services.absagen(actor=request.user, access=request.access, besuch=row, grund=body.grund)
    )


@router.post(
    "/koffer/besuche/{besuch_id}/verlegen",
    response={200: BesuchOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Einen Hausbesuch auf einen anderen Tag oder eine andere Uhrzeit verlegen",
)
def besuch_verlegen(request: TenantRequest, besuch_id: uuid.UUID, body: VerlegungIn) -> BesuchOut:
    row = _besuch(request, besuch_id)
    return _out(
        services.verlegen(
            actor=request.user,
            access=request.access,
            besuch=row,
            datum=body.datum,
            uhrzeit=body.uhrzeit,
        )
    )
