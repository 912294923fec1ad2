"""The keys that seal the audit chain, kept outside the database.

Plain SHA-256 links only show that a row was edited; whoever can write to the database
can recompute every later hash as well. With an HMAC key that lives in files the database
cannot reach (``KOFFER_AUDIT_KEY_DIR``, by default ``var/keys``), a rewritten chain no
longer verifies. Each key is one file ``audit-<key id>.key`` (0600); each event names the
key id it was sealed with, so a key can be replaced (``manage.py audit_rotate_key``)
while old events keep verifying with the key they name. Key ids start with a UTC
timestamp (microseconds), so their order is the order in which they were made; a chain
never goes back to an older key.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.signals import setting_changed

KEY_ID = re.compile(r"\d{20}-[0-9a-f]{4}")
_FILE = re.compile(r"audit-(\d{20}-[0-9a-f]{4})\.key")
# Built once per key and copied per event; by id alone, because reading the setting per
# event cost as much as the seal (tests that move the folder clear it, see below).
_SIGNERS: dict[str, tuple[Any, Any]] = {}


def _forget_keys(*, setting: str, **kwargs: Any) -> None:
    if setting == "KOFFER_AUDIT_KEY_DIR":
        _SIGNERS.clear()


setting_changed.connect(_forget_keys, dispatch_uid="koffer_audit_forget_keys")


class AuditKeyMissing(RuntimeError):
    """The key an event or anchor names is not in the key folder."""

    def __init__(self, key_id: str) -> None:
        self.key_id = key_id
        super().__init__(
            f"Audit-Schlüssel {key_id} fehlt: Datei {key_file(key_id)} nicht gefunden."
            " Ohne ihn lassen sich die damit gesicherten Ereignisse nicht prüfen;"
            " bitte die Schlüsseldatei aus der Sicherung zurückspielen"
            " (Ordner: KOFFER_AUDIT_KEY_DIR)."
        )


def key_dir() -> Path:
    return Path(settings.KOFFER_AUDIT_KEY_DIR)


def key_file(key_id: str) -> Path:
    return key_dir() / f"audit-{key_id}.key"


def key_ids(folder: Path | None = None) -> list[str]:
    """Every key id in the key folder (or in ``folder``), oldest first."""
    folder = folder or key_dir()
    if not folder.is_dir():
        return []
    found = (_FILE.fullmatch(path.name) for path in folder.iterdir())
    return sorted(match.group(1) for match in found if match)


def current_key_id() -> str:
    """The newest key's id; the first key is made on first use."""
    ids = key_ids()
    return ids[-1] if ids else create_key()


def create_key(folder: Path | None = None) -> str:
    """A new random key under a new, later id; returns the id. Written to a temporary
    file first and renamed, so a reader never sees half a key. ``folder``: another folder
    than the audit keys' (the Koffer's segment keys, ``koffer.field.segment``)."""
    folder = folder or key_dir()
    folder.mkdir(parents=True, exist_ok=True)
    folder.chmod(0o700)
    stamp = int(f"{datetime.now(UTC):%Y%m%d%H%M%S%f}")
    existing = key_ids(folder)
    if existing:  # the same microsecond, or a clock set back: still a later id
        stamp = max(stamp, int(existing[-1][:20]) + 1)
    key_id = f"{stamp:020d}-{secrets.token_hex(2)}"
    path = folder / f"audit-{key_id}.key"
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(32) + "\n")
    tmp.replace(path)
    return key_id


def signer(key_id: str) -> tuple[Any, Any]:
    """HMAC-SHA256 under the key, as SHA-256 states after its inner and outer padded key
    blocks (RFC 2104), to ``copy()`` per message: half the cost of hmac.HMAC.copy(), a
    measurable share of an audited write. Raises AuditKeyMissing."""
    try:
        return _SIGNERS[key_id]
    except KeyError:
        pass
    if not KEY_ID.fullmatch(key_id):
        raise AuditKeyMissing(key_id)
    try:
        secret = bytes.fromhex(key_file(key_id).read_text().strip())
    except (FileNotFoundError, ValueError) as error:
        raise AuditKeyMissing(key_id) from error
    if len(secret) > 64:  # longer than SHA-256's block: RFC 2104 hashes it first
        secret = hashlib.sha256(secret).digest()
    block = secret.ljust(64, b"\0")
    pads = (
        hashlib.sha256(bytes(b ^ 0x36 for b in block)),
        hashlib.sha256(bytes(b ^ 0x5C for b in block)),
    )
    _SIGNERS[key_id] = pads
    return pads


def seal(key_id: str, message: bytes) -> str:
    """HMAC-SHA256 of ``message`` under the key, hex (the same as hmac.new())."""
    inner_pad, outer_pad = signer(key_id)
    inner = inner_pad.copy()
    inner.update(message)
    outer = outer_pad.copy()
    outer.update(inner.digest())
    return str(outer.hexdigest())
