"""Writing to the audit log. Every service write calls :func:`record`; every read of
personal data calls :func:`read`. Both append one event to the Mandant's chain inside
the caller's transaction, so an event exists exactly when its change was committed."""

from __future__ import annotations

import uuid
from typing import Any, Protocol

from django.db import connection, transaction
from django.utils import timezone

from koffer.audit import context
from koffer.audit.chain import event_hash, normalise
from koffer.audit.models import AuditEvent, AuditHead


class Actor(Protocol):
    pk: Any

    def __str__(self) -> str: ...


def _object_ref(obj: Any) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, tuple):
        kind, ident = obj
        return str(kind), str(ident), ""
    meta = getattr(obj, "_meta", None)
    kind = meta.label_lower if meta is not None else type(obj).__name__.lower()
    return kind, str(obj.pk), str(obj)[:300]


def _lock_head(tenant_id: uuid.UUID) -> AuditHead:
    head = AuditHead.objects.filter(tenant_id=tenant_id)
    if connection.vendor == "postgresql":
        head = head.select_for_update()
    found = head.first()
    if found is not None:
        return found
    AuditHead.objects.bulk_create([AuditHead(tenant_id=tenant_id)], ignore_conflicts=True)
    return _lock_head(tenant_id)


def record(
    *,
    actor: Actor | None,
    tenant_id: uuid.UUID,
    action: str,
    obj: Any = None,
    subject: Any = None,
    changes: dict[str, Any] | None = None,
    reason: str = "",
) -> AuditEvent:
    """Append one event to the tenant's chain; returns it. Must run in the caller's
    transaction (opens one if there is none) so that change and event commit together."""
    object_type, object_id, object_label = _object_ref(obj)
    subject_type, subject_id, _ = _object_ref(subject)
    with transaction.atomic():
        head = _lock_head(tenant_id)
        fields: dict[str, Any] = {
            "tenant_id": tenant_id,
            "seq": head.seq + 1,
            "prev_hash": head.hash,
            "at": timezone.now(),
            "actor_id": actor.pk if actor is not None else None,
            "actor_label": str(actor)[:200] if actor is not None else "System",
            "action": action,
            "object_type": object_type,
            "object_id": object_id,
            "object_label": object_label,
            "subject_type": subject_type,
            "subject_id": subject_id,
            "changes": normalise(changes or {}),
            "reason": reason,
            "client_ip": context.client_ip.get(),
        }
        fields["hash"] = event_hash(fields)
        event = AuditEvent.objects.create(**fields)
        AuditHead.objects.filter(tenant_id=tenant_id).update(seq=fields["seq"], hash=fields["hash"])
    return event


def read(
    *, actor: Actor, tenant_id: uuid.UUID, obj: Any, subject: Any = None, purpose: str = ""
) -> AuditEvent:
    """Record that ``actor`` opened ``obj`` (a file, a document, a person's data)."""
    return record(
        actor=actor, tenant_id=tenant_id, action="read", obj=obj, subject=subject, reason=purpose
    )


def diff(old: dict[str, Any], new: dict[str, Any]) -> dict[str, Any]:
    """Old and new values of the fields that changed, as stored in ``changes``."""
    keys = sorted(set(old) | set(new))
    return {k: {"old": old.get(k), "new": new.get(k)} for k in keys if old.get(k) != new.get(k)}
