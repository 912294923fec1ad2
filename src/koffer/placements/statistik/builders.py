"""Statistics of the Platzbörse, computed from the rows themselves: no hand counting.

What it answers, for one calendar year (and optionally one Fachbereich):

- Belegungen begun and ended per Betreuungsform × age group (the groups of the official
  child and youth welfare statistics) × gender, the ended ones also by Endegrund. Age is
  the age at the beginning of the Belegung (the snapshot ``alter_bei_beginn``; the
  exchange never learns a birth date).
- Per month: occupancy (occupied place-days / available place-days, in %), Belegungstage
  and costs (occupied days × the Tagessatz valid on each day) per Einrichtung,
  Betreuungsform, region (``Einrichtung.region``) and youth office (``Belegung.jugendamt``).
  Costs are the statistical value of the occupancy, not the billed amount: absence
  reductions and standby places are billed in Leistungsnachweise.

Everything is counted up to ``today`` ("Stand"): planned beginnings, ends and days after
it are not in the figures yet.

Who sees what (:func:`scope_for`): a provider its own facilities, a youth office the
Belegungen it made (with per-facility detail), the Landesjugendamt and the ministry the
whole installation, aggregated only: no per-facility rows, and every cell that rests on
one or two Belegungen is suppressed (:func:`suppress`), together with the sums that
would give it away. Suppression happens here, so the page, CSV, XLSX and API show the
same numbers.

The counting is done by the database: grouped aggregates with one conditional sum per
month (days inside a window are ``max(0, min(end, window_end) - max(start,
window_start) + 1)``); costs join each Belegung to the day rates of its
Angebot and sum days × rate per overlap, in cents, in SQL. Python only adds up the few
hundred or thousand groups into the published tables.
"""

from __future__ import annotations

import calendar
import itertools
import uuid
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from typing import Any, Literal

from django.db.models import (
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    Q,
    QuerySet,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.placements import access as placement_access
from koffer.placements.models import Belegung, Betreuungsform, Fachbereich, Geschlecht, Platz
from koffer.tenancy.models import Mandant

# Official child and youth welfare statistics (KJH-Statistik), age at the beginning in
# years: (label, from inclusive, to exclusive). The last group catches other fields
# (elder care) and the rare 27-year-old.
AGE_GROUPS: tuple[tuple[str, int, int | None], ...] = (
    ("unter 3", 0, 3),
    ("3 bis unter 6", 3, 6),
    ("6 bis unter 9", 6, 9),
    ("9 bis unter 12", 9, 12),
    ("12 bis unter 15", 12, 15),
    ("15 bis unter 18", 15, 18),
    ("18 bis unter 21", 18, 21),
    ("21 bis unter 27", 21, 27),
    ("27 und älter", 27, None),
)
GENDERS: tuple[tuple[str, str], ...] = tuple((g.value, str(g.label)) for g in Geschlecht)
MONTHS = ("Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez")
MONTH_NAMES = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
YEAR_COLUMN = "Jahr"

MIN_COUNT = 3  # cells resting on 1 or 2 Belegungen are suppressed for aggregate viewers
SUPPRESSED_MARK = "•"
NOT_APPLICABLE_MARK = "x"
LATER_MARK = "…"
SIGN_NOTES = {
    SUPPRESSED_MARK: (
        "• Werte unter 3 unterdrückt: Zellen, die auf einer oder zwei Belegungen beruhen, "
        "und so viele weitere Zellen oder Summen, dass sich keine unterdrückte Zahl "
        "zurückrechnen lässt."
    ),
    LATER_MARK: "… Angabe fällt später an: der Monat liegt nach dem Stand.",
    NOT_APPLICABLE_MARK: "x Aussage nicht sinnvoll: keine verfügbaren Plätze.",
}
NO_REGION = "ohne Angabe"
TOTAL: Any = "*"  # the margin (sum over all values) of a dimension in a cube key

ScopeKind = Literal["provider", "requester", "aggregate"]
Unit = Literal["count", "percent", "euro", "days"]
Key = tuple[Hashable, ...]


# --- who sees what -------------------------------------------------------------------------


@dataclass(frozen=True)
class Scope:
    """Whose Belegungen the statistics count, and whether only aggregates may leave."""

    kind: ScopeKind
    tenant_id: uuid.UUID
    tenant_name: str

    @property
    def aggregated(self) -> bool:
        return self.kind == "aggregate"

    @property
    def label(self) -> str:
        return SCOPE_LABELS[self.kind]

    @property
    def description(self) -> str:
        if self.kind == "provider":
            return "Belegungen in den Einrichtungen Ihres Mandanten, mit allen Einzelheiten."
        if self.kind == "requester":
            return (
                "Belegungen, die Ihre Behörde veranlasst hat, in allen Einrichtungen. "
                "Eine Auslastung in % zeigt nur die Sicht „Eigene Einrichtungen“: die Plätze "
                "gehören den Trägern."
            )
        return (
            "Alle Einrichtungen und Belegungen der Platzbörse, nur zusammengefasst: keine "
            "Zahlen einzelner Einrichtungen, Werte unter 3 unterdrückt."
        )


SCOPE_LABELS: dict[str, str] = {
    "provider": "Eigene Einrichtungen",
    "requester": "Von Ihrer Behörde veranlasste Belegungen",
    "aggregate": "Landesweit, zusammengefasst",
}


def scopes_for(access: Access, tenant: Mandant) -> list[Scope]:
    """The views of the statistics ``access`` may take in ``tenant``; empty: 403.

    Landesjugendamt and ministry: the whole installation, aggregated only, with
    STATISTICS_VIEW. Who manages places (a Träger, or a Kreis with its own Inobhutnahme
    places) sees its own facilities; a Träger also with STATISTICS_VIEW. A placing
    authority with STATISTICS_VIEW sees the Belegungen it made. A Kreis with both rights
    chooses; the first is the default."""
    if placement_access.sees_only_aggregates(tenant):
        kinds: list[ScopeKind] = ["aggregate"] if access.can(Perm.STATISTICS_VIEW) else []
    else:
        is_traeger = tenant.kind == Mandant.Kind.TRAEGER
        kinds = []
        if access.can(Perm.PLACEMENTS_MANAGE) or (is_traeger and access.can(Perm.STATISTICS_VIEW)):
            kinds.append("provider")
        if not is_traeger and access.can(Perm.STATISTICS_VIEW):
            kinds.insert(0, "requester")
    return [Scope(kind=k, tenant_id=tenant.pk, tenant_name=tenant.name) for k in kinds]


def scope_for(access: Access, tenant: Mandant, wanted: str | None = None) -> Scope | None:
    """The view ``wanted`` (a scope kind) if allowed, else the default one, else None."""
    scopes = scopes_for(access, tenant)
    for scope in scopes:
        if scope.kind == wanted:
            return scope
    return scopes[0] if scopes else None


def _belegungen(scope: Scope) -> QuerySet[Belegung]:
    if scope.kind == "provider":
        return Belegung.objects.for_tenant(scope.tenant_id)
    if scope.kind == "requester":
        return Belegung.objects.for_party(scope.tenant_id).filter(jugendamt_id=scope.tenant_id)
    # Deliberately across all Mandanten: only suppressed aggregates leave this module.
    return Belegung.objects.unscoped()


def _plaetze(scope: Scope) -> QuerySet[Platz] | None:
    """Places whose capacity the viewer may compare with: none for a youth office (the
    places are the providers', an occupancy rate of them would show other offices' use)."""
    if scope.kind == "provider":
        return Platz.objects.for_tenant(scope.tenant_id)
    if scope.kind == "aggregate":
        return Platz.objects.unscoped()
    return None


# --- the published shape: tables of cells -------------------------------------------------


@dataclass(frozen=True)
class Cell:
    """One published number. ``value`` is None when suppressed (official sign "•"), when
    the month lies after the "Stand" (``later``, "…"), or when no figure makes sense, e.g.
    an occupancy rate without places ("x")."""

    value: int | Decimal | None
    suppressed: bool = False
    later: bool = False

    @property
    def sign(self) -> str:
        if self.value is not None:
            return ""
        if self.suppressed:
            return SUPPRESSED_MARK
        return LATER_MARK if self.later else NOT_APPLICABLE_MARK


@dataclass
class Row:
    labels: tuple[str, ...]
    cells: list[Cell]
    total: bool = False
    # HTML only: rowspan of each label cell, 0 where the label above spans this row.
    spans: tuple[int, ...] = ()


@dataclass
class Table:
    key: str
    title: str
    section: str
    unit: Unit
    stub: tuple[str, ...]
    columns: tuple[str, ...]
    rows: list[Row] = field(default_factory=list)
    note: str = ""

    @property
    def has_suppressed(self) -> bool:
        return any(c.suppressed for r in self.rows for c in r.cells)

    @property
    def signs(self) -> set[str]:
        return {c.sign for r in self.rows for c in r.cells} - {""}

    def row(self, *labels: str) -> Row:
        for r in self.rows:
            if r.labels == labels:
                return r
        raise KeyError(labels)

    def cell(self, labels: Sequence[str], column: str) -> Cell:
        return self.row(*labels).cells[self.columns.index(column)]


@dataclass(frozen=True)
class Series:
    label: str
    values: tuple[Decimal | int | None, ...]
    total: bool = False


@dataclass
class Statistik:
    scope: Scope
    year: int
    fachbereich: Fachbereich | None
    stand: date
    tables: list[Table]
    line_title: str
    line_unit: Unit
    line_series: list[Series]

    @property
    def has_suppressed(self) -> bool:
        return any(t.has_suppressed for t in self.tables)

    @property
    def signs(self) -> set[str]:
        return set().union(*(t.signs for t in self.tables))

    def table(self, key: str) -> Table:
        for t in self.tables:
            if t.key == key:
                return t
        raise KeyError(key)

    def section(self, name: str) -> list[Table]:
        return [t for t in self.tables if t.section == name]


SECTION_MOVES = "bewegungen"
SECTION_OCCUPANCY = "auslastung"
SECTION_COSTS = "kosten"


# --- suppression ---------------------------------------------------------------------------


@dataclass
class Quantity:
    """One cell of a cube: how many Belegungen it rests on (``count``, decides primary
    suppression) and its additive magnitude (``value``, picks secondary suppressions)."""

    count: int = 0
    value: int = 0
    cents: int = 0

    def add(self, count: int, value: int, cents: int = 0) -> None:
        self.count += count
        self.value += value
        self.cents += cents


def suppress(cells: Mapping[Key, Quantity], domains: Sequence[Sequence[Hashable]]) -> set[Key]:
    """The keys to hide from aggregate viewers.

    ``cells`` are the published cells of one cube: keys with one entry per dimension,
    ``TOTAL`` for the sum over that dimension; ``domains`` lists each dimension's values.
    Every published sum whose parts are all published is an equation a reader can use.

    Primary: every cell resting on 1 or 2 Belegungen. Secondary: as long as an equation
    (a sum and its parts) holds exactly one hidden cell, that cell could be recomputed
    from the others, so one more member is hidden: the smallest non-zero visible one
    (parts before the sum at equal size, so sums stay visible where possible). Repeat
    until every equation holds none or at least two hidden cells. A visible zero is never
    picked: it tells nothing, and a non-zero candidate always exists (the one hidden cell
    is non-zero, so either its sum or another part is too).

    This is the usual "at least two per equation" rule of official statistics. It does
    not solve the general linear-algebra attack over many equations at once, which needs
    an optimiser (e.g. τ-ARGUS); with the small tables here it leaves every hidden cell
    with at least one other unknown in each of its equations."""
    relations: list[tuple[Key, list[Key]]] = []
    for key in cells:
        for i, part in enumerate(key):
            if part != TOTAL:
                continue
            parts = [(*key[:i], v, *key[i + 1 :]) for v in domains[i]]
            if parts and all(p in cells for p in parts):
                relations.append((key, parts))
    hidden = {k for k, q in cells.items() if 0 < q.count < MIN_COUNT}
    changed = bool(hidden)
    while changed:
        changed = False
        for total, parts in relations:
            members = [*parts, total]
            if sum(m in hidden for m in members) != 1:
                continue
            candidates = [m for m in members if m not in hidden and cells[m].value > 0]
            if not candidates:  # cannot happen for additive cubes, see above
                continue
            hidden.add(min(candidates, key=lambda m: cells[m].value))
            changed = True
    return hidden


def _rollup(
    base: Mapping[Key, Quantity], keeps: Iterable[frozenset[int]], width: int
) -> dict[Key, Quantity]:
    """Sum the base cells into every pattern in ``keeps`` (the dimensions kept)."""
    out: dict[Key, Quantity] = {}
    patterns = list(dict.fromkeys(keeps))
    for key, q in base.items():
        for keep in patterns:
            rolled = tuple(key[i] if i in keep else TOTAL for i in range(width))
            found = out.get(rolled)
            if found is None:
                out[rolled] = Quantity(q.count, q.value, q.cents)
            else:
                found.add(q.count, q.value, q.cents)
    return out


# --- SQL building blocks -------------------------------------------------------------------


class OverlapDays(Func):
    """Days in the intersection of closed date intervals, 0 when they are disjoint:
    ``max(0, min(ends) - max(starts) + 1)``. One function, so the dates are compared as
    they are (ISO text on SQLite, dates on PostgreSQL) and turned into day numbers only
    twice, not once per bound. SQLite and PostgreSQL only."""

    output_field = IntegerField()

    def __init__(self, starts: Sequence[Any], ends: Sequence[Any]) -> None:
        super().__init__(*starts, *ends)
        self.starts = len(starts)

    def _parts(self, compiler: Any, connection: Any) -> tuple[list[str], list[str], list[Any]]:
        compiled = [compiler.compile(e) for e in self.get_source_expressions()]
        starts, ends = compiled[: self.starts], compiled[self.starts :]
        # Parameters in the order they appear below: the ends first, then the starts.
        params = [p for _, ps in [*ends, *starts] for p in ps]
        return [sql for sql, _ in starts], [sql for sql, _ in ends], params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        starts, ends, params = self._parts(compiler, connection)
        # Scalar MIN/MAX need two arguments; with one they would be aggregates.
        end = f"MIN({', '.join(ends)})" if len(ends) > 1 else ends[0]
        start = f"MAX({', '.join(starts)})" if len(starts) > 1 else starts[0]
        sql = f"MAX(0, CAST(julianday({end}) - julianday({start}) AS INTEGER) + 1)"
        return sql, params

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        starts, ends, params = self._parts(compiler, connection)
        sql = f"GREATEST(0, LEAST({', '.join(ends)}) - GREATEST({', '.join(starts)}) + 1)"
        return sql, params


class RateCents(Func):
    """The Tagessatz of a joined Entgelt in whole cents (Leistungsentgelt, Grundleistung
    and Investitionsbetrag), so that sums stay exact integers on both databases."""

    output_field = IntegerField()
    arg_joiner = " + "
    template = "CAST(ROUND((%(expressions)s) * 100) AS INTEGER)"


_OPEN = date(9999, 12, 31)  # the end of an open Belegung, rate or place


def _date(d: date) -> Value:
    return Value(d, output_field=DateField())


def _until(field: str) -> Coalesce:
    return Coalesce(F(field), _date(_OPEN), output_field=DateField())


@dataclass(frozen=True)
class _Window:
    """The counted part of the year (up to ``today``) and of each of its months."""

    start: date
    end: date
    months: tuple[tuple[date, date] | None, ...]  # None: month lies after ``today``

    @classmethod
    def of(cls, year: int, today: date) -> _Window:
        start, end = date(year, 1, 1), min(date(year, 12, 31), today)
        months: list[tuple[date, date] | None] = []
        for m in range(1, 13):
            first = date(year, m, 1)
            last = min(date(year, m, calendar.monthrange(year, m)[1]), end)
            months.append((first, last) if first <= last else None)
        return cls(start, end, tuple(months))

    @property
    def empty(self) -> bool:
        return self.end < self.start


def _fachbereich_q(prefix: str, fachbereich: Fachbereich | None) -> Q:
    if fachbereich is None:
        return Q()
    return Q(**{f"{prefix}betreuungsform__fachbereich_id": fachbereich.pk})


# --- the counts: begun and ended ----------------------------------------------------------


def _age_group(alter: int) -> int:
    for i, (_, low, high) in enumerate(AGE_GROUPS):
        if alter >= low and (high is None or alter < high):
            return i
    return len(AGE_GROUPS) - 1


def _begun_base(scope: Scope, window: _Window, fb: Fachbereich | None) -> dict[Key, Quantity]:
    rows = (
        _belegungen(scope)
        .filter(_fachbereich_q("angebot__", fb), beginn__gte=window.start, beginn__lte=window.end)
        .values("angebot__betreuungsform_id", "alter_bei_beginn", "geschlecht")
        .annotate(n=Count("pk"))
        .order_by()
    )
    base: dict[Key, Quantity] = defaultdict(Quantity)
    for r in rows:
        key = (r["angebot__betreuungsform_id"], _age_group(r["alter_bei_beginn"]), r["geschlecht"])
        base[key].add(r["n"], r["n"])
    return base


def _ended_base(scope: Scope, window: _Window, fb: Fachbereich | None) -> dict[Key, Quantity]:
    rows = (
        _belegungen(scope)
        .filter(_fachbereich_q("angebot__", fb), ende__gte=window.start, ende__lte=window.end)
        .values("angebot__betreuungsform_id", "alter_bei_beginn", "geschlecht", "ende_grund")
        .annotate(n=Count("pk"))
        .order_by()
    )
    base: dict[Key, Quantity] = defaultdict(Quantity)
    for r in rows:
        key = (
            r["angebot__betreuungsform_id"],
            _age_group(r["alter_bei_beginn"]),
            r["geschlecht"],
            r["ende_grund"],
        )
        base[key].add(r["n"], r["n"])
    return base


# --- occupancy and costs -------------------------------------------------------------------

# Dimensions of the occupancy cube, in key order; the month is the last entry of a key.
DIM_EINRICHTUNG, DIM_FORM, DIM_REGION, DIM_JUGENDAMT = 0, 1, 2, 3
_GROUP_FIELDS = (
    "einrichtung_id",
    "angebot__betreuungsform_id",
    "einrichtung__region",
    "jugendamt_id",
)


def _month_columns() -> list[Hashable]:
    return [*range(1, 13), TOTAL]


# A group's figures as one flat vector: 13 slots each (January … December, the year) for
# Belegungstage, Belegungen and cents. Adding vectors column by column (``zip``) keeps the
# roll-up of thousands of groups cheap; a dict entry per group and month was not.
SLOTS = 13
DAYS, COUNTS, CENTS = 0, SLOTS, 2 * SLOTS
Vector = list[int]


def _group_fields(scope: Scope) -> tuple[str, ...]:
    """Aggregate viewers get no per-facility rows, so the database need not keep them
    apart either: fewer, larger groups."""
    fields = ("angebot__betreuungsform_id", "einrichtung__region", "jugendamt_id")
    return fields if scope.aggregated else ("einrichtung_id", "einrichtung__name", *fields)


def _group_key(scope: Scope, row: Sequence[Any]) -> tuple[tuple[Hashable, ...], str | None]:
    """(facility, form, region, youth office) of a values_list row, and the facility's name."""
    if scope.aggregated:
        form, region, jugendamt = row[:3]
        return (TOTAL, form, region or NO_REGION, jugendamt), None
    einrichtung, name, form, region, jugendamt = row[:5]
    return (einrichtung, form, region or NO_REGION, jugendamt), name


def _occupancy_base(
    scope: Scope, window: _Window, fb: Fachbereich | None
) -> tuple[dict[Key, Vector], dict[Hashable, str]]:
    """Belegungstage, Belegungen and costs in cents per group (facility, form, region,
    youth office), month by month and for the year.

    Two statements: days and counts, then costs (each Belegung joined to the day rates of
    its Angebot; days of the three-way overlap Belegung ∩ rate period ∩ month, × rate)."""
    qs = _belegungen(scope).filter(
        Q(ende__isnull=True) | Q(ende__gte=window.start),
        _fachbereich_q("angebot__", fb),
        beginn__lte=window.end,
    )
    fields = _group_fields(scope)
    width = len(fields)
    start, end = F("beginn"), _until("ende")
    months = [(m, span) for m, span in enumerate(window.months) if span is not None]
    sums: dict[str, Any] = {"n": Count("pk")}
    for m, (first, last) in months:
        sums[f"d{m}"] = Sum(OverlapDays([start, _date(first)], [end, _date(last)]))
        sums[f"n{m}"] = Count(
            "pk", filter=Q(beginn__lte=last) & (Q(ende__isnull=True) | Q(ende__gte=first))
        )
    base: dict[Key, Vector] = {}
    names: dict[Hashable, str] = {}
    for row in qs.values(*fields).annotate(**sums).order_by().values_list(*fields, *sums):
        group, name = _group_key(scope, row)
        if name is not None:
            names[group[DIM_EINRICHTUNG]] = name
        vector = [0] * (3 * SLOTS)
        values = row[width + 1 :]  # d, n per counted month, in order
        for i, (m, _) in enumerate(months):
            vector[DAYS + m] = values[2 * i] or 0
            vector[COUNTS + m] = values[2 * i + 1] or 0
        vector[DAYS + 12] = sum(vector[DAYS : DAYS + 12])
        vector[COUNTS + 12] = row[width] or 0
        base[group] = vector
    if not months:
        return base, names

    rate_start, rate_end = F("angebot__entgelte__valid_from"), _until("angebot__entgelte__valid_to")
    cents = RateCents(
        F("angebot__entgelte__leistungsentgelt"),
        F("angebot__entgelte__grundleistung"),
        F("angebot__entgelte__investitionsbetrag"),
    )
    costs = {
        f"c{m}": Sum(
            OverlapDays([start, rate_start, _date(first)], [end, rate_end, _date(last)]) * cents,
            output_field=IntegerField(),
        )
        for m, (first, last) in months
    }
    for row in qs.values(*fields).annotate(**costs).order_by().values_list(*fields, *costs):
        group, _ = _group_key(scope, row)
        vector = base[group]
        for i, (m, _) in enumerate(months):
            vector[CENTS + m] = row[width + i] or 0
        vector[CENTS + 12] = sum(vector[CENTS : CENTS + 12])
    return base, names


def _capacity_base(
    scope: Scope, window: _Window, fb: Fachbereich | None
) -> tuple[dict[Key, Vector], dict[Hashable, str]]:
    """Available place-days per facility, form and region (youth office: TOTAL), month by
    month and for the year."""
    plaetze = _plaetze(scope)
    months = [(m, span) for m, span in enumerate(window.months) if span is not None]
    if plaetze is None or not months:
        return {}, {}
    qs = plaetze.filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=window.start),
        _fachbereich_q("angebot__", fb),
        valid_from__lte=window.end,
    )
    start, end = F("valid_from"), _until("valid_to")
    sums = {
        f"p{m}": Sum(OverlapDays([start, _date(first)], [end, _date(last)]))
        for m, (first, last) in months
    }
    fields = _group_fields(scope)[:-1]  # no youth office
    width = len(fields)
    base: dict[Key, Vector] = {}
    names: dict[Hashable, str] = {}
    for row in qs.values(*fields).annotate(**sums).order_by().values_list(*fields, *sums):
        group, name = _group_key(scope, (*row[:width], None))
        group = (*group[:DIM_JUGENDAMT], TOTAL)
        if name is not None:
            names[group[DIM_EINRICHTUNG]] = name
        vector = [0] * SLOTS
        for i, (m, _) in enumerate(months):
            vector[m] = row[width + i] or 0
        vector[12] = sum(vector[:12])
        base[group] = vector
    return base, names


def _rollup_vectors(
    base: Mapping[Key, Vector], keeps: Iterable[frozenset[int]], width: int = 4
) -> dict[Key, Vector]:
    """Sum the groups' vectors into every pattern of kept dimensions (others TOTAL)."""
    out: dict[Key, Vector] = {}
    for keep in dict.fromkeys(keeps):
        groups: dict[Key, list[Vector]] = defaultdict(list)
        for key, vector in base.items():
            groups[tuple(key[i] if i in keep else TOTAL for i in range(width))].append(vector)
        for key, vectors in groups.items():
            out[key] = [sum(column) for column in zip(*vectors, strict=True)]
    return out


# --- formatting of labels and values -------------------------------------------------------


def _percent(part: int, whole: int) -> Decimal | None:
    if whole <= 0:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def _euro(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


def _spans(rows: list[Row], levels: int) -> None:
    """Rowspans for the first label of multi-level stubs (the rest span one row)."""
    if levels < 2:
        for r in rows:
            r.spans = (1,)
        return
    i = 0
    while i < len(rows):
        j = i
        while j + 1 < len(rows) and rows[j + 1].labels[0] == rows[i].labels[0]:
            j += 1
        rows[i].spans = (j - i + 1, *([1] * (levels - 1)))
        for k in range(i + 1, j + 1):
            rows[k].spans = (0, *([1] * (levels - 1)))
        i = j + 1


def _forms(fb: Fachbereich | None) -> list[Betreuungsform]:
    qs = Betreuungsform.objects.select_related("fachbereich")
    if fb is not None:
        qs = qs.filter(fachbereich=fb)
    return list(qs.order_by("fachbereich__order", "fachbereich__label", "order", "label"))


def _form_label(form: Betreuungsform, several_fields: bool) -> str:
    label = str(form)
    return f"{label} ({form.fachbereich.label})" if several_fields else label


# --- the whole page ------------------------------------------------------------------------


def statistik(
    *,
    scope: Scope,
    year: int,
    fachbereich: Fachbereich | None = None,
    today: date,
) -> Statistik:
    """Every table of the statistics page for ``scope``, suppressed where the scope sees
    only aggregates. ``today`` is the "Stand": nothing after it is counted."""
    window = _Window.of(year, today)
    forms = _forms(fachbereich)
    several_fields = fachbereich is None and len({f.fachbereich_id for f in forms}) > 1
    form_labels = {f.pk: _form_label(f, several_fields) for f in forms}
    form_ids = list(form_labels)

    if window.empty:
        begun_base: dict[Key, Quantity] = {}
        ended_base: dict[Key, Quantity] = {}
        occ_base: dict[Key, Vector] = {}
        cap_base: dict[Key, Vector] = {}
        names: dict[Hashable, str] = {}
    else:
        begun_base = _begun_base(scope, window, fachbereich)
        ended_base = _ended_base(scope, window, fachbereich)
        occ_base, names = _occupancy_base(scope, window, fachbereich)
        cap_base, cap_names = _capacity_base(scope, window, fachbereich)
        names = cap_names | names

    tables: list[Table] = []
    moves = _MovesBuilder(scope, year, form_ids, form_labels, begun_base, ended_base)
    tables.extend(moves.tables())
    occupancy = _OccupancyBuilder(
        scope, year, window, form_ids, form_labels, names, occ_base, cap_base
    )
    tables.extend(occupancy.tables())
    line_title, line_unit, series = occupancy.line_series()
    return Statistik(
        scope=scope,
        year=year,
        fachbereich=fachbereich,
        stand=min(today, date(year, 12, 31)),
        tables=tables,
        line_title=line_title,
        line_unit=line_unit,
        line_series=series,
    )


class _MovesBuilder:
    """Begun and ended Belegungen: two cubes, the ended one shared by two tables."""

    def __init__(
        self,
        scope: Scope,
        year: int,
        form_ids: list[uuid.UUID],
        form_labels: dict[uuid.UUID, str],
        begun_base: dict[Key, Quantity],
        ended_base: dict[Key, Quantity],
    ) -> None:
        self.scope = scope
        self.year = year
        ages = list(range(len(AGE_GROUPS)))
        genders = [g for g, _ in GENDERS]
        grounds = list(Belegung.Endegrund.values)
        # A form not in the catalogue of the chosen field cannot occur (filtered in SQL);
        # forms found in the data are added anyway, so no Belegung is ever lost.
        known = set(form_ids)
        extra = {k[0] for k in [*begun_base, *ended_base] if k[0] not in known}
        self.form_ids = form_ids + sorted(extra, key=str)
        self.form_labels = form_labels | {f: "unbekannte Betreuungsform" for f in extra}
        self.ages, self.genders, self.grounds = ages, genders, grounds

        keep3 = [frozenset(s) for s in _subsets(3)]
        self.begun = _rollup(begun_base, keep3, 3)
        _complete(self.begun, [self.form_ids, ages, genders], [frozenset(s) for s in _subsets(3)])
        keep4 = [frozenset(s) for s in _subsets(3)] + [frozenset({0, 3}), frozenset({3})]
        self.ended = _rollup(ended_base, keep4, 4)
        _complete(self.ended, [self.form_ids, ages, genders, grounds], keep4)
        self.hidden_begun: set[Key] = set()
        self.hidden_ended: set[Key] = set()
        if scope.aggregated:
            self.hidden_begun = suppress(self.begun, [self.form_ids, ages, genders])
            self.hidden_ended = suppress(self.ended, [self.form_ids, ages, genders, grounds])

    def _cell(self, cube: dict[Key, Quantity], hidden: set[Key], key: Key) -> Cell:
        if key in hidden:
            return Cell(None, suppressed=True)
        q = cube.get(key)
        return Cell(q.count if q else 0)

    def _shown_forms(self) -> list[Hashable]:
        """Forms with at least one begun or ended Belegung (the others are all zero)."""
        return [
            f
            for f in self.form_ids
            if self.begun[(f, TOTAL, TOTAL)].count or self.ended[(f, TOTAL, TOTAL, TOTAL)].count
        ]

    def tables(self) -> list[Table]:
        shown = self._shown_forms()
        overview = Table(
            key="uebersicht",
            title=f"Begonnene und beendete Belegungen {self.year} nach Betreuungsform",
            section=SECTION_MOVES,
            unit="count",
            stub=("Betreuungsform",),
            columns=("begonnen", "beendet"),
        )
        for f in [*shown, TOTAL]:
            overview.rows.append(
                Row(
                    labels=(self.form_labels[f] if f != TOTAL else "Insgesamt",),
                    cells=[
                        self._cell(self.begun, self.hidden_begun, (f, TOTAL, TOTAL)),
                        self._cell(self.ended, self.hidden_ended, (f, TOTAL, TOTAL, TOTAL)),
                    ],
                    total=f == TOTAL,
                )
            )
        _spans(overview.rows, 1)
        begun = self._age_gender_table(
            "begonnen",
            f"Begonnene Belegungen {self.year} nach Betreuungsform, Alter bei Beginn und Geschlecht",
            shown,
            lambda k: self._cell(self.begun, self.hidden_begun, k),
        )
        ended = self._age_gender_table(
            "beendet",
            f"Beendete Belegungen {self.year} nach Betreuungsform, Alter bei Beginn und Geschlecht",
            shown,
            lambda k: self._cell(self.ended, self.hidden_ended, (*k, TOTAL)),
        )
        grounds = Table(
            key="endegrund",
            title=f"Beendete Belegungen {self.year} nach Betreuungsform und Grund der Beendigung",
            section=SECTION_MOVES,
            unit="count",
            stub=("Betreuungsform",),
            columns=("Insgesamt", *(str(label) for label in Belegung.Endegrund.labels)),
        )
        for f in [*shown, TOTAL]:
            keys = [(f, TOTAL, TOTAL, TOTAL)] + [(f, TOTAL, TOTAL, g) for g in self.grounds]
            grounds.rows.append(
                Row(
                    labels=(self.form_labels[f] if f != TOTAL else "Insgesamt",),
                    cells=[self._cell(self.ended, self.hidden_ended, k) for k in keys],
                    total=f == TOTAL,
                )
            )
        _spans(grounds.rows, 1)
        return [overview, begun, ended, grounds]

    def _age_gender_table(self, key: str, title: str, shown: list[Hashable], cell: Any) -> Table:
        table = Table(
            key=key,
            title=title,
            section=SECTION_MOVES,
            unit="count",
            stub=("Betreuungsform", "Alter in Jahren"),
            columns=("Insgesamt", *(label for _, label in GENDERS)),
            note="Alter bei Beginn der Belegung.",
        )
        for f in [*shown, TOTAL]:
            form_label = self.form_labels[f] if f != TOTAL else "Insgesamt"
            for a in [*self.ages, TOTAL]:
                age_label = AGE_GROUPS[a][0] if a != TOTAL else "zusammen"
                table.rows.append(
                    Row(
                        labels=(form_label, age_label),
                        cells=[cell((f, a, g)) for g in [TOTAL, *self.genders]],
                        total=f == TOTAL or a == TOTAL,
                    )
                )
        _spans(table.rows, 2)
        return table


def _subsets(n: int) -> list[set[int]]:
    return [{i for i in range(n) if mask >> i & 1} for mask in range(2**n)]


def _complete(
    cube: dict[Key, Quantity],
    domains: Sequence[Sequence[Hashable]],
    keeps: Iterable[frozenset[int]],
) -> None:
    """Add the zero cells, so every published sum has all its parts (known zeros)."""
    for keep in dict.fromkeys(keeps):
        axes = [domains[i] if i in keep else [TOTAL] for i in range(len(domains))]
        for key in itertools.product(*axes):
            if key not in cube:
                cube[key] = Quantity()


@dataclass(frozen=True)
class _Dimension:
    index: int
    key: str
    label: str  # table stub
    title: str  # "nach …"


DIMENSIONS = (
    _Dimension(DIM_EINRICHTUNG, "einrichtung", "Einrichtung", "Einrichtung"),
    _Dimension(DIM_FORM, "betreuungsform", "Betreuungsform", "Betreuungsform"),
    _Dimension(DIM_REGION, "region", "Region", "Region"),
    _Dimension(DIM_JUGENDAMT, "jugendamt", "Jugendamt", "Jugendamt"),
)


class _OccupancyBuilder:
    """Occupancy, Belegungstage and costs per month: one cube over facility, form,
    region, youth office and month, so that the same sum in two tables (the month total
    of all forms is the month total of all regions) is suppressed in both or neither."""

    def __init__(
        self,
        scope: Scope,
        year: int,
        window: _Window,
        form_ids: list[uuid.UUID],
        form_labels: dict[uuid.UUID, str],
        names: dict[Hashable, str],
        base: dict[Key, Vector],
        capacity: dict[Key, Vector],
    ) -> None:
        self.scope = scope
        self.year = year
        self.window = window
        dims = [d for d in DIMENSIONS if not (scope.aggregated and d.index == DIM_EINRICHTUNG)]
        if scope.kind == "requester":  # its own youth office only: one row, the total
            dims = [d for d in dims if d.index != DIM_JUGENDAMT]
        self.dims = dims
        keeps = [frozenset({d.index}) for d in dims] + [frozenset()]
        months = _month_columns()
        # The cube: one cell per published group and month (the year as TOTAL).
        self.cube: dict[Key, Quantity] = {}
        for group, v in _rollup_vectors(base, keeps).items():
            for slot, month in enumerate(months):
                self.cube[(*group, month)] = Quantity(
                    v[COUNTS + slot], v[DAYS + slot], v[CENTS + slot]
                )
        self.capacity: dict[Key, int] = {
            (*group, month): v[slot]
            for group, v in _rollup_vectors(capacity, keeps).items()
            for slot, month in enumerate(months)
        }
        values: dict[int, list[Hashable]] = {d.index: [] for d in DIMENSIONS}
        for groups in (base, capacity):
            for key in groups:
                for d in dims:
                    if key[d.index] != TOTAL and key[d.index] not in values[d.index]:
                        values[d.index].append(key[d.index])
        known_forms = [f for f in form_ids if f in values[DIM_FORM]]
        values[DIM_FORM] = known_forms + [f for f in values[DIM_FORM] if f not in form_ids]
        self.values = values
        domains: list[Sequence[Hashable]] = [
            values[DIM_EINRICHTUNG],
            values[DIM_FORM],
            values[DIM_REGION],
            values[DIM_JUGENDAMT],
            months[:-1],
        ]
        # Every published cell exists, the year column included, so every sum has all
        # its parts when the equations are collected.
        _complete(self.cube, [*domains[:4], months], [frozenset({*k, 4}) for k in keeps])
        self.hidden: set[Key] = suppress(self.cube, domains) if scope.aggregated else set()
        self.labels: dict[int, dict[Hashable, str]] = {
            DIM_EINRICHTUNG: {k: names.get(k, "unbekannte Einrichtung") for k in values[0]},
            DIM_FORM: {f: form_labels.get(f, "unbekannte Betreuungsform") for f in values[1]},  # type: ignore[call-overload]
            DIM_REGION: {r: str(r) for r in values[DIM_REGION]},
            DIM_JUGENDAMT: _mandant_names(values[DIM_JUGENDAMT]),
        }

    def _key(self, dim: int, value: Hashable, month: Hashable) -> Key:
        key: list[Hashable] = [TOTAL] * 5
        if value != TOTAL:
            key[dim] = value
        key[4] = month
        return tuple(key)

    def _sorted(self, dim: int) -> list[Hashable]:
        if dim == DIM_FORM:
            return list(self.values[DIM_FORM])
        labels = self.labels[dim]
        return sorted(
            self.values[dim], key=lambda v: (labels[v] == NO_REGION, labels[v].casefold())
        )

    def _cell(self, key: Key, unit: Unit) -> Cell:
        if key in self.hidden:
            return Cell(None, suppressed=True)
        q = self.cube.get(key) or Quantity()
        month = key[4]
        if month != TOTAL and self.window.months[int(month) - 1] is None:  # type: ignore[call-overload]
            return Cell(None, later=True)  # after the "Stand": not counted yet
        if unit == "percent":
            return Cell(_percent(q.value, self.capacity.get(key, 0)))
        if unit == "euro":
            return Cell(_euro(q.cents))
        return Cell(q.value)

    def _table(self, dim: _Dimension, kind: str) -> Table:
        unit: Unit
        if kind == "auslastung":
            unit = "percent"
            title = f"Auslastung {self.year} nach {dim.title} in % (belegte / verfügbare Platztage)"
        elif kind == "belegungstage":
            unit = "days"
            title = f"Belegungstage {self.year} nach {dim.title}"
        else:
            unit = "euro"
            title = f"Kosten {self.year} nach {dim.title} in Euro (Belegungstage × Tagessatz)"
        table = Table(
            key=f"{kind}_{dim.key}",
            title=title,
            section=SECTION_COSTS if kind == "kosten" else SECTION_OCCUPANCY,
            unit=unit,
            stub=(dim.label,),
            columns=(*MONTHS, YEAR_COLUMN),
        )
        for value in [*self._sorted(dim.index), TOTAL]:
            label = self.labels[dim.index][value] if value != TOTAL else "Insgesamt"
            table.rows.append(
                Row(
                    labels=(label,),
                    cells=[
                        self._cell(self._key(dim.index, value, m), unit) for m in _month_columns()
                    ],
                    total=value == TOTAL,
                )
            )
        _spans(table.rows, 1)
        return table

    def _occupancy_kind(self, dim: _Dimension) -> str:
        if self.scope.kind == "requester" or dim.index == DIM_JUGENDAMT:
            return "belegungstage"
        return "auslastung"

    def tables(self) -> list[Table]:
        out = [self._table(d, self._occupancy_kind(d)) for d in self.dims]
        out += [self._table(d, "kosten") for d in self.dims]
        return out

    def line_series(self) -> tuple[str, Unit, list[Series]]:
        """Per form and in total, month by month: occupancy in % where the viewer has the
        capacity, else Belegungstage. The same cells as the table below the chart."""
        form = next(d for d in DIMENSIONS if d.index == DIM_FORM)
        kind = self._occupancy_kind(form)
        table = self._table(form, kind)
        series = [
            Series(
                label=row.labels[0],
                values=tuple(c.value for c in row.cells[:12]),
                total=row.total,
            )
            for row in table.rows
        ]
        if kind == "auslastung":
            return f"Auslastung {self.year} je Monat nach Betreuungsform", "percent", series
        return f"Belegungstage {self.year} je Monat nach Betreuungsform", "days", series


def _mandant_names(ids: Iterable[Hashable]) -> dict[Hashable, str]:
    wanted = [i for i in ids if isinstance(i, uuid.UUID)]
    found: dict[Hashable, str] = dict(
        Mandant.objects.filter(pk__in=wanted).values_list("pk", "name")
    )
    return {i: found.get(i, "unbekannt") for i in ids}


def available_years(today: date, back: int = 10) -> list[int]:
    """The years the form offers: this one and the ``back`` before it."""
    return list(range(today.year, today.year - back - 1, -1))


def fachbereiche() -> list[Fachbereich]:
    return list(Fachbereich.objects.order_by("order", "label"))
