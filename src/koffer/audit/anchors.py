"""Signed chain heads kept outside the database.

A key stops anyone without it from rewriting events, but not from cutting the chain's
tail off (the remaining events still verify), and it says nothing about events written
before keys existed. An anchor records a Mandant's head (sequence number and hash) at
one moment, sealed with the audit key, in a file outside the database
(``KOFFER_AUDIT_ANCHOR_DIR``, one line per anchor in ``<tenant>.jsonl``), and in the log.
``audit_verify`` checks that the chain still holds every anchored head.

Anchors of kind ``umstellung`` are written once, by the migration that introduced keys:
events without a key are trusted up to that sequence number and no further, so a rewrite
that drops the keys ("legacy" events all the way) is refused too.
"""

from __future__ import annotations

import hmac
import json
import logging
import os
import uuid
from dataclasses import asdict, dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from koffer.audit import keys

logger = logging.getLogger(__name__)

TRANSITION = "umstellung"  # written when keys were introduced; vouches for keyless events
COMMAND = "befehl"  # manage.py audit_anchor
VERIFIED = "pruefung"  # after audit_verify found the chain intact

_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False)


@dataclass(frozen=True)
class Anchor:
    tenant_id: str
    seq: int
    hash: str
    at: str
    kind: str
    key_id: str


class AnchorForged(ValueError):
    """A line of an anchor file does not carry a valid seal."""

    def __init__(self, path: Path, line: int) -> None:
        super().__init__(f"Anker in {path.name}, Zeile {line}: Signatur ungültig")


def anchor_dir() -> Path:
    return Path(settings.KOFFER_AUDIT_ANCHOR_DIR)


def anchor_file(tenant_id: uuid.UUID | str) -> Path:
    return anchor_dir() / f"{uuid.UUID(str(tenant_id))}.jsonl"


def write(*, tenant_id: uuid.UUID, seq: int, hash: str, kind: str) -> Anchor:
    """Append one sealed anchor to the tenant's file and log it."""
    anchor = Anchor(
        tenant_id=str(tenant_id),
        seq=seq,
        hash=hash,
        at=timezone.now().isoformat(timespec="seconds"),
        kind=kind,
        key_id=keys.current_key_id(),
    )
    body = asdict(anchor)
    line = _CANONICAL.encode({**body, "mac": _mac(body)}) + "\n"
    folder = anchor_dir()
    folder.mkdir(parents=True, exist_ok=True)
    # One write() of a short line with O_APPEND: concurrent writers never interleave.
    fd = os.open(anchor_file(tenant_id), os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)
    logger.info("Audit-Anker (%s): Mandant %s, Folgenummer %s, Hash %s", kind, tenant_id, seq, hash)
    return anchor


def read(tenant_id: uuid.UUID) -> list[Anchor]:
    """The tenant's anchors in the order written. Raises AnchorForged for a line whose
    seal does not match, AuditKeyMissing when its key is gone."""
    path = anchor_file(tenant_id)
    if not path.exists():
        return []
    result = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not text.strip():
            continue
        try:
            body = json.loads(text)
            mac = body.pop("mac")
            anchor = Anchor(**body)
        except (ValueError, TypeError, KeyError) as error:
            raise AnchorForged(path, number) from error
        if anchor.tenant_id != str(tenant_id) or not _matches(asdict(anchor), mac):
            raise AnchorForged(path, number)
        result.append(anchor)
    return result


def _mac(body: dict[str, object]) -> str:
    return keys.seal(str(body["key_id"]), _CANONICAL.encode(body).encode("utf-8"))


def _matches(body: dict[str, object], mac: object) -> bool:
    return isinstance(mac, str) and hmac.compare_digest(_mac(body), mac)
