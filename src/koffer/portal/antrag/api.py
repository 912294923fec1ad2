"""API of the online applications (tag „Portal“), for a citizen signed in to the portal
(``portal.auth``): the forms offered online, begin or resume an application, read it with
its answers and ``version``, save a step's answers (with the ``version`` read: a stale one
is a 409, nothing saved), add and remove files (inspected like the E-Akte's uploads),
submit (again: the same submission) and fetch the receipt PDF. The same services as the
pages; another citizen's application answers 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from django.http import FileResponse
from ninja import Field, File, Form, Router, Schema, Status, UploadedFile

from koffer.api.files import file_download
from koffer.api.problems import Problem, not_found
from koffer.forms.definition import text_de
from koffer.forms.definition.modell import Bedingung, Definition, Feld
from koffer.forms.katalog import selectors as katalog
from koffer.forms.katalog.api import FormularProblem
from koffer.portal import dateien
from koffer.portal.antrag import selectors, services
from koffer.portal.auth import BUERGER_AUTH, BuergerRequest
from koffer.portal.errors import Conflict
from koffer.portal.models import Antrag, OnlineAngebot

router = Router(tags=["Portal"], auth=BUERGER_AUTH)

PortalAntragStatus = Literal["offen", "eingereicht"]


class PortalAngebot(Schema):
    id: uuid.UUID
    formular: str = Field(description="Schlüssel des Formulars")
    titel: str
    formularversion: int = Field(description="Nummer der Version, mit der ein Antrag beginnt")


class PortalFormularOption(Schema):
    wert: str
    label: str


class PortalFormularSpalte(Schema):
    id: str
    typ: str = Field(description="text, mehrzeilig, zahl, geld, datum, auswahl, janein, …")
    label: str
    hilfe: str = Field(description="Der Hilfetext (leer: keiner)")
    pflicht: bool
    bedingung: dict[str, Any] | None = Field(
        description="Wann das Feld gefragt wird, im Format der Formulardefinition "
        "(GET /formulare/schema); der Server prüft die Antworten selbst"
    )
    vorbelegung: str | None = Field(description="Woraus das Feld vorbelegt wird")
    min_laenge: int | None
    max_laenge: int | None
    muster: str | None = Field(description="Regulärer Ausdruck, dem ein Text folgen muss")
    muster_meldung: str
    format: str | None = Field(description="z. B. telefon, email, plz")
    min: str | None = Field(description="zahl/geld: Dezimalzahl als Text; datum: ISO oder heute")
    max: str | None
    nachkommastellen: int
    optionen: list[PortalFormularOption] = Field(description="Die Auswahl (auswahl)")
    mehrfach: bool = Field(description="Mehrere Optionen wählbar")
    darstellung: str = Field(description="radio oder liste (auswahl)")
    dateitypen: list[str] = Field(description="Erlaubte Dateitypen (datei)")
    max_mb: int = Field(description="Größte Datei in MB (datei)")
    text: str = Field(description="Der Text eines Hinweises (hinweis)")


class PortalFormularFeld(PortalFormularSpalte):
    spalten: list[PortalFormularSpalte] = Field(description="Die Spalten einer Tabelle")
    min_zeilen: int
    max_zeilen: int


class PortalFormularSchritt(Schema):
    id: str
    titel: str
    hilfe: str
    bedingung: dict[str, Any] | None
    felder: list[PortalFormularFeld]


class PortalFormular(Schema):
    angebot: uuid.UUID
    formular: str = Field(description="Schlüssel des Formulars")
    formularversion: int = Field(description="Die Version, mit der ein neuer Antrag beginnt")
    titel: str
    beschreibung: str
    schritte: list[PortalFormularSchritt]


class PortalAntragNeu(Schema):
    angebot: uuid.UUID = Field(description="Das Online-Angebot (GET /portal/angebote)")


class PortalSchritt(Schema):
    id: str
    titel: str


class PortalAntragKurz(Schema):
    id: uuid.UUID
    angebot: uuid.UUID
    formular: str
    titel: str
    status: PortalAntragStatus
    schritt: str = Field(description="Der zuletzt gespeicherte Schritt")
    version: int = Field(description="Zählt jedes Speichern; PATCH nennt die gelesene")
    created_at: datetime
    updated_at: datetime
    eingereicht_am: datetime | None


class PortalAntrag(PortalAntragKurz):
    formularversion: int
    schritte: list[PortalSchritt] = Field(description="Die nach den Antworten gefragten Schritte")
    antworten: dict[str, Any] = Field(description="Die Antworten, wie eingegeben")
    vorbelegt: dict[str, str] = Field(description="Feld → Quelle der Vorbelegung")
    pruefsumme: str | None = Field(
        description="SHA-256 des Eingereichten (Formular, Version, Werte)"
    )
    quittung: str | None = Field(description="Adresse der Eingangsbestätigung (PDF)")


class PortalSchrittIn(Schema):
    schritt: str = Field(max_length=40)
    antworten: dict[str, Any]
    version: int = Field(ge=1, description="Die Version des gelesenen Antrags")


class PortalAntragGespeichert(PortalAntrag):
    fehler: dict[str, list[str]] = Field(description="Befunde dieses Schritts: Pfad → Meldungen")


class PortalDatei(Schema):
    blob: str = Field(description="SHA-256 der Datei")
    name: str
    typ: str
    groesse: int


class PortalDateienGespeichert(Schema):
    antrag: PortalAntrag
    dateien: list[PortalDatei] = Field(description="Alle Dateien des Feldes nach dem Speichern")


class PortalEingang(Schema):
    antrag: PortalAntrag
    pruefsumme: str
    quittung: str


def _angebot_out(row: OnlineAngebot) -> PortalAngebot:
    formular = row.formular
    return PortalAngebot(
        id=row.pk,
        formular=formular.schluessel,
        titel=formular.titel,
        formularversion=formular.aktuelle_version.nummer,  # type: ignore[union-attr]
    )


def _bedingung(b: Bedingung | None) -> dict[str, Any] | None:
    return dict(b.roh) if b is not None else None


def _spalte(f: Feld) -> dict[str, Any]:
    return {
        "id": f.id,
        "typ": f.typ,
        "label": text_de(f.label),
        "hilfe": text_de(f.hilfe),
        "pflicht": f.pflicht,
        "bedingung": _bedingung(f.bedingung),
        "vorbelegung": f.vorbelegung,
        "min_laenge": f.min_laenge,
        "max_laenge": f.max_laenge,
        "muster": f.muster,
        "muster_meldung": text_de(f.muster_meldung),
        "format": f.format,
        "min": f.min,
        "max": f.max,
        "nachkommastellen": f.nachkommastellen,
        "optionen": [{"wert": o.wert, "label": text_de(o.label)} for o in f.optionen],
        "mehrfach": f.mehrfach,
        "darstellung": f.darstellung,
        "dateitypen": list(f.dateitypen),
        "max_mb": f.max_mb,
        "text": text_de(f.text),
    }


def _formular_out(row: OnlineAngebot, definition: Definition) -> PortalFormular:
    version = row.formular.aktuelle_version
    assert version is not None  # an offer is listed only with a current version
    return PortalFormular(
        angebot=row.pk,
        formular=row.formular.schluessel,
        formularversion=version.nummer,
        titel=text_de(definition.titel),
        beschreibung=text_de(definition.beschreibung),
        schritte=[
            PortalFormularSchritt(
                id=s.id,
                titel=text_de(s.titel),
                hilfe=text_de(s.hilfe),
                bedingung=_bedingung(s.bedingung),
                felder=[
                    PortalFormularFeld(
                        **_spalte(f),
                        spalten=[PortalFormularSpalte(**_spalte(c)) for c in f.spalten],
                        min_zeilen=f.min_zeilen,
                        max_zeilen=f.max_zeilen,
                    )
                    for f in s.felder
                ],
            )
            for s in definition.schritte
        ],
    )


def _kurz(row: Antrag) -> dict[str, Any]:
    formular = row.formularversion.formular
    return {
        "id": row.pk,
        "angebot": row.angebot_id,
        "formular": formular.schluessel,
        "titel": formular.titel,
        "status": row.status,
        "schritt": row.schritt,
        "version": row.version,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
        "eingereicht_am": row.eingereicht_am,
    }


def _quittung_url(row: Antrag) -> str:
    return f"/api/v1/portal/antraege/{row.pk}/eingangsbestaetigung.pdf"


def _antrag_out(row: Antrag) -> dict[str, Any]:
    eingereicht = row.status == Antrag.Status.EINGEREICHT
    return {
        **_kurz(row),
        "formularversion": row.formularversion.nummer,
        "schritte": [{"id": i, "titel": t} for i, t in selectors.schritte(row)],
        "antworten": row.antworten,
        "vorbelegt": row.vorbelegt,
        "pruefsumme": row.pruefsumme if eingereicht else None,
        "quittung": _quittung_url(row) if eingereicht else None,
    }


def _antrag(request: BuergerRequest, antrag_id: uuid.UUID) -> Antrag:
    row = selectors.antrag(request.buerger, antrag_id)
    if row is None:
        raise not_found("Dieser Antrag")
    return row


@router.get(
    "/portal/angebote",
    response={200: list[PortalAngebot]},
    summary="Die Anträge, die dieser Mandant online anbietet",
)
def list_angebote(request: BuergerRequest) -> list[PortalAngebot]:
    return [_angebot_out(a) for a in selectors.angebote(request.buerger.tenant_id)]


@router.get(
    "/portal/angebote/{angebot_id}/formular",
    response={200: PortalFormular, 404: Problem},
    summary="Das Online-Formular eines Angebots, damit ein Programm es zeigen kann: Schritte, "
    "Felder, Typen, Pflicht, Auswahl, Hilfetexte, Bedingungen (die Antworten prüft der Server)",
)
def get_formular(request: BuergerRequest, angebot_id: uuid.UUID) -> PortalFormular:
    angebot = selectors.angebot(request.buerger.tenant_id, angebot_id)
    if angebot is None or angebot.formular.aktuelle_version is None:
        raise not_found("Dieses Online-Angebot")
    return _formular_out(angebot, katalog.definition(angebot.formular.aktuelle_version))


@router.get(
    "/portal/antraege",
    response={200: list[PortalAntragKurz]},
    summary="Die eigenen Anträge, zuletzt geänderte zuerst",
)
def list_antraege(request: BuergerRequest) -> list[PortalAntragKurz]:
    return [PortalAntragKurz(**_kurz(a)) for a in selectors.antraege(request.buerger)]


@router.post(
    "/portal/antraege",
    response={201: PortalAntrag, 404: Problem, 422: Problem},
    summary="Einen Antrag beginnen, vorbelegt aus dem Konto und seiner Person; gibt es "
    "schon einen offenen zu diesem Angebot, wird dieser fortgesetzt",
)
def create_antrag(request: BuergerRequest, body: PortalAntragNeu) -> Status:
    angebot = selectors.angebot(request.buerger.tenant_id, body.angebot)
    if angebot is None:
        raise not_found("Dieses Online-Angebot")
    row = services.beginnen(actor=request.buerger, angebot=angebot)
    return Status(201, PortalAntrag(**_antrag_out(_antrag(request, row.pk))))


@router.get(
    "/portal/antraege/{antrag_id}",
    response={200: PortalAntrag, 404: Problem},
    summary="Ein eigener Antrag mit seinen Antworten und seiner Version",
)
def get_antrag(request: BuergerRequest, antrag_id: uuid.UUID) -> PortalAntrag:
    row = _antrag(request, antrag_id)
    selectors.gelesen(row, "Antrag abrufen (API)")
    return PortalAntrag(**_antrag_out(row))


@router.patch(
    "/portal/antraege/{antrag_id}",
    response={
        200: PortalAntragGespeichert,
        404: Problem,
        409: Problem,
        422: FormularProblem,
    },
    summary="Die Antworten eines Schritts speichern (auch mit Befunden, die die Antwort "
    "nennt); mit der gelesenen `version`, eine ältere ist ein Konflikt (409, nichts "
    "gespeichert). Dateien werden über …/dateien/{feld} hochgeladen",
)
def save_schritt(
    request: BuergerRequest, antrag_id: uuid.UUID, body: PortalSchrittIn
) -> PortalAntragGespeichert:
    row = _antrag(request, antrag_id)
    pruefung = services.antworten_speichern(
        actor=request.buerger,
        antrag=row,
        schritt=body.schritt,
        antworten=body.antworten,
        version=body.version,
    )
    return PortalAntragGespeichert(
        **_antrag_out(_antrag(request, antrag_id)), fehler=pruefung.fehler
    )


@router.post(
    "/portal/antraege/{antrag_id}/dateien/{feld}",
    response={201: PortalDateienGespeichert, 404: Problem, 409: Problem, 422: FormularProblem},
    summary="Dateien in ein Dateifeld hochladen (Größe, Typ und Inhalt geprüft wie in der "
    "E-Akte); wird eine abgelehnt, wird keine gespeichert (422 mit dem Grund)",
)
def upload_dateien(
    request: BuergerRequest,
    antrag_id: uuid.UUID,
    feld: str,
    version: Form[int],
    dateien: File[list[UploadedFile]],
) -> Status:
    row = _antrag(request, antrag_id)
    gespeichert = services.datei_hochladen(
        actor=request.buerger, antrag=row, feld=feld, dateien=dateien, version=version
    )
    return Status(
        201,
        PortalDateienGespeichert(
            antrag=PortalAntrag(**_antrag_out(_antrag(request, antrag_id))),
            dateien=[PortalDatei(**d) for d in gespeichert],
        ),
    )


@router.delete(
    "/portal/antraege/{antrag_id}/dateien/{feld}/{blob}",
    response={204: None, 404: Problem, 409: Problem},
    summary="Eine hochgeladene Datei aus einem offenen Antrag entfernen (``blob``: ihr "
    "SHA-256 aus den Antworten)",
)
def delete_datei(request: BuergerRequest, antrag_id: uuid.UUID, feld: str, blob: str) -> Status:
    row = _antrag(request, antrag_id)
    services.datei_entfernen(actor=request.buerger, antrag=row, feld=feld, blob=blob)
    return Status(204, None)


@router.post(
    "/portal/antraege/{antrag_id}/einreichen",
    response={200: PortalEingang, 201: PortalEingang, 404: Problem, 422: FormularProblem},
    summary="Einen Antrag einreichen: streng geprüft (422 nennt jeden Befund), mit "
    "Eingangsbestätigung an den Posteingang übergeben (201); erneut: dieselbe Einreichung (200)",
)
def submit_antrag(request: BuergerRequest, antrag_id: uuid.UUID) -> Status:
    row = _antrag(request, antrag_id)
    schon = row.status == Antrag.Status.EINGEREICHT
    services.einreichen(actor=request.buerger, antrag=row)
    fertig = _antrag(request, antrag_id)
    return Status(
        200 if schon else 201,
        PortalEingang(
            antrag=PortalAntrag(**_antrag_out(fertig)),
            pruefsumme=fertig.pruefsumme,
            quittung=_quittung_url(fertig),
        ),
    )


@router.get(
    "/portal/antraege/{antrag_id}/eingangsbestaetigung.pdf",
    response={200: None, 404: Problem, 409: Problem},
    summary="Die Eingangsbestätigung (PDF): das Eingereichte mit Datum, Uhrzeit, Mandant "
    "und Prüfsumme",
    openapi_extra=file_download("Die Eingangsbestätigung als Anhang", "application/pdf"),
)
def get_quittung(request: BuergerRequest, antrag_id: uuid.UUID) -> FileResponse:
    row = _antrag(request, antrag_id)
    sha256 = selectors.quittung(row)
    if sha256 is None:
        raise Conflict(
            "antrag_offen",
            "Eine Eingangsbestätigung gibt es erst, wenn der Antrag eingereicht ist.",
        )
    selectors.gelesen(row, "Eingangsbestätigung herunterladen")
    name = f"{row.formularversion.formular.schluessel}-eingangsbestaetigung.pdf"
    return dateien.antwort(sha256, name=name, typ="application/pdf")
