"""Compressed FIT-Connect payloads (``zip: DEF``): jwcrypto's own default refused any over
256 KiB packed; koffer takes them up to what they unpack to, and refuses a decompression
bomb with a German reason instead of inflating it."""

from __future__ import annotations

import json
import os

import pytest
from jwcrypto import jwe, jwk

from koffer.inbox.fitconnect import pruefung

KEY = jwk.JWK.generate(kty="RSA", size=2048, kid="ziel")


def _verschluesselt(plaintext: bytes, *, komprimiert: bool = True) -> str:
    header = {"alg": "RSA-OAEP-256", "enc": "A256GCM", "kid": "ziel"}
    if komprimiert:
        header["zip"] = "DEF"
    message = jwe.JWE(plaintext, protected=json.dumps(header))
    message.add_recipient(KEY)
    return str(message.serialize(compact=True))


def test_a_compressed_payload_over_256_kib_is_decrypted() -> None:
    # Random bytes do not pack: 600 KiB stay about 600 KiB compressed.
    inhalt = os.urandom(600 * 1024)
    token = _verschluesselt(inhalt)
    assert len(token) > 600 * 1024
    assert pruefung.entschluesseln(token, KEY, "der Anlage", "attachment:1") == inhalt


def test_a_decompression_bomb_is_refused_with_a_german_reason(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(pruefung, "MAX_ENTPACKT", 2 * pruefung.MIB)
    # 3 MiB of zeros pack to a few KiB: small on the wire, large once inflated.
    token = _verschluesselt(b"\0" * (3 * pruefung.MIB))
    assert len(token) < 20_000
    with pytest.raises(pruefung.Abgelehnt) as refused:
        pruefung.entschluesseln(token, KEY, "der Anlage „antrag.pdf“", "attachment:1")
    assert refused.value.problem == "encryption-issue"
    assert refused.value.instance == "attachment:1"
    assert "entpackt größer als 2 MiB" in refused.value.grund
    assert "Dekompressionsbomben" in refused.value.grund
    # Just below the bound it is taken.
    klein = b"\0" * (2 * pruefung.MIB - 1)
    assert pruefung.entschluesseln(_verschluesselt(klein), KEY, "x", "data") == klein


def test_an_uncompressed_payload_is_unchanged_and_a_wrong_key_still_an_encryption_issue() -> None:
    assert (
        pruefung.entschluesseln(_verschluesselt(b"{}", komprimiert=False), KEY, "x", "d") == b"{}"
    )
    fremd = jwk.JWK.generate(kty="RSA", size=2048, kid="fremd")
    with pytest.raises(pruefung.Abgelehnt) as refused:
        pruefung.entschluesseln(_verschluesselt(b"{}"), fremd, "der Metadaten", "metadata")
    assert "mit dem Schlüssel dieses Zustellpunkts ist fehlgeschlagen" in refused.value.grund
