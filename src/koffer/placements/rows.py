"""Writes of one row: read again under its row lock (``select_for_update``), so that a second
writer of the same row waits for the first and then sees its result. Giving and taking
places locks more than a row: :func:`koffer.placements.locking.critical`."""

from __future__ import annotations

from typing import Any, TypeVar

from django.db import transaction

from koffer.audit.services import Actor
from koffer.placements import events
from koffer.placements.errors import NotFound
from koffer.tenancy.scoping import TenantOwned

M = TypeVar("M", bound=TenantOwned)


def locked(row: M, missing: str) -> M:
    """``row`` as it is now, locked until the transaction ends; :class:`NotFound` with
    the message ``missing`` when it is gone. Call inside a transaction."""
    fresh: M | None = (
        type(row).objects.for_tenant(row.tenant_id).select_for_update().filter(pk=row.pk).first()
    )
    if fresh is None:
        raise NotFound("not_found", missing)
    return fresh


def change_field(*, actor: Actor, row: M, field: str, value: Any, action: str) -> M:
    """Set one field of ``row`` in a transaction of its own; a real change (old value
    differs) is saved and recorded as ``action`` with its old and new value."""
    with transaction.atomic():
        fresh: M = type(row).objects.for_tenant(row.tenant_id).select_for_update().get(pk=row.pk)
        old = getattr(fresh, field)
        if old != value:
            setattr(fresh, field, value)
            fresh.save(update_fields=[field])
            events.record(
                actor, [fresh.tenant_id], action, fresh, {field: {"old": old, "new": value}}
            )
    return fresh
