"""How wide a line of text prints, from the advance widths of the font typst sets it in
(fonttools, each font read once per process): the house font Liberation Sans, DejaVu Sans
for characters it lacks, as in :data:`koffer.pdf.typesetting.PRELUDE`. Kerning is left
out (it narrows a line by a fraction of a millimetre). Without either font typst falls
back to its own serif; characters are then estimated at 0.6 em, wider than most text."""

from __future__ import annotations

import functools
from pathlib import Path

from django.conf import settings

from koffer.pdf.fonts import DEFAULT_FONT_DIRS

MM_PER_PT = 25.4 / 72
_FILES = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")  # the later one wins
UNKNOWN_EM = 0.6


@functools.cache
def _advances(path: str) -> dict[int, float]:
    """Advance width in em of every character the font maps."""
    from fontTools.ttLib import TTFont

    with TTFont(path, lazy=True) as font:
        upem = font["head"].unitsPerEm
        metrics = font["hmtx"].metrics
        return {code: metrics[glyph][0] / upem for code, glyph in font.getBestCmap().items()}


@functools.cache
def _widths(dirs: tuple[str, ...]) -> dict[int, float]:
    """Each character's width in the first of the house fonts that has it."""
    merged: dict[int, float] = {}
    for name in _FILES:
        path = next((Path(d) / name for d in dirs if (Path(d) / name).is_file()), None)
        if path is not None:
            merged.update(_advances(str(path)))
    return merged


def breite_mm(text: str, size_pt: float) -> float:
    """The printed width of ``text`` in ``size_pt``, in millimetres."""
    dirs = tuple(getattr(settings, "KOFFER_PDF_FONT_DIRS", None) or DEFAULT_FONT_DIRS)
    widths = _widths(dirs)
    em = sum(widths.get(ord(char), UNKNOWN_EM) for char in text)
    return em * size_pt * MM_PER_PT
