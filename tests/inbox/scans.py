"""Scanned files and Lieferscheine for the Posteingang's tests, made on the spot."""

from __future__ import annotations

import hashlib
import io
import json
from typing import Any

import pikepdf
from PIL import Image


def pdf(pages: int = 1) -> bytes:
    doc = pikepdf.new()
    for _ in range(pages):
        doc.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def encrypted_pdf(pages: int = 1, *, user_password: str = "geheim") -> bytes:
    doc = pikepdf.open(io.BytesIO(pdf(pages)))
    out = io.BytesIO()
    doc.save(out, encryption=pikepdf.Encryption(owner="besitzer", user=user_password))
    return out.getvalue()


def tiff(frames: int = 1) -> bytes:
    images = [Image.new("L", (200, 280), color=255) for _ in range(frames)]
    out = io.BytesIO()
    images[0].save(out, format="TIFF", save_all=True, append_images=images[1:])
    return out.getvalue()


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def manifest(
    files: dict[str, bytes],
    *,
    batch_id: str = "2026-11-25-0001",
    pages: dict[str, int] | None = None,
    hashes: dict[str, str] | None = None,
    quality: str = "bestanden",
    **extra: Any,
) -> bytes:
    """A Lieferschein declaring ``files`` with their real hashes and one page each,
    unless ``pages`` or ``hashes`` say otherwise."""
    pages = pages or {}
    hashes = hashes or {}
    note = {
        "version": 1,
        "stapel_id": batch_id,
        "scan_datum": "2026-11-24",
        "operator": "M. Muster",
        "scanner": "Fujitsu fi-7600 Nr. 3",
        "qualitaetspruefung": {"ergebnis": quality, "bemerkung": "Stichprobe 10 %"},
        "dateien": [
            {"name": name, "seiten": pages.get(name, 1), "sha256": hashes.get(name, sha256(data))}
            for name, data in files.items()
        ],
        **extra,
    }
    return json.dumps(note, ensure_ascii=False, indent=2).encode()


# --- scanned letters: real images of text and codes, as a scanner delivers them -------------

FONT_CANDIDATES = (
    "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSans-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf",
)
DPI = 200


def _font(size: int) -> Any:
    from pathlib import Path

    from PIL import ImageFont

    for candidate in FONT_CANDIDATES:
        if Path(candidate).exists():
            return ImageFont.truetype(candidate, size)
    raise RuntimeError("Keine Schrift für Test-Scans (fonts-liberation2 oder fonts-dejavu)")


def letter(lines: list[str], *, qr: str | None = None, upside_down: bool = False) -> Image.Image:
    """An A4 page at 200 dpi with ``lines`` of text (12 pt) and, if given, a QR code at
    the top right, like a letter out of the scanner."""
    from PIL import ImageDraw

    page = Image.new("L", (1654, 2339), color=255)
    draw = ImageDraw.Draw(page)
    font = _font(36)
    y = 420
    for line in lines:
        draw.text((180, y), line, font=font, fill=0)
        y += 60
    if qr is not None:
        import segno

        code = segno.make(qr, error="m")
        buffer = io.BytesIO()
        code.save(buffer, kind="png", scale=8, border=4)
        image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
        page.paste(image, (page.width - image.width - 120, 120))
    return page.rotate(180) if upside_down else page


def separator(code: str = "KOFFER-TRENNBLATT") -> Image.Image:
    """A separator sheet: a big QR code and the word."""
    page = letter(["", "", "", "TRENNBLATT"], qr=None)
    import segno

    buffer = io.BytesIO()
    segno.make(code, error="m").save(buffer, kind="png", scale=16, border=4)
    image = Image.open(io.BytesIO(buffer.getvalue())).convert("L")
    page.paste(image, ((page.width - image.width) // 2, 900))
    return page


def image_pdf(pages: list[Image.Image]) -> bytes:
    """An image-only PDF (no text layer), one page per image at 200 dpi."""
    out = io.BytesIO()
    pages[0].save(out, format="PDF", save_all=True, append_images=pages[1:], resolution=DPI)
    return out.getvalue()
