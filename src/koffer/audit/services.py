"""Writing to the audit log. Every service write calls :func:`record`; every read of
personal data calls :func:`read`. Both append one event to the Mandant's chain inside
the caller's transaction, so an event exists exactly when its change was committed."""

from __future__ import annotations

import functools
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
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


def _insert(event: AuditEvent) -> None:
    """INSERT the event alone (in a :func:`batched` block, which advances the head once)."""
    params = [
        f.get_db_prep_save(getattr(event, f.attname), connection)
        for f in AuditEvent._meta.concrete_fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(_insert_sql(connection.vendor), params)
    event._state.adding = False
    event._state.db = connection.alias


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


@dataclass
class _Batch:
    """The chain head of one Mandant as a :func:`batched` block holds it: ``start`` is the
    seq read (and locked) at its first event, None before."""

    tenant_id: uuid.UUID
    alias: str
    start: int | None = None
    seq: int = 0
    hash: str = ""
    key_id: str = ""
    # Within :func:`gebuendelt`: the events not inserted yet, and how many savepoints were
    # open when the block began (None: not bundling).
    buffer: list[AuditEvent] | None = None
    depth: int = 0


_batch: ContextVar[_Batch | None] = ContextVar("audit_batch", default=None)


@contextmanager
def batched(tenant_id: uuid.UUID) -> Iterator[None]:
    """Many events of one Mandant in one transaction (a serial letter's chunk) at one
    statement each: the chain head is read and locked at the first event, each event is
    an INSERT, and the head is advanced once when the block ends. The chain's guarantees
    hold as with :func:`record` alone: the head stays locked from the first event to the
    commit (PostgreSQL's row lock, SQLite's write lock), every event links to the one
    before and the unique (tenant, seq) refuses a fork. A piece of work in the block that
    may roll back alone uses :func:`savepoint`, which rolls the head back with it; any
    other rollback that took events along is found when the block ends (the events since
    the first are counted) and fails the transaction rather than leave a gap.

    Must run inside the transaction; an exception leaving the block leaves the head
    alone (the transaction is rolled back with it)."""
    if not connection.in_atomic_block:
        raise RuntimeError("audit.batched() needs an open transaction")
    current = _batch.get()
    if current is not None and current.tenant_id == tenant_id:
        yield  # already batched
        return
    state = _Batch(tenant_id=tenant_id, alias=connection.alias)
    token = _batch.set(state)
    try:
        yield
    finally:
        _batch.reset(token)
    _close_batch(state)


@contextmanager
def savepoint() -> Iterator[None]:
    """``transaction.atomic()`` for one piece of work inside :func:`batched`: when it
    rolls back, the batch's head goes back to where it was (its events are gone)."""
    state = _batch.get()
    if state is not None and state.buffer:
        _flush(state)  # the bundle so far belongs to the level outside
    mark = None if state is None else (state.start, state.seq, state.hash, state.key_id)
    try:
        with transaction.atomic():
            yield
    except BaseException:
        if state is not None and mark is not None:
            state.start, state.seq, state.hash, state.key_id = mark
        raise


@contextmanager
def gebuendelt(tenant_id: uuid.UUID) -> Iterator[None]:
    """Inside :func:`batched`: the events recorded in this block are hashed and chained
    as they come (in the order of the calls, exactly as one at a time) and inserted
    together when it ends, a few hundred rows a statement (a serial letter's chunk
    written in bulk). Everything the block writes must commit or roll back together with
    the block's own level: an event recorded while a deeper savepoint is open first
    flushes the bundle and is inserted at once, so a rollback of that savepoint takes
    exactly its own events. An exception leaving the block drops the bundle; the head has
    moved past it, so the batch's count fails the transaction unless the exception does
    (never a gap)."""
    state = _batch.get()
    if state is None or state.tenant_id != tenant_id or state.alias != connection.alias:
        raise RuntimeError("audit.gebuendelt() needs audit.batched() for the same Mandant")
    if state.buffer is not None:
        yield  # already bundling
        return
    state.buffer, state.depth = [], _savepoints()
    try:
        yield
        _flush(state)
    finally:
        state.buffer = None


def _savepoints() -> int:
    """How many savepoints are open (an ``atomic(savepoint=False)`` inside another opens
    none: Django notes it as None)."""
    return sum(1 for sid in connection.savepoint_ids if sid is not None)


_BUNDLE = 200  # rows an INSERT: well under SQLite's 32,766 parameters with 17 columns


def _flush(state: _Batch) -> None:
    events = state.buffer or []
    if state.buffer is not None:
        state.buffer = []
    fields = AuditEvent._meta.concrete_fields
    for start in range(0, len(events), _BUNDLE):
        part = events[start : start + _BUNDLE]
        params = [
            f.get_db_prep_save(getattr(event, f.attname), connection)
            for event in part
            for f in fields
        ]
        with connection.cursor() as cursor:
            cursor.execute(_insert_sql_rows(len(part)), params)
        for event in part:
            event._state.adding = False
            event._state.db = connection.alias


def _insert_sql_rows(rows: int) -> str:
    """The INSERT of :func:`_insert_sql` with ``rows`` rows of values."""
    single = _insert_sql(connection.vendor)
    head, values = single.split(" VALUES ", 1)
    return f"{head} VALUES {', '.join([values] * rows)}"


_COUNT_SINCE = "SELECT COUNT(*) FROM audit_event WHERE tenant_id = %s AND seq > %s"


def _close_batch(state: _Batch) -> None:
    if state.start is None:
        return  # no event
    tenant = _uuid_param(state.tenant_id)
    with connection.cursor() as cursor:
        cursor.execute(_COUNT_SINCE, [tenant, state.start])
        row = cursor.fetchone()
        if row is None or int(row[0]) != state.seq - state.start:
            raise RuntimeError(
                "audit.batched(): events of the batch were rolled back outside "
                "audit.savepoint(); the chain would have a gap"
            )
        cursor.execute(_ADVANCE_HEAD, [state.seq, state.hash, state.key_id, tenant])


def _batched_head(tenant_id: uuid.UUID) -> _Batch | None:
    state = _batch.get()
    if state is None or state.tenant_id != tenant_id or state.alias != connection.alias:
        return None
    if state.start is None:
        state.seq, state.hash, state.key_id = _lock_head(tenant_id)
        state.start = state.seq
    return state


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
        batch = _batched_head(tenant_id)
        if batch is not None:
            seq, prev_hash, key_id = batch.seq, batch.hash, batch.key_id
        else:
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
        if batch is not None:
            if batch.buffer is not None and _savepoints() == batch.depth:
                batch.buffer.append(event)
            else:
                if batch.buffer:
                    _flush(batch)
                _insert(event)
            batch.seq, batch.hash = event.seq, event.hash
        else:
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
