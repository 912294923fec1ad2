"""The counting in the database: grouped aggregates with one conditional sum per month
(days inside a window are ``max(0, min(end, window_end) - max(start, window_start) + 1)``),
costs as days × the day rate valid on each day, in cents, in SQL."""

from __future__ import annotations

import calendar
from collections import defaultdict
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db.models import (
    Count,
    DateField,
    F,
    Func,
    IntegerField,
    Q,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce

from koffer.placements.models import Fachbereich
from koffer.placements.statistik.disclosure import (
    Quantity,
)
from koffer.placements.statistik.scopes import (
    Scope,
    belegungen_in,
    plaetze_in,
)
from koffer.placements.statistik.tables import (
    AGE_GROUPS,
    NO_REGION,
    TOTAL,
    Key,
)

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
class Window:
    """The counted part of the year (up to ``today``) and of each of its months."""

    start: date
    end: date
    months: tuple[tuple[date, date] | None, ...]  # None: month lies after ``today``

    @classmethod
    def of(cls, year: int, today: date) -> Window:
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


def age_group(alter: int) -> int:
    for i, (_, low, high) in enumerate(AGE_GROUPS):
        if alter >= low and (high is None or alter < high):
            return i
    return len(AGE_GROUPS) - 1


def count_begun(scope: Scope, window: Window, fb: Fachbereich | None) -> dict[Key, Quantity]:
    rows = (
        belegungen_in(scope)
        .filter(_fachbereich_q("angebot__", fb), beginn__gte=window.start, beginn__lte=window.end)
        .values("angebot__betreuungsform_id", "alter_bei_beginn", "geschlecht")
        .annotate(n=Count("pk"))
        .order_by()
    )
    base: dict[Key, Quantity] = defaultdict(Quantity)
    for r in rows:
        key = (r["angebot__betreuungsform_id"], age_group(r["alter_bei_beginn"]), r["geschlecht"])
        base[key].add(r["n"], r["n"])
    return base


def count_ended(scope: Scope, window: Window, fb: Fachbereich | None) -> dict[Key, Quantity]:
    rows = (
        belegungen_in(scope)
        .filter(_fachbereich_q("angebot__", fb), ende__gte=window.start, ende__lte=window.end)
        .values("angebot__betreuungsform_id", "alter_bei_beginn", "geschlecht", "ende_grund")
        .annotate(n=Count("pk"))
        .order_by()
    )
    base: dict[Key, Quantity] = defaultdict(Quantity)
    for r in rows:
        key = (
            r["angebot__betreuungsform_id"],
            age_group(r["alter_bei_beginn"]),
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


def month_columns() -> list[Hashable]:
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


def count_occupancy(
    scope: Scope, window: Window, fb: Fachbereich | None
) -> tuple[dict[Key, Vector], dict[Hashable, str]]:
    """Belegungstage, Belegungen and costs in cents per group (facility, form, region,
    youth office), month by month and for the year.

    Two statements: days and counts, then costs (each Belegung joined to the day rates of
    its Angebot; days of the three-way overlap Belegung ∩ rate period ∩ month, × rate)."""
    qs = belegungen_in(scope).filter(
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


def count_capacity(
    scope: Scope, window: Window, fb: Fachbereich | None
) -> tuple[dict[Key, Vector], dict[Hashable, str]]:
    """Available place-days per facility, form and region (youth office: TOTAL), month by
    month and for the year."""
    plaetze = plaetze_in(scope)
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


def rollup_vectors(
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
