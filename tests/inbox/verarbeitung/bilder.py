"""Real scans for the processing steps' tests: pages drawn with Pillow at a scanner's dpi,
with QR codes from segno and barcodes from zxing-cpp's writer pasted in, skewed, with
noise, saved as image-only PDFs and as TIFFs (CCITT G4, LZW)."""

from __future__ import annotations

import io
import random
from collections.abc import Sequence

import segno
import zxingcpp
from PIL import Image, ImageDraw

A4_INCHES = (8.27, 11.69)


def qr(text: str, *, module_px: int = 6) -> Image.Image:
    out = io.BytesIO()
    segno.make_qr(text, error="m").save(out, kind="png", scale=module_px, border=0)
    return Image.open(io.BytesIO(out.getvalue())).convert("L")


def barcode(text: str, format: str, *, scale: int = 3) -> Image.Image:
    """A barcode drawn by zxing-cpp's own writer ("Code128", "Code39", "DataMatrix")."""
    symbol = zxingcpp.create_barcode(text, getattr(zxingcpp.BarcodeFormat, format))
    drawn = memoryview(zxingcpp.write_barcode_to_image(symbol, scale=scale))
    height, width = drawn.shape
    return Image.frombytes("L", (width, height), drawn.tobytes())


def page(
    codes: Sequence[Image.Image] = (),
    *,
    dpi: int = 200,
    angle: float = 2.0,
    noise: float = 0.01,
    upside_down: bool = False,
    seed: int = 1,
    lines: int = 25,
) -> Image.Image:
    """An A4 page in grey at ``dpi``: ``codes`` one below the other near the top, lines of
    text below them, turned by ``angle`` degrees (a skewed sheet), with salt-and-pepper
    noise on ``noise`` of its pixels."""
    width, height = int(A4_INCHES[0] * dpi), int(A4_INCHES[1] * dpi)
    sheet = Image.new("L", (width, height), 255)
    top = dpi
    for code in codes:
        sheet.paste(code, (width // 2 - code.width // 2, top))
        top += code.height + dpi // 2
    draw = ImageDraw.Draw(sheet)
    for line in range(lines):
        draw.text((dpi, top + line * dpi // 5), "Sehr geehrte Damen und Herren, " * 3, fill=0)
    sheet = sheet.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=255)
    rng = random.Random(seed)
    pixels = sheet.load()
    assert pixels is not None
    for _ in range(int(width * height * noise)):
        x, y = rng.randrange(width), rng.randrange(height)
        pixels[x, y] = 0 if pixels[x, y] > 127 else 255  # type: ignore[operator]
    return sheet.rotate(180) if upside_down else sheet


def bilevel(image: Image.Image) -> Image.Image:
    return image.point(lambda v: 255 if v > 127 else 0).convert("1")


def pdf(pages: Sequence[Image.Image], *, dpi: int = 200) -> bytes:
    """An image-only PDF (no text layer), one image a page, as a scanner writes it."""
    # Copies: Pillow leaves an encoder's settings on images it saved, and a later save in
    # another format stumbles over them.
    pages = [p.copy() for p in pages]
    out = io.BytesIO()
    pages[0].save(out, "PDF", save_all=True, append_images=list(pages[1:]), resolution=dpi)
    return out.getvalue()


def tiff(pages: Sequence[Image.Image], *, compression: str, dpi: int = 200) -> bytes:
    """A multi-page TIFF, e.g. ``compression="group4"`` (pages in mode "1") or
    ``"tiff_lzw"``."""
    pages = [p.copy() for p in pages]
    out = io.BytesIO()
    pages[0].save(
        out,
        "TIFF",
        save_all=True,
        append_images=list(pages[1:]),
        compression=compression,
        dpi=(dpi, dpi),
    )
    return out.getvalue()
