"""Blobs as files: ``<root>/ab/cd/<sha256>``, written atomically and durably.

A write streams into a temporary file on the same file system while hashing, fsyncs
it, renames it into place and fsyncs the folder, so after a crash a blob is either
complete under its name or absent; a torn half-file never carries a blob's name.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import io
import os
import tempfile
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from koffer.blobs.store import (
    CHUNK_SIZE,
    BlobCorrupt,
    BlobNotFound,
    BlobRef,
    check_name,
    check_prefix,
)

# Temporary files live beside the blobs (same file system, so the rename is atomic) in a
# folder whose name can never be a two-hex-digit fan-out folder.
INCOMING = ".incoming"


def fsync_dir(path: Path) -> None:
    """Make a rename in ``path`` durable (the drop folders of the Postausgang use it too)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _is_hex_pair(name: str) -> bool:
    return len(name) == 2 and all(c in "0123456789abcdef" for c in name)


def _sorted_names(path: Path) -> list[str]:
    try:
        return sorted(entry.name for entry in os.scandir(path))
    except FileNotFoundError:
        return []


class LocalBlobStore:
    """The embedded default: a folder on the local disk (or a mounted volume)."""

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        check_name(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def prepare(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        (self.root / INCOMING).mkdir(exist_ok=True)

    def put(self, data: bytes | IO[bytes]) -> BlobRef:
        stream: IO[bytes] = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
        self.prepare()
        fd, tmp_name = tempfile.mkstemp(dir=self.root / INCOMING, prefix="put-")
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            size = 0
            with os.fdopen(fd, "wb") as out:
                while chunk := stream.read(CHUNK_SIZE):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
                out.flush()
                os.fsync(out.fileno())
            ref = BlobRef(digest.hexdigest(), size)
            final = self.path_of(ref.sha256)
            if final.is_file() and final.stat().st_size == size:
                return ref  # same content already stored: nothing to do
            self._make_parents(final.parent)
            os.replace(tmp, final)
            fsync_dir(final.parent)
            return ref
        finally:
            tmp.unlink(missing_ok=True)

    def put_verified_file(self, path: Path, sha256: str) -> BlobRef:
        """Rename the verified file into place (fsync it, rename, fsync the folder); one
        the blob is already stored as is only removed. On another file system (``EXDEV``)
        its bytes go through :meth:`put` and must hash to ``sha256``."""
        check_name(sha256)
        size = path.stat().st_size
        final = self.path_of(sha256)
        if final.is_file() and final.stat().st_size == size:
            path.unlink(missing_ok=True)
            return BlobRef(sha256, size)
        fd = os.open(path, os.O_RDONLY)
        try:
            os.fsync(fd)  # the part file was written without: now durable before the name
        finally:
            os.close(fd)
        os.chmod(path, 0o600)  # as mkstemp makes the blobs put writes
        self.prepare()
        self._make_parents(final.parent)
        try:
            os.replace(path, final)
        except OSError as exc:
            if exc.errno != errno.EXDEV:
                raise
            with path.open("rb") as data:
                ref = self.put(data)
            path.unlink(missing_ok=True)
            if ref.sha256 != sha256:
                raise BlobCorrupt(
                    f"Das Dokument {sha256} passt nicht zu seinem Inhalt ({ref.sha256})."
                ) from None
            return ref
        fsync_dir(final.parent)
        return BlobRef(sha256, size)

    def _make_parents(self, folder: Path) -> None:
        """Create ``ab/cd`` as needed; a new folder entry is made durable in its parent."""
        for level in (folder.parent, folder):
            if level.is_dir():
                continue
            try:
                level.mkdir()
            except FileExistsError:
                continue  # a concurrent writer made it
            fsync_dir(level.parent)

    def open(self, sha256: str) -> IO[bytes]:
        try:
            return self.path_of(sha256).open("rb")
        except FileNotFoundError as exc:
            raise BlobNotFound(sha256) from exc

    def exists(self, sha256: str) -> bool:
        return self.path_of(sha256).is_file()

    def delete(self, sha256: str) -> None:
        self.path_of(sha256).unlink(missing_ok=True)

    def size(self, sha256: str) -> int:
        try:
            return self.path_of(sha256).stat().st_size
        except FileNotFoundError as exc:
            raise BlobNotFound(sha256) from exc

    def iter_all(self, prefix: str = "") -> Iterator[str]:
        check_prefix(prefix)
        for first in _sorted_names(self.root):
            if not _is_hex_pair(first) or not first.startswith(prefix[:2]):
                continue
            for second in _sorted_names(self.root / first):
                if not _is_hex_pair(second) or not second.startswith(prefix[2:4]):
                    continue
                for name in _sorted_names(self.root / first / second):
                    if name[:4] != first + second or not name.startswith(prefix):
                        continue
                    try:
                        check_name(name)
                    except ValueError:
                        continue  # a stray file is not a blob
                    yield name

    def check_ready(self) -> tuple[bool, str]:
        """Ready when the folder exists and a probe file can be written and removed.
        A missing folder is reported, not created: it may be an unmounted volume."""
        if not self.root.is_dir():
            return False, "Das Verzeichnis des Dokumentenspeichers fehlt."
        probe = self.root / f".probe-{uuid.uuid4().hex}"
        try:
            probe.write_bytes(b"ok")
            probe.unlink()
        except OSError as exc:
            with contextlib.suppress(OSError):
                probe.unlink()
            return False, f"Der Dokumentenspeicher ist nicht beschreibbar ({exc.strerror})."
        return True, "ok"
