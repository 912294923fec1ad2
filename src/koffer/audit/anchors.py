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

Anchors are written without anyone remembering to: the background worker anchors every
head that moved since its last anchor every ``KOFFER_AUDIT_ANCHOR_INTERVAL`` seconds
(``anchor_moved_heads``), and ``serve``/``load_demo`` do so right after start. Until a
chain's first anchor, a cut-off tail with a mended head cannot be told from a shorter
chain; the interval bounds how much of the tail is unprotected.
"""

from __future__ import annotations

import fcntl
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
from koffer.audit.models import AuditHead

logger = logging.getLogger(__name__)

TRANSITION = "umstellung"  # written when keys were introduced; vouches for keyless events
COMMAND = "befehl"  # manage.py audit_anchor
VERIFIED = "pruefung"  # after audit_verify found the chain intact
PERIODIC = "regelmaessig"  # the worker, for heads that moved since their last anchor
STARTUP = "start"  # serve and load_demo, right after migrating or loading

TAIL_BYTES = 4096  # an anchor line is about 300 bytes: the last one is in here

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
    anchor = _append(tenant_id=tenant_id, seq=seq, hash=hash, kind=kind, unless_last=False)
    assert anchor is not None  # unless_last=False always writes
    return anchor


def write_if_moved(*, tenant_id: uuid.UUID, seq: int, hash: str, kind: str) -> Anchor | None:
    """Append an anchor unless the file's last one already holds this head; None then.
    Several workers may call it at once: the check and the append happen under one lock."""
    return _append(tenant_id=tenant_id, seq=seq, hash=hash, kind=kind, unless_last=True)


def anchor_moved_heads(*, kind: str = PERIODIC) -> list[Anchor]:
    """Anchor every chain head that moved since its last anchor: one query for all heads,
    and a write only where a file's last line holds another head."""
    heads = AuditHead.objects.filter(seq__gt=0).order_by("tenant_id")
    written = []
    for tenant_id, seq, hash in heads.values_list("tenant_id", "seq", "hash"):
        anchor = write_if_moved(tenant_id=tenant_id, seq=seq, hash=hash, kind=kind)
        if anchor is not None:
            written.append(anchor)
    return written


def anchored_tenants() -> list[uuid.UUID]:
    """Every Mandant with an anchor file, whether or not its chain still exists."""
    folder = anchor_dir()
    if not folder.is_dir():
        return []
    found = []
    for path in folder.glob("*.jsonl"):
        try:
            found.append(uuid.UUID(path.stem))
        except ValueError:
            continue  # not ours
    return sorted(found)


def _append(
    *, tenant_id: uuid.UUID, seq: int, hash: str, kind: str, unless_last: bool
) -> Anchor | None:
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
    # One write() of a short line with O_APPEND: concurrent writers never interleave. The
    # lock makes "is the last line this head?" and the append one step for every worker
    # on this host (flock on a network folder depends on the mount; a duplicate line of
    # the same head is harmless anyway).
    fd = os.open(anchor_file(tenant_id), os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        if unless_last and _last_head(fd) == (seq, hash):
            return None
        os.write(fd, line.encode("utf-8"))
    finally:
        os.close(fd)  # releases the lock
    logger.info("Audit-Anker (%s): Mandant %s, Folgenummer %s, Hash %s", kind, tenant_id, seq, hash)
    return anchor


def _last_head(fd: int) -> tuple[int, str] | None:
    """(seq, hash) of the file's last line, unchecked: it only decides whether to write
    again, it vouches for nothing (a forged line is refused by verification)."""
    size = os.fstat(fd).st_size
    tail = os.pread(fd, TAIL_BYTES, max(0, size - TAIL_BYTES)).decode("utf-8", "replace")
    lines = [text for text in tail.splitlines() if text.strip()]
    if not lines:
        return None
    try:
        body = json.loads(lines[-1])
        return int(body["seq"]), str(body["hash"])
    except (ValueError, TypeError, KeyError):
        return None


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
