"""Prepared statements for a stretch of repetitive database work (a serial letter's job).

Django's PostgreSQL backend binds parameters on the client by default: every statement
is sent as text with its values quoted in, so the server parses and plans it anew each
time, and psycopg quotes every value in Python. A job that runs the same dozen statements
for thousands of letters pays both on every letter. Within :func:`prepared` the
connection binds parameters on the server instead, and psycopg prepares a statement
after its ``threshold``-th run, so the server parses and plans it once (cut for the
serial letter on PostgreSQL: see docs/benchmarks.md, issue 16).

Only for the block and only on plain PostgreSQL: the setting is not made global, because
server-side binding refuses a few constructs client-side binding accepts (a parameter
where PostgreSQL cannot infer its type, parameters in a GROUP BY). The code inside the
block is tested on PostgreSQL; SQLite and Citus are left as they are.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator

from django.db import connection

_PLAIN = "django.db.backends.postgresql"


@contextlib.contextmanager
def prepared(threshold: int = 2) -> Iterator[None]:
    """Within the block, statements on the default connection use server-side binding
    and are prepared from their ``threshold``-th run (plain PostgreSQL only)."""
    if connection.settings_dict.get("ENGINE") != _PLAIN or connection.settings_dict.get(
        "OPTIONS", {}
    ).get("server_side_binding"):
        yield
        return
    from django.db.backends.postgresql.base import ServerBindingCursor

    connection.ensure_connection()
    raw = connection.connection
    factory, before = raw.cursor_factory, raw.prepare_threshold
    raw.cursor_factory = ServerBindingCursor
    raw.prepare_threshold = threshold
    try:
        yield
    finally:
        if not raw.closed:
            raw.cursor_factory = factory
            raw.prepare_threshold = before
