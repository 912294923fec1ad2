"""API of the Hausbesuch auf Anfrage (tag „Portal“): whether the Mandant offers it, for
whom the account may ask and its requests with their state (read audited), and a new
request — the page's form as JSON, checked by the same form and service: German messages
per field (422), the per-account limits (429) —, and a request withdrawn while no planner
has decided (the page's „Anfrage zurückziehen“, the same service; a planned one is a 409)."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from django.utils.datastructures import MultiValueDict
from ninja import Field, Router, Schema, Status

from koffer.api.problems import Problem, not_found
from koffer.field.wuensche.selectors import Stand
from koffer.forms.katalog.api import FormularProblem
from koffer.portal import access
from koffer.portal.auth import BUERGER_AUTH, BuergerRequest
from koffer.portal.errors import NotFound, Ungueltig
from koffer.portal.hausbesuch import anfrage, selectors, services
from koffer.portal.hausbesuch.forms import AnfrageForm

router = Router(tags=["Portal"], auth=BUERGER_AUTH)

PortalHausbesuchThema = Literal["antrag", "pflege", "wohnen", "beratung", "sonstiges"]
PortalHausbesuchTageszeit = Literal["egal", "vormittags", "nachmittags"]


class PortalHausbesuchWahl(Schema):
    fuer: str = Field(description="selbst, die Id einer vertretenen Person oder andere")
    text: str


class PortalHausbesuchAnfrage(Schema):
    id: uuid.UUID
    fuer: str = Field(description="selbst, vertretung oder angehoerige")
    family_name: str
    given_names: str
    thema: str
    thema_text: str
    created_at: datetime
    stand: str = Field(description="z. B. „eingegangen, wird geplant“, „geplant für …“")
    grund: str = Field(description="Der Grund einer Absage, für Sie geschrieben")
    zurueckziehbar: bool = Field(
        description="Noch nicht entschieden: Sie können die Anfrage zurückziehen"
    )


class PortalHausbesuche(Schema):
    angeboten: bool = Field(description="Bietet diese Verwaltung Hausbesuche auf Anfrage an?")
    wahl: list[PortalHausbesuchWahl] = Field(description="Für wen Sie anfragen können")
    anfragen: list[PortalHausbesuchAnfrage] = Field(description="Ihre Anfragen, neueste zuerst")


class PortalHausbesuchNeu(Schema):
    fuer: str = Field(
        max_length=40, description="selbst, die Id einer vertretenen Person oder andere"
    )
    family_name: str | None = Field(
        None, description="Nur für andere (sonst aus dem Konto oder der Akte)"
    )
    given_names: str | None = None
    beziehung: str | None = Field(None, description="Nur für andere, z. B. Tochter")
    street: str | None = Field(None, description="Leer: die Anschrift des Kontos oder der Person")
    postal_code: str | None = None
    city: str | None = None
    telefon: str | None = Field(None, description="Für den Rückruf, z. B. 030 1234567")
    thema: PortalHausbesuchThema
    anliegen: str = ""
    wochentage: list[int] = Field(
        default_factory=list, description="0 = Montag … 4 = Freitag; leer: jeder Werktag"
    )
    tageszeit: PortalHausbesuchTageszeit = "egal"
    ab: date | None = None
    bis: date | None = None
    barrieren: list[str] = Field(
        default_factory=list,
        description="rollstuhl, hoeren, sehen, klingel, hund, treppe",
    )
    barrieren_hinweis: str = ""


def _anfrage_out(stand: Stand) -> PortalHausbesuchAnfrage:
    w = stand.wunsch
    return PortalHausbesuchAnfrage(
        id=w.pk,
        fuer=w.fuer,
        family_name=w.family_name,
        given_names=w.given_names,
        thema=w.thema,
        thema_text=w.get_thema_display(),
        created_at=w.created_at,
        stand=stand.text,
        grund=stand.grund,
        zurueckziehbar=stand.zurueckziehbar,
    )


def _daten(body: PortalHausbesuchNeu, vorbelegt: dict[str, object]) -> MultiValueDict[str, str]:
    """The body as the page's form data: a field left out takes the page's prefilled value."""
    daten: MultiValueDict[str, str] = MultiValueDict()
    for name in ("family_name", "given_names", "beziehung", "street", "postal_code", "city"):
        wert = getattr(body, name)
        daten[name] = str(vorbelegt.get(name, "") if wert is None else wert)
    telefon = body.telefon if body.telefon is not None else vorbelegt.get("telefon", "")
    daten["telefon"] = str(telefon)
    daten["thema"] = body.thema
    daten["anliegen"] = body.anliegen
    daten["tageszeit"] = body.tageszeit
    daten["ab"] = body.ab.isoformat() if body.ab else ""
    daten["bis"] = body.bis.isoformat() if body.bis else ""
    daten["barrieren_hinweis"] = body.barrieren_hinweis
    daten.setlist("wochentage", [str(t) for t in body.wochentage])
    daten.setlist("barrieren", list(body.barrieren))
    return daten


def _ungueltig(form: AnfrageForm) -> Ungueltig:
    fehler = {
        ("" if name == "__all__" else name): [str(m) for m in meldungen]
        for name, meldungen in form.errors.items()
    }
    erste = next(iter(fehler.values()))[0]
    problem = Ungueltig("anfrage_ungueltig", f"Bitte prüfen Sie Ihre Angaben: {erste}")
    problem.extra = {"fehler": fehler}
    return problem


@router.get(
    "/portal/hausbesuche",
    response={200: PortalHausbesuche},
    summary="Hausbesuche auf Anfrage: ob angeboten, für wen Sie anfragen können, Ihre Anfragen",
)
def get_hausbesuche(request: BuergerRequest) -> PortalHausbesuche:
    konto = request.buerger
    angeboten = selectors.angebot(konto.tenant_id) is not None
    return PortalHausbesuche(
        angeboten=angeboten,
        wahl=[
            PortalHausbesuchWahl(fuer=f, text=t)
            for f, t in (
                anfrage.wahl(konto, access.personen_des_kontos(konto)) if angeboten else []
            )
        ],
        anfragen=[
            _anfrage_out(s) for s in selectors.anfragen_lesen(konto, "Hausbesuche abrufen (API)")
        ],
    )


@router.post(
    "/portal/hausbesuche",
    response={201: PortalHausbesuchAnfrage, 404: Problem, 422: FormularProblem, 429: Problem},
    summary="Einen Hausbesuch anfragen (die Angaben der Seite „Hausbesuch anfragen“): "
    "Meldungen je Feld auf Deutsch (422, `fehler`); höchstens 3 am Tag und 5 offene (429)",
)
def create_hausbesuch(request: BuergerRequest, body: PortalHausbesuchNeu) -> Status:
    konto = request.buerger
    if selectors.angebot(konto.tenant_id) is None:
        raise NotFound("hausbesuch_nicht_angeboten", services.NICHT_ANGEBOTEN)
    personen = access.personen_des_kontos(konto)
    person = anfrage.person(konto, personen, body.fuer)
    andere = body.fuer == anfrage.ANDERE
    form = AnfrageForm(
        _daten(body, anfrage.vorbelegt(konto, person, body.fuer)),
        mit_name=person is None,
        angehoerige=andere,
    )
    if not form.is_valid():
        raise _ungueltig(form)
    wunsch = services.anfragen(
        actor=konto, angaben=anfrage.angaben(form.cleaned_data, person, body.fuer), person=person
    )
    # what was just written, answered back (no read of anything else)
    [stand] = [s for s in selectors.anfragen(konto) if s.wunsch.pk == wunsch.pk]
    return Status(201, _anfrage_out(stand))


@router.post(
    "/portal/hausbesuche/{wunsch_id}/zurueckziehen",
    response={200: PortalHausbesuchAnfrage, 404: Problem, 409: Problem},
    summary="Eine Anfrage zurückziehen, solange die Verwaltung nicht entschieden hat "
    "(geplant oder abgesagt: 409); noch einmal: dieselbe Antwort",
)
def withdraw_hausbesuch(request: BuergerRequest, wunsch_id: uuid.UUID) -> PortalHausbesuchAnfrage:
    konto = request.buerger
    if selectors.anfrage(konto, wunsch_id) is None:
        raise not_found("Diese Anfrage")
    services.zurueckziehen(actor=konto, wunsch_id=wunsch_id)
    # what was just written, answered back (no read of anything else)
    stand = selectors.anfrage(konto, wunsch_id)
    assert stand is not None
    return _anfrage_out(stand)
