"""Full-text search over the E-Akte's documents and the quick finder for Akten.

``index_version(version)`` is called by the document pipeline inside its transaction
whenever a version's text becomes known (and after a change of title, kind or sender);
only the CURRENT version of a document is findable, a new version replaces the old text.
Cancelled (stornierte) documents stay findable and are marked: a Storno keeps the
document in the file, and a caseworker must be able to find that it existed. Deleting a
Dokument (retention) removes its entry through the foreign key.

``search(viewer, query, filters)`` answers in one statement: the full-text match, the
filters and the permission condition (``records.access.akten_q``) are all inside the
query, so an ordinary caseworker waits no longer than an administrator, and nothing of
an Akte the viewer may not see (title, snippet, count) ever leaves the database. Reading
a result list is not opening a document, so it writes no audit event.

Ordering: by relevance when the words are rare enough to score every match cheaply
(``RANK_MAX``), else newest first (what the index streams, stopping at the page).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from typing import Any, Literal, TypeVar

from django.db import connection, transaction
from django.db.models import CharField, F, Func, Model, Q, QuerySet, UUIDField
from django.db.models.functions import Collate, Substr
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from koffer.accounts.roles import Perm
from koffer.records.access import akten_q
from koffer.records.models import (
    Akte,
    AkteSubjekt,
    Bedarfsgemeinschaft,
    Dokument,
    DokumentVersion,
    Person,
    VorgangTyp,
)
from koffer.records.selectors import Viewer
from koffer.records.suche.backends import get_backend
from koffer.records.suche.backends.base import ENTRY_TABLE, Drive, EntryRow
from koffer.records.suche.backends.folding import fold
from koffer.records.suche.backends.query import ParsedQuery, parse
from koffer.records.suche.backends.snippets import MAX_SCAN_CHARS, Highlighter, snippet
from koffer.tenancy.scoping import db_uuid

# Hits counted and paged through at most; beyond, the page says "mehr als 200".
COUNT_CAP = 200
# Ranking by relevance has to check every match (permission, filters) before it can sort;
# newest first stops after COUNT_CAP visible hits, which for a caseworker who sees a tenth
# of the Akten means about 2,000 candidates. Up to that many matches ranking costs no more.
RANK_MAX = 2000
# With a narrow filter (Aktenzeichen, BG, person) and up to this many documents left, the
# filters drive and each document is looked up in the index.
FILTER_DRIVE_MAX = 20_000
FINDER_LIMIT = 10
# Rows of one index range the finder looks at per step (BG-Nummern, persons).
FINDER_SCAN = 200
FINDER_MIN_CHARS = 2
# A part of an Aktenzeichen (not its beginning) is looked for from this many characters on.
AZ_PART_MIN_CHARS = 3

Order = Literal["relevanz", "neueste"]
_M = TypeVar("_M", bound=Model)


# --- Indexing ---------------------------------------------------------------------------------


def index_version(version: DokumentVersion) -> None:
    """Make ``version``'s text (and its document's title, kind and sender) findable,
    replacing what the index held for the document. An older version (the document has
    moved on) is ignored: only the current version is findable."""
    dokument = version.dokument
    if dokument.current_version_id not in (None, version.pk):
        return
    get_backend().upsert([_entry(dokument, version)])


def index_versions(versions: Sequence[DokumentVersion]) -> None:
    """:func:`index_version` for many new versions at once (a serial letter's chunk),
    each its document's current one."""
    rows = [
        _entry(v.dokument, v) for v in versions if v.dokument.current_version_id in (None, v.pk)
    ]
    if rows:
        get_backend().upsert(rows)


def index_dokument(dokument: Dokument) -> None:
    """Index the document's current version again (e.g. after its title changed)."""
    version = dokument.current_version
    if version is None:
        return
    version.dokument = dokument
    index_version(version)


def remove_dokument(dokument_id: uuid.UUID) -> None:
    """Take a document out of the index (deleting it does this by itself)."""
    get_backend().remove([dokument_id])


def reindex(tenant_id: uuid.UUID | None = None, *, batch: int = 500) -> int:
    """Index every document with a current version again (all Mandanten when None), in
    batches, each in its own transaction; returns how many. For repairs and upgrades."""
    documents = (
        Dokument.objects.unscoped() if tenant_id is None else Dokument.objects.for_tenant(tenant_id)
    )
    documents = (
        documents.filter(current_version__isnull=False)
        .select_related("current_version")
        .order_by("created_at", "pk")
    )
    backend = get_backend()
    count = 0
    rows: list[EntryRow] = []
    for dokument in documents.iterator(chunk_size=batch):
        assert dokument.current_version is not None
        rows.append(_entry(dokument, dokument.current_version))
        if len(rows) == batch:
            count += _flush(backend.upsert, rows)
    count += _flush(backend.upsert, rows)
    return count


def index_dokumente(
    tenant_id: uuid.UUID, dokument_ids: list[uuid.UUID], *, batch: int = 500
) -> int:
    """Index these documents' current versions (title, kind, sender and the text the
    version has), in batches, in the caller's transaction; returns how many. For rows
    written in bulk without the pipeline (a Koffer importing its checkout package)."""
    backend = get_backend()
    count = 0
    for start in range(0, len(dokument_ids), batch):
        documents = (
            Dokument.objects.for_tenant(tenant_id)
            .filter(pk__in=dokument_ids[start : start + batch], current_version__isnull=False)
            .select_related("current_version")
        )
        rows = [_entry(d, d.current_version) for d in documents if d.current_version is not None]
        if rows:
            backend.upsert(rows)
        count += len(rows)
    return count


def clear(tenant_id: uuid.UUID | None = None) -> None:
    get_backend().clear(tenant_id)


def index_status(tenant_id: uuid.UUID | None = None) -> dict[str, int]:
    """How many documents have a current version, and how many of them the index holds
    with exactly that version (a difference means: run ``manage.py search_index``)."""
    documents = (
        Dokument.objects.unscoped() if tenant_id is None else Dokument.objects.for_tenant(tenant_id)
    )
    expected = documents.filter(current_version__isnull=False).count()
    sql = (
        f"SELECT count(*) FROM {ENTRY_TABLE} e JOIN records_dokument d "  # noqa: S608
        "ON d.tenant_id = e.tenant_id AND d.id = e.dokument_id "
        "AND d.current_version_id = e.version_id"
    )
    params: list[Any] = []
    if tenant_id is not None:
        sql += " WHERE e.tenant_id = %s"
        params.append(db_uuid(tenant_id))
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        current = int(cursor.fetchone()[0])
    return {"documents": expected, "indexed": current}


def _flush(upsert: object, rows: list[EntryRow]) -> int:
    if not rows:
        return 0
    with transaction.atomic():
        upsert(rows)  # type: ignore[operator]
    n = len(rows)
    rows.clear()
    return n


def _entry(dokument: Dokument, version: DokumentVersion) -> EntryRow:
    return EntryRow(
        tenant_id=dokument.tenant_id,
        dokument_id=dokument.pk,
        version_id=version.pk,
        title=" ".join(p for p in (dokument.title, dokument.kind, dokument.sender) if p),
        body=version.text or "",
        indexed_at=timezone.now(),
    )


# --- Searching documents ----------------------------------------------------------------------


@dataclass(frozen=True)
class SearchFilters:
    """Plain SQL conditions, combined with the match and the permission condition."""

    aktenzeichen: str = ""  # prefix, case-insensitive for letters
    person: str = ""  # "Familienname", "Familienname, Vorname" or "Vorname Familienname"
    birth_date: date | None = None
    bg_nummer: str = ""  # prefix
    kind: str = ""  # Dokumentart, exact
    received_from: date | None = None
    received_to: date | None = None
    created_from: date | None = None
    created_to: date | None = None
    vorgang_typ: str = ""  # VorgangTyp.code (across modules: all Widersprüche)
    status: str = ""  # Dokument.Status
    akte_status: str = ""  # Akte.Status

    def any(self) -> bool:
        return any(getattr(self, f.name) not in ("", None) for f in fields(self))

    @property
    def selective(self) -> bool:
        """Filters that usually leave few documents (those of a few Akten)."""
        return bool(self.aktenzeichen or self.person or self.birth_date or self.bg_nummer)


@dataclass(frozen=True)
class SearchHit:
    dokument_id: uuid.UUID
    title: str
    title_html: SafeString
    kind: str
    cancelled: bool
    status_label: str
    received_on: date | None
    created_at: datetime
    akte_id: uuid.UUID
    aktenzeichen: str
    akte_title: str
    vorgang: str
    snippet: SafeString
    score: float | None


@dataclass
class SearchResult:
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0  # hits found (at most COUNT_CAP unless ranked)
    more: bool = False  # there are more than ``total``
    order: Order = "neueste"
    offset: int = 0
    limit: int = 25
    searched: bool = False  # a search ran (False: nothing was asked, or the input was unusable)
    message: str | None = None  # German note on the input (ignored words, unusable query)
    invalid: bool = False  # the input could not be searched at all

    @property
    def has_next(self) -> bool:
        return self.offset + self.limit < self.total

    @property
    def has_previous(self) -> bool:
        return self.offset > 0


def search(
    viewer: Viewer,
    query: str,
    filters: SearchFilters | None = None,
    *,
    limit: int = 25,
    offset: int = 0,
) -> SearchResult:
    """Documents the viewer may see that match ``query`` (all words, stemmed) and
    ``filters``, with highlighted snippets. An empty query with filters lists the
    filtered documents, newest first. Never raises on user input."""
    filters = filters or SearchFilters()
    parsed = parse(query)
    limit = max(1, min(limit, 100))
    offset = max(0, min(offset, COUNT_CAP))
    message = _input_message(parsed)
    if parsed.is_empty and not filters.any():
        return SearchResult(limit=limit, message=message, invalid=message is not None)
    if viewer.access.tenant_id is None or not viewer.access.can(Perm.RECORDS_VIEW):
        return SearchResult(limit=limit, searched=True, message=message)
    if parsed.is_empty:
        parsed = ParsedQuery(terms=())
    drive = _drive(viewer, filters)
    if drive is None:
        return SearchResult(limit=limit, offset=offset, searched=True, message=message)
    documents = _documents(viewer, filters, drive)
    backend = get_backend()
    tenant_id = viewer.tenant_id
    ranked = (
        not parsed.is_empty and backend.count_matches(tenant_id, parsed, RANK_MAX + 1) <= RANK_MAX
    )
    # Ranked: every visible match (at most RANK_MAX), so the count is exact. Newest first:
    # one more than COUNT_CAP, enough to say "more than".
    found = backend.matches(
        tenant_id=tenant_id,
        query=parsed,
        documents=documents,
        drive=drive,
        ranked=ranked,
        limit=RANK_MAX if ranked else COUNT_CAP + 1,
    )
    ids = found.dokument_ids
    scores = dict(zip(ids, found.scores, strict=True))
    if ranked:
        total, more = len(ids), False
    else:
        total, more = min(len(ids), COUNT_CAP), len(ids) > COUNT_CAP
        ids = ids[:COUNT_CAP]
    page = ids[offset : offset + limit]
    return SearchResult(
        hits=_hits(viewer, parsed, page, scores),
        total=total,
        more=more,
        order="relevanz" if ranked else "neueste",
        offset=offset,
        limit=limit,
        searched=True,
        message=message,
    )


def _input_message(parsed: ParsedQuery) -> str | None:
    problem = parsed.problem()
    if problem:
        return problem
    if parsed.ignored:
        words = ", ".join(f"„{w}“" for w in parsed.ignored[:5])
        return (
            f"Nicht gesucht wurde nach sehr häufigen Wörtern und überzähligen Begriffen: {words}."
        )
    return None


def _documents(viewer: Viewer, f: SearchFilters, drive: Drive) -> QuerySet[Dokument]:
    """The documents the viewer may see that pass the filters, shaped for the plan: when the
    index drives, each candidate is checked by joining its Akte (a few lookups); when the
    filters drive, the matching Akten come first (by their indexes) and their documents
    follow from the (tenant, akte) index."""
    qs = scoped(Dokument, viewer.tenant_id)
    if drive == "filters":
        akten = scoped(Akte, viewer.tenant_id).filter(_akte_q(viewer, f, ""))
        qs = qs.filter(akte_id__in=akten.values("pk"))
    else:
        qs = qs.filter(_akte_q(viewer, f, "akte__"))
    if f.kind:
        qs = qs.filter(kind=f.kind)
    if f.received_from:
        qs = qs.filter(received_on__gte=f.received_from)
    if f.received_to:
        qs = qs.filter(received_on__lte=f.received_to)
    if f.created_from:
        qs = qs.filter(created_at__gte=_day_start(f.created_from))
    if f.created_to:
        qs = qs.filter(created_at__lt=_day_start(f.created_to + timedelta(days=1)))
    if f.vorgang_typ:
        qs = qs.filter(vorgang__typ__code=f.vorgang_typ)
    if f.status:
        qs = qs.filter(status=f.status)
    return qs


def _akte_q(viewer: Viewer, f: SearchFilters, prefix: str) -> Q:
    """Permission and Akte filters, on Akte (``prefix=""``) or through ``prefix``. Filters
    on related rows are ``IN`` subqueries that start from their own index (BG-Nummer,
    person name), never a join the planner might start from the wrong end."""
    tenant_id = viewer.tenant_id
    condition = akten_q(viewer.access, viewer.user_id, prefix=prefix)
    if f.aktenzeichen.strip():
        akten = scoped(Akte, tenant_id).filter(
            _starting_with(Akte, tenant_id, "aktenzeichen", f.aktenzeichen.strip())
        )
        condition &= Q(**{f"{prefix}pk__in": akten.values("pk")})
    if f.bg_nummer.strip():
        bgs = scoped(Bedarfsgemeinschaft, tenant_id).filter(
            _starting_with(Bedarfsgemeinschaft, tenant_id, "bg_nummer", f.bg_nummer.strip())
        )
        condition &= Q(**{f"{prefix}bg_id__in": bgs.values("pk")})
    if f.person.strip() or f.birth_date:
        persons = Person.objects.for_tenant(tenant_id)
        if f.person.strip():
            persons = persons.alias(
                folded=FoldedName("family_name"), given_folded=FoldedName("given_names")
            ).filter(_name_q(f.person, "folded", "given_folded"))
        if f.birth_date:
            persons = persons.filter(birth_date=f.birth_date)
        subjects = scoped(AkteSubjekt, tenant_id).filter(person_id__in=persons.values("pk"))
        condition &= Q(**{f"{prefix}pk__in": subjects.values("akte_id")})
    if f.akte_status:
        condition &= Q(**{f"{prefix}status": f.akte_status})
    return condition


def _drive(viewer: Viewer, filters: SearchFilters) -> Drive | None:
    """Which side narrows more: the index (usual) or the filters and permissions (a few
    Akten, or a viewer who sees only named restricted Akten). None: nothing to find."""
    narrow_viewer = not viewer.access.unit_paths_with(Perm.RECORDS_VIEW)
    if not (filters.selective or narrow_viewer):
        return "index"
    documents = _documents(viewer, filters, "filters")
    n = documents.order_by().values("pk")[: FILTER_DRIVE_MAX + 1].count()
    if n == 0:
        return None
    return "filters" if n <= FILTER_DRIVE_MAX else "index"


class Unindexed(Func):
    """``+column``: the column's value, but no index on it. SQLite without statistics
    (no ANALYZE has run) takes an equality on an indexed column for selective, so it would
    walk the whole Mandant's tenant index instead of looking up a handful of ids."""

    template = "+%(expressions)s"


def scoped(model: type[_M], tenant_id: uuid.UUID) -> QuerySet[_M]:
    """``model.objects.for_tenant(tenant_id)`` whose tenant condition never drives the plan
    (on SQLite; PostgreSQL's planner has statistics from autovacuum)."""
    if connection.vendor != "sqlite":
        return model.objects.for_tenant(tenant_id)  # type: ignore[attr-defined]
    return (
        model.objects.unscoped()  # type: ignore[attr-defined]
        .alias(_tenant=Unindexed("tenant_id", output_field=UUIDField()))
        .filter(_tenant=tenant_id)
    )


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def _hits(
    viewer: Viewer, parsed: ParsedQuery, ids: list[uuid.UUID], scores: dict[uuid.UUID, float | None]
) -> list[SearchHit]:
    if not ids:
        return []
    # The ids come from the permission-filtered query; the condition is applied again so
    # this loader can never show anything by itself.
    rows = {
        d.pk: d
        for d in scoped(Dokument, viewer.tenant_id)
        .filter(akten_q(viewer.access, viewer.user_id, prefix="akte__"), pk__in=ids)
        .select_related("akte", "vorgang__typ")
        .only(
            "title",
            "kind",
            "status",
            "received_on",
            "created_at",
            "current_version_id",
            "akte__aktenzeichen",
            "akte__title",
            "vorgang__title",
            "vorgang__typ__label",
        )
    }
    version_ids = [d.current_version_id for d in rows.values() if d.current_version_id]
    highlighter = Highlighter(parsed) if not parsed.is_empty else None
    snippets = _snippets(viewer, parsed, version_ids, highlighter)
    hits = []
    for dokument_id in ids:
        d = rows.get(dokument_id)
        if d is None:
            continue
        hits.append(
            SearchHit(
                dokument_id=d.pk,
                title=d.title,
                title_html=highlighter.mark(d.title) if highlighter else _escaped(d.title),
                kind=d.kind,
                cancelled=d.status == Dokument.Status.CANCELLED,
                status_label=d.get_status_display(),
                received_on=d.received_on,
                created_at=d.created_at,
                akte_id=d.akte_id,
                aktenzeichen=d.akte.aktenzeichen,
                akte_title=d.akte.title,
                vorgang=d.vorgang.typ.label if d.vorgang else "",
                snippet=snippets.get(d.current_version_id, _escaped(""))
                if d.current_version_id
                else _escaped(""),
                score=scores.get(dokument_id),
            )
        )
    return hits


def _snippets(
    viewer: Viewer,
    parsed: ParsedQuery,
    version_ids: list[uuid.UUID],
    highlighter: Highlighter | None,
) -> dict[uuid.UUID, SafeString]:
    from_db = get_backend().headlines(parsed, version_ids)
    if from_db is not None:
        return from_db
    texts = (
        scoped(DokumentVersion, viewer.tenant_id)
        .filter(pk__in=version_ids)
        .annotate(head=Substr("text", 1, MAX_SCAN_CHARS))
        .values_list("pk", "head")
    )
    return {pk: snippet(head or "", highlighter) for pk, head in texts}


def _escaped(text: str) -> SafeString:
    return mark_safe(str(escape(text)))  # noqa: S308 - escaped just now


# --- Quick finder for Akten -------------------------------------------------------------------


@dataclass(frozen=True)
class AkteHit:
    akte_id: uuid.UUID
    aktenzeichen: str
    title: str
    status_label: str
    matched: str  # what matched, German: "Aktenzeichen", "BG-Nummer", "Name"
    detail: str  # e.g. the person's name and birth date


def find_akten(
    viewer: Viewer, text: str, limit: int = FINDER_LIMIT, *, among: Q | None = None
) -> list[AkteHit]:
    """Akten the viewer may see (or, with ``among``, those Akten: the Posteingang's
    triage files into Akten the mail room may not read) whose Aktenzeichen starts with ``text`` (or, with a digit
    in it, contains it: "000002"), whose BG-Nummer starts with it, or with a person whose
    name starts so (in the search spelling: "Yilmaz" finds "Yılmaz"); at most ``limit``.
    Each way starts from its own index (Aktenzeichen, BG-Nummer, folded family name)."""
    text = " ".join((text or "").split())[:100]
    if len(text) < FINDER_MIN_CHARS or viewer.access.tenant_id is None:
        return []
    tenant_id = viewer.tenant_id
    permitted = akten_q(viewer.access, viewer.user_id) if among is None else among
    hits: dict[uuid.UUID, AkteHit] = {}
    by_az: list[Akte] = []
    for spelling in _spellings(text):
        by_az += (
            Akte.objects.for_tenant(tenant_id)
            .filter(permitted, _prefix("aktenzeichen", spelling))
            .order_by(_bytewise("aktenzeichen"))[:limit]
        )
    for akte in sorted(by_az, key=lambda a: a.aktenzeichen):
        hits.setdefault(akte.pk, _akte_hit(akte, "Aktenzeichen", ""))
    bgs: dict[uuid.UUID, str] = {}
    if len(hits) < limit:
        for spelling in _spellings(text):
            bgs.update(
                Bedarfsgemeinschaft.objects.for_tenant(tenant_id)
                .filter(_prefix("bg_nummer", spelling))
                .order_by("bg_nummer")
                .values_list("pk", "bg_nummer")[:FINDER_SCAN]
            )
        by_bg = scoped(Akte, tenant_id).filter(permitted, bg_id__in=list(bgs))
        for akte in sorted(by_bg, key=lambda a: (_bg_of(a, bgs), a.aktenzeichen)):
            hits.setdefault(akte.pk, _akte_hit(akte, "BG-Nummer", f"BG {_bg_of(akte, bgs)}"))
    if len(hits) < limit and not bgs and len(text) >= AZ_PART_MIN_CHARS and re.search(r"\d", text):
        # A part of the Aktenzeichen, as on the letter in hand ("000002" of "JA-2026-000002"):
        # walks the Aktenzeichen index in order and stops at ``limit`` (all of the Mandant's
        # visible Akten when nothing contains it), so not when a BG-Nummer was meant.
        by_part = (
            Akte.objects.for_tenant(tenant_id)
            .filter(permitted, aktenzeichen__icontains=text)
            .exclude(pk__in=list(hits))
            .order_by(_bytewise("aktenzeichen"))[: limit - len(hits)]
        )
        for akte in by_part:
            hits.setdefault(akte.pk, _akte_hit(akte, "Aktenzeichen", ""))
    if len(hits) < limit and re.search(r"[^\W\d_]", text):
        _find_by_name(viewer, text, limit, hits, permitted)
    return list(hits.values())[:limit]


def _bg_of(akte: Akte, bgs: dict[uuid.UUID, str]) -> str:
    return bgs.get(akte.bg_id, "") if akte.bg_id else ""


def _find_by_name(
    viewer: Viewer, text: str, limit: int, hits: dict[uuid.UUID, AkteHit], permitted: Q
) -> None:
    """Persons in name order, a batch at a time, until ``limit`` visible Akten are found
    (most persons of a Mandant belong to Akten of other teams)."""
    persons = (
        Person.objects.for_tenant(viewer.tenant_id)
        .alias(folded=FoldedName("family_name"), given_folded=FoldedName("given_names"))
        .filter(_name_q(text, "folded", "given_folded"))
        .order_by("folded", "given_names", "pk")
    )
    for start in range(0, FINDER_SCAN * 10, FINDER_SCAN):
        batch = list(persons[start : start + FINDER_SCAN])
        order = {p.pk: i for i, p in enumerate(batch)}
        # Two lookups by key (subjects by person, Akten by id), so that no planner can
        # choose to walk all Akten of the Mandant to join them.
        links = list(
            scoped(AkteSubjekt, viewer.tenant_id)
            .filter(person_id__in=list(order))
            .values_list("person_id", "akte_id")
        )
        akten = {
            a.pk: a
            for a in scoped(Akte, viewer.tenant_id).filter(
                permitted, pk__in=[akte_id for _, akte_id in links]
            )
        }
        visible = [(order[p], akten[a]) for p, a in links if a in akten]
        for rank, akte in sorted(visible, key=lambda item: (item[0], item[1].aktenzeichen)):
            person = batch[rank]
            born = f", geb. {person.birth_date:%d.%m.%Y}" if person.birth_date else ""
            hits.setdefault(akte.pk, _akte_hit(akte, "Name", f"{person}{born}"))
        if len(hits) >= limit or len(batch) < FINDER_SCAN:
            return


def _akte_hit(akte: Akte, matched: str, detail: str) -> AkteHit:
    return AkteHit(
        akte_id=akte.pk,
        aktenzeichen=akte.aktenzeichen,
        title=akte.title,
        status_label=akte.get_status_display(),
        matched=matched,
        detail=detail,
    )


# --- Conditions that indexes can serve --------------------------------------------------------


class FoldedName(Func):
    """A name in the search spelling (``folding.fold``: "Yılmaz" → ``yilmaz``, "Müller" →
    ``mueller``), computed by the database's ``koffer_fold`` (the same table; see
    ``folding``), matching the expression index ``records_person_folded_idx`` of
    migration 0007 letter for letter."""

    function = "koffer_fold"
    output_field = CharField()


def _bytewise(field: str) -> Any:
    """Order by ``field`` character by character. On PostgreSQL in the "C" collation: the
    default collation's order would let the planner walk the unique index in that order
    and filter the prefix (slow for a prefix late in the alphabet) instead of taking the
    prefix range from the pattern-ops index and sorting the few rows found."""
    if connection.vendor == "postgresql":
        return Collate(F(field), "C")
    return F(field)


def _prefix(lookup: str, value: str) -> Q:
    """``lookup`` starts with ``value``, as a condition its index can serve: a range on
    SQLite (whose LIKE is not index-friendly here), LIKE with pattern-ops indexes on
    PostgreSQL (where a range would follow the collation, not the characters)."""
    if connection.vendor == "postgresql":
        return Q(**{f"{lookup}__startswith": value})
    return Q(**{f"{lookup}__gte": value, f"{lookup}__lt": value + "\U0010ffff"})


def _spellings(value: str) -> list[str]:
    """As typed and in capitals (Aktenzeichen and BG-Nummern are written in capitals)."""
    return list(dict.fromkeys([value, value.upper()]))


def _starting_with(model: type[_M], tenant_id: uuid.UUID, field: str, value: str) -> Q:
    """``pk IN (...)`` per spelling, each subquery one range of the (tenant, field) index.
    (An OR of two ranges in one query makes SQLite fall back to the whole tenant.)"""
    condition = Q(pk__in=[])
    for spelling in _spellings(value):
        ids = model.objects.for_tenant(tenant_id).filter(_prefix(field, spelling))  # type: ignore[attr-defined]
        condition |= Q(pk__in=ids.values("pk"))
    return condition


def _name_q(text: str, folded: str, given: str) -> Q:
    """Family-name prefix, and the other words in the given names (both folded: "Yilmaz,
    Ayse" finds "Yılmaz, Ayşe"): "Müller", "Müller, Anna", "Anna Müller" and multi-word
    family names ("von der Leyen") all work."""
    text = fold(" ".join(text.split()))
    if "," in text:
        family, _, rest = text.partition(",")
        readings = [(family.strip(), rest.split())]
    else:
        words = text.split()
        readings = [(text, [])]
        if len(words) > 1:
            readings += [(words[-1], words[:-1]), (words[0], words[1:])]
    condition = Q(pk__in=[])
    for family, given_words in readings:
        if not family:
            continue
        reading = _prefix(folded, family)
        for word in given_words:
            reading &= Q(**{f"{given}__contains": word})
        condition |= reading
    return condition


# --- Choices for the search form --------------------------------------------------------------


def document_kinds(tenant_id: uuid.UUID) -> list[str]:
    """The Dokumentarten in use: a skip scan over the (tenant, kind, ...) index, one seek
    per kind, so it stays fast with a million documents."""
    sql = """
        WITH RECURSIVE kinds(kind) AS (
          SELECT min(kind) FROM records_dokument WHERE tenant_id = %s
          UNION ALL
          SELECT (SELECT min(d.kind) FROM records_dokument d
                  WHERE d.tenant_id = %s AND d.kind > kinds.kind)
          FROM kinds WHERE kinds.kind IS NOT NULL
        )
        SELECT kind FROM kinds WHERE kind IS NOT NULL LIMIT 200
    """
    tid = db_uuid(tenant_id)
    with connection.cursor() as cursor:
        cursor.execute(sql, [tid, tid])
        return [row[0] for row in cursor.fetchall()]


def vorgang_types(tenant_id: uuid.UUID) -> list[tuple[str, str]]:
    """(code, label) of the Mandant's Vorgang types, one per code."""
    seen: dict[str, str] = {}
    for code, label in (
        VorgangTyp.objects.for_tenant(tenant_id).order_by("label").values_list("code", "label")
    ):
        seen.setdefault(code, label)
    return sorted(seen.items(), key=lambda item: item[1])
