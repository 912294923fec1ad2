"""Walking the chain: recompute every hash and link, report the first break.

Events are checked with the key each names (``koffer.audit.keys``); a chain never goes
back to an older key, nor to no key, and events without a key are accepted only as far
as the anchor written when keys were introduced vouches for them. Every signed anchor
(``koffer.audit.anchors``) must still be in the chain: an attacker who can write to the
database but has no key can neither rewrite events nor cut the tail off unnoticed.

Rows are read with plain SQL in keyset pages (``seq >= n ORDER BY seq LIMIT``) and turned
into Python values by the very converters the ORM would apply (the backend's and the
field's), memoised for the columns whose values repeat (actor, changes). At a million
events the ORM's per-row machinery cost more than the hashing itself; this way one
Mandant's million events take about 15 s on two cores (``make bench ONLY=core_audit_verify``).

Which chains to check is not taken from the database alone: deleting a Mandant's events
together with its head would make the chain vanish from ``audit_head``. ``chain_tenants``
unites the heads, the anchor files and every tenant the registered sources know (the
tenancy app registers its Mandant table); a Mandant that exists has at least the event of
its creation, so one without any is reported as well.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connection

from koffer.audit import anchors, keys
from koffer.audit.chain import HASHED_FIELDS, event_hash
from koffer.audit.models import GENESIS_HASH, AuditEvent, AuditHead

CHUNK = 5000
# tenant_id is left out: the query selects by it, so every row carries the same.
COLUMNS = tuple(name for name in (*HASHED_FIELDS, "hash", "key_id") if name != "tenant_id")
REPEATING = frozenset({"actor_id", "changes"})
MEMO_SIZE = 10_000

TenantSource = Callable[[], Iterable[uuid.UUID]]
# Apps above audit in the layers (tenancy) tell it which Mandanten exist, so that audit
# does not import them; see register_tenant_source.
_tenant_sources: list[TenantSource] = []


@dataclass(frozen=True)
class ChainReport:
    tenant_id: uuid.UUID
    events: int
    broken_seq: int | None
    problem: str
    head_hash: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_seq is None


def verify_tenant(
    tenant_id: uuid.UUID, progress: Callable[[int], None] | None = None
) -> ChainReport:
    """Check sequence continuity, links, seals and anchors of one tenant's chain, in seq
    order. A missing key or a forged anchor is reported as a break with its reason."""
    try:
        anchored = anchors.read(tenant_id)
    except (anchors.AnchorForged, keys.AuditKeyMissing) as error:
        return ChainReport(tenant_id, 0, 0, str(error))
    pinned = {anchor.seq: anchor.hash for anchor in anchored}
    if len(pinned) != len({(anchor.seq, anchor.hash) for anchor in anchored}):
        return ChainReport(tenant_id, 0, 0, "Anker widersprechen einander")
    keyless_until = max((a.seq for a in anchored if a.kind == anchors.TRANSITION), default=0)

    tenant = str(tenant_id)  # every row has it: the query selects by it
    expected_seq = 1
    prev = GENESIS_HASH
    last_seq = 0
    key_id: str | None = None
    for page in _pages(tenant_id):
        for values in page:
            fields = dict(zip(COLUMNS, values, strict=True))
            fields["tenant_id"] = tenant
            seq = fields["seq"]
            if seq != expected_seq:
                return ChainReport(tenant_id, last_seq, expected_seq, "Lücke in der Folge")
            if fields["prev_hash"] != prev:
                return ChainReport(tenant_id, last_seq, seq, "Verkettung gebrochen")
            row_key = fields["key_id"]
            if row_key is None:
                if key_id is not None:
                    problem = "Ereignis ohne Schlüssel nach gesicherten Ereignissen"
                    return ChainReport(tenant_id, last_seq, seq, problem)
                if seq > keyless_until:
                    problem = "Ereignis ohne Schlüssel, für das kein Anker bürgt"
                    return ChainReport(tenant_id, last_seq, seq, problem)
            elif row_key != key_id:
                if problem := _next_key(key_id, row_key):
                    return ChainReport(tenant_id, last_seq, seq, problem)
                key_id = row_key
            if event_hash(fields, row_key) != fields["hash"]:
                return ChainReport(tenant_id, last_seq, seq, "Inhalt verändert")
            if pinned.get(seq, fields["hash"]) != fields["hash"]:
                return ChainReport(tenant_id, last_seq, seq, "Kette weicht vom Anker ab")
            prev = fields["hash"]
            last_seq = seq
            expected_seq += 1
        if progress is not None:
            progress(last_seq)
    if pinned and max(pinned) > last_seq:
        return ChainReport(
            tenant_id, last_seq, last_seq + 1, f"Ereignisse fehlen (Anker bei {max(pinned)})"
        )
    head = AuditHead.objects.filter(tenant_id=tenant_id).first()
    if head is None and last_seq:
        return ChainReport(tenant_id, last_seq, last_seq + 1, "Kopf der Kette fehlt")
    if head is not None and (head.seq != last_seq or head.hash != prev):
        return ChainReport(tenant_id, last_seq, last_seq + 1, "Ereignisse fehlen am Ende")
    if not last_seq and tenant_id in known_tenants():
        problem = "keine Ereignisse, obwohl der Mandant besteht (seine Anlage fehlt)"
        return ChainReport(tenant_id, 0, 1, problem)
    return ChainReport(tenant_id, last_seq, None, "", head_hash=prev)


def _next_key(old: str | None, new: str) -> str:
    """Why the chain may not go on from key ``old`` to key ``new``; "" if it may."""
    if old is not None and new < old:
        return f"Schlüssel {new} ist älter als der vorige ({old})"
    try:
        keys.signer(new)
    except keys.AuditKeyMissing as error:
        return str(error)
    return ""


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


def register_tenant_source(source: TenantSource) -> None:
    """Add a function listing Mandanten that must have a chain (called in AppConfig.ready)."""
    if source not in _tenant_sources:
        _tenant_sources.append(source)


def known_tenants() -> set[uuid.UUID]:
    return {uuid.UUID(str(tenant_id)) for source in _tenant_sources for tenant_id in source()}


def chain_tenants() -> list[uuid.UUID]:
    """Every Mandant whose chain is to be checked: those with a head, with an anchor
    file, or known to the registered sources, so a chain deleted with its head is found."""
    heads = AuditHead.objects.values_list("tenant_id", flat=True)
    return sorted({*heads, *anchors.anchored_tenants(), *known_tenants()})
