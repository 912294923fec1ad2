"""``/api/v1/me``: who am I, in which Mandant, with which permissions."""

from __future__ import annotations

import uuid

from ninja import Router, Schema

from koffer.accounts.http import TenantRequest

router = Router(tags=["Konto"])


class MeOut(Schema):
    id: uuid.UUID
    username: str
    display_name: str
    is_machine: bool
    tenant_id: uuid.UUID
    tenant_name: str
    permissions: list[str]


@router.get("/me", response=MeOut, summary="Eigenes Konto und Rechte im aktiven Mandanten")
def me(request: TenantRequest) -> MeOut:
    user = request.user
    tenant = request.tenant
    return MeOut(
        id=user.id,
        username=user.get_username(),
        display_name=str(user),
        is_machine=user.is_machine,
        tenant_id=tenant.pk,
        tenant_name=tenant.name,
        permissions=sorted(request.access.permissions),
    )
