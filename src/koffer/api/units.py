"""``/api/v1/units``: the Mandant's Organisationseinheiten (read for all members, write for admins)."""

from __future__ import annotations

import uuid

from ninja import Router, Schema, Status
from pydantic import Field

from koffer.accounts.access import sees_organisation
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.api.pagination import paginate
from koffer.api.problems import ApiProblem, Problem, not_found
from koffer.tenancy import selectors, services
from koffer.tenancy.models import Organisationseinheit

router = Router(tags=["Organisation"])


class UnitOut(Schema):
    id: uuid.UUID
    name: str
    kind: str
    parent_id: uuid.UUID | None
    path: str


class UnitPage(Schema):
    items: list[UnitOut]
    next_cursor: str | None


class UnitIn(Schema):
    name: str = Field(min_length=1, max_length=200)
    kind: Organisationseinheit.Kind = Organisationseinheit.Kind.TEAM
    parent_id: uuid.UUID


def _out(unit: Organisationseinheit) -> UnitOut:
    return UnitOut(
        id=unit.id, name=unit.name, kind=unit.kind, parent_id=unit.parent_id, path=unit.path
    )


def _may_read(request: TenantRequest) -> None:
    if not sees_organisation(request.access):
        raise ApiProblem(
            403,
            "forbidden",
            "Keine Berechtigung",
            "Sie dürfen die Organisationseinheiten des Mandanten nicht einsehen.",
        )


@router.get(
    "/units",
    response={200: UnitPage, 403: Problem},
    summary="Organisationseinheiten des Mandanten",
)
def list_units(request: TenantRequest, cursor: str | None = None, limit: int = 50) -> UnitPage:
    _may_read(request)
    rows, next_cursor = paginate(selectors.units_of(request.tenant), cursor=cursor, limit=limit)
    return UnitPage(items=[_out(u) for u in rows], next_cursor=next_cursor)


@router.get(
    "/units/{unit_id}",
    response={200: UnitOut, 403: Problem, 404: Problem},
    summary="Eine Organisationseinheit",
)
def get_unit(request: TenantRequest, unit_id: uuid.UUID) -> UnitOut:
    _may_read(request)
    unit = selectors.unit_by_id(request.tenant, unit_id)
    if unit is None:
        raise not_found("Diese Organisationseinheit")
    return _out(unit)


@router.post("/units", response={201: UnitOut}, summary="Organisationseinheit anlegen")
def create_unit(request: TenantRequest, payload: UnitIn) -> Status:
    if not request.access.can(Perm.TENANCY_MANAGE):
        raise ApiProblem(
            403, "forbidden", "Keine Berechtigung", "Sie dürfen die Organisation nicht ändern."
        )
    parent = selectors.unit_by_id(request.tenant, payload.parent_id)
    if parent is None:
        raise not_found("Die übergeordnete Organisationseinheit")
    try:
        unit = services.create_unit(
            actor=request.user,
            tenant=request.tenant,
            parent=parent,
            name=payload.name,
            kind=payload.kind,
        )
    except services.UnitNameTaken as exc:
        raise ApiProblem(409, "unit_name_taken", "Name vergeben", str(exc)) from exc
    return Status(201, _out(unit))
