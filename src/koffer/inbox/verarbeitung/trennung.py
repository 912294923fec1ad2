"""Splitting a scan into documents at its separator sheets (Trennblätter).

A separator sheet is a page that carries a code whose text matches ``pattern`` (a regular
expression searched in the code's text; the default is koffer's own sheet,
``KOFFER-TRENNBLATT``). Its pages are not part of any document; they are listed in
``separators``. A page that carries a separator code and anything else (text, another
code, a stamp) is still a separator sheet: the code says what the page is, and a
separator code printed on a letter by mistake is rarer than a note written on a sheet. The
problem list lets people see such cases where they matter.

The promise: every page is in exactly one Teil or in ``separators``, in the order of the
scan; nothing is dropped silently. What looks wrong is kept as it is and reported (code,
German message with 1-based page numbers):

* ``separator_last_page``: the last page is a separator (perhaps the file was cut after
  it, and the next file starts the document that belonged here);
* ``empty_document``: two separators with nothing between (no Teil is made);
* ``only_separators``: the file holds separator sheets only (no Teil);
* ``separator_ignored``: a separator code in a batch delivered one document per file
  (``per_file``): the page stays in its document.

A separator as the first page is normal (a sheet before every document) and no problem.
Pure: no I/O, no database.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from koffer.inbox.verarbeitung.codes import Code

SEPARATOR_PATTERN = r"^KOFFER-TRENNBLATT$"


@dataclass(frozen=True)
class Teil:
    pages: tuple[int, ...]  # one document's pages, 0-based, separator pages removed


@dataclass(frozen=True)
class Trennung:
    teile: list[Teil]
    separators: list[int]
    problems: list[tuple[str, str]]  # (code, German message)


def split(
    page_count: int,
    codes: Sequence[Code],
    *,
    pattern: str = SEPARATOR_PATTERN,
    per_file: bool = False,
) -> Trennung:
    """The documents of a scan of ``page_count`` pages, split at separator sheets (pages
    with a code matching ``pattern``); with ``per_file`` the whole file is one document.
    Codes on pages outside the scan are ignored. Raises re.error for a bad pattern."""
    if page_count <= 0:
        return Trennung([], [], [("no_pages", "Die Datei enthält keine Seiten.")])
    matcher = re.compile(pattern)
    marked = sorted({c.page for c in codes if 0 <= c.page < page_count and matcher.search(c.text)})
    everything = Teil(tuple(range(page_count)))
    if per_file:
        problems = [
            (
                "separator_ignored",
                f"Auf Seite {page + 1} ist ein Trennblatt, die Datei wird aber als ein "
                "Dokument geliefert: Die Seite bleibt im Dokument.",
            )
            for page in marked
        ]
        return Trennung([everything], [], problems)
    if not marked:
        return Trennung([everything], [], [])
    if len(marked) == page_count:
        return Trennung(
            [],
            marked,
            [
                (
                    "only_separators",
                    f"Die Datei enthält nur Trennblätter ({_pages(marked)}) und kein Dokument.",
                )
            ],
        )
    return _walk(page_count, set(marked))


def _walk(page_count: int, separators: set[int]) -> Trennung:
    teile: list[Teil] = []
    problems: list[tuple[str, str]] = []
    current: list[int] = []
    for page in range(page_count):
        if page not in separators:
            current.append(page)
            continue
        if current:
            teile.append(Teil(tuple(current)))
            current = []
        elif page - 1 in separators:
            problems.append(
                (
                    "empty_document",
                    f"Zwischen den Trennblättern auf Seite {page} und Seite {page + 1} liegt "
                    "kein Dokument.",
                )
            )
    if current:
        teile.append(Teil(tuple(current)))
    if page_count - 1 in separators:
        problems.append(
            (
                "separator_last_page",
                f"Trennblatt als letzte Seite (Seite {page_count}): Vielleicht fehlt das "
                "Dokument danach oder es steht am Anfang der nächsten Datei.",
            )
        )
    return Trennung(teile, sorted(separators), problems)


def _pages(pages: Sequence[int]) -> str:
    numbers = [str(p + 1) for p in pages]
    if len(numbers) == 1:
        return f"Seite {numbers[0]}"
    return "Seiten " + ", ".join(numbers[:-1]) + " und " + numbers[-1]
