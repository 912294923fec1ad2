"""Raster images as lossless PDF images: the modes a PDF image holds, and the dpi a scan
names."""

from __future__ import annotations

import io

import pikepdf
import pytest
from PIL import Image, ImageChops

from koffer.pdf import raster


@pytest.mark.parametrize(
    ("dpi", "expected"), [((300, 300), 300.0), ((72, 72), None), ((5000, 5000), None), (None, None)]
)
def test_image_dpi_takes_what_a_scanner_writes(dpi, expected):
    image = Image.new("L", (10, 10))
    if dpi:
        image.info["dpi"] = dpi
    assert raster.image_dpi(image) == expected


@pytest.mark.parametrize(
    ("mode", "expected"),
    [("1", "1"), ("L", "L"), ("RGB", "RGB"), ("P", "RGB"), ("LA", "RGB"), ("RGBA", "RGB"),
     ("CMYK", "RGB"), ("I;16", "L"), ("I", "L"), ("F", "L")],
)  # fmt: skip
def test_printable_modes(mode, expected):
    assert raster.printable(Image.new(mode, (4, 4))).mode == expected


@pytest.mark.parametrize("mode", ["1", "L", "RGB"])
def test_raster_xobject_keeps_every_pixel(mode):
    image = Image.effect_noise((64, 48), 80).convert(mode)
    doc = pikepdf.new()
    stream = raster.raster_xobject(doc, image)
    assert stream.Filter == "/FlateDecode"
    assert int(stream.BitsPerComponent) == (1 if mode == "1" else 8)
    decoded = pikepdf.PdfImage(stream).as_pil_image()
    assert decoded.size == image.size
    assert ImageChops.difference(decoded.convert("RGB"), image.convert("RGB")).getbbox() is None
    out = io.BytesIO()
    doc.save(out)  # a valid object of the document
