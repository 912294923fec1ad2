"""PostgreSQL: a ``tsvector`` column (``german`` configuration, title weighted A, text B)
on the entry table with a GIN index, over the text in the search spelling
(``german.plain_words``); snippets are made in Python (``snippets``), as on SQLite.

The planner picks the plan: for a rare word the GIN index finds the few rows, for a common
one it walks ``(tenant_id, id)`` backwards and stops when the page is full. Ranking with
``ts_rank_cd`` reads every match's vector, so it is used only for narrow queries, as on
SQLite.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils.safestring import SafeString

from koffer.records.models import Dokument
from koffer.records.suche.backends.base import (
    ENTRY_TABLE,
    MAX_INDEXED_CHARS,
    Drive,
    EntryRow,
    Matches,
    documents_condition,
)
from koffer.records.suche.backends.german import plain_words
from koffer.records.suche.backends.query import ParsedQuery, Term
from koffer.tenancy.citus import on_citus

_UPSERT = f"""
INSERT INTO {ENTRY_TABLE} (tenant_id, dokument_id, version_id, indexed_at, tsv)
VALUES (%s, %s, %s, %s,
        setweight(to_tsvector('german', %s), 'A') || setweight(to_tsvector('german', %s), 'B'))
ON CONFLICT ON CONSTRAINT {ENTRY_TABLE}_dokument_id_key DO UPDATE SET
  version_id = EXCLUDED.version_id,
  indexed_at = EXCLUDED.indexed_at,
  tsv = EXCLUDED.tsv
"""  # noqa: S608 - constant table name
# The conflict is named by its constraint, not its column: on Citus that key is
# (tenant_id, dokument_id) (see koffer.tenancy.citus.schema), elsewhere (dokument_id). A
# document never changes its Mandant, so tenant_id (Citus' distribution column) is not set.


def tsquery_sql(query: ParsedQuery) -> tuple[str, list[Any]]:
    """A tsquery expression for ``query``: every term through a function that takes plain
    text (never ``to_tsquery`` on user input), AND-ed, negations with ``!!``."""
    parts: list[str] = []
    params: list[Any] = []
    for term in query.positive:
        sql, value = _term(term)
        parts.append(sql)
        params.append(value)
    for term in query.negative:
        sql, value = _term(term)
        parts.append(f"!!{sql}")
        params.append(value)
    return "(" + " && ".join(parts) + ")", params


def _term(term: Term) -> tuple[str, str]:
    # Everything reaches PostgreSQL in the search spelling (german.plain_words), as the index.
    if term.prefix:
        # The word holds letters and digits only, so ":*" is the only syntax in it; the
        # german configuration stems it as it stemmed the indexed words ("heizkosten:*" →
        # 'heizkost':*, which matches 'heizkostenabrechn').
        return "to_tsquery('german', %s)", f"{plain_words(term.words[0])}:*"
    if term.is_phrase:
        return "phraseto_tsquery('german', %s)", plain_words(term.raw)
    return "plainto_tsquery('german', %s)", plain_words(term.words[0])


def _clean(text: str) -> str:
    """The text as the index reads it: cut, in the search spelling, words only."""
    return plain_words(text[:MAX_INDEXED_CHARS])


class PostgresBackend:
    vendor = "postgresql"

    def upsert(self, rows: list[EntryRow]) -> None:
        params = [
            (
                r.tenant_id,
                r.dokument_id,
                r.version_id,
                r.indexed_at,
                _clean(r.title),
                _clean(r.body),
            )
            for r in rows
        ]
        with connection.cursor() as cursor:
            cursor.executemany(_UPSERT, params)

    def remove(self, dokument_ids: list[uuid.UUID]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                f"DELETE FROM {ENTRY_TABLE} WHERE dokument_id = ANY(%s)",  # noqa: S608
                [list(dokument_ids)],
            )

    def clear(self, tenant_id: uuid.UUID | None) -> None:
        with connection.cursor() as cursor:
            if tenant_id is None:
                cursor.execute(f"DELETE FROM {ENTRY_TABLE}")  # noqa: S608
            else:
                cursor.execute(
                    f"DELETE FROM {ENTRY_TABLE} WHERE tenant_id = %s",  # noqa: S608
                    [tenant_id],
                )

    def count_matches(self, tenant_id: uuid.UUID, query: ParsedQuery, cap: int) -> int:
        # The planner's estimate, from the lexeme statistics ANALYZE keeps for the tsvector
        # column: free, where counting even 5,000 matches reads 5,000 vectors (~80 ms).
        # Without statistics (a fresh database) it guesses low, so the first searches rank.
        q, q_params = tsquery_sql(query)
        if on_citus(connection):
            # Citus: counted, up to the cap. Its EXPLAIN of a distributed query cannot run in
            # a transaction that already read a reference table on the coordinator ("cannot
            # switch local execution status"), and its top node estimates 0 rows anyway. It
            # stops after ``cap`` matches, one Mandant's shard.
            sql = (
                f"SELECT count(*) FROM (SELECT 1 FROM {ENTRY_TABLE} e "  # noqa: S608
                f"WHERE e.tenant_id = %s AND e.tsv @@ {q} LIMIT %s) AS capped"
            )
            with connection.cursor() as cursor:
                cursor.execute(sql, [tenant_id, *q_params, cap])
                return int(cursor.fetchone()[0])
        sql = (
            f"EXPLAIN (FORMAT JSON) SELECT 1 FROM {ENTRY_TABLE} e "  # noqa: S608
            f"WHERE e.tenant_id = %s AND e.tsv @@ {q}"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [tenant_id, *q_params])
            plan = cursor.fetchone()[0]
        if isinstance(plan, str):
            plan = json.loads(plan)
        return min(cap, int(plan[0]["Plan"]["Plan Rows"]))

    def matches(
        self,
        *,
        tenant_id: uuid.UUID,
        query: ParsedQuery,
        documents: QuerySet[Dokument],
        drive: Drive,
        ranked: bool,
        limit: int,
    ) -> Matches:
        condition, condition_params = documents_condition(documents, drive)
        if drive == "index":
            # OFFSET 0 keeps the subquery a per-row check instead of a semi-join, so for a
            # common word the plan walks the entries newest first and stops at the LIMIT
            # (a semi-join would first collect every visible document of the Mandant).
            condition = condition[:-1] + " OFFSET 0)"
        if query.is_empty:
            sql = (
                f"SELECT e.dokument_id, NULL FROM {ENTRY_TABLE} e "  # noqa: S608
                f"WHERE e.tenant_id = %s AND {condition} ORDER BY e.id DESC LIMIT %s"
            )
            params: list[Any] = [tenant_id, *condition_params, limit]
        else:
            q, q_params = tsquery_sql(query)
            score = f"ts_rank_cd(e.tsv, {q}), count(*) OVER ()" if ranked else "NULL, NULL"
            order = "2 DESC, e.id DESC" if ranked else "e.id DESC"
            sql = (
                f"SELECT e.dokument_id, {score} FROM {ENTRY_TABLE} e "  # noqa: S608
                f"WHERE e.tenant_id = %s AND e.tsv @@ {q} AND {condition} "
                f"ORDER BY {order} LIMIT %s"
            )
            params = [
                *(q_params if ranked else []),
                tenant_id,
                *q_params,
                *condition_params,
                limit,
            ]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return Matches(
            dokument_ids=[r[0] for r in rows],
            scores=[float(r[1]) if r[1] is not None else None for r in rows],
        )

    def headlines(
        self, query: ParsedQuery, version_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, SafeString] | None:
        # Computed in Python from the original text, as on SQLite: ts_headline would read
        # the text unfolded ("Yılmaz") and miss what the folded query matched, and it cuts
        # fragments without saying so.
        return None
