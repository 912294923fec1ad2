"""A signature drawn on screen: the PNG the page's canvas makes (``static/forms/unterschrift.js``),
checked and made plain before koffer keeps it.

The browser sends a ``data:image/png;base64,…`` text. koffer reads its size from the PNG
header before decoding anything (a small file may claim a huge picture), decodes it,
refuses an empty drawing, and keeps a fresh PNG of the pixels only (no text chunks, no
other payload the sender may have put in).
"""

from __future__ import annotations

import base64
import binascii
import io
import struct

from PIL import Image

from koffer.errors import DomainError

PREFIX = "data:image/png;base64,"
MAX_BYTES = 400_000
MAX_BREITE = 2400
MAX_HOEHE = 1200
#: at least this many drawn pixels: a dot or a slip of the finger is no signature
MIN_STRICHPUNKTE = 150
_PNG = b"\x89PNG\r\n\x1a\n"


class UnterschriftUngueltig(DomainError):
    def __init__(self, message: str) -> None:
        super().__init__("signature_invalid", message)


def png_lesen(data_url: str) -> bytes:
    """The signature of ``data_url`` as a clean PNG (black strokes on white), or
    :class:`UnterschriftUngueltig` with a German message."""
    if not isinstance(data_url, str) or not data_url.startswith(PREFIX):
        raise UnterschriftUngueltig(
            "Die Unterschrift wurde nicht als Bild übermittelt. Bitte erneut unterschreiben."
        )
    if len(data_url) > MAX_BYTES * 4 // 3 + len(PREFIX) + 4:
        raise UnterschriftUngueltig("Das Bild der Unterschrift ist zu groß.")
    try:
        roh = base64.b64decode(data_url[len(PREFIX) :], validate=True)
    except (binascii.Error, ValueError) as exc:
        raise UnterschriftUngueltig(
            "Das Bild der Unterschrift ist beschädigt. Bitte erneut unterschreiben."
        ) from exc
    breite, hoehe = _kopf(roh)
    if not (0 < breite <= MAX_BREITE and 0 < hoehe <= MAX_HOEHE):
        raise UnterschriftUngueltig(
            f"Das Bild der Unterschrift ist zu groß ({breite} × {hoehe} Punkte)."
        )
    try:
        with Image.open(io.BytesIO(roh), formats=["PNG"]) as bild:
            bild.load()
            grau = _auf_weiss(bild)
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise UnterschriftUngueltig(
            "Das Bild der Unterschrift ist beschädigt. Bitte erneut unterschreiben."
        ) from exc
    # a stroke is anything clearly darker than the white paper
    striche = sum(grau.point(lambda wert: 255 if wert < 160 else 0).histogram()[255:])
    if striche < MIN_STRICHPUNKTE:
        raise UnterschriftUngueltig(
            "Das Unterschriftsfeld ist leer. Bitte unterschreiben Sie mit Finger, Stift oder Maus."
        )
    sauber = io.BytesIO()
    grau.save(sauber, format="PNG", optimize=True)
    return sauber.getvalue()


def _kopf(roh: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR, without decoding."""
    if len(roh) < 24 or not roh.startswith(_PNG) or roh[12:16] != b"IHDR":
        raise UnterschriftUngueltig(
            "Die Unterschrift ist kein PNG-Bild. Bitte erneut unterschreiben."
        )
    breite, hoehe = struct.unpack(">II", roh[16:24])
    return int(breite), int(hoehe)


def _auf_weiss(bild: Image.Image) -> Image.Image:
    """The drawing as 8-bit grey on white (a canvas is transparent where nobody drew)."""
    rgba = bild.convert("RGBA")
    weiss = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
    weiss.alpha_composite(rgba)
    return weiss.convert("L")
