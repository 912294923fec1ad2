"""Measuring a rendered letter with PDFium: where text and lines are, in millimetres from
the sheet's top left corner. No tests live here."""

from __future__ import annotations

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

MM = 25.4 / 72  # millimetres per point

Box = tuple[float, float, float, float]  # left, top, right, bottom in mm from the top left


def text_box(pdf: bytes, page_index: int, needle: str) -> Box:
    """The tight glyph box of the first occurrence of ``needle`` (its first line)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[page_index]
        height = page.get_height()
        text = page.get_textpage()
        searcher = text.search(needle, match_case=True)
        hit = searcher.get_next()
        assert hit is not None, f"{needle!r} steht nicht auf Seite {page_index + 1}"
        start, count = hit
        boxes = [text.get_charbox(i, loose=False) for i in range(start, start + count)]
        first_line = [b for b in boxes if abs(b[1] - boxes[0][1]) < 3]
        left = min(b[0] for b in first_line)
        right = max(b[2] for b in first_line)
        top = max(b[3] for b in first_line)
        bottom = min(b[1] for b in first_line)
        return left * MM, (height - top) * MM, right * MM, (height - bottom) * MM
    finally:
        doc.close()


def page_text(pdf: bytes, page_index: int) -> str:
    doc = pdfium.PdfDocument(pdf)
    try:
        return str(doc[page_index].get_textpage().get_text_bounded())
    finally:
        doc.close()


def objects(pdf: bytes, page_index: int, kind: int) -> list[Box]:
    """Bounds of the page's top-level objects of ``kind`` (``FPDF_PAGEOBJ_PATH``, …)."""
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[page_index]
        height = page.get_height()
        found = []
        for obj in page.get_objects(max_depth=0):
            if obj.type != kind:
                continue
            left, bottom, right, top = obj.get_bounds()
            found.append((left * MM, (height - top) * MM, right * MM, (height - bottom) * MM))
        return found
    finally:
        doc.close()


PATH = pdfium_c.FPDF_PAGEOBJ_PATH
FORM = pdfium_c.FPDF_PAGEOBJ_FORM
