"""API of the Aktenplan: add a unit, import and export the plan as CSV (the same format
and all-or-nothing import as the Aktenplan page)."""

from __future__ import annotations

import uuid

from django.http import HttpResponse
from ninja import File, Router, Schema, Status, UploadedFile
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.api.problems import ApiProblem, not_found
from koffer.errors import Forbidden
from koffer.records import access, selectors, services
from koffer.records.konfiguration import aktenplan
from koffer.records.models import AccessLevel, Aktenplaneinheit, Module

# The published operationIds (clients generate code from them) predate the move.
OPERATION_ID_MODULE = "koffer.records.api_aktenplan"

router = Router(tags=["E-Akte"])

MAX_CSV_BYTES = 2 * 1024 * 1024


class AktenplanIn(Schema):
    kennzeichen: str = Field(min_length=1, max_length=40)
    title: str = Field(min_length=1, max_length=200)
    parent_id: uuid.UUID | None = None
    module: Module = Module.ALLGEMEIN
    retention_years: int = Field(default=10, ge=0, le=200)
    archive_value: Aktenplaneinheit.ArchiveValue = Aktenplaneinheit.ArchiveValue.ASSESS
    default_access: AccessLevel = AccessLevel.NORMAL
    aktenzeichen_pattern: str = Field(default="{kennzeichen}-{jahr}-{lfd:05}", max_length=80)


class AktenplanOut(Schema):
    id: uuid.UUID
    kennzeichen: str
    title: str
    parent_id: uuid.UUID | None
    module: str
    retention_years: int
    archive_value: str
    default_access: str
    aktenzeichen_pattern: str


class ImportOut(Schema):
    created: int
    skipped: int


def _require_manage(request: TenantRequest) -> None:
    if not access.can_manage_aktenplan(request.access):
        raise Forbidden(
            "forbidden", "Den Aktenplan pflegen die Mandanten-Administration und die Teamleitungen."
        )


def _require_view(request: TenantRequest) -> None:
    if not access.can_view_aktenplan(request.access):
        raise Forbidden("forbidden", "Dafür fehlt Ihnen die Berechtigung.")


def node_out(n: Aktenplaneinheit) -> AktenplanOut:
    return AktenplanOut(
        id=n.id,
        kennzeichen=n.kennzeichen,
        title=n.title,
        parent_id=n.parent_id,
        module=n.module,
        retention_years=n.retention_years,
        archive_value=n.archive_value,
        default_access=n.default_access,
        aktenzeichen_pattern=n.aktenzeichen_pattern,
    )


@router.get("/aktenplan", response=list[AktenplanOut], summary="Aktenplan des Mandanten")
def list_aktenplan(request: TenantRequest) -> list[AktenplanOut]:
    _require_view(request)
    return [node_out(n) for n in selectors.aktenplan(request.tenant.pk)]


@router.post("/aktenplan", response={201: AktenplanOut}, summary="Aktenplaneinheit anlegen")
def create_aktenplaneinheit(request: TenantRequest, payload: AktenplanIn) -> Status:
    _require_manage(request)
    parent = None
    if payload.parent_id is not None:
        parent = selectors.aktenplan(request.tenant.pk).filter(pk=payload.parent_id).first()
        if parent is None:
            raise not_found("Die übergeordnete Aktenplaneinheit")
    node = services.create_aktenplaneinheit(
        actor=request.user,
        tenant=request.tenant,
        parent=parent,
        kennzeichen=payload.kennzeichen,
        title=payload.title,
        module=payload.module,
        retention_years=payload.retention_years,
        archive_value=payload.archive_value,
        default_access=payload.default_access,
        aktenzeichen_pattern=payload.aktenzeichen_pattern,
    )
    return Status(201, node_out(node))


@router.post(
    "/aktenplan/import",
    response={200: ImportOut},
    summary="Aktenplan aus CSV importieren (multipart, Feld `datei`)",
    description="Spalten: " + ";".join(aktenplan.COLUMNS) + ". Alles oder nichts: enthält "
    "eine Zeile einen Fehler, wird nichts angelegt (422 `aktenplan_invalid`, `errors` nennt "
    "die Zeilen). Vorhandene Kennzeichen werden übersprungen.",
)
def import_aktenplan(request: TenantRequest, datei: File[UploadedFile]) -> ImportOut:
    _require_manage(request)
    if (datei.size or 0) > MAX_CSV_BYTES:
        raise ApiProblem(
            413, "too_large", "Datei zu groß", "Eine Aktenplan-Datei darf höchstens 2 MB groß sein."
        )
    text = aktenplan.decode_csv(datei.read())
    try:
        result = aktenplan.import_csv(actor=request.user, tenant=request.tenant, text=text)
    except aktenplan.AktenplanImportError as exc:
        raise ApiProblem(
            422,
            "aktenplan_invalid",
            "Aktenplan nicht importiert",
            f"Die Datei enthält {len(exc.errors)} Fehler; es wurde nichts angelegt.",
            errors=[{"detail": e} for e in exc.errors[:100]],
        ) from exc
    return ImportOut(created=result.created, skipped=result.skipped)


@router.get(
    "/aktenplan/export",
    summary="Aktenplan als CSV (UTF-8 mit BOM, Semikolon)",
    response={200: None},
    openapi_extra={
        "responses": {
            200: {
                "description": "Der Aktenplan im Importformat",
                "content": {"text/csv": {"schema": {"type": "string"}}},
            }
        }
    },
)
def export_aktenplan(request: TenantRequest) -> HttpResponse:
    _require_view(request)
    body = "\ufeff" + aktenplan.export_csv(selectors.aktenplan(request.tenant.pk))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="aktenplan.csv"'
    return response
