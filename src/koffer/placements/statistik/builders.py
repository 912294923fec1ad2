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

Who sees what (:func:`~koffer.placements.statistik.scopes.scope_for`): a provider its own
facilities, a youth office the Belegungen it made (with per-facility detail), the
Landesjugendamt and the ministry the whole installation, aggregated only: no per-facility
rows, and every cell that rests on one or two Belegungen is suppressed
(:func:`~koffer.placements.statistik.disclosure.suppress`), together with the sums that
would give it away. Suppression happens while the tables are built here, so the page, CSV,
XLSX and API show the same numbers.

The counting is done by the database: grouped aggregates with one conditional sum per
month (days inside a window are ``max(0, min(end, window_end) - max(start,
window_start) + 1)``); costs join each Belegung to the day rates of its
Angebot and sum days × rate per overlap, in cents, in SQL. Python only adds up the few
hundred or thousand groups into the published tables.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from koffer import formats
from koffer.placements.models import Belegung, Betreuungsform, Fachbereich
from koffer.placements.statistik.disclosure import (
    Quantity,
    rollup,
    suppress,
)
from koffer.placements.statistik.scopes import (
    Scope,
)
from koffer.placements.statistik.sql import (
    CENTS,
    COUNTS,
    DAYS,
    DIM_EINRICHTUNG,
    DIM_FORM,
    DIM_JUGENDAMT,
    DIM_REGION,
    Vector,
    Window,
    count_begun,
    count_capacity,
    count_ended,
    count_occupancy,
    month_columns,
    rollup_vectors,
)
from koffer.placements.statistik.tables import (
    AGE_GROUPS,
    GENDERS,
    MONTHS,
    NO_REGION,
    SECTION_COSTS,
    SECTION_MOVES,
    SECTION_OCCUPANCY,
    TOTAL,
    YEAR_COLUMN,
    Cell,
    Key,
    Row,
    Series,
    Statistik,
    Table,
    Unit,
)
from koffer.tenancy.models import Mandant

# --- formatting of labels and values -------------------------------------------------------


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
    window = Window.of(year, today)
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
        begun_base = count_begun(scope, window, fachbereich)
        ended_base = count_ended(scope, window, fachbereich)
        occ_base, names = count_occupancy(scope, window, fachbereich)
        cap_base, cap_names = count_capacity(scope, window, fachbereich)
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
        self.begun = rollup(begun_base, keep3, 3)
        _complete(self.begun, [self.form_ids, ages, genders], [frozenset(s) for s in _subsets(3)])
        keep4 = [frozenset(s) for s in _subsets(3)] + [frozenset({0, 3}), frozenset({3})]
        self.ended = rollup(ended_base, keep4, 4)
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
        window: Window,
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
        months = month_columns()
        # The cube: one cell per published group and month (the year as TOTAL).
        self.cube: dict[Key, Quantity] = {}
        for group, v in rollup_vectors(base, keeps).items():
            for slot, month in enumerate(months):
                self.cube[(*group, month)] = Quantity(
                    v[COUNTS + slot], v[DAYS + slot], v[CENTS + slot]
                )
        self.capacity: dict[Key, int] = {
            (*group, month): v[slot]
            for group, v in rollup_vectors(capacity, keeps).items()
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
            return Cell(formats.percent_of(q.value, self.capacity.get(key, 0)))
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
                        self._cell(self._key(dim.index, value, m), unit) for m in month_columns()
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
