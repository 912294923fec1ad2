"""Full-text search backends: SQLite FTS5 (default) and PostgreSQL full text, chosen by the
database in use. ``koffer.records.suche.services`` is the only caller."""

from __future__ import annotations

from django.db import connection

from koffer.records.suche.backends.base import SearchBackend
from koffer.records.suche.backends.postgresql import PostgresBackend
from koffer.records.suche.backends.sqlite import SqliteBackend


def get_backend() -> SearchBackend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    return SqliteBackend()
