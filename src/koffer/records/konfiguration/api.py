"""API of the E-Akte configuration (the page /konfiguration/): Vorgangstypen and
Fristregeln, listed, created and changed by the Mandant's administration. Thin: parse,
call one service in ``configuration``, answer; the rules live there."""

from __future__ import annotations

import uuid

from ninja import Router, Schema, Status
from pydantic import Field

from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.api.problems import not_found
from koffer.records import access, selectors
from koffer.records.konfiguration import services as configuration
from koffer.records.models import FristRegel, Module, VorgangTyp

# The published operationIds (clients generate code from them) predate the move.
OPERATION_ID_MODULE = "koffer.records.api_configuration"

router = Router(tags=["E-Akte"])

# The same permission as the configuration page (configuration_views).
PERM = Perm.TENANCY_MANAGE


class VorgangTypIn(Schema):
    module: Module
    code: str = Field(
        min_length=1,
        max_length=40,
        description="Kleinbuchstaben, Ziffern, „-“ oder „_“; nach dem Anlegen unveränderlich",
    )
    label: str = Field(min_length=1, max_length=120)


class VorgangTypChangeIn(Schema):
    label: str | None = Field(default=None, min_length=1, max_length=120)
    is_active: bool | None = None


class VorgangTypOut(Schema):
    id: uuid.UUID
    module: str
    code: str
    label: str
    is_active: bool


class FristRegelIn(Schema):
    code: str = Field(
        min_length=1,
        max_length=40,
        description="Kleinbuchstaben, Ziffern, „-“ oder „_“; nach dem Anlegen unveränderlich",
    )
    label: str = Field(min_length=1, max_length=120)
    notification_days: int = Field(
        default=0, description="Tage von der Aufgabe zur Post bis zur Bekanntgabe (0 bis 30)"
    )
    months: int = Field(default=0, description="Monate (0 bis 120)")
    days: int = Field(default=0, description="Tage (0 bis 3650)")
    shift_to_workday: bool = Field(
        default=True, description="Fristende von Wochenende und Feiertag auf den Werktag"
    )


class FristRegelChangeIn(Schema):
    label: str | None = Field(default=None, min_length=1, max_length=120)
    notification_days: int | None = None
    months: int | None = None
    days: int | None = None
    shift_to_workday: bool | None = None


class FristRegelOut(Schema):
    id: uuid.UUID
    code: str
    label: str
    notification_days: int
    months: int
    days: int
    shift_to_workday: bool


def _typ_out(typ: VorgangTyp) -> VorgangTypOut:
    return VorgangTypOut(
        id=typ.id, module=typ.module, code=typ.code, label=typ.label, is_active=typ.is_active
    )


def _regel_out(regel: FristRegel) -> FristRegelOut:
    return FristRegelOut(
        id=regel.id,
        code=regel.code,
        label=regel.label,
        notification_days=regel.notification_days,
        months=regel.months,
        days=regel.days,
        shift_to_workday=regel.shift_to_workday,
    )


@router.get(
    "/vorgangstypen",
    response=list[VorgangTypOut],
    summary="Vorgangstypen des Mandanten (auch die außer Gebrauch)",
)
def list_vorgang_typen(request: TenantRequest) -> list[VorgangTypOut]:
    access.require(request.access, PERM)
    return [_typ_out(t) for t in selectors.all_vorgang_typen(request.tenant.pk)]


@router.post(
    "/vorgangstypen",
    response={201: VorgangTypOut},
    summary="Vorgangstyp anlegen",
    description="422 `code_invalid`/`label_required`: Eingabe ungültig; 409 `code_taken`: "
    "den Code gibt es im Fachverfahren schon.",
)
def create_vorgang_typ(request: TenantRequest, payload: VorgangTypIn) -> Status:
    access.require(request.access, PERM)
    typ = configuration.create_vorgang_typ(
        actor=request.user, tenant=request.tenant, **payload.model_dump()
    )
    return Status(201, _typ_out(typ))


@router.patch(
    "/vorgangstypen/{typ_id}",
    response=VorgangTypOut,
    summary="Vorgangstyp umbenennen oder außer Gebrauch nehmen",
    description="Nur die übergebenen Felder werden geändert; Code und Fachverfahren bleiben. "
    "Vorhandene Vorgänge behalten ihren Typ.",
)
def change_vorgang_typ(
    request: TenantRequest, typ_id: uuid.UUID, payload: VorgangTypChangeIn
) -> VorgangTypOut:
    access.require(request.access, PERM)
    typ = selectors.vorgang_typ(request.tenant.pk, typ_id)
    if typ is None:
        raise not_found("Dieser Vorgangstyp")
    configuration.change_vorgang_typ(actor=request.user, typ=typ, **payload.model_dump())
    return _typ_out(typ)


@router.get("/fristregeln", response=list[FristRegelOut], summary="Fristregeln des Mandanten")
def list_frist_regeln(request: TenantRequest) -> list[FristRegelOut]:
    access.require(request.access, PERM)
    return [_regel_out(r) for r in selectors.frist_regeln(request.tenant.pk)]


@router.post(
    "/fristregeln",
    response={201: FristRegelOut},
    summary="Fristregel anlegen",
    description="422 `code_invalid`/`label_required`/`rule_out_of_range`/`rule_empty`: "
    "Eingabe ungültig; 409 `code_taken`: den Code gibt es schon.",
)
def create_frist_regel(request: TenantRequest, payload: FristRegelIn) -> Status:
    access.require(request.access, PERM)
    regel = configuration.create_frist_regel(
        actor=request.user, tenant=request.tenant, **payload.model_dump()
    )
    return Status(201, _regel_out(regel))


@router.patch(
    "/fristregeln/{regel_id}",
    response=FristRegelOut,
    summary="Fristregel ändern (für künftig berechnete Fristen)",
    description="Nur die übergebenen Felder werden geändert; der Code bleibt. Schon "
    "berechnete Fristen behalten ihr Datum; die alten Werte stehen im Audit-Protokoll.",
)
def change_frist_regel(
    request: TenantRequest, regel_id: uuid.UUID, payload: FristRegelChangeIn
) -> FristRegelOut:
    access.require(request.access, PERM)
    regel = selectors.frist_regel(request.tenant.pk, regel_id)
    if regel is None:
        raise not_found("Diese Fristregel")
    configuration.change_frist_regel(actor=request.user, regel=regel, **payload.model_dump())
    return _regel_out(regel)
