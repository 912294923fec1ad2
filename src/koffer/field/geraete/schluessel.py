"""The two secrets of a Koffer: the pairing code a person types once, and the token the
Koffer then sends with every request. Only their SHA-256 is kept; both carry enough
entropy (79 and 256 bits) that a fast hash is enough, a slow KDF buys nothing."""

from __future__ import annotations

import hashlib
import secrets

# Letters and digits without look-alikes (no 0/O, 1/I/L): typed from a screen without a
# doubt. 31 symbols, 16 of them: over 79 bits.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LAENGE = 16
GRUPPE = 4
TOKEN_PREFIX = "kg_"  # noqa: S105 - a prefix, not a secret


def kopplungscode() -> str:
    """A fresh pairing code as shown: four groups of four, ``ABCD-EFGH-JKMN-PQRS``."""
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LAENGE))
    return "-".join(raw[i : i + GRUPPE] for i in range(0, CODE_LAENGE, GRUPPE))


def code_normalisiert(text: str) -> str:
    """What a typed code means: case, spaces and dashes do not matter."""
    return "".join(ch for ch in text.upper() if ch.isalnum())


def code_digest(text: str) -> str:
    return digest(code_normalisiert(text))


def token() -> str:
    """A fresh device token: ``kg_`` and 32 random bytes, URL-safe."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def gleich(a: str, b: str) -> bool:
    """Compared in constant time, so the answer's timing tells nothing about the secret."""
    return secrets.compare_digest(a.encode(), b.encode())
