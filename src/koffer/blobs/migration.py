"""Copying a local store into S3 (``manage.py blobs_migrate``): resumable and verified.

Every blob of the source is hashed while it is read; one whose bytes no longer match its
name is reported and not copied. A blob already in the target with the right length and
checksum is skipped, so an interrupted run simply starts again. The target checks the
bytes it receives against the hash (``ChecksumSHA256``, per part for large ones), and a
blob is never overwritten there (``If-None-Match``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from koffer.blobs.s3 import S3BlobStore
from koffer.blobs.store import BlobCorrupt, BlobNotFound, BlobStore

# step(done, total, sha256, what): what is "kopiert", "vorhanden", "beschädigt" (in the
# source), "im Ziel beschädigt" or "fehlt" (removed from the source meanwhile)
Step = Callable[[int, int, str, str], None]


@dataclass
class MigrationReport:
    total: int = 0
    copied: int = 0
    present: int = 0
    copied_bytes: int = 0
    corrupt: list[str] = field(default_factory=list)
    target_corrupt: list[str] = field(default_factory=list)
    vanished: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.corrupt and not self.target_corrupt


def migrate(
    source: BlobStore, target: S3BlobStore, *, prefix: str = "", step: Step | None = None
) -> MigrationReport:
    report = MigrationReport(total=sum(1 for _ in source.iter_all(prefix)))
    for done, sha256 in enumerate(source.iter_all(prefix), start=1):
        what = _copy_one(source, target, sha256, report)
        if step is not None:
            step(done, max(report.total, done), sha256, what)
    return report


def _copy_one(source: BlobStore, target: S3BlobStore, sha256: str, report: MigrationReport) -> str:
    try:
        try:
            if target.holds(sha256, source.size(sha256)):
                report.present += 1
                return "vorhanden"
        except BlobCorrupt:
            report.target_corrupt.append(sha256)
            return "im Ziel beschädigt"
        with source.open(sha256) as stream:
            ref = target.put_named(sha256, stream)
    except BlobNotFound:
        report.vanished.append(sha256)
        return "fehlt"
    except BlobCorrupt:
        report.corrupt.append(sha256)
        return "beschädigt"
    report.copied += 1
    report.copied_bytes += ref.size
    return "kopiert"
