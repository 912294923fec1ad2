"""A signature drawn on screen is checked before it is kept."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image, ImageDraw

from koffer.forms.unterschrift import PREFIX, UnterschriftUngueltig, png_lesen


def data_url(bild: Image.Image, **params: object) -> str:
    puffer = io.BytesIO()
    bild.save(puffer, format="PNG", **params)
    return PREFIX + base64.b64encode(puffer.getvalue()).decode()


def gezeichnet() -> Image.Image:
    bild = Image.new("RGBA", (600, 200), (0, 0, 0, 0))  # a canvas: transparent
    stift = ImageDraw.Draw(bild)
    stift.line(
        [(20, 150), (120, 40), (200, 160), (320, 50), (560, 120)], fill=(0, 0, 80, 255), width=4
    )
    return bild


def test_a_drawn_signature_is_kept_as_a_clean_grey_png() -> None:
    from PIL import PngImagePlugin

    info = PngImagePlugin.PngInfo()
    info.add_text("Comment", "<script>alert(1)</script>")
    png = png_lesen(data_url(gezeichnet(), pnginfo=info))
    with Image.open(io.BytesIO(png)) as bild:
        assert bild.format == "PNG" and bild.mode == "L" and bild.size == (600, 200)
        assert not bild.info.get("Comment")
        assert bild.getpixel((0, 0)) == 255  # transparent became white paper
    assert b"script" not in png


@pytest.mark.parametrize(
    ("text", "teil"),
    [
        ("data:image/jpeg;base64,AAAA", "nicht als Bild"),
        (PREFIX + "!!!", "beschädigt"),
        (PREFIX + base64.b64encode(b"GIF89a" + b"\0" * 40).decode(), "kein PNG"),
    ],
)
def test_what_is_no_png_is_refused(text: str, teil: str) -> None:
    with pytest.raises(UnterschriftUngueltig) as fehler:
        png_lesen(text)
    assert teil in fehler.value.message


def test_an_empty_or_tiny_drawing_is_no_signature() -> None:
    leer = Image.new("RGBA", (600, 200), (0, 0, 0, 0))
    with pytest.raises(UnterschriftUngueltig, match="leer"):
        png_lesen(data_url(leer))
    ImageDraw.Draw(leer).point([(10, 10), (11, 11)], fill=(0, 0, 0, 255))
    with pytest.raises(UnterschriftUngueltig, match="leer"):
        png_lesen(data_url(leer))


def test_a_small_file_claiming_a_huge_picture_is_refused_before_decoding() -> None:
    ihdr = struct.pack(">IIBBBBB", 60_000, 60_000, 8, 0, 0, 0, 0)
    chunk = (
        struct.pack(">I", len(ihdr))
        + b"IHDR"
        + ihdr
        + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    )
    bombe = b"\x89PNG\r\n\x1a\n" + chunk
    with pytest.raises(UnterschriftUngueltig, match="zu groß"):
        png_lesen(PREFIX + base64.b64encode(bombe).decode())
