"""Walking the chain: recompute every hash and link, report the first break.

Rows are read with plain SQL in keyset pages (``seq >= n ORDER BY seq LIMIT``) and turned
into Python values by the very converters the ORM would apply (the backend's and the
field's), memoised for the columns whose values repeat (actor, changes). At a million
events the ORM's per-row machinery cost more than the hashing itself; this way one
Mandant's million events take about 15 s on two cores (``make bench ONLY=core_audit_verify``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from koffer.audit.chain import HASHED_FIELDS, event_hash
from koffer.audit.models import GENESIS_HASH, AuditEvent, AuditHead

CHUNK = 5000
# tenant_id is left out: the query selects by it, so every row carries the same.
COLUMNS = tuple(name for name in (*HASHED_FIELDS, "hash") if name != "tenant_id")
REPEATING = frozenset({"actor_id", "changes"})
MEMO_SIZE = 10_000


@dataclass(frozen=True)
class ChainReport:
    tenant_id: uuid.UUID
    events: int
    broken_seq: int | None
    problem: str

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_tenant(
    tenant_id: uuid.UUID, progress: Callable[[int], None] | None = None
) -> ChainReport:
    """Check sequence continuity, links and hashes of one tenant's chain, in seq order."""
    tenant = str(tenant_id)  # every row has it: the query selects by it
    expected_seq = 1
    prev = GENESIS_HASH
    last_seq = 0
    for page in _pages(tenant_id):
        for values in page:
            fields = dict(zip(COLUMNS, values, strict=True))
            fields["tenant_id"] = tenant
            seq = fields["seq"]
            if seq != expected_seq:
                return ChainReport(tenant_id, last_seq, expected_seq, "Lücke in der Folge")
            if fields["prev_hash"] != prev:
                return ChainReport(tenant_id, last_seq, seq, "Verkettung gebrochen")
            if event_hash(fields) != fields["hash"]:
                return ChainReport(tenant_id, last_seq, seq, "Inhalt verändert")
            prev = fields["hash"]
            last_seq = seq
            expected_seq += 1
        if progress is not None:
            progress(last_seq)
    head = AuditHead.objects.filter(tenant_id=tenant_id).first()
    if head is not None and (head.seq != last_seq or head.hash != prev):
        return ChainReport(tenant_id, last_seq, last_seq + 1, "Ereignisse fehlen am Ende")
    return ChainReport(tenant_id, last_seq, None, "")


def _pages(tenant_id: uuid.UUID) -> Iterator[list[list[Any]]]:
    """The tenant's events in seq order, CHUNK at a time, values as the ORM returns them."""
    quote = connection.ops.quote_name
    table = AuditEvent._meta.db_table
    # Names come from the model's metadata, never from input.
    sql = (
        f"SELECT {', '.join(quote(name) for name in COLUMNS)} FROM {quote(table)}"  # noqa: S608
        f" WHERE {quote('tenant_id')} = %s AND {quote('seq')} >= %s"
        f" ORDER BY {quote('seq')} LIMIT {CHUNK}"
    )
    tenant_param = AuditEvent._meta.get_field("tenant_id").get_db_prep_value(tenant_id, connection)
    decode = _row_decoder()
    seq_index = COLUMNS.index("seq")
    next_seq = 1
    with connection.cursor() as cursor:
        while True:
            cursor.execute(sql, [tenant_param, next_seq])
            rows = cursor.fetchall()
            if not rows:
                return
            yield [decode(row) for row in rows]
            next_seq = int(rows[-1][seq_index]) + 1


def _row_decoder() -> Callable[[Sequence[Any]], list[Any]]:
    steps: list[tuple[int, Callable[[Any], Any]]] = []
    for index, name in enumerate(COLUMNS):
        convert = _column_converter(name)
        if convert is not None:
            steps.append((index, _memoised(convert) if name in REPEATING else convert))

    def decode(row: Sequence[Any]) -> list[Any]:
        values = list(row)
        for index, convert in steps:
            values[index] = convert(values[index])
        return values

    return decode


def _column_converter(name: str) -> Callable[[Any], Any] | None:
    """What the ORM's compiler applies to this column's raw values, or None if nothing."""
    field = AuditEvent._meta.get_field(name)
    column = field.get_col(AuditEvent._meta.db_table)  # type: ignore[union-attr]
    converters = connection.ops.get_db_converters(column) + field.get_db_converters(connection)  # type: ignore[union-attr]
    if not converters:
        return None

    def convert(value: Any) -> Any:
        for converter in converters:
            value = converter(value, column, connection)
        return value

    return convert


def _memoised(convert: Callable[[Any], Any]) -> Callable[[Any], Any]:
    """Cache by raw value; callers only read the results (event_hash does not mutate)."""
    cache: dict[Any, Any] = {}

    def cached(value: Any) -> Any:
        try:
            return cache[value]
        except KeyError:
            if len(cache) >= MEMO_SIZE:
                cache.clear()
            result = cache[value] = convert(value)
            return result
        except TypeError:  # unhashable raw value (a driver's dict for JSON)
            return convert(value)

    return cached


def chain_tenants() -> list[uuid.UUID]:
    return list(AuditHead.objects.order_by("tenant_id").values_list("tenant_id", flat=True))
