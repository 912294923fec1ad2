"""``audit_verify`` over one Mandant's chain of 1,000,000 events.

The events are valid and chained (HMACs under the audit key, from
``koffer.audit.chain.event_hash``), written straight into the table in chunks because
only UPDATE and DELETE are refused there. The
baseline in the same run is a plain read of the same rows (no hashing), so the ratio
shows what checking costs on top of fetching. Target: under 30 s for 1,000,000 events.
"""

from __future__ import annotations

import datetime as dt
import random
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from django.db import connection, transaction
from uuid6 import uuid7

from benchmarks.report import emit, note
from benchmarks.scale import setting
from koffer.audit import keys
from koffer.audit.chain import HASHED_FIELDS, event_hash
from koffer.audit.models import GENESIS_HASH, AuditEvent, AuditHead
from koffer.audit.verification import verify_tenant

NAME = "core_audit_verify"
DATABASES = ("sqlite", "postgresql")
EVENTS = setting("KOFFER_BENCH_AUDIT_EVENTS", 1_000_000, 10_000)
CHUNK = 10_000
TARGET_SECONDS = 30.0

ACTIONS = [
    ("records.akte.create", "records.akte"),
    ("records.dokument.add", "records.dokument"),
    ("read", "records.akte"),
    ("read", "records.dokument"),
    ("inbox.item.assign", "inbox.item"),
    ("accounts.login", "accounts.user"),
]
LABELS = ["Akte Müller, Jürgen", "Bescheid Größe", "Widerspruch Öztürk", "Posteingang 4711", ""]


def _events(tenant_id: uuid.UUID, count: int) -> Iterator[dict[str, Any]]:
    """Plausible events: a few actors, varied objects and changes, umlauts, increasing time."""
    rng = random.Random(42)  # fixed seed: the same data every run
    actors = [(uuid7(), f"Sachbearbeitung {i}") for i in range(25)]
    at = dt.datetime(2026, 1, 5, 7, 30, tzinfo=dt.UTC)
    prev = GENESIS_HASH
    key_id = keys.current_key_id()
    for seq in range(1, count + 1):
        at += dt.timedelta(microseconds=rng.randrange(1, 2_000_000))
        action, object_type = rng.choice(ACTIONS)
        actor_id, actor_label = rng.choice(actors)
        fields: dict[str, Any] = {
            "tenant_id": tenant_id,
            "seq": seq,
            "prev_hash": prev,
            "at": at,
            "actor_id": actor_id,
            "actor_label": actor_label,
            "action": action,
            "object_type": object_type,
            "object_id": str(uuid7()),
            "object_label": rng.choice(LABELS),
            "subject_type": "records.person" if seq % 3 == 0 else "",
            "subject_id": str(seq // 3) if seq % 3 == 0 else "",
            "changes": {} if action == "read" else {"status": {"old": "offen", "new": "in Arbeit"}},
            "reason": "Sachbearbeitung" if action == "read" else "",
            "client_ip": "10.0.0.17",
            "key_id": key_id,
        }
        fields["hash"] = event_hash(fields, key_id)
        prev = fields["hash"]
        yield fields


def _converters() -> list[tuple[str, Callable[[Any], Any]]]:
    """Each column with its database preparation; strings and integers pass unchanged."""
    plain = {"CharField", "TextField", "BigIntegerField"}
    result: list[tuple[str, Callable[[Any], Any]]] = []
    for field in AuditEvent._meta.concrete_fields:
        if field.get_internal_type() in plain:
            result.append((field.attname, lambda value: value))
        else:
            result.append(
                (field.attname, lambda value, f=field: f.get_db_prep_save(value, connection))
            )
    return result


def _insert_sql() -> str:
    quote = connection.ops.quote_name
    names = [quote(str(f.column)) for f in AuditEvent._meta.concrete_fields]
    marks = ", ".join(["%s"] * len(names))
    return f"INSERT INTO audit_event ({', '.join(names)}) VALUES ({marks})"  # noqa: S608 - model names


def _fill(tenant_id: uuid.UUID, count: int) -> None:
    sql = _insert_sql()
    columns = _converters()
    batch: list[list[Any]] = []
    last: dict[str, Any] = {}
    for fields in _events(tenant_id, count):
        fields["id"] = uuid7()
        batch.append([convert(fields[name]) for name, convert in columns])
        last = fields
        if len(batch) == CHUNK:
            _write(sql, batch)
            batch = []
    if batch:
        _write(sql, batch)
    AuditHead.objects.create(
        tenant_id=tenant_id, seq=last["seq"], hash=last["hash"], key_id=last["key_id"]
    )
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE audit_event")
    else:
        with connection.cursor() as cursor:
            cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            cursor.execute("ANALYZE")


def _write(sql: str, batch: list[list[Any]]) -> None:
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(sql, batch)


def _plain_read(tenant_id: uuid.UUID) -> int:
    """The same keyset-paged read as verification, without checking anything."""
    columns = (*HASHED_FIELDS, "hash")
    seen = 0
    next_seq = 1
    while True:
        rows = list(
            AuditEvent.objects.filter(tenant_id=tenant_id, seq__gte=next_seq)
            .order_by("seq")
            .values_list(*columns)[:5000]
        )
        if not rows:
            return seen
        seen += len(rows)
        next_seq = rows[-1][1] + 1


def run() -> None:
    tenant_id = uuid7()
    started = time.perf_counter()
    _fill(tenant_id, EVENTS)
    note(f"{EVENTS} Ereignisse erzeugt in {time.perf_counter() - started:.0f} s")

    started = time.perf_counter()
    read = _plain_read(tenant_id)
    read_seconds = time.perf_counter() - started

    started = time.perf_counter()
    report = verify_tenant(tenant_id)
    seconds = time.perf_counter() - started
    if not report.ok or report.events != EVENTS or read != EVENTS:
        raise SystemExit(f"Prüfung falsch: {report}, gelesen {read}")
    emit(
        NAME,
        db=connection.vendor,
        case="read_only",
        events=read,
        seconds=read_seconds,
        events_per_s=read / read_seconds,
    )
    emit(
        NAME,
        db=connection.vendor,
        case="verify",
        events=report.events,
        seconds=seconds,
        events_per_s=report.events / seconds,
        ratio_vs_read=seconds / read_seconds,
        target=f"1M_events<{TARGET_SECONDS:.0f}s",
        met=seconds * 1_000_000 / report.events < TARGET_SECONDS,
    )
