"""Walking the chain: recompute every hash and link, report the first break."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from koffer.audit.chain import HASHED_FIELDS, event_hash
from koffer.audit.models import GENESIS_HASH, AuditEvent, AuditHead

CHUNK = 5000


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
    columns = (*HASHED_FIELDS, "hash")
    expected_seq = 1
    prev = GENESIS_HASH
    last_seq = 0
    while True:
        rows = list(
            AuditEvent.objects.filter(tenant_id=tenant_id, seq__gte=expected_seq)
            .order_by("seq")
            .values_list(*columns)[:CHUNK]
        )
        if not rows:
            break
        for row in rows:
            fields = dict(zip(columns, row, strict=True))
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


def chain_tenants() -> list[uuid.UUID]:
    return list(AuditHead.objects.order_by("tenant_id").values_list("tenant_id", flat=True))
