"""Disclosure control: every cell that rests on one or two Belegungen is suppressed for
aggregate viewers, together with the sums that would give it away. Done here, once, so the
page, CSV, XLSX and API show the same numbers."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from koffer.placements.statistik.tables import (
    TOTAL,
    Key,
)

MIN_COUNT = 3  # cells resting on 1 or 2 Belegungen are suppressed for aggregate viewers

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


def rollup(
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
