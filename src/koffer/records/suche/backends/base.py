"""What every search backend does, and the parts of the SQL they share.

The index is one table, ``records_search_entry``: one row per Dokument (its current
version), with an integer id that grows as documents enter the index. Both backends answer
the same question in ONE statement: the ids of documents that match the query, pass the
filters and the permission condition, newest first or best first. The filters and the
permission condition come from the ORM (a Dokument queryset), compiled into that statement
as a correlated ``EXISTS`` (the index drives: few candidates per hit) or as
``IN (...)`` (the filters drive: a narrow set of documents, each probed in the index).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, Protocol

from django.db.models import QuerySet
from django.db.models.expressions import RawSQL
from django.utils.safestring import SafeString

from koffer.records.models import Dokument
from koffer.records.suche.backends.query import ParsedQuery

ENTRY_TABLE = "records_search_entry"
# Beyond this, a text is not indexed any further (a 500-page OCR result, a log file).
MAX_INDEXED_CHARS = 500_000

Drive = Literal["index", "filters"]


@dataclass(frozen=True)
class EntryRow:
    """What the index holds for one document."""

    tenant_id: uuid.UUID
    dokument_id: uuid.UUID
    version_id: uuid.UUID
    title: str  # title, kind and sender of the Dokument
    body: str  # the version's text
    indexed_at: datetime


@dataclass(frozen=True)
class Matches:
    dokument_ids: list[uuid.UUID]  # best first
    scores: list[float | None]


class SearchBackend(Protocol):
    vendor: str

    def upsert(self, rows: list[EntryRow]) -> None:
        """Make the rows findable, replacing what the index held for their documents."""

    def remove(self, dokument_ids: list[uuid.UUID]) -> None: ...

    def clear(self, tenant_id: uuid.UUID | None) -> None: ...

    def count_matches(self, tenant_id: uuid.UUID, query: ParsedQuery, cap: int) -> int:
        """Documents matching ``query`` in the whole Mandant (no other filter), up to ``cap``:
        cheap, it decides whether ranking by relevance is affordable."""

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
        """Ids of the visible documents (``documents``) matching ``query`` (all of them when
        the query is empty), best first when ``ranked``, else newest first."""

    def headlines(
        self, query: ParsedQuery, version_ids: list[uuid.UUID]
    ) -> dict[uuid.UUID, SafeString] | None:
        """Snippets computed by the database (HTML, marks only), or None: compute in Python."""


def documents_condition(documents: QuerySet[Dokument], drive: Drive) -> tuple[str, list[Any]]:
    """SQL condition on the entry alias ``e`` that admits exactly ``documents``."""
    base = documents.order_by()
    if drive == "filters":
        sql, params = base.values("pk").query.sql_with_params()
        return f"e.dokument_id IN ({sql})", list(params)
    # The entry's Mandant too: on Citus a correlated check must match the distribution column.
    same_entry = base.filter(pk=RawSQL("e.dokument_id", ()), tenant_id=RawSQL("e.tenant_id", ()))
    correlated = same_entry.values("pk")
    sql, params = correlated.query.sql_with_params()
    return f"EXISTS ({sql})", list(params)
