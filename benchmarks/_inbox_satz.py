"""Page layout for the Posteingang corpus: pages as lists of elements in millimetres on
A4, measured with the fonts the machine has, so one layout gives the printed text (the
ground truth) and the page image at any resolution.

Fonts: Liberation (the house font, ``koffer.pdf.fonts``) or DejaVu for print; for
handwriting URW's Z003 (a Zapf-Chancery-like script, Debian ``fonts-urw-base35``, which
Ghostscript brings) and, where it is missing, an oblique DejaVu. Handwritten words are
set one by one with a little jitter of baseline and size, so even the fallback does not
look typeset. Pillow's own font is the last resort (then the corpus still builds).
"""

from __future__ import annotations

import functools
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from PIL import ImageFont

PAGE_W = 210.0
PAGE_H = 297.0
PT = 25.4 / 72  # millimetres per point
BOTTOM = 272.0  # below this the text flows onto the next page
TOP_CONTINUED = 22.0

_FONT_FILES: dict[str, tuple[str, ...]] = {
    "sans": (
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
    ),
    "sans-bold": (
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSans-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
    ),
    "serif": (
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
    ),
    "serif-bold": (
        "/usr/share/fonts/truetype/liberation2/LiberationSerif-Bold.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationSerif-Bold.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSerif-Bold.ttf",
    ),
    "mono": (
        "/usr/share/fonts/truetype/liberation2/LiberationMono-Regular.ttf",
        "/usr/share/fonts/truetype/liberation/LiberationMono-Regular.ttf",
        "/usr/share/fonts/truetype/dejavu/DejaVuSansMono.ttf",
    ),
    "hand": (
        "/usr/share/fonts/opentype/urw-base35/Z003-MediumItalic.otf",
        "/usr/share/fonts/type1/urw-base35/Z003-MediumItalic.t1",
        "/usr/share/fonts/X11/Type1/Z003-MediumItalic.pfb",
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Oblique.ttf",
    ),
}
_MEASURE_PX = 200  # fonts are measured at this size and scaled


@functools.cache
def font_file(key: str) -> str | None:
    """The first font file for ``key`` that exists here, or None (Pillow's own font)."""
    return next((f for f in _FONT_FILES[key] if Path(f).is_file()), None)


def handwriting_font() -> str:
    """What handwriting is set in on this machine (for the report)."""
    path = font_file("hand")
    if path is None:
        return "Pillow-Standardschrift (schräg gesetzt nicht möglich)"
    return Path(path).name


@functools.cache
def font(key: str, px: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = font_file(key)
    if path is None:
        return ImageFont.load_default(px)
    # Basic layout: no ligatures (Z003 would set "Nr" as "№") and the same glyph positions
    # wherever the corpus is built, with or without libraqm.
    return ImageFont.truetype(path, px, layout_engine=ImageFont.Layout.BASIC)


def width_mm(text: str, key: str, size_pt: float) -> float:
    return font(key, _MEASURE_PX).getlength(text) / _MEASURE_PX * size_pt * PT


@dataclass(frozen=True)
class Text:
    x: float  # left, mm
    y: float  # top of the line, mm
    text: str
    font: str = "sans"
    size: float = 10.0  # pt
    ink: int = 0  # 0 black … 255 white; handwriting in blue ink scans lighter


@dataclass(frozen=True)
class Rule:
    x1: float
    y1: float
    x2: float
    y2: float
    width: float = 0.3


@dataclass(frozen=True)
class Box:
    x: float
    y: float
    w: float
    h: float
    width: float = 0.3


@dataclass(frozen=True)
class Qr:
    x: float
    y: float
    size: float  # mm, the quiet zone included
    payload: str


Element = Text | Rule | Box | Qr


def page_text(elements: list[Element]) -> str:
    """The text of a page in reading order: lines top to bottom (texts whose tops lie
    within 1.2 mm are one line), each line left to right."""
    texts = sorted((e for e in elements if isinstance(e, Text)), key=lambda t: (t.y, t.x))
    lines: list[list[Text]] = []
    for t in texts:
        if lines and abs(t.y - lines[-1][0].y) <= 1.2:
            lines[-1].append(t)
        else:
            lines.append([t])
    return "\n".join(" ".join(t.text for t in sorted(line, key=lambda t: t.x)) for line in lines)


@dataclass
class Satz:
    """Pages being set: absolute elements, and flowing paragraphs that continue on a new
    page below :data:`BOTTOM`."""

    rng: random.Random
    pages: list[list[Element]] = field(default_factory=lambda: [[]])
    y: float = 100.0
    hand_ink: int = 60

    @property
    def page(self) -> list[Element]:
        return self.pages[-1]

    def add(self, *elements: Element) -> None:
        self.page.extend(elements)

    def text(self, x: float, y: float, text: str, font: str = "sans", size: float = 10.0) -> None:
        if font == "hand":
            self.hand(x, y, text, size)
        elif text:
            self.add(Text(x, y, text, font, size))

    def right(self, x_right: float, y: float, text: str, font: str = "sans", size: float = 10.0):
        """``text`` ending at ``x_right`` (amounts in tables)."""
        self.text(x_right - width_mm(text, font, size), y, text, font, size)

    def hand(self, x: float, y: float, text: str, size: float = 13.0) -> float:
        """Handwriting: word by word, baseline and size jittered; returns the x after it."""
        for word in text.split():
            jitter = self.rng.uniform(-0.35, 0.35)
            word_size = size * self.rng.uniform(0.94, 1.06)
            self.add(Text(x, y + jitter, word, "hand", word_size, self.hand_ink))
            x += width_mm(word, "hand", word_size) + width_mm(" ", "hand", size) * self.rng.uniform(
                1.1, 1.8
            )
        return x

    def new_page(self) -> None:
        self.pages.append([])
        self.y = TOP_CONTINUED

    def need(self, height: float) -> None:
        if self.y + height > BOTTOM:
            self.new_page()

    def gap(self, mm: float) -> None:
        self.y += mm

    def line(self, text: str, *, x: float = 25.0, font: str = "sans", size: float = 10.5) -> None:
        leading = size * PT * (1.65 if font == "hand" else 1.35)
        self.need(leading)
        self.text(x, self.y, text, font, size)
        self.y += leading

    def para(
        self,
        text: str,
        *,
        x: float = 25.0,
        width: float = 163.0,
        font: str = "sans",
        size: float = 10.5,
        after: float = 3.0,
    ) -> None:
        """A paragraph wrapped to ``width``; handwriting wraps a little earlier."""
        limit = width * (0.92 if font == "hand" else 1.0)
        for row in wrap(text, font, size, limit):
            self.line(row, x=x, font=font, size=size)
        self.y += after

    def footers(self, template: str = "Seite {n} von {total}") -> None:
        """A page number at the foot of every page of a letter longer than one page."""
        total = len(self.pages)
        if total < 2:
            return
        for n, page in enumerate(self.pages, start=1):
            text = template.format(n=n, total=total)
            page.append(Text(PAGE_W / 2 - width_mm(text, "sans", 8) / 2, 286.0, text, "sans", 8))


def wrap(text: str, key: str, size: float, limit: float) -> Iterator[str]:
    row = ""
    for word in text.split():
        candidate = f"{row} {word}" if row else word
        if row and width_mm(candidate, key, size) > limit:
            yield row
            row = word
        else:
            row = candidate
    if row:
        yield row
