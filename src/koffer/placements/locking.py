"""The critical section of the Platzbörse, after pretix's quota lock.

Everything that gives or takes a place runs inside :func:`critical`: one transaction whose
first statements lock the Angebot (and Gesuch) rows, each by Mandant and id (PostgreSQL,
with ``lock_timeout``; on Citus each statement goes to one Mandant's shard) or take the
database write lock (SQLite, ``BEGIN IMMEDIATE`` with the busy timeout). A lock that stays
busy past the timeout is retried once, then answered with :class:`Busy` ("bitte erneut
versuchen"), never with a wait without end.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from typing import TypeVar
from uuid import UUID

from django.conf import settings
from django.db import OperationalError, connection, transaction

from koffer.placements.errors import Busy
from koffer.placements.models import Angebot, Platzgesuch

T = TypeVar("T")
# A row to lock, named by its Mandant and id: (tenant_id, id).
Row = tuple[UUID, UUID]

LOCK_TIMEOUT_MS = int(getattr(settings, "KOFFER_PLACEMENTS_LOCK_TIMEOUT_MS", 2000))


def _is_lock_failure(exc: OperationalError) -> bool:
    text = str(exc).lower()
    return (
        "database is locked" in text
        or "lock timeout" in text
        or "deadlock" in text
        or "could not obtain lock" in text
        or "canceling statement due to lock timeout" in text
    )


def _lock_rows(angebote: Iterable[Row], gesuche: Iterable[Row]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already serialises every writer.
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
    # Fixed order (children before offers, each by Mandant and id) so two sections never
    # wait on each other in a circle.
    _lock(Platzgesuch, gesuche)
    _lock(Angebot, angebote)


def _lock(model: type[Angebot] | type[Platzgesuch], rows: Iterable[Row]) -> None:
    """One statement per Mandant, filtered by tenant_id: on Citus each goes to that
    Mandant's shard (a FOR UPDATE across shards is refused there)."""
    by_tenant: dict[UUID, list[UUID]] = {}
    for tenant_id, pk in sorted(set(rows)):
        by_tenant.setdefault(tenant_id, []).append(pk)
    for tenant_id, ids in by_tenant.items():
        list(
            model.objects.unscoped()
            .select_for_update()
            .filter(tenant_id=tenant_id, pk__in=ids)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def critical(
    work: Callable[[], T],
    *,
    angebote: Iterable[Row] = (),
    gesuche: Iterable[Row] = (),
    attempts: int = 2,
) -> T:
    """Run ``work`` in one transaction holding the locks of the named Angebote and
    Platzgesuche, each named ``(tenant_id, id)``; retry once when the lock is busy, then
    raise :class:`Busy`."""
    angebot_ids = list(angebote)
    gesuch_ids = list(gesuche)
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                _lock_rows(angebot_ids, gesuch_ids)
                return work()
        except OperationalError as exc:
            if not _is_lock_failure(exc):
                raise
            if attempt + 1 < attempts:
                time.sleep(0.05)
    raise Busy()
