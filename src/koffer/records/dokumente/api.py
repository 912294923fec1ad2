"""API for documents: upload (one or many files), metadata and versions, download, new
version, move and cancel. Uses the same pipeline and services as the pages; missing and
invisible documents both answer 404."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from django.http import Http404
from django.http.response import HttpResponseBase
from ninja import File, Form, Header, Router, Schema, Status, UploadedFile
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.api.files import file_download
from koffer.api.pagination import paginate
from koffer.api.problems import ApiProblem, Problem, not_found
from koffer.errors import Forbidden
from koffer.records import access, selectors
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.dokumente.files import download_response
from koffer.records.models import Akte, Dokument, DokumentVersion, Vorgang

# The published operationIds (clients generate code from them) predate the move.
OPERATION_ID_MODULE = "koffer.records.api_documents"

router = Router(tags=["Dokumente"])

FILE_STATUS = {"stored": 201, "duplicate": 409}

IDEMPOTENCY_HELP = (
    "Mit dem Kopf `Idempotency-Key` (z. B. eine UUID je Anfrage) darf die Anfrage nach "
    "einem Abbruch unverändert wiederholt werden: Schon gespeicherte Dateien werden mit "
    "demselben Dokument beantwortet (201), nur fehlende werden gespeichert."
)
IDEMPOTENCY_KEY = Header(
    None,
    alias="Idempotency-Key",
    description="Schlüssel der Anfrage (höchstens 100 ASCII-Zeichen); eine Wiederholung "
    "mit demselben Schlüssel speichert nichts doppelt.",
    max_length=100,
)
REJECTED_STATUS = {"too_large": 413, "store_unavailable": 503}


class VersionOut(Schema):
    number: int
    filename: str
    mime_type: str
    size: int
    sha256: str
    pdf_sha256: str | None
    page_count: int
    created_at: datetime
    created_by_id: uuid.UUID | None
    note: str


class DokumentOut(Schema):
    id: uuid.UUID
    akte_id: uuid.UUID
    vorgang_id: uuid.UUID | None
    title: str
    kind: str
    direction: str
    sender: str
    received_on: date | None
    source: str
    status: str
    cancel_reason: str
    needs_ocr: bool
    page_count: int
    created_at: datetime
    current_version: int | None
    versions: list[VersionOut]


class DokumentListItem(Schema):
    id: uuid.UUID
    vorgang_id: uuid.UUID | None
    title: str
    kind: str
    direction: str
    received_on: date | None
    status: str
    page_count: int
    current_version: int | None
    created_at: datetime


class DokumentPage(Schema):
    items: list[DokumentListItem]
    next_cursor: str | None


class UploadMetaIn(Schema):
    title: str = Field(
        default="",
        max_length=300,
        description="Nur bei einer Datei; sonst wird der Dateiname zum Titel.",
    )
    kind: str = Field(default="Schreiben", max_length=60, description="Dokumentart, z. B. Antrag")
    direction: Dokument.Direction = Dokument.Direction.INCOMING
    sender: str = Field(default="", max_length=200)
    received_on: date | None = None
    vorgang_id: uuid.UUID | None = None


class FileResult(Schema):
    filename: str
    status: int = Field(
        description="201 gespeichert, 409 bereits vorhanden, 413/422 abgelehnt, 503 Dokumentenspeicher nicht erreichbar"
    )
    outcome: Literal["stored", "duplicate", "rejected"]
    dokument_id: uuid.UUID | None = Field(
        description="Das neue Dokument, oder bei 409 das vorhandene (in einer Akte, die "
        "Sie sehen dürfen; dieselbe Datei in einer Ihnen verborgenen Akte wird neu abgelegt)"
    )
    message: str
    notes: list[str]
    problem: Problem | None = Field(
        description="problem+json-Inhalt für nicht gespeicherte Dateien"
    )


class UploadOut(Schema):
    results: list[FileResult]


class VersionIn(Schema):
    note: str = Field(default="", max_length=300)


class MetadataIn(Schema):
    """Only the fields sent are changed; the content stays (a new content is a version)."""

    title: str | None = Field(default=None, min_length=1, max_length=300)
    kind: str | None = Field(default=None, min_length=1, max_length=60)
    direction: Dokument.Direction | None = None
    sender: str | None = Field(default=None, max_length=200)
    received_on: date | None = None


class MoveIn(Schema):
    vorgang_id: uuid.UUID | None = Field(
        description="Ziel-Vorgang derselben Akte; null: direkt in die Akte"
    )
    reason: str = Field(min_length=1, max_length=500)


class CancelIn(Schema):
    reason: str = Field(min_length=1, max_length=500)


def _dokument(request: TenantRequest, dokument_id: uuid.UUID, *, edit: bool = False) -> Dokument:
    access.require(request.access, Perm.RECORDS_EDIT if edit else Perm.RECORDS_VIEW)
    found = selectors.dokument(selectors.Viewer.of(request), dokument_id)
    if found is None:
        raise not_found("Dieses Dokument")
    if edit and not access.can_edit(request.access, request.user.id, found.akte):
        raise Forbidden("forbidden", "Sie dürfen dieses Dokument nicht ändern.")
    return found


def _version_out(v: DokumentVersion) -> VersionOut:
    return VersionOut(
        number=v.number,
        filename=v.filename,
        mime_type=v.mime_type,
        size=v.size,
        sha256=v.sha256,
        pdf_sha256=v.pdf_sha256 or None,
        page_count=v.page_count,
        created_at=v.created_at,
        created_by_id=v.created_by_id,
        note=v.note,
    )


def _dokument_out(d: Dokument) -> DokumentOut:
    versions = (
        DokumentVersion.objects.for_tenant(d.tenant_id)
        .filter(dokument_id=d.pk)
        .defer("text")
        .order_by("number")
    )
    return DokumentOut(
        id=d.id,
        akte_id=d.akte_id,
        vorgang_id=d.vorgang_id,
        title=d.title,
        kind=d.kind,
        direction=d.direction,
        sender=d.sender,
        received_on=d.received_on,
        source=d.source,
        status=d.status,
        cancel_reason=d.cancel_reason,
        needs_ocr=d.needs_ocr,
        page_count=d.page_count,
        created_at=d.created_at,
        current_version=d.current_version.number if d.current_version else None,
        versions=[_version_out(v) for v in versions],
    )


def _file_result(result: documents.IngestResult) -> FileResult:
    status = FILE_STATUS.get(result.outcome) or REJECTED_STATUS.get(result.code, 422)
    dokument_id = result.dokument.pk if result.dokument is not None else None
    message = result.message
    problem = None
    if not result.ok:
        titles = {"duplicate": "Bereits vorhanden", "rejected": "Datei abgelehnt"}
        problem = Problem(
            title=titles[result.outcome], status=status, detail=message, code=result.code
        )
    return FileResult(
        filename=result.filename,
        status=status,
        outcome=result.outcome,  # type: ignore[arg-type]
        dokument_id=dokument_id,
        message=message,
        notes=result.notes,
        problem=problem,
    )


def _incoming(upload: UploadedFile) -> naming.IncomingFile:
    return naming.IncomingFile(name=upload.name or "", size=upload.size or 0, stream=upload)


@router.get(
    "/akten/{akte_id}/dokumente",
    response=DokumentPage,
    summary="Dokumente einer Akte (ohne Inhalte; nach Anlage geordnet)",
)
def list_dokumente(
    request: TenantRequest, akte_id: uuid.UUID, cursor: str | None = None, limit: int = 50
) -> DokumentPage:
    access.require(request.access, Perm.RECORDS_VIEW)
    akte = selectors.akte(selectors.Viewer.of(request), akte_id)
    if akte is None:
        raise not_found("Diese Akte")
    rows, next_cursor = paginate(selectors.akte_documents(akte), cursor=cursor, limit=limit)
    return DokumentPage(
        items=[
            DokumentListItem(
                id=d.id,
                vorgang_id=d.vorgang_id,
                title=d.title,
                kind=d.kind,
                direction=d.direction,
                received_on=d.received_on,
                status=d.status,
                page_count=d.page_count,
                current_version=d.current_version.number if d.current_version else None,
                created_at=d.created_at,
            )
            for d in rows
        ],
        next_cursor=next_cursor,
    )


@router.post(
    "/akten/{akte_id}/dokumente",
    response={201: UploadOut, 207: UploadOut},
    summary="Dokumente hochladen (eine oder mehrere Dateien, multipart)",
    description=(
        "Jede Datei im Feld `dateien` wird einzeln geprüft und gespeichert. 201: alle Dateien "
        "gespeichert. 207: mindestens eine Datei nicht gespeichert; `results` enthält für "
        "jede Datei einen Status (201, 409 bereits vorhanden, 413 zu groß, 422 abgelehnt) "
        "und für nicht gespeicherte Dateien ein problem+json-Objekt. Der Dateityp wird am "
        "Inhalt erkannt, nicht an der Endung. " + IDEMPOTENCY_HELP
    ),
)
def upload_dokumente(
    request: TenantRequest,
    akte_id: uuid.UUID,
    dateien: File[list[UploadedFile]],
    meta: Form[UploadMetaIn],
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status:
    access.require(request.access, Perm.RECORDS_EDIT)
    akte = selectors.akte(selectors.Viewer.of(request), akte_id)
    if akte is None:
        raise not_found("Diese Akte")
    if not access.can_edit(request.access, request.user.id, akte):
        raise Forbidden("forbidden", "Sie dürfen diese Akte nicht ändern.")
    vorgang = _vorgang_of(akte, meta.vorgang_id)
    results = documents.ingest_files(
        actor=request.user,
        akte=akte,
        files=[_incoming(f) for f in dateien],
        meta=documents.DocumentMeta(
            title=meta.title,
            kind=meta.kind,
            direction=meta.direction,
            sender=meta.sender,
            received_on=meta.received_on,
        ),
        vorgang=vorgang,
        upload_key=idempotency_key or "",
        access=request.access,
    )
    out = UploadOut(results=[_file_result(r) for r in results])
    return Status(201 if all(r.ok for r in results) else 207, out)


def _vorgang_of(akte: Akte, vorgang_id: uuid.UUID | None) -> Vorgang | None:
    if vorgang_id is None:
        return None
    vorgang = Vorgang.objects.for_tenant(akte.tenant_id).filter(pk=vorgang_id, akte=akte).first()
    if vorgang is None:
        raise not_found("Dieser Vorgang (in dieser Akte)")
    return vorgang


@router.get(
    "/dokumente/{dokument_id}",
    response=DokumentOut,
    summary="Ein Dokument mit allen Versionen, ohne Inhalt (der Zugriff wird protokolliert)",
)
def get_dokument(request: TenantRequest, dokument_id: uuid.UUID) -> DokumentOut:
    dokument = _dokument(request, dokument_id)
    documents.record_read(
        actor=request.user, dokument=dokument, purpose="Dokument über die API abgerufen"
    )
    return _dokument_out(dokument)


@router.patch(
    "/dokumente/{dokument_id}",
    response=DokumentOut,
    summary="Metadaten ändern (Titel, Art, Richtung, Absender, Eingangsdatum)",
    description="Nur die übergebenen Felder werden geändert; die alten Werte stehen im "
    "Audit-Protokoll. `received_on: null` löscht das Eingangsdatum.",
)
def change_metadata(
    request: TenantRequest, dokument_id: uuid.UUID, payload: MetadataIn
) -> DokumentOut:
    dokument = _dokument(request, dokument_id, edit=True)
    sent = payload.model_dump(exclude_unset=True)
    meta = documents.DocumentMeta(
        title=sent.get("title") or dokument.title,
        kind=sent.get("kind") or dokument.kind,
        direction=sent.get("direction") or dokument.direction,
        sender=sent["sender"] if sent.get("sender") is not None else dokument.sender,
        received_on=sent.get("received_on", dokument.received_on),
        source=dokument.source,
    )
    documents.change_metadata(actor=request.user, dokument=dokument, meta=meta)
    return _dokument_out(dokument)


@router.post(
    "/dokumente/{dokument_id}/versionen",
    response={201: DokumentOut},
    summary="Neue Version hochladen (multipart, Feld `datei`)",
    description="Die bisherigen Versionen bleiben unverändert. 409: genau diese Datei ist "
    "schon ein Dokument in einer Akte, die Sie sehen dürfen; 413/422: Datei abgelehnt (problem+json). "
    + IDEMPOTENCY_HELP,
)
def add_version(
    request: TenantRequest,
    dokument_id: uuid.UUID,
    datei: File[UploadedFile],
    payload: Form[VersionIn],
    idempotency_key: str | None = IDEMPOTENCY_KEY,
) -> Status:
    dokument = _dokument(request, dokument_id, edit=True)
    result = documents.add_version(
        actor=request.user,
        dokument=dokument,
        file=_incoming(datei),
        note=payload.note,
        upload_key=idempotency_key or "",
        access=request.access,
    )
    if not result.ok:
        line = _file_result(result)
        assert line.problem is not None
        detail = line.message
        if line.dokument_id is not None:
            detail = f"{detail} (Dokument {line.dokument_id})"
        raise ApiProblem(line.status, result.code, line.problem.title, detail)
    return Status(201, _dokument_out(result.dokument or dokument))


@router.get(
    "/dokumente/{dokument_id}/inhalt",
    summary="Inhalt herunterladen (Original, oder mit format=pdf die PDF-Fassung)",
    description="Der Abruf wird protokolliert. `version` wählt eine ältere Version.",
    response={200: None},
    openapi_extra=file_download(
        "Die Datei als Anhang, mit dem Inhaltstyp des Dokuments "
        "(etwa application/pdf, image/tiff, application/vnd.oasis.opendocument.text)",
        "*/*",
    ),
)
def download(
    request: TenantRequest,
    dokument_id: uuid.UUID,
    format: Literal["original", "pdf"] = "original",
    version: int | None = None,
) -> HttpResponseBase:
    dokument = _dokument(request, dokument_id)
    chosen = _version(dokument, version)
    as_pdf = format == "pdf"
    try:
        response = download_response(chosen, as_pdf=as_pdf)
    except Http404 as exc:
        raise ApiProblem(
            404, "no_pdf", "Keine PDF-Fassung", "Für diese Version gibt es keine PDF-Fassung."
        ) from exc
    documents.record_read(
        actor=request.user,
        dokument=dokument,
        purpose="PDF-Fassung über die API abgerufen"
        if as_pdf
        else "Dokument über die API abgerufen",
    )
    return response


def _version(dokument: Dokument, number: int | None) -> DokumentVersion:
    if number is None and dokument.current_version is not None:
        return dokument.current_version
    if number is not None and not 0 < number < 2**31:
        raise not_found("Diese Version")
    found = (
        DokumentVersion.objects.for_tenant(dokument.tenant_id)
        .filter(dokument_id=dokument.pk, number=number or 0)
        .first()
    )
    if found is None:
        raise not_found("Diese Version")
    return found


@router.post(
    "/dokumente/{dokument_id}/verschieben",
    response=DokumentOut,
    summary="In einen anderen Vorgang derselben Akte verschieben (mit Grund)",
)
def move(request: TenantRequest, dokument_id: uuid.UUID, payload: MoveIn) -> DokumentOut:
    dokument = _dokument(request, dokument_id, edit=True)
    vorgang = _vorgang_of(dokument.akte, payload.vorgang_id)
    documents.move_dokument(
        actor=request.user,
        access=request.access,
        dokument=dokument,
        vorgang=vorgang,
        reason=payload.reason,
    )
    return _dokument_out(dokument)


@router.post(
    "/dokumente/{dokument_id}/stornieren",
    response=DokumentOut,
    summary="Stornieren (mit Grund); das Dokument bleibt sichtbar und wird nicht gelöscht",
)
def cancel(request: TenantRequest, dokument_id: uuid.UUID, payload: CancelIn) -> DokumentOut:
    dokument = _dokument(request, dokument_id, edit=True)
    documents.cancel_dokument(actor=request.user, dokument=dokument, reason=payload.reason)
    return _dokument_out(dokument)
