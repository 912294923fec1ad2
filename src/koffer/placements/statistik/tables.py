"""The published shape of the statistics: tables of cells with their units and signs,
the dimensions' labels (age groups, genders, months), shared by the page, CSV, XLSX, charts
and API."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Literal

from koffer import formats
from koffer.placements.models import Fachbereich, Geschlecht
from koffer.placements.statistik.scopes import (
    Scope,
)

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
MONTHS = formats.MONTH_ABBREVIATIONS
MONTH_NAMES = formats.MONTH_NAMES
YEAR_COLUMN = "Jahr"


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


Unit = Literal["count", "percent", "euro", "days"]
Key = tuple[Hashable, ...]

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
