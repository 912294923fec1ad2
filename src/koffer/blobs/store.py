"""The blob store: document bytes, content-addressed by their SHA-256.

Every backend offers the same small interface (:class:`BlobStore`). A blob is written
once and never changed; its name is the hash of its content, so writing the same bytes
twice stores them once, and a re-hash proves a blob is still intact. Deleting is not
offered here: removing documents belongs to the retention process, which decides when.

The embedded default is :class:`~koffer.blobs.local.LocalBlobStore` (files under
``KOFFER_BLOB_DIR``). ``KOFFER_BLOB_URL=s3://bucket/prefix`` selects
:class:`~koffer.blobs.s3.S3BlobStore` (S3-compatible object storage); other backends
register in :data:`BACKENDS` and are selected with ``KOFFER_BLOB_BACKEND``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

CHUNK_SIZE = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")
_HEX_PREFIX = re.compile(r"[0-9a-f]{0,64}")


@dataclass(frozen=True)
class BlobRef:
    """What a caller keeps of a stored blob: its name (the content hash) and its length."""

    sha256: str
    size: int


class BlobNotFound(LookupError):
    """No blob with this hash is stored."""


class BlobCorrupt(OSError):
    """A stored blob's content no longer matches its name (or its stored checksum): never
    served as if fine. An OSError, so ``blobs_verify`` counts it as corrupt."""


class BlobStoreUnavailable(OSError):
    """The store cannot be reached, answers too slowly or refuses the request (keys,
    bucket): nothing was stored; the German message says why (for the log and for
    whoever was storing)."""


class InvalidBlobName(ValueError):
    """The name is not a lower-case hex SHA-256; it never reaches the file system."""


def check_name(sha256: str) -> str:
    if not isinstance(sha256, str) or not _SHA256.fullmatch(sha256):
        raise InvalidBlobName("Ungültiger Dokument-Hash: erwartet werden 64 Hex-Zeichen.")
    return sha256


def check_prefix(prefix: str) -> str:
    if not _HEX_PREFIX.fullmatch(prefix):
        raise InvalidBlobName("Ungültiges Hash-Präfix: erlaubt sind bis zu 64 Hex-Zeichen.")
    return prefix


def hash_stream(stream: IO[bytes]) -> tuple[str, int]:
    """SHA-256 (hex) and length of everything ``stream`` yields, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    while chunk := stream.read(CHUNK_SIZE):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class BlobStore(Protocol):
    """Content-addressed, write-once storage of document bytes."""

    def put(self, data: bytes | IO[bytes]) -> BlobRef:
        """Store ``data`` (bytes or a binary stream read to its end) and return its
        reference. Atomic: either the whole blob is stored under its hash or nothing is.
        Storing content that is already there changes nothing."""
        ...

    def put_verified_file(self, path: Path, sha256: str) -> BlobRef:
        """Take over the local file at ``path`` whose bytes the caller hashed to
        ``sha256`` as they arrived (a fetched part file): the store owns it afterwards and
        ``path`` is gone. The local store renames it into place (same file system; made
        durable first) instead of copying it again; a store that cannot (another file
        system, encryption, object storage) stores its bytes and removes it. Bytes that
        are not ``sha256`` raise BlobCorrupt where the store checks them (S3, the tresor)
        and are never kept under that name there; the local store trusts the caller's
        hash, as its name says."""
        ...

    def open(self, sha256: str) -> IO[bytes]:
        """The blob's bytes as a binary file; the caller closes it. Raises BlobNotFound."""
        ...

    def exists(self, sha256: str) -> bool: ...

    def size(self, sha256: str) -> int:
        """Length in bytes. Raises BlobNotFound."""
        ...

    def delete(self, sha256: str) -> None:
        """Remove the blob; nothing happens if it is not there. Only for bytes that no
        row references (an upload that did not commit, the retention process)."""
        ...

    def iter_all(self, prefix: str = "") -> Iterator[str]:
        """The hashes of all stored blobs starting with ``prefix``, in hash order."""
        ...

    def prepare(self) -> None:
        """Create what the store needs before the first write (folders, bucket check)."""
        ...

    def check_ready(self) -> tuple[bool, str]:
        """Readiness: can the store be written right now? (ok, German detail)."""
        ...


def _local() -> BlobStore:
    from koffer.blobs.local import LocalBlobStore

    return LocalBlobStore(settings.KOFFER_BLOB_DIR)


def _s3() -> BlobStore:
    return s3_store(getattr(settings, "KOFFER_BLOB_URL", ""))


def s3_store(url: str) -> BlobStore:
    """The S3 store at ``url`` (s3://bucket/prefix) with the configured endpoint and keys."""
    from koffer.blobs.s3 import S3BlobStore, S3Settings, parse_url

    bucket, prefix = parse_url(url)
    return S3BlobStore(
        S3Settings(
            bucket=bucket,
            prefix=prefix,
            endpoint=settings.KOFFER_BLOB_S3_ENDPOINT,
            region=settings.KOFFER_BLOB_S3_REGION,
            access_key=settings.KOFFER_BLOB_S3_ACCESS_KEY,
            secret_key=settings.KOFFER_BLOB_S3_SECRET_KEY,
            multipart_bytes=int(settings.KOFFER_BLOB_S3_MULTIPART_BYTES),
            addressing=settings.KOFFER_BLOB_S3_ADDRESSING,
            connect_timeout=float(settings.KOFFER_BLOB_S3_CONNECT_TIMEOUT),
            read_timeout=float(settings.KOFFER_BLOB_S3_READ_TIMEOUT),
            attempts=int(settings.KOFFER_BLOB_S3_ATTEMPTS),
        )
    )


BACKENDS: dict[str, Callable[[], BlobStore]] = {"local": _local, "s3": _s3}


def get_store() -> BlobStore:
    """The configured store: ``KOFFER_BLOB_BACKEND`` (default ``local``), or ``s3`` when
    ``KOFFER_BLOB_URL`` names a bucket. Cheap to call: it touches no disk or network
    until used (the S3 client is made once per process)."""
    name = getattr(settings, "KOFFER_BLOB_BACKEND", "local")
    if name == "local" and getattr(settings, "KOFFER_BLOB_URL", ""):
        name = "s3"
    factory = BACKENDS.get(name)
    if factory is None:
        known = ", ".join(sorted(BACKENDS))
        raise ImproperlyConfigured(
            f"Unbekannter Dokumentenspeicher KOFFER_BLOB_BACKEND={name!r}; bekannt: {known}."
        )
    return factory()
