"""API of the messages about a Vorgang (tag „Portal“): the open Vorgänge a citizen may
write about (with the office's unread answers), a Vorgang's thread (read: audited, the
answers marked read as on the page) and a new message — filed into the Vorgang through
the Posteingang by the page's service, at most 10 an hour (429 with ``Retry-After``)."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import datetime

from django.http import FileResponse
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from koffer.api.files import file_download
from koffer.api.problems import Problem, not_found
from koffer.portal import dateien
from koffer.portal.auth import BUERGER_AUTH, BuergerRequest
from koffer.portal.errors import Ungueltig
from koffer.portal.models import Nachricht
from koffer.portal.nachrichten import selectors, services
from koffer.records.models import Vorgang

router = Router(tags=["Portal"], auth=BUERGER_AUTH)


class PortalVorgang(Schema):
    id: uuid.UUID
    titel: str
    aktenzeichen: str
    eroeffnet_am: datetime
    ungelesen: int = Field(description="Antworten der Verwaltung, die Sie noch nicht gelesen haben")


class PortalNachrichtAnlage(Schema):
    id: uuid.UUID
    name: str
    herunterladen: str | None = Field(
        description="Eine Anlage der Verwaltung: der Pfad zum Herunterladen; Ihre eigenen"
        " Anlagen liegen in Ihrer Akte"
    )


class PortalNachricht(Schema):
    id: uuid.UUID
    richtung: str = Field(description="eingang: von Ihnen an die Verwaltung; ausgang: Antwort")
    von: str
    text: str
    created_at: datetime
    gelesen_am: datetime | None = Field(description="Eine Antwort: zuerst gelesen am")
    anlagen: list[PortalNachrichtAnlage] = []


class PortalNachrichtNeu(Schema):
    text: str = Field(min_length=1, max_length=services.MAX_TEXT)


class PortalVerlauf(Schema):
    vorgang: PortalVorgang
    nachrichten: list[PortalNachricht]


def _vorgang_out(vorgang: Vorgang, ungelesen: int) -> PortalVorgang:
    return PortalVorgang(
        id=vorgang.pk,
        titel=vorgang.title,
        aktenzeichen=vorgang.akte.aktenzeichen,
        eroeffnet_am=vorgang.opened_at,
        ungelesen=ungelesen,
    )


def _nachricht_out(n: Nachricht, verwaltung: str) -> PortalNachricht:
    """``verwaltung``: the Mandant's name, the sender of every answer (never the
    caseworker's)."""
    if n.richtung == Nachricht.Richtung.EINGANG:
        von = n.konto.anzeigename if n.konto is not None else ""
    else:
        von = verwaltung
    return PortalNachricht(
        id=n.pk,
        richtung=n.richtung,
        von=von,
        text=n.text,
        created_at=n.created_at,
        gelesen_am=n.gelesen_am,
        anlagen=[
            PortalNachrichtAnlage(
                id=a.pk,
                name=a.name,
                herunterladen=(
                    f"/api/v1/portal/nachrichten/{n.vorgang_id}/anlagen/{a.pk}"
                    if a.dokument_id is not None
                    else None
                ),
            )
            for a in n.anlagen.all()
        ],
    )


def _vorgang(request: BuergerRequest, vorgang_id: uuid.UUID) -> Vorgang:
    vorgang = selectors.vorgang(request.buerger, vorgang_id)
    if vorgang is None:
        raise not_found("Dieser Vorgang")
    return vorgang


@router.get(
    "/portal/nachrichten",
    response={200: list[PortalVorgang]},
    summary="Die offenen Vorgänge, zu denen Sie schreiben können, mit ungelesenen Antworten",
)
def list_vorgaenge(request: BuergerRequest) -> list[PortalVorgang]:
    konto = request.buerger
    ungelesen = Counter(n.vorgang_id for n in selectors.ungelesen(konto))
    liste = selectors.vorgaenge_lesen(konto, "Nachrichten: Vorgänge abrufen (API)")
    return [_vorgang_out(v, ungelesen[v.pk]) for v in liste]


@router.get(
    "/portal/nachrichten/{vorgang_id}",
    response={200: PortalVerlauf, 404: Problem},
    summary="Die Nachrichten zu einem Vorgang, älteste zuerst; Antworten gelten danach als gelesen",
)
def get_verlauf(request: BuergerRequest, vorgang_id: uuid.UUID) -> PortalVerlauf:
    konto = request.buerger
    vorgang = _vorgang(request, vorgang_id)
    eintraege = selectors.verlauf_lesen(konto, vorgang)
    ungelesen = sum(
        1 for n in eintraege if n.richtung == Nachricht.Richtung.AUSGANG and not n.gelesen_am
    )
    antwort = PortalVerlauf(
        vorgang=_vorgang_out(vorgang, ungelesen),
        nachrichten=[_nachricht_out(n, konto.tenant.name) for n in eintraege],
    )
    services.gelesen(actor=konto, nachrichten=eintraege)
    return antwort


@router.post(
    "/portal/nachrichten/{vorgang_id}",
    response={201: PortalNachricht, 404: Problem, 422: Problem, 429: Problem},
    summary="Eine Nachricht zum Vorgang schreiben: als PDF im Vorgang abgelegt; höchstens 10 "
    "in der Stunde (429 mit Retry-After)",
)
def create_nachricht(
    request: BuergerRequest, vorgang_id: uuid.UUID, body: PortalNachrichtNeu
) -> Status:
    vorgang = _vorgang(request, vorgang_id)
    nachricht = services.schreiben(actor=request.buerger, vorgang=vorgang, text=body.text)
    return Status(201, _nachricht_out(nachricht, request.buerger.tenant.name))


@router.post(
    "/portal/nachrichten/{vorgang_id}/mit-anlagen",
    response={201: PortalNachricht, 404: Problem, 422: Problem, 429: Problem},
    summary=f"Eine Nachricht mit bis zu {services.MAX_ANLAGEN} Dateien (PDF, JPEG, PNG) "
    "schreiben: jede geprüft und mit der Nachricht im Vorgang abgelegt; wird eine Datei "
    "abgelehnt, wird nichts gesendet (422)",
)
def create_nachricht_mit_anlagen(
    request: BuergerRequest,
    vorgang_id: uuid.UUID,
    text: Form[str],
    anlagen: File[list[UploadedFile]],
) -> Status:
    vorgang = _vorgang(request, vorgang_id)
    if not text.strip() or len(text) > services.MAX_TEXT:
        raise Ungueltig(
            "text_ungueltig",
            f"Bitte schreiben Sie eine Nachricht mit höchstens {services.MAX_TEXT} Zeichen.",
        )
    nachricht = services.schreiben(
        actor=request.buerger, vorgang=vorgang, text=text, dateien=list(anlagen)
    )
    return Status(201, _nachricht_out(nachricht, request.buerger.tenant.name))


@router.get(
    "/portal/nachrichten/{vorgang_id}/anlagen/{anlage_id}",
    response={200: None, 404: Problem},
    summary="Ein Dokument herunterladen, das eine Antwort der Verwaltung anhängt (protokolliert)",
    openapi_extra=file_download("Das Dokument der Akte", "*/*"),
)
def get_anlage(
    request: BuergerRequest, vorgang_id: uuid.UUID, anlage_id: uuid.UUID
) -> FileResponse:
    vorgang = _vorgang(request, vorgang_id)
    gefunden = selectors.anlage_lesen(request.buerger, vorgang, anlage_id)
    if gefunden is None or gefunden.dokument is None or gefunden.dokument.current_version is None:
        raise not_found("Diese Anlage")
    version = gefunden.dokument.current_version
    return dateien.antwort(
        version.sha256, name=f"anlage-{gefunden.position}", typ=version.mime_type
    )
