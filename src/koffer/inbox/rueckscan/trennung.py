"""A file of a Rückscan batch split at its Deckblätter (cover sheets): the pages after a
Deckblatt, up to the next one, are one paper file (one document of that Akte), in the
order scanned; the Deckblatt pages themselves belong to no document.

The promise is the pipeline's (``verarbeitung.trennung``): every page is in exactly one
Teil or is a Deckblatt, nothing is dropped silently. What looks wrong is kept and
reported (code, German message with 1-based pages):

* ``ohne_deckblatt``: pages before the first Deckblatt (or a file without any): they
  form a Teil of their own, without a target, which waits in triage;
* ``deckblatt_ohne_seiten``: a Deckblatt followed by the next one or by the file's end
  (no Teil is made for it).

Separator sheets mean nothing here (the Deckblatt starts each file): such a page stays in
its document. Pure: no I/O, no database.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from koffer.inbox.rueckscan import deckblatt
from koffer.inbox.verarbeitung.codes import Code
from koffer.inbox.verarbeitung.trennung import Teil, Trennung


@dataclass(frozen=True)
class Rueckscanteilung:
    """The file's parts (``trennung``, its ``separators`` are the Deckblatt pages) and per
    part the Deckblatt code that starts it (None: the pages before the first one)."""

    trennung: Trennung
    deckblaetter: list[Code | None]


def split(page_count: int, codes: Sequence[Code], tenant_id: uuid.UUID) -> Rueckscanteilung:
    """Split a scan of ``page_count`` pages at the pages carrying a Deckblatt code (valid
    or not: a forged or foreign sheet still starts a new paper file, which then waits in
    triage rather than being added to the Akte before it)."""
    if page_count <= 0:
        return Rueckscanteilung(
            Trennung([], [], [("no_pages", "Die Datei enthält keine Seiten.")]), []
        )
    sheets: dict[int, Code] = {}
    for code in codes:
        if 0 <= code.page < page_count and deckblatt.is_deckblatt(code.text):
            sheets.setdefault(code.page, code)  # the first (topmost) code of a page
    teile: list[Teil] = []
    starts: list[Code | None] = []
    problems: list[tuple[str, str]] = []
    current: list[int] = []
    start: Code | None = None
    for page in range(page_count):
        if page not in sheets:
            current.append(page)
            continue
        _close(teile, starts, problems, current, start, at_end=False)
        current, start = [], sheets[page]
    _close(teile, starts, problems, current, start, at_end=True)
    return Rueckscanteilung(Trennung(teile, sorted(sheets), problems), starts)


def _close(
    teile: list[Teil],
    starts: list[Code | None],
    problems: list[tuple[str, str]],
    pages: list[int],
    start: Code | None,
    *,
    at_end: bool,
) -> None:
    """The part of ``pages`` started by ``start``; ``at_end``: the file ends after it."""
    if pages:
        teile.append(Teil(tuple(pages)))
        starts.append(start)
        if start is None:
            problems.append(
                (
                    "ohne_deckblatt",
                    f"{_pages(pages)} ohne Deckblatt davor: Sie warten auf eine Zuordnung.",
                )
            )
    elif start is not None:
        problems.append(
            (
                "deckblatt_ohne_seiten",
                f"Auf das Deckblatt auf Seite {start.page + 1} folgt "
                + ("keine Seite mehr." if at_end else "gleich das nächste Deckblatt."),
            )
        )


def _pages(pages: Sequence[int]) -> str:
    if len(pages) == 1:
        return f"Seite {pages[0] + 1}"
    return f"Seiten {pages[0] + 1}–{pages[-1] + 1}"
