"""API of the Online-Dienste (``/api/v1/portal/…``, tag „Portal“): for citizens only,
signed in by the portal session or a citizen's bearer token (``portal.auth``), never by a
staff session or API key. A Land's own portal can use koffer as its back office through it.

This module holds the account's own endpoints and gathers the routers of the portal's
features, so ``koffer/urls.py`` mounts one router; a new feature (status, mailbox, home
visit) adds its router below with ``auth=BUERGER_AUTH``."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from ninja import Field, Router, Schema, Status

from koffer.api.problems import Problem
from koffer.portal import access, services
from koffer.portal.anliegen import api as anliegen_api
from koffer.portal.antrag import api as antrag_api
from koffer.portal.auth import BUERGER_AUTH, SITZUNG, BuergerRequest
from koffer.portal.hausbesuch import api as hausbesuch_api
from koffer.portal.nachrichten import api as nachrichten_api
from koffer.portal.postfach import api as postfach_api

router = Router(tags=["Portal"], auth=BUERGER_AUTH)

PortalKontoArt = Literal["bundid", "email"]
PortalBeziehung = Literal["selbst", "vertretung"]


class PortalPerson(Schema):
    id: uuid.UUID
    family_name: str
    given_names: str
    birth_date: date | None
    beziehung: PortalBeziehung = Field(
        description="selbst: die Person des Kontos; vertretung: bestätigte, gültige Vertretung"
    )


class PortalKonto(Schema):
    id: uuid.UUID
    art: PortalKontoArt
    vertrauensniveau: str = Field(description="Das Niveau dieser Anmeldung")
    family_name: str
    given_names: str
    birth_date: date | None
    street: str
    postal_code: str
    city: str
    email: str
    personen: list[PortalPerson] = Field(description="Für wen das Konto handeln darf")


class PortalZugang(Schema):
    token: str = Field(description="Als `Authorization: Bearer …` zu senden")
    gueltig_bis: datetime


@router.get(
    "/portal/konto",
    response={200: PortalKonto},
    summary="Das eigene Bürgerkonto und die Personen, für die es handeln darf",
)
def get_konto(request: BuergerRequest) -> PortalKonto:
    konto = request.buerger
    return PortalKonto(
        id=konto.pk,
        art=konto.art,  # type: ignore[arg-type]
        vertrauensniveau=request.portal_niveau,
        family_name=konto.family_name,
        given_names=konto.given_names,
        birth_date=konto.birth_date,
        street=konto.street,
        postal_code=konto.postal_code,
        city=konto.city,
        email=konto.email,
        personen=[
            PortalPerson(
                id=p.pk,
                family_name=p.family_name,
                given_names=p.given_names,
                birth_date=p.birth_date,
                beziehung="selbst" if p.pk == konto.person_id else "vertretung",
            )
            for p in access.personen_des_kontos(konto)
        ],
    )


@router.post(
    "/portal/token",
    auth=[SITZUNG],
    response={201: PortalZugang, 401: Problem, 403: Problem},
    summary="Einen kurzlebigen Zugang (15 Minuten) für Programme holen, nur mit der "
    "Portal-Sitzung (und CSRF-Token); danach `Authorization: Bearer kb_…`",
)
def create_token(request: BuergerRequest) -> Status:
    zugang = services.zugang_ausstellen(actor=request.buerger, niveau=request.portal_niveau)
    return Status(201, PortalZugang(token=zugang.token, gueltig_bis=zugang.gueltig_bis))


router.add_router("", antrag_api.router)
router.add_router("", anliegen_api.router)
router.add_router("", postfach_api.router)
router.add_router("", nachrichten_api.router)
router.add_router("", hausbesuch_api.router)
