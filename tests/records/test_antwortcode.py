"""koffer's reply code: compact, signed per Mandant, refused when altered, forged, of an
unknown version or of another Mandant, and printable as a QR code that reads back."""

from __future__ import annotations

import base64
import io
import re
import uuid

import pytest
import zxingcpp
from django.test import override_settings
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from koffer.records.antwortcode import Antwortcode, decode, encode, qr_png, qr_svg

TENANT_A = uuid.UUID("01938a5e-0000-7000-8000-00000000000a")
TENANT_B = uuid.UUID("01938a5e-0000-7000-8000-00000000000b")
AKTE = uuid.UUID("01938a5e-1111-7000-8000-000000000001")
VORGANG = uuid.UUID("01938a5e-2222-7000-8000-000000000002")
LETTER = uuid.UUID("01938a5e-3333-7000-8000-000000000003")

FULL = Antwortcode(tenant_id=TENANT_A, akte_id=AKTE, vorgang_id=VORGANG, letter_id=LETTER)
ALPHANUMERIC = re.compile(r"^[0-9A-Z $%*+\-./:]+$")  # a QR code's alphanumeric mode


@pytest.mark.parametrize(
    "code",
    [
        Antwortcode(TENANT_A, AKTE, None, None),
        Antwortcode(TENANT_A, AKTE, VORGANG, None),
        Antwortcode(TENANT_A, AKTE, None, LETTER),
        FULL,
    ],
)
def test_a_code_decodes_to_what_was_encoded(code):
    text = encode(code)
    assert text.startswith("KOFFER:A1:")
    assert ALPHANUMERIC.match(text)
    assert len(text) <= 131
    assert decode(text) == code
    assert decode(text, tenant_id=TENANT_A) == code


def test_the_code_is_compact_and_carries_the_raw_ids():
    text = encode(Antwortcode(TENANT_A, AKTE, None, LETTER))
    assert len(text) == 106
    _, _, payload, mac = text.split(":")
    raw = base64.b32decode(payload + "=" * (-len(payload) % 8))
    assert raw == bytes([0b10]) + TENANT_A.bytes + AKTE.bytes + LETTER.bytes
    assert len(base64.b32decode(mac + "=" * (-len(mac) % 8))) == 10  # 80 bits


def test_changing_any_one_character_is_refused():
    text = encode(FULL)
    alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567:"
    for index, char in enumerate(text):
        following = (
            alphabet[(alphabet.index(char) + 1) % len(alphabet)] if char in alphabet else "2"
        )
        for other in (following, "7", "A", "0"):
            if other == char:
                continue
            altered = text[:index] + other + text[index + 1 :]
            assert decode(altered) is None, (index, char, other)


def test_no_second_spelling_of_a_code_is_taken():
    # 49 bytes are 79 Base32 characters with 3 bits unused: setting them spells the same
    # bytes otherwise, and such a text is no code.
    text = encode(Antwortcode(TENANT_A, AKTE, None, LETTER))
    _, _, payload, mac = text.split(":")
    last = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567".index(payload[-1])
    respelled = payload[:-1] + "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"[last | 0b001]
    assert respelled != payload
    assert decode(f"KOFFER:A1:{respelled}:{mac}") is None


def test_a_code_of_tenant_a_does_not_pass_as_tenant_bs():
    text = encode(Antwortcode(TENANT_A, AKTE, None, None))
    assert decode(text, tenant_id=TENANT_B) is None
    # Putting B's id into A's code breaks the signature: the MAC binds the tenant.
    _, _, payload, mac = text.split(":")
    raw = base64.b32decode(payload + "=" * (-len(payload) % 8))
    forged_raw = raw[:1] + TENANT_B.bytes + raw[17:]
    forged = base64.b32encode(forged_raw).decode().rstrip("=")
    assert decode(f"KOFFER:A1:{forged}:{mac}") is None
    assert decode(f"KOFFER:A1:{forged}:{mac}", tenant_id=TENANT_B) is None


def test_the_same_ids_sign_differently_per_tenant():
    mac_a = encode(Antwortcode(TENANT_A, AKTE, None, None)).rsplit(":", 1)[1]
    mac_b = encode(Antwortcode(TENANT_B, AKTE, None, None)).rsplit(":", 1)[1]
    assert mac_a != mac_b


def test_a_code_signed_with_another_secret_is_refused():
    with override_settings(SECRET_KEY="ein-anderer-schluessel-" + "x" * 40):
        foreign = encode(FULL)
    assert decode(foreign) is None


def test_codes_survive_a_key_rotation():
    old_key = "der-alte-schluessel-" + "y" * 40
    with override_settings(SECRET_KEY=old_key):
        printed = encode(FULL)
    with override_settings(
        SECRET_KEY="der-neue-schluessel-" + "z" * 40, SECRET_KEY_FALLBACKS=[old_key]
    ):
        assert decode(printed) == FULL


@pytest.mark.parametrize(
    "text",
    [
        "",
        "KOFFER-TRENNBLATT",
        "KOFFER:A1",
        "KOFFER:A1::",
        "KOFFER:A2:" + encode(FULL).split(":", 2)[2],  # a version not known here
        "koffer:a1:" + encode(FULL).split(":", 2)[2].lower(),
        "KOFFR:A1:" + encode(FULL).split(":", 2)[2],
        encode(FULL) + ":",
        encode(FULL) + "A",
        encode(FULL)[:-1],
        "KOFFER:A1:!!!!:AAAAAAAAAAAAAAAA",
        "KOFFER:A1:AAAA:AAAAAAAAAAAAAAAA",
        "KOFFER:A1:" + "A" * 5000 + ":AAAAAAAAAAAAAAAA",
        "https://example.org/?KOFFER:A1:AA:BB",
    ],
)
def test_anything_else_is_no_code(text):
    assert decode(text) is None


def test_flags_the_format_does_not_know_are_refused():
    raw = bytes([0b100]) + TENANT_A.bytes + AKTE.bytes
    payload = base64.b32encode(raw).decode().rstrip("=")
    assert decode(f"KOFFER:A1:{payload}:AAAAAAAAAAAAAAAA") is None


def test_surrounding_white_space_is_taken():
    assert decode(f"  {encode(FULL)}\n") == FULL


@given(st.text(max_size=200))
def test_decode_never_raises(text):
    assert decode(text) is None


def test_decode_of_something_not_text_is_none():
    assert decode(None) is None  # type: ignore[arg-type]
    assert decode(b"KOFFER:A1:AA:BB") is None  # type: ignore[arg-type]


def test_the_png_qr_code_reads_back():
    png = qr_png(FULL, scale=4)
    image = Image.open(io.BytesIO(png))
    assert image.format == "PNG"
    (found,) = zxingcpp.read_barcodes(image.convert("L"))
    assert found.format.name == "QRCode"
    assert found.ec_level in ("M", "Q", "H")  # M or better (segno raises it when it fits)
    assert decode(found.text) == FULL


def test_the_svg_qr_code_is_inline_svg():
    svg = qr_svg(FULL)
    assert svg.startswith("<svg")
    assert "<path" in svg
    assert qr_svg("KOFFER-TRENNBLATT").startswith("<svg")  # a separator sheet's code too
