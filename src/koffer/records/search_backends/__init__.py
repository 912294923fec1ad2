"""Full-text search backends: SQLite FTS5 (default) and PostgreSQL full text, chosen by the
database in use. ``koffer.records.search`` is the only caller."""

from __future__ import annotations

from django.db import connection

from koffer.records.search_backends.base import SearchBackend
from koffer.records.search_backends.postgresql import PostgresBackend
from koffer.records.search_backends.sqlite import SqliteBackend


def get_backend() -> SearchBackend:
    if connection.vendor == "postgresql":
        return PostgresBackend()
    return SqliteBackend()
