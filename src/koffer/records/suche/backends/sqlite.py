"""SQLite: an FTS5 table over stems made in Python (see ``german``).

``records_search_fts`` is an external-content FTS5 table whose content is the stem stream
kept in ``records_search_text`` (``title_stems``, ``body_stems``); triggers on that table
keep the two in step, so deleting a Dokument (the foreign keys cascade to its entry and
text) also removes its words from the index, exactly. The FTS rowid is the entry's id;
the entry table itself stays small, so the permission check of thousands of candidates
reads few pages.

Ordering: bm25 has to score every match before it can sort, about 1.5 µs each, so it is
used only when the query matches at most ``RANK_MAX`` documents; broader queries come
newest first, which FTS5 streams in rowid order and stops after the page is full.
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils.safestring import SafeString

from koffer.records.models import Dokument
from koffer.records.suche.backends import german
from koffer.records.suche.backends.base import (
    ENTRY_TABLE,
    MAX_INDEXED_CHARS,
    Drive,
    EntryRow,
    Matches,
    documents_condition,
)
from koffer.records.suche.backends.query import ParsedQuery, Term

FTS_TABLE = "records_search_fts"
# Prefix lengths FTS5 keeps a doclist of its own for (``prefix=`` of migration 0007): a
# prefix of such a length is one list that streams newest first; any other prefix makes
# FTS5 merge the lists of every word that starts so (``Widerspr*``: ~1,900 words, 0.4 s at
# a million documents). Every word of four letters or more is a prefix query now.
PREFIX_LENGTHS = range(3, 13)
# bm25 weights of the columns: a word in the title counts four times a word in the text.
TITLE_WEIGHT = 4.0
BODY_WEIGHT = 1.0

TEXT_TABLE = "records_search_text"

_UPSERT_ENTRY = f"""
INSERT INTO {ENTRY_TABLE} (tenant_id, dokument_id, version_id, indexed_at)
VALUES (%s, %s, %s, %s)
ON CONFLICT (dokument_id) DO UPDATE SET
  tenant_id = excluded.tenant_id,
  version_id = excluded.version_id,
  indexed_at = excluded.indexed_at
RETURNING id
"""  # noqa: S608 - constant table names
_UPSERT_TEXT = f"""
INSERT INTO {TEXT_TABLE} (id, title_stems, body_stems) VALUES (%s, %s, %s)
ON CONFLICT (id) DO UPDATE SET
  title_stems = excluded.title_stems,
  body_stems = excluded.body_stems
"""  # noqa: S608 - constant table names


def fts_expression(query: ParsedQuery) -> str:
    """The FTS5 query for ``query``: every term quoted (so nothing is syntax), AND-ed, the
    negated ones subtracted with NOT."""
    positive = " AND ".join(_term(t) for t in query.positive)
    negative = " OR ".join(_term(t) for t in query.negative)
    return f"({positive}) NOT ({negative})" if negative else positive


def _term(term: Term) -> str:
    # Stems hold letters and digits only (german.WORD), so no quote can appear inside.
    if term.prefix:
        prefix = term.prefix
        if len(prefix) in PREFIX_LENGTHS:
            return f'"{prefix}"*'
        # Longer: the indexed prefix streams, the full one narrows (few words start so).
        return f'("{prefix[: PREFIX_LENGTHS[-1]]}"* AND "{prefix}"*)'
    return '"' + " ".join(term.stems) + '"'


def stem_stream(text: str) -> str:
    return " ".join(german.stems(text[:MAX_INDEXED_CHARS]))


class SqliteBackend:
    vendor = "sqlite"

    def upsert(self, rows: list[EntryRow]) -> None:
        adapt = connection.ops.adapt_datetimefield_value
        with connection.cursor() as cursor:
            for r in rows:
                cursor.execute(
                    _UPSERT_ENTRY,
                    [r.tenant_id.hex, r.dokument_id.hex, r.version_id.hex, adapt(r.indexed_at)],
                )
                entry_id = cursor.fetchone()[0]
                cursor.execute(_UPSERT_TEXT, [entry_id, stem_stream(r.title), stem_stream(r.body)])

    def remove(self, dokument_ids: list[uuid.UUID]) -> None:
        with connection.cursor() as cursor:
            cursor.executemany(
                f"DELETE FROM {ENTRY_TABLE} WHERE dokument_id = %s",  # noqa: S608
                [(d.hex,) for d in dokument_ids],
            )

    def clear(self, tenant_id: uuid.UUID | None) -> None:
        with connection.cursor() as cursor:
            if tenant_id is None:
                cursor.execute(f"DELETE FROM {ENTRY_TABLE}")  # noqa: S608
            else:
                cursor.execute(
                    f"DELETE FROM {ENTRY_TABLE} WHERE tenant_id = %s",  # noqa: S608
                    [tenant_id.hex],
                )

    def rebuild_fts(self) -> None:
        """Rebuild the FTS index from the stems in the entry table (after bulk loads)."""
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")  # noqa: S608

    def optimize(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('optimize')")  # noqa: S608

    def count_matches(self, tenant_id: uuid.UUID, query: ParsedQuery, cap: int) -> int:
        # Across Mandanten: an upper bound, and FTS5 streams it without touching any row.
        sql = (
            f"SELECT count(*) FROM (SELECT rowid FROM {FTS_TABLE} "  # noqa: S608
            f"WHERE {FTS_TABLE} MATCH %s LIMIT %s)"
        )
        with connection.cursor() as cursor:
            cursor.execute(sql, [fts_expression(query), cap])
            return int(cursor.fetchone()[0])

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
        params: list[Any]
        if query.is_empty:
            tenant = "e.tenant_id" if drive == "index" else "+e.tenant_id"
            sql = (
                f"SELECT e.dokument_id, NULL FROM {ENTRY_TABLE} AS e "  # noqa: S608
                f"WHERE {tenant} = %s AND {condition} ORDER BY e.id DESC LIMIT %s"
            )
            params = [tenant_id.hex, *condition_params, limit]
        else:
            score = f"bm25({FTS_TABLE}, {TITLE_WEIGHT}, {BODY_WEIGHT})" if ranked else "NULL"
            # Newest first is the FTS rowid order when the index drives: FTS5 streams it
            # backwards and the LIMIT stops the scan early.
            newest = f"{FTS_TABLE}.rowid DESC" if drive == "index" else "e.id DESC"
            order = f"2, {newest}" if ranked else newest
            # CROSS JOIN fixes the join order: the side that narrows most goes first.
            tables = (
                f"{FTS_TABLE} CROSS JOIN {ENTRY_TABLE} AS e"
                if drive == "index"
                else f"{ENTRY_TABLE} AS e CROSS JOIN {FTS_TABLE}"
            )
            # "+e.tenant_id": the tenant index must not drive (it holds the whole Mandant).
            sql = (
                f"SELECT e.dokument_id, {score} FROM {tables} "  # noqa: S608
                f"WHERE {FTS_TABLE} MATCH %s AND {FTS_TABLE}.rowid = e.id "
                f"AND +e.tenant_id = %s AND {condition} ORDER BY {order} LIMIT %s"
            )
            params = [fts_expression(query), tenant_id.hex, *condition_params, limit]
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
        return Matches(
            dokument_ids=[uuid.UUID(r[0]) for r in rows],
            scores=[-float(r[1]) if r[1] is not None else None for r in rows],
        )

    def headlines(
        self, query: ParsedQuery, version_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, SafeString] | None:
        return None
