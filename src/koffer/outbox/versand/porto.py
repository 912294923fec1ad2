"""The postage class of a letter from its page count (Deutsche Post, national letters).

Weight: 5 g per A4 sheet of 80 g/m² (a sheet is 1/16 m², 80 g/m² / 16 = 5 g) and 5 g for
the envelope. A duplex letter prints two pages per sheet. The classes by weight:
Standardbrief up to 20 g (3 sheets), Kompaktbrief up to 50 g (9 sheets), Großbrief up to
500 g (99 sheets), Maxibrief up to 1000 g (199 sheets). A heavier letter cannot go as a
letter: :func:`klasse` answers None and the batching leaves it out (the mail room sees it
among the alarms)."""

from __future__ import annotations

from dataclasses import dataclass

SHEET_GRAMS = 5
ENVELOPE_GRAMS = 5
# (class, the heaviest letter in grams) from the lightest class up.
KLASSEN = (
    ("Standardbrief", 20),
    ("Kompaktbrief", 50),
    ("Großbrief", 500),
    ("Maxibrief", 1000),
)


# Up to this many pages a letter is never too heavy (199 sheets printed simplex).
MAX_SEITEN_SIMPLEX = 199


@dataclass(frozen=True)
class Porto:
    blaetter: int
    gramm: int
    klasse: str | None  # None: too heavy for a letter


def blaetter(seiten: int, *, duplex: bool) -> int:
    return (seiten + 1) // 2 if duplex else seiten


def klasse(seiten: int, *, duplex: bool) -> Porto:
    sheets = blaetter(seiten, duplex=duplex)
    grams = sheets * SHEET_GRAMS + ENVELOPE_GRAMS
    found = next((name for name, limit in KLASSEN if grams <= limit), None)
    return Porto(sheets, grams, found)
