"""Gap-free numbers per Mandant (Gesuch, Rechnung, Meldung): one counter row per key."""

from __future__ import annotations

import uuid

from django.db import connection, transaction

from koffer.placements.models import Zaehler


def next_number(tenant_id: uuid.UUID, key: str) -> int:
    """Increment and return the gap-free counter ``key``; runs in the caller's transaction
    (the row lock, or SQLite's write lock, holds until commit; a rollback returns it)."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_number muss innerhalb einer Transaktion laufen")
    Zaehler.objects.bulk_create(
        [Zaehler(tenant_id=tenant_id, key=key, value=0)], ignore_conflicts=True
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Zaehler._meta.db_table} SET value = value + 1"  # noqa: S608
            " WHERE tenant_id = %s AND key = %s RETURNING value",
            [tenant_id.hex if connection.vendor == "sqlite" else tenant_id, key],
        )
        row = cursor.fetchone()
    return int(row[0])
