"""API of drafts and submissions: begin a draft for an Akte (prefilled), read it, save a
step (saved always, answered with that step's ``fehler``), submit it (201 with the filed
Dokument and the Vorgang, or 422 with every finding in ``fehler``), remove an uploaded
file from a draft, read a submission.
Unknown and invisible both answer 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from ninja import Field, Router, Schema, Status

from koffer.accounts.http import TenantRequest
from koffer.api.problems import Problem, not_found
from koffer.forms.ausfuellen import selectors, services
from koffer.forms.katalog import selectors as katalog
from koffer.forms.katalog.api import FormularProblem
from koffer.forms.models import Einreichung, Entwurf
from koffer.records import selectors as records

router = Router(tags=["Formulare"])

EntwurfStatus = Literal["offen", "eingereicht", "verworfen"]
EinreichungKanal = Literal["schalter", "koffer", "online", "papier"]


class EntwurfNeu(Schema):
    formular: str = Field(description="Schlüssel des Formulars")
    akte: uuid.UUID
    vorgang: uuid.UUID | None = None


class EntwurfOut(Schema):
    id: uuid.UUID
    formular: str
    version: int
    akte: uuid.UUID
    vorgang: uuid.UUID | None
    status: EntwurfStatus
    schritt: str
    antworten: dict[str, Any] = Field(description="Die Antworten, wie eingegeben")
    vorbelegt: dict[str, str] = Field(description="Feld → Quelle der Vorbelegung")
    created_at: datetime
    updated_at: datetime


class SchrittIn(Schema):
    schritt: str = Field(max_length=40)
    antworten: dict[str, Any]


class EntwurfGespeichert(EntwurfOut):
    fehler: dict[str, list[str]] = Field(description="Befunde dieses Schritts: Pfad → Meldungen")


class EinreichungOut(Schema):
    id: uuid.UUID
    entwurf: uuid.UUID
    formular: str
    version: int
    akte: uuid.UUID
    vorgang: uuid.UUID | None
    dokument: uuid.UUID
    werte: dict[str, Any] = Field(description="Die geprüften, normalisierten Werte")
    kanal: EinreichungKanal
    eingereicht_am: datetime


def _entwurf_out(row: Entwurf) -> dict[str, Any]:
    return {
        "id": row.pk,
        "formular": row.formularversion.formular.schluessel,
        "version": row.formularversion.nummer,
        "akte": row.akte_id,
        "vorgang": row.vorgang_id,
        "status": row.status,
        "schritt": row.schritt,
        "antworten": row.antworten,
        "vorbelegt": row.vorbelegt,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


def _einreichung_out(row: Einreichung) -> EinreichungOut:
    return EinreichungOut(
        id=row.pk,
        entwurf=row.entwurf_id,
        formular=row.formularversion.formular.schluessel,
        version=row.formularversion.nummer,
        akte=row.akte_id,
        vorgang=row.vorgang_id,
        dokument=row.dokument_id,
        werte=row.werte,
        kanal=row.kanal,  # type: ignore[arg-type]
        eingereicht_am=row.eingereicht_am,
    )


def _entwurf(request: TenantRequest, entwurf_id: uuid.UUID) -> Entwurf:
    row = selectors.entwurf(request.access, request.user.pk, entwurf_id)
    if row is None:
        raise not_found("Dieser Entwurf")
    return row


@router.post(
    "/formulare/entwuerfe",
    response={201: EntwurfOut, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Einen Entwurf eines Formulars für eine Akte beginnen, aus der Akte vorbelegt",
)
def create_entwurf(request: TenantRequest, body: EntwurfNeu) -> Status:
    akte = records.akte(records.Viewer.of(request), body.akte)
    if akte is None:
        raise not_found("Diese Akte")
    formular = katalog.formular(akte.tenant_id, body.formular)
    if formular is None:
        raise not_found("Dieses Formular")
    vorgang = records.akte_vorgaenge(akte).filter(pk=body.vorgang).first() if body.vorgang else None
    if body.vorgang and vorgang is None:
        raise not_found("Dieser Vorgang")
    row = services.entwurf_beginnen(
        actor=request.user, access=request.access, formular=formular, akte=akte, vorgang=vorgang
    )
    return Status(201, EntwurfOut(**_entwurf_out(_entwurf(request, row.pk))))


@router.get(
    "/formulare/entwuerfe/{entwurf_id}",
    response={200: EntwurfOut, 404: Problem},
    summary="Ein Entwurf mit seinen Antworten",
)
def get_entwurf(request: TenantRequest, entwurf_id: uuid.UUID) -> EntwurfOut:
    row = _entwurf(request, entwurf_id)
    services.record_read(actor=request.user, obj=row, purpose="Entwurf über die API gelesen")
    return EntwurfOut(**_entwurf_out(row))


@router.patch(
    "/formulare/entwuerfe/{entwurf_id}",
    response={
        200: EntwurfGespeichert,
        403: Problem,
        404: Problem,
        409: Problem,
        422: FormularProblem,
    },
    summary="Einen Schritt eines Entwurfs speichern (immer, auch mit Fehlern); die Antwort "
    "nennt die Befunde dieses Schritts",
)
def save_schritt(
    request: TenantRequest, entwurf_id: uuid.UUID, body: SchrittIn
) -> EntwurfGespeichert:
    row = _entwurf(request, entwurf_id)
    pruefung = services.schritt_speichern(
        actor=request.user,
        access=request.access,
        entwurf=row,
        schritt=body.schritt,
        antworten=body.antworten,
    )
    return EntwurfGespeichert(**_entwurf_out(_entwurf(request, entwurf_id)), fehler=pruefung.fehler)


@router.delete(
    "/formulare/entwuerfe/{entwurf_id}/dateien/{feld}/{blob}",
    response={204: None, 403: Problem, 404: Problem, 409: Problem},
    summary="Eine hochgeladene Datei aus einem Dateifeld eines offenen Entwurfs entfernen "
    "(``blob``: ihr SHA-256 aus den Antworten); ist es die letzte, ist das Feld unbeantwortet",
)
def delete_datei(request: TenantRequest, entwurf_id: uuid.UUID, feld: str, blob: str) -> Status:
    row = _entwurf(request, entwurf_id)
    services.datei_entfernen(
        actor=request.user, access=request.access, entwurf=row, feld=feld, blob=blob
    )
    return Status(204, None)


@router.post(
    "/formulare/entwuerfe/{entwurf_id}/einreichen",
    response={201: EinreichungOut, 403: Problem, 404: Problem, 409: Problem, 422: FormularProblem},
    summary="Einen Entwurf einreichen: streng geprüft, als Dokument in der Akte abgelegt, "
    "Vorgang und Wiedervorlage nach der Definition; erneut eingereicht dieselbe Einreichung",
)
def submit_entwurf(request: TenantRequest, entwurf_id: uuid.UUID) -> Status:
    row = _entwurf(request, entwurf_id)
    einreichung = services.einreichen(actor=request.user, access=request.access, entwurf=row)
    return Status(201, _einreichung_out(einreichung))


@router.get(
    "/formulare/einreichungen/{einreichung_id}",
    response={200: EinreichungOut, 404: Problem},
    summary="Eine Einreichung mit ihren Werten und ihrer Version",
)
def get_einreichung(request: TenantRequest, einreichung_id: uuid.UUID) -> EinreichungOut:
    row = selectors.einreichung(request.access, request.user.pk, einreichung_id)
    if row is None:
        raise not_found("Diese Einreichung")
    services.record_read(actor=request.user, obj=row, purpose="Einreichung über die API gelesen")
    return _einreichung_out(row)
