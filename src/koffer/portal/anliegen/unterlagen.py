"""One item's files as one PDF for the Posteingang (the E-Akte files PDFs only): each
uploaded PDF with its pages as they are, each photo or image on an A4 page of its own,
upright, its pixels kept lossless (``koffer.pdf.raster``), scaled down to 300 dpi at most.
Every file was inspected when it was uploaded (``forms.ausfuellen.ablage``)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import pikepdf
from PIL import Image, ImageOps

from koffer.blobs.store import get_store
from koffer.pdf import raster

A4 = (595.28, 841.89)  # points
RAND = 28.35  # 1 cm
MAX_PIXEL = (2480, 3508)  # A4 at 300 dpi


def _lesen(sha256: str) -> bytes:
    with get_store().open(sha256) as datei:
        return datei.read()


def _bildseite(pdf: pikepdf.Pdf, daten: bytes) -> None:
    with Image.open(io.BytesIO(daten)) as geoeffnet:
        bild = ImageOps.exif_transpose(geoeffnet) or geoeffnet
        bild.thumbnail(MAX_PIXEL)
        breite, hoehe = A4
        platz_b, platz_h = breite - 2 * RAND, hoehe - 2 * RAND
        faktor = min(platz_b / bild.width, platz_h / bild.height)
        b, h = bild.width * faktor, bild.height * faktor
        x, y = (breite - b) / 2, (hoehe - h) / 2
        seite = pdf.add_blank_page(page_size=A4)
        name = seite.add_resource(
            raster.raster_xobject(pdf, bild), pikepdf.Name.XObject, prefix="Im"
        )
    seite.obj.Contents = pdf.make_stream(
        f"q {b:.4f} 0 0 {h:.4f} {x:.4f} {y:.4f} cm {name} Do Q".encode()
    )


def zusammenstellen(dateien: Sequence[tuple[str, str]]) -> tuple[bytes, int]:
    """``dateien``: (blob, MIME type) in order. The PDF and its page count."""
    ziel = pikepdf.new()
    offen: list[pikepdf.Pdf] = []
    try:
        for blob, typ in dateien:
            daten = _lesen(blob)
            if typ == "application/pdf":
                quelle = pikepdf.open(io.BytesIO(daten))
                offen.append(quelle)
                ziel.pages.extend(quelle.pages)
            else:
                _bildseite(ziel, daten)
        puffer = io.BytesIO()
        ziel.save(puffer)
        return puffer.getvalue(), len(ziel.pages)
    finally:
        for quelle in offen:
            quelle.close()
        ziel.close()
