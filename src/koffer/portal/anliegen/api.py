"""API of „Mein Anliegen“ (tag „Portal“), for a citizen signed in to the portal
(``portal.auth``): the own applications with their current step, one application's
timeline as the page shows it (with the files sent and the requests for documents), a
request for documents, uploads per requested item, removing a file not yet sent, and
sending the answer (again: the same answer, delivered once). The same selectors (every
read audited) and services as the pages; another citizen's objects answer 404."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from ninja import Field, File, Router, Schema, Status, UploadedFile

from koffer.api.problems import Problem, not_found
from koffer.portal.anliegen import selectors, services
from koffer.portal.auth import BUERGER_AUTH, BuergerRequest
from koffer.portal.errors import Ungueltig
from koffer.portal.models import Nachforderung

router = Router(tags=["Portal"], auth=BUERGER_AUTH)


class PortalAnliegenKurz(Schema):
    id: uuid.UUID = Field(description="Der Antrag (wie /portal/antraege/{id})")
    formular: str
    titel: str
    status: str = Field(description="offen: noch nicht abgesendet; eingereicht")
    stand: str = Field(description="Der aktuelle Schritt, z. B. „In Bearbeitung“")
    eingereicht_am: datetime | None
    offene_nachforderungen: int = Field(description="Anforderungen, die noch offen sind")


class PortalZeitpunkt(Schema):
    titel: str = Field(description="Eingegangen, Zugeordnet, In Bearbeitung, …")
    datum: datetime | None
    text: str
    stand: str = Field(description="erledigt, aktuell oder offen")
    stand_text: str = Field(description="Der Stand in Worten, wie die Seite ihn zeigt")
    posten: list[str] = Field(description="Die fehlenden oder gesendeten Unterlagen")
    frist: date | None
    bescheid_id: uuid.UUID | None = Field(
        None,
        description="Entschieden: der Bescheid im Bürgerpostfach"
        " (GET /portal/postfach/{brief_id}/brief.pdf), sonst null",
    )


class PortalAnlage(Schema):
    blob: str = Field(description="SHA-256 der Datei")
    name: str
    typ: str
    groesse: int | None


class PortalNachforderungDatei(Schema):
    id: uuid.UUID
    name: str
    typ: str
    groesse: int
    hochgeladen_am: datetime


class PortalNachforderungPosten(Schema):
    id: uuid.UUID
    position: int
    text: str = Field(description="Welche Unterlage die Verwaltung braucht")
    beantwortet_am: datetime | None = Field(description="Gesendet am (dann keine Änderung mehr)")
    dateien: list[PortalNachforderungDatei]


class PortalNachforderung(Schema):
    id: uuid.UUID
    antrag: uuid.UUID
    status: str = Field(description="offen oder beantwortet")
    frist: date
    hinweis: str = Field(description="Der Hinweis der Verwaltung")
    erstellt_am: datetime
    beantwortet_am: datetime | None
    posten: list[PortalNachforderungPosten]


class PortalAnliegen(PortalAnliegenKurz):
    schritte: list[PortalZeitpunkt] = Field(description="Der Verlauf, wie die Seite ihn zeigt")
    anlagen: list[PortalAnlage] = Field(description="Die Dateien, die Sie gesendet haben")
    nachforderungen: list[PortalNachforderung]


class PortalNachforderungHochgeladen(Schema):
    nachforderung: PortalNachforderung
    abgelehnt: list[str] = Field(
        description="Gründe für Dateien, die nicht angenommen wurden (die übrigen sind gespeichert)"
    )


def _kurz(stand: selectors.Stand) -> dict[str, object]:
    antrag = stand.antrag
    return {
        "id": antrag.pk,
        "formular": antrag.formularversion.formular.schluessel,
        "titel": stand.titel,
        "status": antrag.status,
        "stand": stand.aktuell.titel,
        "eingereicht_am": antrag.eingereicht_am,
        "offene_nachforderungen": len(stand.offene_nachforderungen),
    }


def _nachforderung_out(nf: Nachforderung) -> PortalNachforderung:
    return PortalNachforderung(
        id=nf.pk,
        antrag=nf.antrag_id,
        status=nf.status,
        frist=nf.frist,
        hinweis=nf.hinweis,
        erstellt_am=nf.erstellt_am,
        beantwortet_am=nf.beantwortet_am,
        posten=[
            PortalNachforderungPosten(
                id=p.pk,
                position=p.position,
                text=p.text,
                beantwortet_am=p.beantwortet_am,
                dateien=[
                    PortalNachforderungDatei(
                        id=d.pk,
                        name=d.name,
                        typ=d.typ,
                        groesse=d.groesse,
                        hochgeladen_am=d.hochgeladen_am,
                    )
                    for d in p.dateien.all()
                ],
            )
            for p in nf.posten.all()
        ],
    )


def _anliegen_out(stand: selectors.Stand, anlagen: list[PortalAnlage]) -> PortalAnliegen:
    return PortalAnliegen(
        **_kurz(stand),  # type: ignore[arg-type]
        schritte=[
            PortalZeitpunkt(
                titel=s.titel,
                datum=s.datum,
                text=s.text,
                stand=s.stand,
                stand_text=s.stand_label,
                posten=s.posten,
                frist=s.frist,
                bescheid_id=s.bescheid_id,
            )
            for s in stand.schritte
        ],
        anlagen=anlagen,
        nachforderungen=[_nachforderung_out(n) for n in stand.nachforderungen],
    )


def _nachforderung(request: BuergerRequest, nachforderung_id: uuid.UUID) -> Nachforderung:
    nf = selectors.nachforderung(request.buerger, nachforderung_id)
    if nf is None:
        raise not_found("Diese Anforderung")
    return nf


@router.get(
    "/portal/anliegen",
    response={200: list[PortalAnliegenKurz]},
    summary="Meine Anträge mit ihrem aktuellen Stand, zuletzt geänderte zuerst",
)
def list_anliegen(request: BuergerRequest) -> list[PortalAnliegenKurz]:
    return [
        PortalAnliegenKurz(**_kurz(s))  # type: ignore[arg-type]
        for s in selectors.meine_antraege(request.buerger)
    ]


@router.get(
    "/portal/anliegen/{antrag_id}",
    response={200: PortalAnliegen, 404: Problem},
    summary="Der Stand eines eigenen Antrags: der Verlauf wie auf der Seite, die gesendeten "
    "Dateien und die Anforderungen von Unterlagen",
)
def get_anliegen(request: BuergerRequest, antrag_id: uuid.UUID) -> PortalAnliegen:
    stand = selectors.anliegen(request.buerger, antrag_id)
    if stand is None:
        raise not_found("Dieser Antrag")
    anlagen = [
        PortalAnlage(
            blob=str(a["blob"]),
            name=str(a.get("name", "")),
            typ=str(a.get("typ", "")),
            groesse=a.get("groesse") if isinstance(a.get("groesse"), int) else None,
        )
        for a in selectors.anlagen(stand.antrag)
    ]
    return _anliegen_out(stand, anlagen)


@router.get(
    "/portal/nachforderungen/{nachforderung_id}",
    response={200: PortalNachforderung, 404: Problem},
    summary="Eine Anforderung von Unterlagen: jede Unterlage mit den schon hochgeladenen Dateien",
)
def get_nachforderung(request: BuergerRequest, nachforderung_id: uuid.UUID) -> PortalNachforderung:
    return _nachforderung_out(_nachforderung(request, nachforderung_id))


@router.post(
    "/portal/nachforderungen/{nachforderung_id}/posten/{posten_id}/dateien",
    response={
        201: PortalNachforderungHochgeladen,
        404: Problem,
        409: Problem,
        422: Problem,
        429: Problem,
    },
    summary="Dateien zu einer angeforderten Unterlage hochladen (Typ, Größe und Inhalt "
    "geprüft wie in der E-Akte); abgelehnte nennt `abgelehnt`, wird keine angenommen: 422",
)
def upload_posten(
    request: BuergerRequest,
    nachforderung_id: uuid.UUID,
    posten_id: uuid.UUID,
    dateien: File[list[UploadedFile]],
) -> Status:
    nf = _nachforderung(request, nachforderung_id)
    vorher = _anzahl_dateien(nf, posten_id)
    abgelehnt = services.hochladen(
        actor=request.buerger, nachforderung=nf, posten_id=posten_id, dateien=dateien
    )
    nachher = _nachforderung(request, nachforderung_id)
    if abgelehnt and _anzahl_dateien(nachher, posten_id) == vorher:
        raise Ungueltig("datei_abgelehnt", " ".join(abgelehnt))
    return Status(
        201,
        PortalNachforderungHochgeladen(
            nachforderung=_nachforderung_out(nachher), abgelehnt=abgelehnt
        ),
    )


def _anzahl_dateien(nf: Nachforderung, posten_id: uuid.UUID) -> int:
    return sum(len(p.dateien.all()) for p in nf.posten.all() if p.pk == posten_id)


@router.delete(
    "/portal/nachforderungen/{nachforderung_id}/dateien/{datei_id}",
    response={204: None, 404: Problem, 409: Problem},
    summary="Eine hochgeladene, noch nicht gesendete Datei entfernen",
)
def delete_datei(
    request: BuergerRequest, nachforderung_id: uuid.UUID, datei_id: uuid.UUID
) -> Status:
    nf = _nachforderung(request, nachforderung_id)
    services.datei_entfernen(actor=request.buerger, nachforderung=nf, datei_id=datei_id)
    return Status(204, None)


@router.post(
    "/portal/nachforderungen/{nachforderung_id}/senden",
    response={200: PortalNachforderung, 404: Problem, 422: Problem},
    summary="Die hochgeladenen Unterlagen an die Verwaltung senden (je Unterlage ein PDF in "
    "den Vorgang); erneut gesendet: dieselbe Antwort, nichts doppelt",
)
def send_nachforderung(request: BuergerRequest, nachforderung_id: uuid.UUID) -> PortalNachforderung:
    nf = _nachforderung(request, nachforderung_id)
    if nf.status == Nachforderung.Status.OFFEN:
        services.beantworten(actor=request.buerger, nachforderung=nf)
        nf = _nachforderung(request, nachforderung_id)
    return _nachforderung_out(nf)
