"""The QR code on a Rückscan Deckblatt (cover sheet): which Akte the paper file behind it
belongs to.

Format, version 1 (``R1``)::

    KOFFER:R1:<Aktenzeichen>:<mac>

The Aktenzeichen stands in the code as printed on the sheet, so the scan provider's own
software can read it too. ``<mac>`` is Base32 (capitals, no padding) of the first 10 bytes
of HMAC-SHA256 over ``KOFFER:R1:<Aktenzeichen>``, keyed from ``settings.SECRET_KEY`` and
the Mandant's id (Django's ``salted_hmac``, salt ``koffer.inbox.rueckscan.<tenant id>``;
keys in ``SECRET_KEY_FALLBACKS`` still verify). So a sheet cannot be made up by hand, and
a sheet of another Mandant is no sheet here. It is signed like koffer's reply code
(``records.antwortcode``, ``KOFFER:A1:…``) because it decides where pages are filed
without a person looking.

It cannot be taken for a separator sheet (``KOFFER-TRENNBLATT``, or a Mandant's own
pattern: the pipeline looks for Deckblätter first and never treats one as a separator) nor
for a reply code (another version field, which ``antwortcode.decode`` refuses).

:func:`read` tells three cases apart: not a Deckblatt at all (None), a Deckblatt whose
signature does not hold (``Deckblatt(valid=False)``: the page still starts a new
document, which waits in triage with the reason), and a valid one.
"""

from __future__ import annotations

import base64
import hmac
import io
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac

PREFIX = "KOFFER:R1:"
MAC_BYTES = 10
MAX_AKTENZEICHEN = 80  # records.Akte.aktenzeichen


@dataclass(frozen=True)
class Deckblatt:
    aktenzeichen: str
    valid: bool  # signed for this Mandant with this installation's key


def encode(tenant_id: uuid.UUID, aktenzeichen: str) -> str:
    """The code's text for the Akte ``aktenzeichen`` of the Mandant ``tenant_id``."""
    return f"{PREFIX}{aktenzeichen}:{_b32(_mac(tenant_id, aktenzeichen, settings.SECRET_KEY))}"


def read(text: str, tenant_id: uuid.UUID) -> Deckblatt | None:
    """The Deckblatt in a code's ``text`` read on a page of a batch of ``tenant_id``, or
    None when the text is no Deckblatt code. Never raises."""
    if not text.startswith(PREFIX):
        return None
    aktenzeichen, _, mac = text[len(PREFIX) :].rpartition(":")
    if not aktenzeichen or len(aktenzeichen) > MAX_AKTENZEICHEN:
        return Deckblatt(aktenzeichen[:MAX_AKTENZEICHEN], valid=False)
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    valid = any(hmac.compare_digest(mac, _b32(_mac(tenant_id, aktenzeichen, key))) for key in keys)
    return Deckblatt(aktenzeichen, valid=valid)


def is_deckblatt(text: str) -> bool:
    """Whether a code's text is meant as a Deckblatt (valid or not)."""
    return text.startswith(PREFIX)


def qr_svg(text: str) -> str:
    """The code as an SVG document (error correction M, quiet zone of 4 modules), for
    typesetting: 1 unit a module, scaled by the layout."""
    out = io.BytesIO()
    _qr(text).save(out, kind="svg", scale=1, border=4, xmldecl=False, svgns=True)
    return out.getvalue().decode("utf-8")


def _qr(text: str) -> Any:
    import segno

    return segno.make_qr(text, error="m")


def _mac(tenant_id: uuid.UUID, aktenzeichen: str, secret: str | bytes) -> bytes:
    digest = salted_hmac(
        f"koffer.inbox.rueckscan.{tenant_id}",
        f"{PREFIX}{aktenzeichen}",
        secret=secret,
        algorithm="sha256",
    ).digest()
    return digest[:MAC_BYTES]


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")
