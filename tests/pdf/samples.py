"""Helpers for the PDF tests: sample PDFs (fonts embedded or not), text positions measured
with PDFium, fonts switched for a test. No tests live here."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import typst
from django.test import override_settings

from koffer.pdf.fonts import font_dirs
from koffer.records.auszug import pdf as extract_pdf
from tests.records.dokumente.test_documents_fixtures import pdf_bytes

SAMPLES = Path("/work/shared/conformance/pdfa")
DEJAVU = "/usr/share/fonts/truetype/dejavu"
LIBERATION = "/usr/share/fonts/truetype/liberation2"

Box = tuple[float, float, float, float]  # left, bottom, right, top in points

COVER = extract_pdf.Cover(
    behoerde="Landratsamt Musterkreis",
    einheit="Schwerbehindertenrecht",
    aktenzeichen="SB-2026-00042",
    akte_titel="Feststellung GdB",
    person="Beispiel, Anna",
    aktenplan="50.9 Schwerbehindertenrecht",
    zweck="Aktenauszug für das Sozialgericht",
    datum="25.11.2026",
    ersteller="Erika Muster",
)


def helvetica_pdf(pages: list[str]) -> bytes:
    """What a scanner or an old program writes: text in Helvetica, font not embedded."""
    return pdf_bytes(pages)


def embedded_pdf(pages: list[str]) -> bytes:
    """A PDF/A-2b with one page per entry, fonts embedded (typeset by typst)."""
    source = """
#let d = json(bytes(sys.inputs.data))
#set text(font: ("Liberation Sans", "DejaVu Sans"), lang: "de")
#for (i, p) in d.enumerate() { if i > 0 { pagebreak() }; p }
"""
    result = typst.compile(
        input=source.encode(),
        font_paths=font_dirs(),
        ignore_system_fonts=True,
        sys_inputs={"data": json.dumps(pages)},
        pdf_standards="a-2b",
    )
    assert isinstance(result, bytes)
    return result


def sample(name: str) -> bytes:
    return (SAMPLES / name).read_bytes()


def edited(data: bytes, change: object) -> pikepdf.Pdf:
    """``data`` opened and changed in memory by ``change(pdf)`` (not saved, so what
    saving would add, like a trailer ID, is not added)."""
    pdf = pikepdf.open(io.BytesIO(data))
    change(pdf)  # type: ignore[operator]
    return pdf


def boxes(data: bytes, page_index: int, *needles: str) -> dict[str, list[Box]]:
    """Where each of ``needles`` is printed on the page: one box per occurrence (per line
    when it wraps), measured by PDFium from the glyphs."""
    doc = pdfium.PdfDocument(data)
    try:
        page = doc[page_index]
        text = page.get_textpage()
        found: dict[str, list[Box]] = {}
        for needle in needles:
            searcher = text.search(needle, match_case=True)
            hits: list[Box] = []
            while (hit := searcher.get_next()) is not None:
                start, count = hit
                for index in range(text.count_rects(start, count)):
                    hits.append(tuple(text.get_rect(index)))  # type: ignore[arg-type]
            searcher.close()
            found[needle] = hits
        text.close()
        page.close()
        return found
    finally:
        doc.close()


def overlap(a: Box, b: Box, *, slack: float = 0.5) -> bool:
    """Two boxes share area (more than ``slack`` points in both directions)."""
    return min(a[2], b[2]) - max(a[0], b[0]) > slack and min(a[3], b[3]) - max(a[1], b[1]) > slack


@contextmanager
def only_fonts(*dirs: str) -> Iterator[None]:
    """Typeset with fonts from ``dirs`` only (koffer.pdf.typesetting keeps a compiler per
    set of font folders)."""
    with override_settings(KOFFER_PDF_FONT_DIRS=list(dirs)):
        yield
