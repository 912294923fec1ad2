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
from django.db.models import QuerySet

from koffer.placements.errors import Busy, NotFound
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


def _lock_rows(angebote: Iterable[Row], gesuche: Iterable[Row], load: bool) -> list[Platzgesuch]:
    """Lock the rows; with ``load`` returns the locked Platzgesuche, read whole by the
    lock's statement (on SQLite, where nothing is locked row by row, read plainly)."""
    if connection.vendor != "postgresql":  # SQLite: BEGIN IMMEDIATE serialises every writer.
        return _rows(Platzgesuch.objects.unscoped(), gesuche) if load else []
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
    # Fixed order (children before offers, each by Mandant and id) so two sections never
    # wait on each other in a circle.
    locked = _rows(Platzgesuch.objects.unscoped().select_for_update(), gesuche)
    _lock(Angebot, angebote)
    return locked


def _rows(query: QuerySet[Platzgesuch], rows: Iterable[Row]) -> list[Platzgesuch]:
    """The Platzgesuche named, one statement per Mandant (each on that Mandant's shard)."""
    found: list[Platzgesuch] = []
    for tenant_id, ids in _by_tenant(rows).items():
        found.extend(query.filter(tenant_id=tenant_id, pk__in=ids).order_by("pk"))
    return found


def _by_tenant(rows: Iterable[Row]) -> dict[UUID, list[UUID]]:
    by_tenant: dict[UUID, list[UUID]] = {}
    for tenant_id, pk in sorted(set(rows)):
        by_tenant.setdefault(tenant_id, []).append(pk)
    return by_tenant


def _lock(model: type[Angebot], rows: Iterable[Row]) -> None:
    """One statement per Mandant, filtered by tenant_id: on Citus each goes to that
    Mandant's shard (a FOR UPDATE across shards is refused there)."""
    for tenant_id, ids in _by_tenant(rows).items():
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
    return _section(lambda _locked: work(), list(angebote), list(gesuche), attempts, load=False)


def critical_for_gesuch(
    work: Callable[[Platzgesuch], T],
    *,
    gesuch: Row,
    angebote: Iterable[Row] = (),
    attempts: int = 2,
) -> T:
    """:func:`critical` for work on one Platzgesuch: ``work`` gets the row as its lock read
    it (whole, fresh, locked), instead of reading it once more after the lock."""

    def run(locked: list[Platzgesuch]) -> T:
        if not locked:
            raise NotFound("not_found", "Dieses Gesuch gibt es nicht.")
        return work(locked[0])

    return _section(run, list(angebote), [gesuch], attempts, load=True)


def _section(
    work: Callable[[list[Platzgesuch]], T],
    angebote: list[Row],
    gesuche: list[Row],
    attempts: int,
    *,
    load: bool,
) -> T:
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                return work(_lock_rows(angebote, gesuche, load))
        except OperationalError as exc:
            if not _is_lock_failure(exc):
                raise
            if attempt + 1 < attempts:
                time.sleep(0.05)
    raise Busy()
