"""API of the Expertensitzung: start one with the citizen's consent, join, leave, end,
read the form as the caller may see it (masked fields without values), write a field
with the version it was based on (409 ``feld_veraltet`` with ``aktuell`` when someone
else wrote it since), leave a hint. The live changes come as server-sent events from
the page's stream (``/koffer/experte/<id>/live/``). Unknown and invisible answer 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.urls import reverse
from ninja import Field, Router, Schema, Status

from koffer.accounts.http import TenantRequest
from koffer.accounts.models import User
from koffer.api.problems import Problem, not_found
from koffer.field.experte import selectors, services
from koffer.field.geraete.auth import GeraetAuth
from koffer.field.models import Sitzung
from koffer.forms.ausfuellen import selectors as entwuerfe

router = Router(tags=["Koffer"])
#: Asked by a Koffer with its own token (``field.experte.koffer``).
geraet_router = Router(tags=["Koffer"], auth=GeraetAuth())

Einwilligung = Literal["muendlich", "schriftlich"]


class SitzungNeu(Schema):
    entwurf: uuid.UUID = Field(description="Ein offener Entwurf, den der Aufrufer ausfüllt")
    experte: uuid.UUID = Field(description="Eine Person des Mandanten, die mit Formularen arbeitet")
    einwilligung_von: str = Field(max_length=200, description="Wer eingewilligt hat")
    einwilligung_art: Einwilligung
    eingewilligt: bool = Field(description="Die Einwilligung liegt vor (Pflicht)")


class SitzungOut(Schema):
    id: uuid.UUID
    entwurf: uuid.UUID
    gestartet_von: uuid.UUID
    experte: uuid.UUID
    einwilligung_von: str
    einwilligung_art: Einwilligung
    einwilligung_am: datetime
    status: Literal["offen", "beendet"]
    gestartet_am: datetime
    beigetreten_am: datetime | None
    verlassen_am: datetime | None
    beendet_am: datetime | None


class FeldOut(Schema):
    id: str
    label: str
    typ: str
    schritt: str
    wert: Any = Field(description="Fehlt (null), wo das Feld für den Aufrufer verborgen ist")
    version: int
    von: str
    maskiert: bool


class HinweisOut(Schema):
    id: uuid.UUID
    feld: str
    text: str
    autor: uuid.UUID
    am: datetime


class SichtOut(Schema):
    sitzung: SitzungOut
    rolle: Literal["aussendienst", "experte"]
    felder: list[FeldOut]
    hinweise: list[HinweisOut]


class FeldSetzen(Schema):
    wert: Any = Field(description="Der neue Wert, wie im Formular eingegeben")
    version: int = Field(ge=0, description="Die Version des Feldes, auf der die Änderung beruht")


class FeldGesetzt(Schema):
    feld: str
    version: int


class HinweisNeu(Schema):
    feld: str = Field(default="", max_length=100, description="Leer: zum ganzen Formular")
    text: str = Field(max_length=1000)


def _out(row: Sitzung) -> SitzungOut:
    return SitzungOut(
        id=row.pk,
        entwurf=row.entwurf_id,
        gestartet_von=row.gestartet_von_id,
        experte=row.experte_id,
        einwilligung_von=row.einwilligung_von,
        einwilligung_art=row.einwilligung_art,  # type: ignore[arg-type]
        einwilligung_am=row.einwilligung_am,
        status=row.status,  # type: ignore[arg-type]
        gestartet_am=row.gestartet_am,
        beigetreten_am=row.beigetreten_am,
        verlassen_am=row.verlassen_am,
        beendet_am=row.beendet_am,
    )


def _sitzung(request: TenantRequest, sitzung_id: uuid.UUID) -> Sitzung:
    row = selectors.sitzung(request.access, request.user.pk, sitzung_id)
    if row is None:
        raise not_found("Diese Expertensitzung")
    return row


@router.post(
    "/koffer/experte/sitzungen",
    response={201: SitzungOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Eine Expertin/einen Experten zu einem Entwurf einladen (mit Einwilligung)",
)
def start_sitzung(request: TenantRequest, body: SitzungNeu) -> Status:
    entwurf = entwuerfe.entwurf(request.access, request.user.pk, body.entwurf)
    if entwurf is None:
        raise not_found("Dieser Entwurf")
    experte = User.objects.filter(pk=body.experte).first()
    if experte is None:
        raise not_found("Diese Person")
    row = services.starten(
        actor=request.user,
        access=request.access,
        entwurf=entwurf,
        experte=experte,
        einwilligung_von=body.einwilligung_von,
        einwilligung_art=body.einwilligung_art,
        eingewilligt=body.eingewilligt,
    )
    return Status(201, _out(row))


@router.get(
    "/koffer/experte/sitzungen/{sitzung_id}",
    response={200: SichtOut, 404: Problem, 409: Problem},
    summary="Die Sitzung mit den Feldern des Formulars, wie der Aufrufer sie sehen darf",
)
def get_sitzung(request: TenantRequest, sitzung_id: uuid.UUID) -> SichtOut:
    row = _sitzung(request, sitzung_id)
    rolle = selectors.rolle(row, request.user.pk)
    if rolle == selectors.EXPERTE and (row.beigetreten_am is None or row.verlassen_am):
        # the values only once joined: the join is what the audit shows
        return SichtOut(sitzung=_out(row), rolle=rolle, felder=[], hinweise=[])  # type: ignore[arg-type]
    sicht = selectors.sicht(row, request.user.pk)
    services.record_read(actor=request.user, sitzung=row)
    return SichtOut(
        sitzung=_out(row),
        rolle=sicht.rolle,  # type: ignore[arg-type]
        felder=[
            FeldOut(
                id=f.id,
                label=f.label,
                typ=f.typ,
                schritt=f.schritt,
                wert=f.wert,
                version=f.version,
                von=f.von,
                maskiert=f.maskiert,
            )
            for f in sicht.felder
        ],
        hinweise=[
            HinweisOut(id=h.pk, feld=h.feld, text=h.text, autor=h.autor_id, am=h.am)
            for liste in sicht.hinweise.values()
            for h in liste
        ],
    )


@router.post(
    "/koffer/experte/sitzungen/{sitzung_id}/beitreten",
    response={200: SitzungOut, 403: Problem, 404: Problem, 409: Problem},
    summary="Als eingeladene Expertin/eingeladener Experte beitreten",
)
def join_sitzung(request: TenantRequest, sitzung_id: uuid.UUID) -> SitzungOut:
    return _out(services.beitreten(actor=request.user, sitzung=_sitzung(request, sitzung_id)))


@router.post(
    "/koffer/experte/sitzungen/{sitzung_id}/verlassen",
    response={200: SitzungOut, 403: Problem, 404: Problem, 409: Problem},
    summary="Die Sitzung als Expertin/Experte verlassen",
)
def leave_sitzung(request: TenantRequest, sitzung_id: uuid.UUID) -> SitzungOut:
    return _out(services.verlassen(actor=request.user, sitzung=_sitzung(request, sitzung_id)))


@router.post(
    "/koffer/experte/sitzungen/{sitzung_id}/beenden",
    response={200: SitzungOut, 403: Problem, 404: Problem, 409: Problem},
    summary="Die Sitzung beenden (wer sie begonnen hat)",
)
def end_sitzung(request: TenantRequest, sitzung_id: uuid.UUID) -> SitzungOut:
    row = _sitzung(request, sitzung_id)
    return _out(services.beenden(actor=request.user, access=request.access, sitzung=row))


@router.put(
    "/koffer/experte/sitzungen/{sitzung_id}/felder/{feld}",
    response={200: FeldGesetzt, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Ein Feld schreiben, auf der zuletzt gesehenen Version des Feldes",
)
def put_feld(
    request: TenantRequest, sitzung_id: uuid.UUID, feld: str, body: FeldSetzen
) -> FeldGesetzt:
    row = _sitzung(request, sitzung_id)
    version = services.feld_setzen(
        actor=request.user,
        access=request.access,
        sitzung=row,
        feld=feld,
        wert=body.wert,
        version=body.version,
    )
    return FeldGesetzt(feld=feld, version=version)


@router.post(
    "/koffer/experte/sitzungen/{sitzung_id}/hinweise",
    response={201: HinweisOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Einen Hinweis neben einem Feld (oder zum ganzen Formular) geben",
)
def post_hinweis(request: TenantRequest, sitzung_id: uuid.UUID, body: HinweisNeu) -> Status:
    row = _sitzung(request, sitzung_id)
    h = services.hinweis_geben(
        actor=request.user, access=request.access, sitzung=row, feld=body.feld, text=body.text
    )
    return Status(201, HinweisOut(id=h.pk, feld=h.feld, text=h.text, autor=h.autor_id, am=h.am))


class EntwurfImBuero(Schema):
    entwurf: uuid.UUID
    einladen: str = Field(description="Pfad der Seite, auf der der Außendienst einlädt")
    sitzung: uuid.UUID | None = Field(description="Die offene Expertensitzung, falls eine läuft")
    sitzung_url: str = Field(description="Pfad der offenen Sitzung (leer, wenn keine läuft)")


@geraet_router.get(
    "/koffer/experte/entwuerfe/{entwurf_id}",
    response={200: EntwurfImBuero, 404: Problem},
    summary="Ob das Büro einen Entwurf des Koffers hat (für eine Expertensitzung)",
    description=(
        "Ein Koffer fragt vor einer Expertensitzung, ob das Büro seinen Entwurf schon hat"
        " (ein offline begonnener Entwurf kommt mit dem Abgleich ins Büro, mit derselben"
        " Kennung). 404: noch nicht übertragen (oder nicht mehr offen) – der Koffer gleicht"
        " zuerst ab. Sonst der Pfad der Einladung bzw. der laufenden Sitzung."
    ),
)
def entwurf_im_buero(request: TenantRequest, entwurf_id: uuid.UUID) -> EntwurfImBuero:
    entwurf = entwuerfe.entwurf(request.access, request.user.pk, entwurf_id)
    if entwurf is None or entwurf.status != entwurf.Status.OFFEN:
        raise not_found("Dieser Entwurf (im Büro)")
    offen = selectors.offen_zu(entwurf)
    return EntwurfImBuero(
        entwurf=entwurf.pk,
        einladen=reverse("field:experte_einladen", args=[entwurf.pk]),
        sitzung=offen.pk if offen else None,
        sitzung_url=reverse("field:experte_sitzung", args=[offen.pk]) if offen else "",
    )
