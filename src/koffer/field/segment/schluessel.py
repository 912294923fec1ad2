"""The segment key of a Koffer: issued by the office at pairing, kept by both sides as a
file beside the audit keys, never in a database.

In the office the keys of all Koffer live in ``<KOFFER_AUDIT_KEY_DIR>/koffer/`` (the same
file format as the audit keys, ``audit-<key id>.key``, 0600): a subfolder, so the office's
own chains never pick a Koffer's key as their newest. Whoever can write the office's
database can therefore neither read a Koffer's key nor forge its events. On the Koffer the
key is an ordinary audit key (``koffer.audit.keys``) and seals the carried Mandant's chain,
so ``audit_verify`` checks it there like any other."""

from __future__ import annotations

import hashlib
import hmac
import os
from pathlib import Path

from koffer.audit import keys


def ordner() -> Path:
    """Where the office keeps the Koffer's segment keys."""
    return keys.key_dir() / "koffer"


def ausstellen() -> tuple[str, str]:
    """A new segment key in the office's folder; returns its id and secret (hex)."""
    key_id = keys.create_key(ordner())
    return key_id, geheimnis(key_id)


def geheimnis(key_id: str) -> str:
    """The secret of a segment key the office issued (hex); raises AuditKeyMissing."""
    if not keys.KEY_ID.fullmatch(key_id):
        raise keys.AuditKeyMissing(key_id)
    try:
        secret = (ordner() / f"audit-{key_id}.key").read_text().strip()
        bytes.fromhex(secret)
    except (FileNotFoundError, ValueError) as error:
        raise keys.AuditKeyMissing(key_id) from error
    return secret


def siegel(secret_hex: str, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under the key, hex: what ``keys.seal`` computes."""
    return hmac.new(bytes.fromhex(secret_hex), message, hashlib.sha256).hexdigest()


def einsetzen(key_id: str, secret_hex: str) -> None:
    """On the Koffer: keep the issued key as an audit key (written to a temporary file,
    then renamed; 0600). A key already there with the same id stays as it is."""
    if not keys.KEY_ID.fullmatch(key_id):
        raise ValueError(f"Ungültige Schlüsselkennung: {key_id!r}")
    bytes.fromhex(secret_hex)
    folder = keys.key_dir()
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    path = keys.key_file(key_id)
    if path.exists():
        return
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secret_hex + "\n")
    tmp.replace(path)
