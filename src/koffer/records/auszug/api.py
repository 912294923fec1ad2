"""API of the Aktenauszug and the Akteneinsicht: order an extract (built in the
background), follow it, download it, issue and revoke read-only links. Same services as
the pages; missing and invisible objects both answer 404."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from django.http.response import HttpResponseBase
from django.urls import reverse
from ninja import Router, Schema, Status
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.api.enums import schema_enum
from koffer.api.files import file_download
from koffer.api.problems import Problem, not_found
from koffer.errors import Forbidden
from koffer.records import access, selectors
from koffer.records.auszug import einsicht
from koffer.records.auszug import services as extract
from koffer.records.auszug.files import pdf_response
from koffer.records.models import Aktenauszug, Akteneinsicht

# The published operationIds (clients generate code from them) predate the move.
OPERATION_ID_MODULE = "koffer.records.api_extract"

router = Router(tags=["Aktenauszüge"])
# For mypy the model's enum; at run time a copy under a name of its own (koffer.api.enums).
if TYPE_CHECKING:
    AuszugStatus = Aktenauszug.Status
else:
    AuszugStatus = schema_enum("AuszugStatus", Aktenauszug.Status)


class AuszugIn(Schema):
    purpose: str = Field(
        min_length=1,
        max_length=300,
        description="Zweck, steht auf dem Deckblatt, z. B. „Aktenauszug für das "
        "Sozialgericht Musterstadt, Az. S 12 SB 345/26“",
    )
    ganze_akte: bool = Field(default=False, description="Alle gültigen Dokumente der Akte")
    vorgang_ids: list[uuid.UUID] = Field(
        default=[], description="Alle gültigen Dokumente dieser Vorgänge"
    )
    dokument_ids: list[uuid.UUID] = Field(
        default=[],
        description="Einzelne Dokumente; stornierte werden nur so aufgenommen (und gekennzeichnet)",
    )


class InhaltOut(Schema):
    title: str
    kind: str
    date: str
    vorgang: str
    cancelled: bool
    cancel_reason: str
    sheets: str = Field(description="z. B. „Bl. 5–12“; leer, wenn nicht enthalten")
    reason: str = Field(description="Warum das Dokument nicht enthalten ist")


class AuszugOut(Schema):
    id: uuid.UUID
    akte_id: uuid.UUID
    purpose: str
    status: AuszugStatus
    status_label: str
    job_id: uuid.UUID | None
    progress_percent: int | None
    message: str
    error: str
    sheet_count: int
    page_count: int
    document_count: int
    sha256: str | None
    size: int
    pdfa: Aktenauszug.Pdfa
    pdfa_label: str
    created_at: datetime
    finished_at: datetime | None
    contents: list[InhaltOut]


class AuszugList(Schema):
    items: list[AuszugOut]


class EinsichtIn(Schema):
    recipient: str = Field(min_length=1, max_length=200, description="Empfänger des Links")
    valid_days: int = Field(default=einsicht.DEFAULT_DAYS, ge=1, le=einsicht.MAX_DAYS)


class EinsichtOut(Schema):
    id: uuid.UUID
    auszug_id: uuid.UUID
    recipient: str
    state: str
    expires_at: datetime
    revoked_at: datetime | None
    access_count: int
    created_at: datetime


class EinsichtCreated(EinsichtOut):
    url: str = Field(description="Der Link; wird nur jetzt übermittelt")
    pin: str = Field(description="Die 6-stellige PIN; wird nur jetzt übermittelt")


def _auszug(request: TenantRequest, auszug_id: uuid.UUID, *, edit: bool = False) -> Aktenauszug:
    access.require(request.access, Perm.RECORDS_EDIT if edit else Perm.RECORDS_VIEW)
    found = extract.auszug_for(selectors.Viewer.of(request), auszug_id)
    if found is None:
        raise not_found("Diesen Aktenauszug")
    if edit and not access.can_edit(request.access, request.user.id, found.akte):
        raise Forbidden("forbidden", "Sie dürfen diese Akte nicht ändern.")
    return found


def _out(auszug: Aktenauszug) -> AuszugOut:
    job = auszug.job
    return AuszugOut(
        id=auszug.pk,
        akte_id=auszug.akte_id,
        purpose=auszug.purpose,
        status=AuszugStatus(auszug.status),
        status_label=auszug.get_status_display(),
        job_id=auszug.job_id,
        progress_percent=job.percent if job is not None else None,
        message=job.message if job is not None else "",
        error=auszug.error,
        sheet_count=auszug.sheet_count,
        page_count=auszug.page_count,
        document_count=auszug.document_count,
        sha256=auszug.sha256 or None,
        size=auszug.size,
        pdfa=Aktenauszug.Pdfa(auszug.pdfa),
        pdfa_label=auszug.get_pdfa_display(),
        created_at=auszug.created_at,
        finished_at=auszug.finished_at,
        contents=[
            InhaltOut(
                title=str(e.get("title", "")),
                kind=str(e.get("kind", "")),
                date=str(e.get("date", "")),
                vorgang=str(e.get("vorgang", "")),
                cancelled=bool(e.get("cancelled")),
                cancel_reason=str(e.get("cancel_reason", "")),
                sheets=str(e.get("sheets", "")),
                reason=str(e.get("reason", "")),
            )
            for e in auszug.contents or []
        ],
    )


def _link_out(link: Akteneinsicht) -> EinsichtOut:
    return EinsichtOut(
        id=link.pk,
        auszug_id=link.auszug_id,
        recipient=link.recipient,
        state=einsicht.state(link),
        expires_at=link.expires_at,
        revoked_at=link.revoked_at,
        access_count=link.access_count,
        created_at=link.created_at,
    )


@router.post(
    "/akten/{akte_id}/auszuege",
    response={202: AuszugOut, 403: Problem, 404: Problem, 422: Problem},
    summary="Aktenauszug bestellen (wird im Hintergrund als PDF erstellt)",
    description="Legt die Auswahl fest (Dokumente mit ihrer aktuellen Version) und startet "
    "den Auftrag. Den Stand liefert GET /auszuege/{id}; `job_id` ist der Auftrag.",
)
def create_auszug(request: TenantRequest, akte_id: uuid.UUID, payload: AuszugIn) -> Status:
    access.require(request.access, Perm.RECORDS_EDIT)
    akte = selectors.akte(selectors.Viewer.of(request), akte_id)
    if akte is None:
        raise not_found("Diese Akte")
    if not access.can_edit(request.access, request.user.id, akte):
        raise Forbidden("forbidden", "Sie dürfen diese Akte nicht ändern.")
    auszug = extract.create_auszug(
        actor=request.user,
        akte=akte,
        auswahl=extract.Auswahl(
            ganze_akte=payload.ganze_akte,
            vorgang_ids=payload.vorgang_ids,
            dokument_ids=payload.dokument_ids,
        ),
        purpose=payload.purpose,
    )
    found = extract.auszug_for(selectors.Viewer.of(request), auszug.pk)
    return Status(202, _out(found or auszug))


@router.get(
    "/akten/{akte_id}/auszuege",
    response={200: AuszugList, 403: Problem, 404: Problem},
    summary="Aktenauszüge einer Akte (neueste zuerst)",
)
def list_auszuege(request: TenantRequest, akte_id: uuid.UUID) -> AuszugList:
    access.require(request.access, Perm.RECORDS_VIEW)
    akte = selectors.akte(selectors.Viewer.of(request), akte_id)
    if akte is None:
        raise not_found("Diese Akte")
    return AuszugList(items=[_out(a) for a in extract.akte_auszuege(akte)])


@router.get(
    "/auszuege/{auszug_id}",
    response={200: AuszugOut, 403: Problem, 404: Problem},
    summary="Ein Aktenauszug mit Stand und Inhaltsverzeichnis",
)
def get_auszug(request: TenantRequest, auszug_id: uuid.UUID) -> AuszugOut:
    return _out(_auszug(request, auszug_id))


@router.get(
    "/auszuege/{auszug_id}/pdf",
    summary="PDF des Aktenauszugs herunterladen (wird protokolliert)",
    response={200: None, 403: Problem, 404: Problem, 409: Problem},
    openapi_extra=file_download("Das PDF (PDF/A-2b) als Anhang", "application/pdf"),
)
def download(request: TenantRequest, auszug_id: uuid.UUID) -> HttpResponseBase:
    auszug = _auszug(request, auszug_id)
    response = pdf_response(auszug)
    extract.record_read(
        actor=request.user, auszug=auszug, purpose="Aktenauszug über die API abgerufen"
    )
    return response


@router.post(
    "/auszuege/{auszug_id}/einsicht",
    response={201: EinsichtCreated, 403: Problem, 404: Problem, 409: Problem, 422: Problem},
    summary="Akteneinsicht einrichten: Link und PIN (werden nur in dieser Antwort übermittelt)",
)
def create_einsicht(request: TenantRequest, auszug_id: uuid.UUID, payload: EinsichtIn) -> Status:
    auszug = _auszug(request, auszug_id, edit=True)
    link, token, pin = einsicht.create_einsicht(
        actor=request.user,
        access=request.access,
        auszug=auszug,
        recipient=payload.recipient,
        valid_days=payload.valid_days,
    )
    out = _link_out(link)
    return Status(
        201,
        EinsichtCreated(
            **out.dict(),
            url=request.build_absolute_uri(reverse("records:einsicht", args=[token])),
            pin=pin,
        ),
    )


@router.post(
    "/einsicht/{einsicht_id}/widerrufen",
    response={200: EinsichtOut, 403: Problem, 404: Problem, 409: Problem},
    summary="Akteneinsicht widerrufen",
)
def revoke_einsicht(request: TenantRequest, einsicht_id: uuid.UUID) -> EinsichtOut:
    access.require(request.access, Perm.RECORDS_EDIT)
    link = Akteneinsicht.objects.for_tenant(request.tenant).filter(pk=einsicht_id).first()
    if link is None:
        raise not_found("Diese Akteneinsicht")
    _auszug(request, link.auszug_id, edit=True)
    link = einsicht.revoke_einsicht(actor=request.user, link=link, access=request.access)
    return _link_out(link)
