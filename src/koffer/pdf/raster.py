"""Raster images as PDF image objects without losing a pixel: how a scan or a photo becomes
a page's picture (the Aktenauszug's images, the Posteingang's TIFF pages).

Bilevel scans stay 1 bit, grey stays grey, the rest becomes RGB; transparency is laid on
white (a sheet of paper); 16-bit grey becomes 8-bit grey. Pixels are compressed
with Flate, so nothing is lost, only a JPEG's pixels take more room than the JPEG did.
"""

from __future__ import annotations

import zlib

import pikepdf
from PIL import Image

# Resolutions a scanner writes; cameras write 72 dpi, which says nothing about paper.
PLAUSIBLE_DPI = (100.0, 2400.0)


def image_dpi(img: Image.Image) -> float | None:
    """The horizontal resolution the image names, or None when it names none or one no
    scanner writes (square pixels are assumed)."""
    raw = img.info.get("dpi")
    try:
        dpi = float(raw[0]) if raw else 0.0
    except (TypeError, ValueError, IndexError):
        return None
    low, high = PLAUSIBLE_DPI
    return dpi if low <= dpi <= high else None


def printable(img: Image.Image) -> Image.Image:
    """``img`` in a mode a PDF image holds as it is: "1", "L" or "RGB"."""
    if img.mode in ("1", "L", "RGB"):
        return img
    if img.mode in ("RGBA", "LA", "P", "PA", "La", "RGBa") or "transparency" in img.info:
        rgba = img.convert("RGBA")
        flat = Image.new("RGB", rgba.size, "white")
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    if img.mode.startswith("I;16"):
        # Pillow clips 16-bit grey to 8 bits (everything above 255 white): scale it.
        return img.convert("I").point(lambda v: v * (1 / 256)).convert("L")
    if img.mode in ("I", "F"):
        return img.convert("L")
    return img.convert("RGB")


def raster_xobject(pdf: pikepdf.Pdf, img: Image.Image) -> pikepdf.Stream:
    """An image XObject of ``pdf`` holding ``img``'s pixels, Flate-compressed."""
    flat = printable(img)
    return pikepdf.Stream(
        pdf,
        # Pillow packs mode "1" as 1 bit a pixel with 1 = white, as DeviceGray reads it.
        zlib.compress(flat.tobytes(), 6),
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=flat.width,
        Height=flat.height,
        ColorSpace=pikepdf.Name.DeviceRGB if flat.mode == "RGB" else pikepdf.Name.DeviceGray,
        BitsPerComponent=1 if flat.mode == "1" else 8,
        Filter=pikepdf.Name.FlateDecode,
    )
