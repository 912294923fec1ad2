"""Gap-free human-facing numbers (Aktenzeichen, BG-Nummer).

The counter row is incremented inside the caller's transaction: PostgreSQL holds the row
lock until commit, SQLite's IMMEDIATE transactions serialise writers, so concurrent
creations queue up instead of taking the same number, and a rollback gives the number back.
"""

from __future__ import annotations

import string
import uuid
from datetime import date
from typing import Any

from django.db import connection, transaction

from koffer.records.models import Counter


class PatternError(ValueError):
    """The Aktenzeichen pattern names a field we do not know."""


ALLOWED_FIELDS = {"kennzeichen", "jahr", "lfd", "einheit"}


def next_value(tenant_id: uuid.UUID, key: str) -> int:
    """Increment and return the counter ``key``; must run inside the caller's transaction."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("next_value muss innerhalb einer Transaktion laufen")
    Counter.objects.bulk_create(
        [Counter(tenant_id=tenant_id, key=key, value=0)], ignore_conflicts=True
    )
    table = Counter._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET value = value + 1 WHERE tenant_id = %s AND key = %s RETURNING value",  # noqa: S608
            [tenant_id.hex if connection.vendor == "sqlite" else tenant_id, key],
        )
        row = cursor.fetchone()
    return int(row[0])


def validate_pattern(pattern: str) -> None:
    fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name}
    unknown = fields - ALLOWED_FIELDS
    if unknown:
        raise PatternError(f"Unbekannte Platzhalter im Muster: {', '.join(sorted(unknown))}")
    if "lfd" not in fields:
        raise PatternError("Das Muster braucht die laufende Nummer {lfd}.")


def format_aktenzeichen(
    pattern: str, *, kennzeichen: str, year: int, lfd: int, einheit: str = ""
) -> str:
    values: dict[str, Any] = {
        "kennzeichen": kennzeichen,
        "jahr": year,
        "lfd": lfd,
        "einheit": einheit,
    }
    return pattern.format(**values)


def aktenzeichen_key(aktenplaneinheit_id: uuid.UUID, on: date) -> str:
    return f"az:{aktenplaneinheit_id}:{on.year}"
