"""The critical section of the Platzbörse, after pretix's quota lock.

Everything that gives or takes a place runs inside :func:`critical`: one transaction whose
first statement locks the Angebot row (PostgreSQL, with ``lock_timeout``) or takes the
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


def _lock_rows(angebot_ids: Iterable[UUID], gesuch_ids: Iterable[UUID]) -> None:
    if connection.vendor != "postgresql":
        return  # SQLite: BEGIN IMMEDIATE already serialises every writer.
    with connection.cursor() as cursor:
        cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_TIMEOUT_MS}ms'")
    # Fixed order (children before offers, each sorted) so two sections never wait on
    # each other in a circle.
    gesuche = sorted(set(gesuch_ids))
    if gesuche:
        list(
            Platzgesuch.objects.unscoped()
            .select_for_update()
            .filter(pk__in=gesuche)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    angebote = sorted(set(angebot_ids))
    if angebote:
        list(
            Angebot.objects.unscoped()
            .select_for_update()
            .filter(pk__in=angebote)
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def critical(
    work: Callable[[], T],
    *,
    angebote: Iterable[UUID] = (),
    gesuche: Iterable[UUID] = (),
    attempts: int = 2,
) -> T:
    """Run ``work`` in one transaction holding the locks of the named Angebote and
    Platzgesuche; retry once when the lock is busy, then raise :class:`Busy`."""
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
