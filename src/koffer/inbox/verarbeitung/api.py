"""API of the pipeline for the mail room (``inbox.process``): the protocol of a batch —
every document with its pages, what was recognised and where it went, and every step —
as ``manage.py inbox_report --json`` gives it. Unknown and invisible batches answer 404;
a scan provider sees the batch's status, not its documents' texts (403)."""

from __future__ import annotations

import uuid
from typing import Any, Literal

from ninja import Router, Schema

from koffer.accounts.http import TenantRequest
from koffer.api.problems import not_found
from koffer.errors import Forbidden
from koffer.inbox import access
from koffer.inbox.lieferung import selectors
from koffer.inbox.verarbeitung import protokoll, services

router = Router(tags=["Posteingang"])

DokumentState = Literal["neu", "zu_pruefen", "abgelegt", "nicht_zuordenbar", "quarantaene"]


class EingangAkte(Schema):
    id: uuid.UUID
    aktenzeichen: str


class EingangVorgang(Schema):
    id: uuid.UUID
    title: str


class EingangsdokumentOut(Schema):
    id: uuid.UUID
    datei: str
    teil: int
    seiten: list[int]
    state: DokumentState
    kind: str
    kind_confidence: float | None
    ocr: bool
    pdfa: bool
    rotated: list[int]
    codes: list[dict[str, Any]]
    antwortcode: dict[str, Any] | None
    merkmale: dict[str, Any]
    vorschlaege: list[dict[str, Any]]
    confidence: float | None
    akte: EingangAkte | None
    vorgang: EingangVorgang | None
    dokument: uuid.UUID | None
    filed_by: str | None
    rule: str | None
    filed_at: str | None
    reason: str | None
    original_sha256: str | None
    searchable_sha256: str | None
    text: str | None = None


class ProtokollZeile(Schema):
    at: str
    action: str
    message: str
    datei: str | None
    dokument: uuid.UUID | None
    actor: str | None
    rule: str | None
    data: dict[str, Any]


class ProtokollOut(Schema):
    version: int
    stapel: dict[str, Any]
    dateien: list[dict[str, Any]]
    dokumente: list[EingangsdokumentOut]
    probleme: list[dict[str, Any]]
    protokoll: list[ProtokollZeile]


@router.get(
    "/posteingang/stapel/{stapel_id}/protokoll",
    response=ProtokollOut,
    summary="Protokoll eines Scan-Stapels: jedes Dokument, jeder Schritt (Poststelle)",
)
def get_protokoll(
    request: TenantRequest, stapel_id: uuid.UUID, text: bool = True
) -> dict[str, Any]:
    if request.tenant is None or not access.sees_batches(request.access, request.tenant):
        raise Forbidden("forbidden", "Nur für Scan-Dienstleister und die Poststelle.")
    stapel = selectors.stapel(request.access, request.user.pk, request.tenant, stapel_id)
    if stapel is None:
        raise not_found("Dieser Stapel")
    if not access.processes(request.access, request.tenant):
        raise Forbidden(
            "forbidden",
            "Das Protokoll mit den erkannten Texten sieht nur die Poststelle; den Status "
            "zeigt GET /api/v1/posteingang/stapel/{id}.",
        )
    services.record_protocol_read(actor=request.user, stapel=stapel)
    return protokoll.report(stapel, with_text=text)
