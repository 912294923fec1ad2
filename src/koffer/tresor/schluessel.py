"""The Koffer's keys: one random device key, stored only wrapped by the user's secret.

``var/tresor.json`` holds the device key encrypted (AES-256-GCM) under a key derived from
the secret with argon2id. argon2id rather than scrypt: it is memory-hard like scrypt, the
winner of the Password Hashing Competition and RFC 9106, and argon2-cffi is already pinned
for the accounts' passwords (no second KDF library to keep up to date). A wrong secret
fails the AES-GCM tag and says only that the secret is wrong. Changing the secret wraps
the same device key again: no data is encrypted anew.

The device key itself never encrypts anything: each use gets its own key derived with
HKDF (the database's SQLCipher key, the documents' key), so a key of one kind reveals
nothing of another.

Processes get the device key from the environment (``KOFFER_TRESOR_SCHLUESSEL``, hex),
which ``manage.py serve`` sets for its children after asking for the secret; for
automation and tests ``KOFFER_TRESOR_KENNWORT_DATEI`` names a file holding the secret.
The secret is never a command-line argument (other users can read those in ``ps``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from argon2.low_level import Type, hash_secret_raw
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings

FORMAT = "koffer-tresor-1"
KDF = "argon2id"
KEY_BYTES = 32
SCHLUESSEL_ENV = "KOFFER_TRESOR_SCHLUESSEL"
KENNWORT_DATEI_ENV = "KOFFER_TRESOR_KENNWORT_DATEI"
MIN_KENNWORT = 10

# RFC 9106's second recommended option (64 MiB, three passes, four lanes): about 0.2 s
# on a laptop, once per start, while every guess costs an attacker the same.
STANDARD_PARAMS: dict[str, int] = {"time_cost": 3, "memory_cost": 64 * 1024, "parallelism": 4}

KENNWORT_FALSCH = "Das Kennwort für den Koffer ist falsch."


class TresorFehler(Exception):
    """The tresor cannot be opened or used; the message is German and safe to show."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class KennwortFalsch(TresorFehler):
    def __init__(self) -> None:
        super().__init__(KENNWORT_FALSCH)


@dataclass(frozen=True)
class Tresordatei:
    """What ``tresor.json`` holds: everything but the secret needed to unwrap the key."""

    salt: bytes
    params: dict[str, int]
    nonce: bytes
    wrapped: bytes
    key_id: str

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": FORMAT,
                "kdf": KDF,
                "salt": _b64(self.salt),
                "params": self.params,
                "nonce": _b64(self.nonce),
                "wrapped_key": _b64(self.wrapped),
                "key_id": self.key_id,
            },
            indent=2,
        )

    @classmethod
    def from_json(cls, text: str) -> Tresordatei:
        try:
            data: dict[str, Any] = json.loads(text)
            if data.get("format") != FORMAT or data.get("kdf") != KDF:
                raise ValueError("format")
            params = {k: int(data["params"][k]) for k in STANDARD_PARAMS}
            return cls(
                salt=base64.b64decode(data["salt"], validate=True),
                params=params,
                nonce=base64.b64decode(data["nonce"], validate=True),
                wrapped=base64.b64decode(data["wrapped_key"], validate=True),
                key_id=str(data["key_id"]),
            )
        except (ValueError, KeyError, TypeError, binascii.Error) as exc:
            raise TresorFehler(
                "Die Schlüsseldatei des Koffers (tresor.json) ist unlesbar oder beschädigt."
            ) from exc


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def tresor_datei() -> Path:
    return Path(getattr(settings, "KOFFER_TRESOR_DATEI", Path(settings.VAR_DIR) / "tresor.json"))


def unterschluessel(geraeteschluessel: bytes, zweck: str) -> bytes:
    """A key of its own for one use (``datenbank``, ``dokumente``, ``kennung``)."""
    return HKDF(
        algorithm=hashes.SHA256(),
        length=KEY_BYTES,
        salt=None,
        info=f"koffer-tresor/{zweck}".encode(),
    ).derive(geraeteschluessel)


def schluessel_id(geraeteschluessel: bytes) -> str:
    """A short public name of the device key: tells a wrong key from a damaged database."""
    return hashlib.sha256(unterschluessel(geraeteschluessel, "kennung")).hexdigest()[:16]


def _huelle(kennwort: str, salt: bytes, params: dict[str, int]) -> AESGCM:
    derived = hash_secret_raw(
        kennwort.encode("utf-8"),
        salt,
        time_cost=params["time_cost"],
        memory_cost=params["memory_cost"],
        parallelism=params["parallelism"],
        hash_len=KEY_BYTES,
        type=Type.ID,
    )
    return AESGCM(derived)


def _aad(key_id: str, params: dict[str, int]) -> bytes:
    return f"{FORMAT}|{KDF}|{json.dumps(params, sort_keys=True)}|{key_id}".encode()


def einpacken(
    geraeteschluessel: bytes, kennwort: str, params: dict[str, int] | None = None
) -> Tresordatei:
    """The device key wrapped by ``kennwort`` (fresh salt and nonce every time)."""
    params = dict(params or STANDARD_PARAMS)
    salt = secrets.token_bytes(16)
    nonce = secrets.token_bytes(12)
    key_id = schluessel_id(geraeteschluessel)
    wrapped = _huelle(kennwort, salt, params).encrypt(
        nonce, geraeteschluessel, _aad(key_id, params)
    )
    return Tresordatei(salt=salt, params=params, nonce=nonce, wrapped=wrapped, key_id=key_id)


def auspacken(datei: Tresordatei, kennwort: str) -> bytes:
    """The device key, or KennwortFalsch: the tag says only that the secret is wrong."""
    try:
        key = _huelle(kennwort, datei.salt, datei.params).decrypt(
            datei.nonce, datei.wrapped, _aad(datei.key_id, datei.params)
        )
    except InvalidTag:
        raise KennwortFalsch() from None
    if schluessel_id(key) != datei.key_id:
        raise KennwortFalsch()
    return key


def lesen(pfad: Path | None = None) -> Tresordatei:
    pfad = pfad or tresor_datei()
    try:
        text = pfad.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise TresorFehler(
            "Der Koffer ist nicht eingerichtet oder wurde gelöscht (keine tresor.json)."
            " Einrichten mit „manage.py tresor_einrichten“."
        ) from None
    return Tresordatei.from_json(text)


def schreiben(datei: Tresordatei, pfad: Path | None = None) -> None:
    """Replace ``tresor.json`` atomically and durably: a crash leaves the old or the new."""
    pfad = pfad or tresor_datei()
    pfad.parent.mkdir(parents=True, exist_ok=True)
    tmp = pfad.with_name(pfad.name + ".neu")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        out.write(datei.to_json())
        out.flush()
        os.fsync(out.fileno())
    os.replace(tmp, pfad)
    dir_fd = os.open(pfad.parent, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def pruefe_kennwort(kennwort: str) -> str:
    if len(kennwort) < MIN_KENNWORT:
        raise TresorFehler(
            f"Das Kennwort für den Koffer muss mindestens {MIN_KENNWORT} Zeichen lang sein."
        )
    return kennwort


def einrichten(
    kennwort: str, *, pfad: Path | None = None, params: dict[str, int] | None = None
) -> bytes:
    """Make a new device key and store it wrapped by ``kennwort``; refuses to replace an
    existing tresor (that would make its data unreadable: use :func:`kennwort_aendern`)."""
    pfad = pfad or tresor_datei()
    if pfad.exists():
        raise TresorFehler(
            "Der Koffer ist schon eingerichtet. Das Kennwort ändern Sie mit"
            " „manage.py tresor_kennwort“."
        )
    key = secrets.token_bytes(KEY_BYTES)
    schreiben(einpacken(key, pruefe_kennwort(kennwort), params), pfad)
    return key


def oeffnen(kennwort: str, *, pfad: Path | None = None) -> bytes:
    """The device key unwrapped by ``kennwort``; KennwortFalsch when it is wrong."""
    return auspacken(lesen(pfad), kennwort)


def kennwort_aendern(
    alt: str, neu: str, *, pfad: Path | None = None, params: dict[str, int] | None = None
) -> None:
    """Wrap the same device key by a new secret (the data stays as it is)."""
    pfad = pfad or tresor_datei()
    datei = lesen(pfad)
    key = auspacken(datei, alt)
    schreiben(einpacken(key, pruefe_kennwort(neu), params or datei.params), pfad)


def kennwort_aus_datei(pfad: str | Path) -> str:
    """The secret from a file (automation, tests): its first line, never logged."""
    try:
        text = Path(pfad).read_text(encoding="utf-8")
    except OSError as exc:
        raise TresorFehler(
            f"Die Kennwortdatei ({KENNWORT_DATEI_ENV}) ist nicht lesbar: {exc.strerror}."
        ) from None
    return text.splitlines()[0] if text else ""


_entpackt: dict[tuple[str, str], bytes] = {}


def geraeteschluessel() -> bytes:
    """The device key of this process: from ``KOFFER_TRESOR_SCHLUESSEL`` (hex), or unwrapped
    once with the secret in ``KOFFER_TRESOR_KENNWORT_DATEI``. Checked against
    ``tresor.json`` every time, so a wiped Koffer stops at once."""
    datei = lesen()
    if hexkey := os.environ.get(SCHLUESSEL_ENV, "").strip():
        try:
            key = bytes.fromhex(hexkey)
        except ValueError:
            key = b""
        if len(key) != KEY_BYTES or schluessel_id(key) != datei.key_id:
            raise TresorFehler(f"Der Schlüssel in {SCHLUESSEL_ENV} passt nicht zu diesem Koffer.")
        return key
    if kennwortdatei := os.environ.get(KENNWORT_DATEI_ENV, ""):
        cache_key = (datei.key_id, _b64(datei.wrapped))
        if cache_key not in _entpackt:
            _entpackt[cache_key] = auspacken(datei, kennwort_aus_datei(kennwortdatei))
        return _entpackt[cache_key]
    raise TresorFehler(
        "Der Koffer ist verschlüsselt (KOFFER_TRESOR=1), aber sein Schlüssel fehlt. Bitte"
        " koffer mit „manage.py serve“ starten (es fragt nach dem Kennwort) oder"
        f" {KENNWORT_DATEI_ENV} setzen."
    )


def vergessen() -> None:
    """Forget unwrapped keys of this process (after a wipe, in tests)."""
    _entpackt.clear()
