"""Returned koffer letters for the Posteingang's tests: a real letter of the Postausgang
(its typesetting, with the reply code naming the letter), with the Post's sticker as a
text on its first page (born digital: no OCR, fast) or drawn onto its rasterised first
page (a real scan, for the one end-to-end test)."""

from __future__ import annotations

import io
import subprocess
import tempfile
from dataclasses import replace
from pathlib import Path

import pikepdf
from PIL import Image, ImageDraw

from koffer.outbox.models import Brief
from koffer.outbox.satz import satz
from koffer.outbox.satz.muster import muster
from koffer.records import antwortcode
from tests.inbox import scans

SCAN_DPI = 200
MM = SCAN_DPI / 25.4


def code_of(brief: Brief) -> str:
    return antwortcode.encode(
        antwortcode.Antwortcode(
            tenant_id=brief.tenant_id,
            akte_id=brief.akte_id,
            vorgang_id=brief.vorgang_id,
            letter_id=brief.pk,
        )
    )


def koffer_letter(code: str) -> bytes:
    """The Postausgang's sample letter (two pages, DIN 5008 form A) carrying ``code``."""
    return satz.setze(replace(muster("A"), antwortcode=code))


def with_text(pdf: bytes, lines: list[str], *, x: float = 70, y: float = 700) -> bytes:
    """``lines`` written onto the first page in Helvetica (a text layer, like the PDF of
    a scanner that recognises text itself)."""
    doc = pikepdf.open(io.BytesIO(pdf))
    page = doc.pages[0]
    font = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font,
            Subtype=pikepdf.Name.Type1,
            BaseFont=pikepdf.Name.Helvetica,
            Encoding=pikepdf.Name.WinAnsiEncoding,
        )
    )
    page.add_resource(font, pikepdf.Name.Font, pikepdf.Name("/KofferVermerk"))
    shown = b"".join(
        b"(" + line.encode("cp1252").replace(b"(", b"\\(").replace(b")", b"\\)") + b") Tj T* "
        for line in lines
    )
    stream = b"q BT /KofferVermerk 14 Tf 18 TL %.1f %.1f Td " % (x, y) + shown + b"ET Q"
    page.contents_add(pikepdf.Stream(doc, stream), prepend=False)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def scanned_with_sticker(pdf: bytes, lines: list[str]) -> bytes:
    """The letter's first page as the scanner sees it (pdftoppm at 200 dpi, grey) with
    the Post's sticker over the address field: an image-only PDF."""
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "brief.pdf"
        source.write_bytes(pdf)
        subprocess.run(
            [
                "pdftoppm",
                "-r",
                str(SCAN_DPI),
                "-gray",
                "-f",
                "1",
                "-l",
                "1",
                "-png",
                str(source),
                str(Path(folder) / "seite"),
            ],
            check=True,
            timeout=60,
        )
        [png] = sorted(Path(folder).glob("seite*.png"))
        page = Image.open(png).convert("L")
        page.load()
    draw = ImageDraw.Draw(page)
    # Form A's address field: 20 mm from the left, 27 to 72 mm from the top.
    box = (int(18 * MM), int(30 * MM), int(105 * MM), int(72 * MM))
    draw.rectangle(box, fill=255, outline=0, width=4)
    font = scans._font(46)
    y = box[1] + int(5 * MM)
    for line in lines:
        draw.text((box[0] + int(5 * MM), y), line, font=font, fill=0)
        y += 70
    return scans.image_pdf([page])
