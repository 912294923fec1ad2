"""The reply code (Antwortcode) koffer prints as a QR code on its own letters, so that a
letter sent back (a form filled in, a copy with a note) finds its Akte when it is scanned
in the Posteingang. The Postausgang prints it, the Posteingang reads it.

Format, version 1 (``A1``)::

    KOFFER:A1:<payload>:<mac>

``<payload>`` is Base32 (RFC 4648, capitals, no ``=`` padding) of::

    byte 0        flags: bit 0 = a Vorgang follows, bit 1 = a letter follows
    bytes 1-16    tenant (Mandant) id, the UUID's 16 raw bytes
    bytes 17-32   Akte id
    next 16       Vorgang id, if flag bit 0
    next 16       letter id, if flag bit 1

``<mac>`` is Base32 of the first 10 bytes (80 bits) of HMAC-SHA256 over ``KOFFER:A1:``
followed by the payload's raw bytes, keyed with a key derived from ``settings.SECRET_KEY``
and the tenant id (Django's ``salted_hmac``, salt ``koffer.records.antwortcode.<tenant
id>`` with the id in its hyphenated form). So a code cannot be made up or altered without
the server's secret, and a code made for one Mandant does not pass as another's: the
tenant id is in the payload and the MAC binds it. Codes signed with a key in
``SECRET_KEY_FALLBACKS`` still decode, so letters printed before a key rotation keep
their codes. A text is taken only in exactly the spelling ``encode`` writes (capitals,
unused bits of the last Base32 character zero), so no code has a second spelling.

Every character is in the QR code's alphanumeric set (capitals, digits, ``:``), which
packs 5.5 bits a character: an Akte with a letter is 106 characters, a QR code of version
5 (37 × 37 modules) at error correction M or better, 23 mm wide with its quiet zone at 0.5
mm a module; all four ids are 131 characters, version 6 (41 × 41). Print at 0.5 mm a
module or more: scanned at 150, 200 and 300 dpi, skewed by up to 3°, upside down, with
specks and JPEG artefacts, 0.5 mm codes were read on all test pages and 0.33 mm codes on
about 5 of 6 (``inbox.verarbeitung.codes``). The code carries ids only, nothing personal:
reading it tells nobody anything without access to koffer.

The Posteingang reads a code with ``decode(text, tenant_id=<the batch's Mandant>)``, so a
code of another Mandant (a letter passed on, a forged sheet) is no code there.

Later versions (``A2`` ...) may add fields; ``decode`` answers None for versions it does
not know, so an old installation refuses a newer code rather than misreading it.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import io
import uuid
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils.crypto import salted_hmac

PREFIX = "KOFFER"
VERSION = "A1"
MAC_BYTES = 10
UUID_BYTES = 16
HAS_VORGANG = 0b01
HAS_LETTER = 0b10
# The payload's greatest length in Base32 characters (1 + 4 × 16 bytes), so that decode
# never decodes a long string at all.
MAX_PAYLOAD_CHARS = 104


@dataclass(frozen=True)
class Antwortcode:
    tenant_id: uuid.UUID
    akte_id: uuid.UUID
    vorgang_id: uuid.UUID | None = None
    letter_id: uuid.UUID | None = None


def encode(code: Antwortcode) -> str:
    """The code's text, ``KOFFER:A1:<payload>:<mac>`` (see the module's docstring)."""
    raw = code.tenant_id.bytes + code.akte_id.bytes
    flags = 0
    if code.vorgang_id is not None:
        flags |= HAS_VORGANG
        raw += code.vorgang_id.bytes
    if code.letter_id is not None:
        flags |= HAS_LETTER
        raw += code.letter_id.bytes
    raw = bytes([flags]) + raw
    return f"{PREFIX}:{VERSION}:{_b32(raw)}:{_b32(_mac(code.tenant_id, raw, settings.SECRET_KEY))}"


def decode(text: str, *, tenant_id: uuid.UUID | None = None) -> Antwortcode | None:
    """The reply code in ``text``, or None for anything that is not a well-formed, correctly
    signed koffer code of a known version (or, with ``tenant_id``, not one of that
    Mandant). Never raises."""
    try:
        return _decoded(text, tenant_id)
    except Exception:  # a reader's rubbish is no code; never let it stop the pipeline
        return None


def qr_svg(code: Antwortcode | str, *, scale: int = 4) -> str:
    """The code as an inline SVG QR code (error correction M, quiet zone of 4 modules)."""
    return str(_qr(code).svg_inline(scale=scale))


def qr_png(code: Antwortcode | str, scale: int = 4) -> bytes:
    """The code as a PNG QR code, ``scale`` pixels a module (error correction M, quiet
    zone of 4 modules)."""
    out = io.BytesIO()
    _qr(code).save(out, kind="png", scale=scale, border=4)
    return out.getvalue()


def _qr(code: Antwortcode | str) -> Any:
    import segno

    text = encode(code) if isinstance(code, Antwortcode) else code
    return segno.make_qr(text, error="m")


def _decoded(text: str, tenant_id: uuid.UUID | None) -> Antwortcode | None:
    parts = text.strip().split(":")
    if len(parts) != 4 or parts[0] != PREFIX or parts[1] != VERSION:
        return None
    payload, mac = parts[2], parts[3]
    if len(payload) > MAX_PAYLOAD_CHARS or len(mac) != len(_b32(bytes(MAC_BYTES))):
        return None
    raw, signature = _unb32(payload), _unb32(mac)
    if raw is None or signature is None or not raw:
        return None
    flags, ids = raw[0], raw[1:]
    wanted = 2 + bool(flags & HAS_VORGANG) + bool(flags & HAS_LETTER)
    if flags & ~(HAS_VORGANG | HAS_LETTER) or len(ids) != wanted * UUID_BYTES:
        return None
    values = [uuid.UUID(bytes=ids[i : i + UUID_BYTES]) for i in range(0, len(ids), UUID_BYTES)]
    tenant = values[0]
    if tenant_id is not None and tenant != tenant_id:
        return None
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    if not any(hmac.compare_digest(signature, _mac(tenant, raw, key)) for key in keys):
        return None
    rest = iter(values[2:])
    return Antwortcode(
        tenant_id=tenant,
        akte_id=values[1],
        vorgang_id=next(rest) if flags & HAS_VORGANG else None,
        letter_id=next(rest) if flags & HAS_LETTER else None,
    )


def _mac(tenant_id: uuid.UUID, raw: bytes, secret: str | bytes) -> bytes:
    signed = f"{PREFIX}:{VERSION}:".encode() + raw
    digest = salted_hmac(
        f"koffer.records.antwortcode.{tenant_id}", signed, secret=secret, algorithm="sha256"
    ).digest()
    return digest[:MAC_BYTES]


def _b32(data: bytes) -> str:
    return base64.b32encode(data).decode("ascii").rstrip("=")


def _unb32(text: str) -> bytes | None:
    """The bytes of unpadded Base32 ``text``, or None unless ``text`` is exactly how
    ``_b32`` writes them (unused trailing bits of the last character must be zero, so
    that no second spelling of a code exists)."""
    try:
        data = base64.b32decode(text + "=" * (-len(text) % 8), casefold=False)
    except (binascii.Error, ValueError):
        return None
    return data if _b32(data) == text else None
