"""``<path>__under=p``: a unit path at or below the unit whose path is ``p`` (paths are
materialised, e.g. ``0001.0003.``), the test behind every access condition.

It means ``startswith``, compiled for speed on each database. SQLite: a range
``path >= p AND path < p'`` (``p`` with its last character raised by one), because a LIKE
with a bound parameter makes SQLite compile the statement again on every run (the start
page's task query took 0.5-0.7 ms instead of 0.05-0.08 ms) and never uses an index
(SQLite's LIKE ignores ASCII case). The range is exact under SQLite's default BINARY
collation. PostgreSQL and others: Django's ``LIKE 'p%'``, which a ``text_pattern_ops``
index serves; a range would be wrong there under a linguistic collation, which ignores
punctuation such as the dots of a path."""

from __future__ import annotations

from typing import Any

from django.db.models import CharField
from django.db.models.lookups import StartsWith


@CharField.register_lookup
class Under(StartsWith):
    lookup_name = "under"

    def as_sql(self, compiler: Any, connection: Any) -> tuple[str, tuple[str | int, ...]]:
        # The backends' operator tables know "startswith", not "under".
        return StartsWith(self.lhs, self.rhs).as_sql(compiler, connection)

    def as_sqlite(self, compiler: Any, connection: Any) -> tuple[str, tuple[str | int, ...]]:
        prefix = self.rhs
        if not isinstance(prefix, str) or not prefix:
            return self.as_sql(compiler, connection)
        lhs, lhs_params = self.process_lhs(compiler, connection)
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        return f"({lhs} >= %s AND {lhs} < %s)", (*lhs_params, prefix, *lhs_params, upper)
