"""A letter typeset: :func:`setze` turns a :class:`~koffer.outbox.satz.brief.Briefsatz`
into a tagged PDF/A-2a (PDF/UA-1), or raises :class:`Satzfehler` with the position in the
body where typst stopped."""

from __future__ import annotations

import re

import typst

from koffer.outbox.satz import layout
from koffer.outbox.satz.brief import Briefsatz
from koffer.pdf import typesetting

# Where typst names a position in the compiled source: ``…__typst_py_bytes__.typ:12:4``
# (line 1-based, column 0-based).
_POSITION = re.compile(r"__typst_py_bytes__\.typ:(\d+):(\d+)")
_SEARCHED_AT = re.compile(r" \(searched at [^)]*\)")
# Keywords that would load files or packages (typst downloads @preview packages from the
# internet): a template has no use for them. ``eval``, ``plugin`` and ``std`` are shadowed
# by the layout, so no string can be turned into such code at run time.
_FORBIDDEN = re.compile(r"(?<![\w-])(import|include)(?![\w-])")


class Satzfehler(Exception):
    """The body could not be typeset. ``line`` and ``column`` (both from 1) point into the
    body; None when the error lies outside it (then the message says what went wrong)."""

    def __init__(self, message: str, line: int | None = None, column: int | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column

    def __str__(self) -> str:
        if self.line is None:
            return self.message
        return f"Zeile {self.line}, Spalte {self.column}: {self.message}"


def setze(brief: Briefsatz) -> bytes:
    """The letter as PDF bytes (PDF/A-2a and PDF/UA-1, fonts embedded)."""
    _refuse_forbidden(brief.body)
    try:
        return typesetting.typeset(
            layout.quelle(brief.body),
            layout.daten(brief),
            standards=typesetting.TAGGED_PDFA,
            tagged=True,
        )
    except typst.TypstError as error:
        raise _satzfehler(error, brief.body) from None


def _refuse_forbidden(body: str) -> None:
    found = _FORBIDDEN.search(body)
    if found is None:
        return
    line = body.count("\n", 0, found.start()) + 1
    column = found.start() - (body.rfind("\n", 0, found.start()) + 1) + 1
    raise Satzfehler(f"„{found.group(1)}“ ist in Vorlagen nicht erlaubt.", line, column)


def _satzfehler(error: typst.TypstError, body: str) -> Satzfehler:
    message = _SEARCHED_AT.sub("", str(error.message)).strip()
    for hint in error.hints or ():
        if "--root" not in hint and "sandbox" not in hint:
            message += f" ({hint})"
    # The first position inside the body: errors in the layout called from the body (a
    # function of ours given a wrong argument) also name the calling line.
    for match in _POSITION.finditer(str(error.diagnostic)):
        line = int(match.group(1)) - layout.BODY_ERSTE_ZEILE + 1
        if 1 <= line <= body.count("\n") + 1:
            return Satzfehler(message, line, int(match.group(2)) + 1)
    return Satzfehler(message)
