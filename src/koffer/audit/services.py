"""Writing to the audit log. Every service write calls :func:`record`; every read of
personal data calls :func:`read`. Both append one event to the Mandant's chain inside
the caller's transaction, so an event exists exactly when its change was committed."""

from __future__ import annotations

import functools
import uuid
from typing import Any, Protocol

from django.db import connection, transaction
from django.utils import timezone

from koffer.audit import context, keys
from koffer.audit.chain import event_hash, normalise
from koffer.audit.models import AuditEvent, AuditHead


class Actor(Protocol):
    pk: Any

    def __str__(self) -> str: ...


def _object_ref(obj: Any) -> tuple[str, str, str]:
    if obj is None:
        return "", "", ""
    if isinstance(obj, tuple):  # (type, id) or (type, id, label)
        kind, ident, *label = obj
        return str(kind), str(ident), str(label[0])[:300] if label else ""
    meta = getattr(obj, "_meta", None)
    kind = meta.label_lower if meta is not None else type(obj).__name__.lower()
    return kind, str(obj.pk), str(obj)[:300]


def _uuid_param(value: uuid.UUID) -> Any:
    """A UUID as the backend stores it (what UUIDField.get_db_prep_value does)."""
    return value if connection.features.has_native_uuid_field else value.hex


def _lock_head(tenant_id: uuid.UUID) -> tuple[int, str, str]:
    """The chain head's sequence number, hash and key id, locked until the transaction
    ends.

    On PostgreSQL the row lock (FOR UPDATE) keeps concurrent writers from forking the
    sequence; SQLite's ``BEGIN IMMEDIATE`` already holds the database's write lock. Plain
    SQL because every audited write pays for this: building the ORM query cost several
    times the statement itself (``make bench ONLY=core_audit_write``). A head without a
    key yet (a new Mandant) takes the newest key.
    """
    sql = "SELECT seq, hash, key_id FROM audit_head WHERE tenant_id = %s"
    if connection.features.has_select_for_update:
        sql += " FOR UPDATE"
    with connection.cursor() as cursor:
        cursor.execute(sql, [_uuid_param(tenant_id)])
        row = cursor.fetchone()
    if row is not None:
        return int(row[0]), str(row[1]), row[2] or keys.current_key_id()
    AuditHead.objects.bulk_create([AuditHead(tenant_id=tenant_id)], ignore_conflicts=True)
    return _lock_head(tenant_id)


@functools.cache
def _insert_sql(vendor: str) -> str:
    # Names come from the model's metadata, never from input.
    quote = connection.ops.quote_name
    columns = [quote(str(f.column)) for f in AuditEvent._meta.concrete_fields]
    return (
        f"INSERT INTO {quote(AuditEvent._meta.db_table)} ({', '.join(columns)})"  # noqa: S608
        f" VALUES ({', '.join(['%s'] * len(columns))})"
    )


_ADVANCE_HEAD = "UPDATE audit_head SET seq = %s, hash = %s, key_id = %s WHERE tenant_id = %s"


def _append(event: AuditEvent) -> None:
    """INSERT the event and advance the chain head. Each field gets its own database
    preparation, as the ORM's insert does, minus its per-call query building. No save
    signals: nothing may hook into audit rows.

    On PostgreSQL both go in one statement (the INSERT as a data-modifying WITH, which
    runs to completion whether or not the UPDATE reads it): one round trip fewer per
    audited write (make bench ONLY=core_audit_write). SQLite has no round trips and no
    INSERT in WITH."""
    params = [
        f.get_db_prep_save(getattr(event, f.attname), connection)
        for f in AuditEvent._meta.concrete_fields
    ]
    head = [event.seq, event.hash, event.key_id, _uuid_param(event.tenant_id)]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute(
                f"WITH appended AS ({_insert_sql(connection.vendor)}) {_ADVANCE_HEAD}",
                [*params, *head],
            )
        else:
            cursor.execute(_insert_sql(connection.vendor), params)
            cursor.execute(_ADVANCE_HEAD, head)
    event._state.adding = False
    event._state.db = connection.alias


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
    # No savepoint: if the event cannot be written, the caller's change must not commit
    # either, so an error here dooms the whole transaction (and saves two statements).
    with transaction.atomic(savepoint=False):
        seq, prev_hash, key_id = _lock_head(tenant_id)
        fields: dict[str, Any] = {
            "tenant_id": tenant_id,
            "seq": seq + 1,
            "prev_hash": prev_hash,
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
        fields["hash"] = event_hash(fields, key_id)
        event = AuditEvent(**fields, key_id=key_id)
        _append(event)
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


def rotate_key(*, actor: Actor | None) -> str:
    """Make a new audit key and seal every Mandant's next events with it; returns its id.

    Older keys stay in the key folder: the events they sealed name them. Each chain moves
    over in a transaction of its own (one head lock at a time, like every writer) and
    records the change as its first event under the new key."""
    new = keys.create_key()
    for tenant_id, previous in AuditHead.objects.order_by("tenant_id").values_list(
        "tenant_id", "key_id"
    ):
        with transaction.atomic():
            AuditHead.objects.filter(tenant_id=tenant_id).update(key_id=new)
            record(
                actor=actor,
                tenant_id=tenant_id,
                action="audit.key.rotate",
                obj=("audit.key", new),
                changes={"key_id": {"old": previous, "new": new}},
            )
    return new
