"""Re-hashing stored blobs: a blob whose content no longer matches its name is corrupt."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from koffer.blobs.store import BlobNotFound, BlobStore, hash_stream

logger = logging.getLogger("koffer.blobs")

# progress(done, total): called after every blob; callers that write it somewhere throttle.
Progress = Callable[[int, int], None]


@dataclass
class BlobReport:
    checked: int = 0
    corrupt: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.corrupt


def is_intact(store: BlobStore, sha256: str) -> bool:
    """True when the blob's content still hashes to its name. An unreadable blob is not
    intact; a blob that vanished meanwhile raises BlobNotFound."""
    try:
        with store.open(sha256) as stream:
            actual, _ = hash_stream(stream)
    except OSError:
        logger.exception("Blob %s ist nicht lesbar", sha256)
        return False
    return actual == sha256


def verify_store(
    store: BlobStore, *, prefix: str = "", progress: Progress | None = None
) -> BlobReport:
    """Re-hash every blob whose name starts with ``prefix`` (all blobs by default)."""
    total = sum(1 for _ in store.iter_all(prefix))
    report = BlobReport()
    for sha256 in store.iter_all(prefix):
        try:
            intact = is_intact(store, sha256)
        except BlobNotFound:
            continue  # removed since the listing: nothing left to verify
        report.checked += 1
        if not intact:
            report.corrupt.append(sha256)
        if progress is not None:
            progress(report.checked, max(total, report.checked))
    return report
