"""Gap-free human-facing numbers of one Mandant: Aktenzeichen, BG-Nummer, Gesuch,
Rechnung and Meldung numbers all count here, one row per key.

The counter row is incremented inside the caller's transaction: PostgreSQL holds the row
lock until commit, SQLite's IMMEDIATE transactions serialise writers, so concurrent
creations queue up instead of taking the same number, and a rollback gives the number back.
"""

from __future__ import annotations

import uuid

from django.db import connection, transaction

from koffer.tenancy.models import Counter


def next_value(tenant_id: uuid.UUID, key: str) -> int:
    """Increment and return the counter ``key``; must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value muss innerhalb einer Transaktion laufen")
    # The row appears on first use; a concurrent first use loses the insert quietly and
    # then waits for the winner's row lock in the UPDATE below.
    Counter.objects.bulk_create(
        [Counter(tenant_id=tenant_id, key=key, value=0)], ignore_conflicts=True
    )
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Counter._meta.db_table} SET value = value + 1"  # noqa: S608
            " WHERE tenant_id = %s AND key = %s RETURNING value",
            [tenant_id.hex if connection.vendor == "sqlite" else tenant_id, key],
        )
        row = cursor.fetchone()
    return int(row[0])
