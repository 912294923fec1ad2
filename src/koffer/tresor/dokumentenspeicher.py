"""The encrypting blob store of a Koffer (``KOFFER_BLOB_BACKEND=tresor``).

The same files as the local store (``<root>/ab/cd/<sha256>``, written atomically), but
their content is AES-256-GCM in independent segments, so documents stream and seek
without ever being loaded whole. A file::

    header   "KTB1" | file id (16 random bytes) | segment size (4 bytes, big-endian)
    segment  nonce (12) | ciphertext | tag (16)      (every segment full but the last)

Each file has its own key (HKDF of the documents' key and the file id); a segment's
associated data is the header, its index and whether it is the last one, so a flipped
byte, a segment moved or swapped, a file cut short at a segment boundary or a file's
tail grafted onto another all fail the tag. Such a read raises :class:`BlobBeschaedigt`
(an OSError), which ``blobs_verify`` reports as corrupt like a changed local blob.

Names stay the SHA-256 of the plaintext, so the blob ledger, the verification and the
checkout package's hashes work unchanged. A name says only "this Koffer holds a file
with this hash": someone who already has the document can confirm that (for public
forms that is no secret); it reveals nothing of a document one does not already have.
An HMAC'd name would hide even that, but every listing by prefix would then need a
decrypted index; that can come later without changing the interface.

``size()`` is the plaintext length, computed from the file's length without decrypting.
"""

from __future__ import annotations

import hashlib
import io
import os
import struct
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Protocol

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from koffer.blobs.local import INCOMING, LocalBlobStore, fsync_dir
from koffer.blobs.store import BlobCorrupt, BlobNotFound, BlobRef

MAGIC = b"KTB1"
SEGMENT = 256 * 1024
NONCE = 12
TAG = 16
OVERHEAD = NONCE + TAG
HEADER = len(MAGIC) + 16 + 4


class BlobBeschaedigt(BlobCorrupt):
    """An encrypted blob fails its check: changed, cut short or put together anew."""


def _datei_schluessel(schluessel: bytes, file_id: bytes) -> AESGCM:
    return AESGCM(
        HKDF(algorithm=hashes.SHA256(), length=32, salt=file_id, info=b"koffer-tresor/blob").derive(
            schluessel
        )
    )


def _aad(header: bytes, index: int, final: bool) -> bytes:
    return header + struct.pack(">QB", index, 1 if final else 0)


def klartext_groesse(dateigroesse: int, segment: int = SEGMENT) -> int:
    """The plaintext length of an encrypted file of ``dateigroesse`` bytes."""
    body = dateigroesse - HEADER
    if body < OVERHEAD:
        raise BlobBeschaedigt("Das verschlüsselte Dokument ist zu kurz.")
    segmente = -(-body // (segment + OVERHEAD))
    return body - segmente * OVERHEAD


def verschluesselte_groesse(klartext: int, segment: int = SEGMENT) -> int:
    """The length of the encrypted file of ``klartext`` bytes (an empty one: one segment)."""
    segmente = max(1, -(-klartext // segment))
    return HEADER + klartext + segmente * OVERHEAD


class _Readable(Protocol):
    def read(self, size: int = -1, /) -> bytes: ...


def verschluesseln(source: _Readable, target: IO[bytes], schluessel: bytes) -> None:
    """Encrypt everything ``source`` yields into ``target``, one segment at a time: one
    segment is read ahead, so the last one is known when it is written."""
    file_id = os.urandom(16)
    header = MAGIC + file_id + struct.pack(">I", SEGMENT)
    aes = _datei_schluessel(schluessel, file_id)
    target.write(header)
    current = _read_full(source, SEGMENT)
    index = 0
    while True:
        following = _read_full(source, SEGMENT) if len(current) == SEGMENT else b""
        final = not following
        nonce = os.urandom(NONCE)
        target.write(nonce + aes.encrypt(nonce, current, _aad(header, index, final)))
        if final:
            return
        current, index = following, index + 1


def _read_full(source: _Readable, size: int) -> bytes:
    parts = []
    missing = size
    while missing:
        chunk = source.read(missing)
        if not chunk:
            break
        parts.append(chunk)
        missing -= len(chunk)
    return b"".join(parts)


class EntschluesselnderLeser(io.RawIOBase):
    """The plaintext of an encrypted blob file, segment by segment, with seek."""

    def __init__(self, raw: IO[bytes], schluessel: bytes) -> None:
        super().__init__()
        self._raw = raw
        header = raw.read(HEADER)
        if len(header) != HEADER or header[:4] != MAGIC:
            raw.close()
            raise BlobBeschaedigt("Das verschlüsselte Dokument hat keinen gültigen Kopf.")
        self._header = header
        self._segment = struct.unpack(">I", header[-4:])[0]
        if not 0 < self._segment <= 16 * 1024 * 1024:
            raw.close()
            raise BlobBeschaedigt("Das verschlüsselte Dokument hat keinen gültigen Kopf.")
        self._aes = _datei_schluessel(schluessel, header[4:20])
        total = os.fstat(raw.fileno()).st_size
        self._size = klartext_groesse(total, self._segment)
        self._segmente = -(-(total - HEADER) // (self._segment + OVERHEAD))
        self._pos = 0
        self._cached: tuple[int, bytes] | None = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative Position")
        self._pos = base + offset
        return self._pos

    def _klartext(self, index: int) -> bytes:
        if self._cached is not None and self._cached[0] == index:
            return self._cached[1]
        final = index == self._segmente - 1
        self._raw.seek(HEADER + index * (self._segment + OVERHEAD))
        length = (
            self._size - index * self._segment + OVERHEAD if final else self._segment + OVERHEAD
        )
        data = _read_full(self._raw, length)
        try:
            plain = self._aes.decrypt(data[:NONCE], data[NONCE:], _aad(self._header, index, final))
        except InvalidTag:
            raise BlobBeschaedigt(
                f"Das verschlüsselte Dokument ist verändert oder unvollständig (Abschnitt {index})."
            ) from None
        self._cached = (index, plain)
        return plain

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._pos >= self._size:
            return 0
        index, offset = divmod(self._pos, self._segment)
        plain = self._klartext(index)
        n = min(len(buffer), len(plain) - offset)
        buffer[:n] = plain[offset : offset + n]
        self._pos += n
        return n

    def close(self) -> None:
        if not self.closed:
            self._raw.close()
            self._cached = None
        super().close()


class TresorBlobStore:
    """Blobs as encrypted files; ``schluessel`` gives the documents' key when needed (it
    is asked on every write and read, so a wiped Koffer stops at once).

    Not a LocalBlobStore, on purpose: code that hands a local blob's path to a child
    process (the page renderer) must see that these files are no plaintext. The files
    themselves are laid out and listed by a LocalBlobStore it keeps."""

    def __init__(self, root: Path | str, schluessel: Callable[[], bytes]) -> None:
        self.root = Path(root)
        self._dateien = LocalBlobStore(self.root)
        self._schluessel = schluessel

    def path_of(self, sha256: str) -> Path:
        return self._dateien.path_of(sha256)

    def prepare(self) -> None:
        self._dateien.prepare()

    def put(self, data: bytes | IO[bytes]) -> BlobRef:
        stream: IO[bytes] = io.BytesIO(data) if isinstance(data, bytes | bytearray) else data
        key = self._schluessel()
        self.prepare()
        hashing = _Hashing(stream)
        fd, tmp_name = tempfile.mkstemp(dir=self.root / INCOMING, prefix="put-")
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as out:
                verschluesseln(hashing, out, key)
                out.flush()
                os.fsync(out.fileno())
            ref = BlobRef(hashing.digest.hexdigest(), hashing.size)
            final = self.path_of(ref.sha256)
            if final.is_file() and final.stat().st_size == verschluesselte_groesse(ref.size):
                return ref  # same content already stored: nothing to do
            _make_parents(final.parent)
            os.replace(tmp, final)
            fsync_dir(final.parent)
            return ref
        finally:
            tmp.unlink(missing_ok=True)

    def put_verified_file(self, path: Path, sha256: str) -> BlobRef:
        """Encrypt the verified file into the store (a rename would leave plaintext under
        the blob's name), then remove it; bytes that are not ``sha256`` are dropped and
        raise BlobCorrupt."""
        with path.open("rb") as data:
            ref = self.put(data)
        path.unlink(missing_ok=True)
        if ref.sha256 != sha256:  # stored under its own name only, never under ``sha256``
            raise BlobCorrupt(f"Das Dokument {sha256} passt nicht zu seinem Inhalt.")
        return ref

    def open(self, sha256: str) -> IO[bytes]:
        key = self._schluessel()
        try:
            raw = self.path_of(sha256).open("rb")
        except FileNotFoundError as exc:
            raise BlobNotFound(sha256) from exc
        return io.BufferedReader(EntschluesselnderLeser(raw, key), buffer_size=SEGMENT)

    def exists(self, sha256: str) -> bool:
        return self._dateien.exists(sha256)

    def size(self, sha256: str) -> int:
        try:
            return klartext_groesse(self.path_of(sha256).stat().st_size)
        except FileNotFoundError as exc:
            raise BlobNotFound(sha256) from exc

    def delete(self, sha256: str) -> None:
        self._dateien.delete(sha256)

    def iter_all(self, prefix: str = "") -> Iterator[str]:
        return self._dateien.iter_all(prefix)

    def check_ready(self) -> tuple[bool, str]:
        return self._dateien.check_ready()


def _make_parents(folder: Path) -> None:
    """Create ``ab/cd`` as needed; a new folder entry is made durable in its parent."""
    for level in (folder.parent, folder):
        if level.is_dir():
            continue
        try:
            level.mkdir()
        except FileExistsError:
            continue  # a concurrent writer made it
        fsync_dir(level.parent)


class _Hashing:
    """Reads from ``source`` and hashes what passes (the name is the plaintext's hash)."""

    def __init__(self, source: IO[bytes]) -> None:
        self._source = source
        self.digest = hashlib.sha256()
        self.size = 0

    def read(self, size: int = -1) -> bytes:
        chunk = self._source.read(size)
        self.digest.update(chunk)
        self.size += len(chunk)
        return chunk
