"""Blobs in S3-compatible object storage (``KOFFER_BLOB_URL=s3://bucket/prefix``).

The object key is ``<prefix>/<sha256>``: flat, so a listing by key prefix is a listing by
hash prefix, in hash order (S3 lists keys in byte order). A blob is never overwritten:

- ``put`` hashes first (bytes in memory; a stream is spooled to a temporary file while
  hashing), then writes with ``If-None-Match: *`` and ``ChecksumSHA256``, so the store
  refuses bytes that changed on the way (400 BadDigest) and never replaces an object. A
  412 means the blob is there: its length and checksum are compared (a multipart object,
  whose checksum covers only its parts, is read and hashed), a mismatch raises
  :class:`~koffer.blobs.store.BlobCorrupt`. From ``KOFFER_BLOB_S3_MULTIPART_BYTES`` on
  the upload is multipart, each part with its own SHA-256; a failed one is aborted, and
  :meth:`S3BlobStore.abort_stale_uploads` (run by ``records_blob_gc``) removes parts a
  crashed process left behind.
- ``open`` streams the object (never loaded whole) and hashes what it reads from byte 0
  on; at the end a mismatch raises ``BlobCorrupt`` (an OSError, so ``blobs_verify``
  reports it like a changed local file, and a download breaks off instead of finishing
  as if fine). ``seek`` is free: the next read asks for ``Range: bytes=<pos>-``, which is
  how the Koffer's ranged downloads and Django's ``FileResponse`` (its length) work.
  A read that starts elsewhere than 0 cannot be checked against the name.

Endpoint, region and keys come from the usual variables (``AWS_ENDPOINT_URL_S3`` or
``AWS_ENDPOINT_URL``, ``AWS_REGION``/``AWS_DEFAULT_REGION``, ``AWS_ACCESS_KEY_ID``,
``AWS_SECRET_ACCESS_KEY``; without keys boto3's own chain). Timeouts are short and
retries back off (botocore's ``standard`` mode), all three configurable
(``KOFFER_BLOB_S3_CONNECT_TIMEOUT``, ``…_READ_TIMEOUT``, ``…_ATTEMPTS``); errors reach
callers as OSError with a German message (:class:`~koffer.blobs.store.BlobStoreUnavailable`).
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import io
import logging
import os
import tempfile
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectTimeoutError,
    EndpointConnectionError,
    ReadTimeoutError,
)
from django.core.exceptions import ImproperlyConfigured

from koffer.blobs.store import (
    CHUNK_SIZE,
    BlobCorrupt,
    BlobNotFound,
    BlobRef,
    BlobStoreUnavailable,
    check_name,
    check_prefix,
    hash_stream,
)

logger = logging.getLogger("koffer.blobs")

MIN_PART = 5 * 1024 * 1024  # S3's smallest part but the last
SPOOL_IN_MEMORY = 8 * 1024 * 1024  # streams up to this size are hashed without a file


@dataclass(frozen=True)
class S3Settings:
    bucket: str
    prefix: str
    endpoint: str
    region: str
    access_key: str
    secret_key: str
    multipart_bytes: int = 16 * 1024 * 1024
    addressing: str = "path"
    connect_timeout: float = 5.0
    read_timeout: float = 60.0
    attempts: int = 4


def parse_url(url: str) -> tuple[str, str]:
    """``s3://bucket/prefix`` → (bucket, prefix without slashes at its ends)."""
    parts = urlsplit(url)
    if parts.scheme != "s3" or not parts.netloc:
        raise ImproperlyConfigured(
            f"KOFFER_BLOB_URL={url!r} ist keine gültige Adresse (erwartet: s3://bucket/präfix)."
        )
    return parts.netloc, parts.path.strip("/")


_clients: dict[tuple[str, ...], Any] = {}
_clients_lock = threading.Lock()


def _client(conf: S3Settings) -> Any:
    """One boto3 client per endpoint and keys (thread-safe, made once: building one costs
    tens of milliseconds, and ``get_store()`` is called per request)."""
    # the process id too: a forked worker must not share its parent's connections
    key = (
        str(os.getpid()),
        conf.endpoint,
        conf.region,
        conf.access_key,
        conf.secret_key,
        conf.addressing,
        str(conf.connect_timeout),
        str(conf.read_timeout),
        str(conf.attempts),
    )
    with _clients_lock:
        client = _clients.get(key)
        if client is None:
            config = Config(
                s3={"addressing_style": conf.addressing},
                connect_timeout=conf.connect_timeout,
                read_timeout=conf.read_timeout,
                # botocore's standard mode: throttling, 5xx and broken connections are
                # retried with exponential backoff and jitter, up to this many attempts
                retries={"max_attempts": conf.attempts, "mode": "standard"},
                max_pool_connections=32,
                # koffer checks SHA-256 itself; no CRC32 of every body on top
                request_checksum_calculation="when_required",
                response_checksum_validation="when_required",
            )
            client = boto3.session.Session().client(
                "s3",
                endpoint_url=conf.endpoint or None,
                region_name=conf.region or None,
                aws_access_key_id=conf.access_key or None,
                aws_secret_access_key=conf.secret_key or None,
                config=config,
            )
            _clients[key] = client
        return client


def _code(exc: ClientError) -> tuple[str, int]:
    error = exc.response.get("Error", {})
    status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", 0)
    return str(error.get("Code", "")), int(status or 0)


def unavailable(exc: Exception) -> BlobStoreUnavailable:
    """The German message for a failed request (what an operator reads in the log)."""
    if isinstance(exc, ClientError):
        code, status = _code(exc)
        if status == 403 or code in {"InvalidAccessKeyId", "SignatureDoesNotMatch"}:
            text = "Der Objektspeicher lehnt die Zugangsdaten ab"
        elif code in {"NoSuchBucket"} or (status == 404 and not code.startswith("NoSuchKey")):
            text = "Der Bucket des Objektspeichers fehlt"
        else:
            text = f"Der Objektspeicher antwortet mit einem Fehler ({code or status})"
    elif isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        text = "Der Objektspeicher ist nicht erreichbar"
    elif isinstance(exc, ReadTimeoutError):
        text = "Der Objektspeicher antwortet nicht rechtzeitig"
    else:
        text = f"Der Objektspeicher antwortet nicht ({type(exc).__name__})"
    return BlobStoreUnavailable(f"{text}.")


def _is_file(stream: IO[bytes]) -> bool:
    """A seekable file with a descriptor (read twice instead of copied)."""
    try:
        stream.fileno()
        return bool(stream.seekable())
    except (AttributeError, OSError, ValueError):
        return False


@contextlib.contextmanager
def _hashed(stream: IO[bytes]) -> Iterator[tuple[BlobRef, IO[bytes]]]:
    """The stream's reference and a body to send it from: a file on disk (the migration,
    an upload Django spooled) is hashed and then sent from the same file — the store checks
    the bytes it gets against the hash —, any other stream is spooled while hashed."""
    if _is_file(stream):
        start = stream.tell()
        name, size = hash_stream(stream)
        stream.seek(start)
        yield BlobRef(name, size), stream
        return
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY) as spool:
        digest = hashlib.sha256()
        size = 0
        while chunk := stream.read(CHUNK_SIZE):
            digest.update(chunk)
            spool.write(chunk)
            size += len(chunk)
        spool.seek(0)
        yield BlobRef(digest.hexdigest(), size), spool


def _read_full(stream: IO[bytes], size: int) -> bytes:
    """``size`` bytes (fewer only at the end): a raw stream may return less per read."""
    pieces: list[bytes] = []
    left = size
    while left > 0:
        piece = stream.read(left)
        if not piece:
            break
        pieces.append(piece)
        left -= len(piece)
    return b"".join(pieces)


def _b64(digest: bytes) -> str:
    return base64.b64encode(digest).decode("ascii")


class S3BlobReader(io.RawIOBase):
    """A blob's bytes streamed from the store; seekable, checked against its name."""

    def __init__(self, store: S3BlobStore, sha256: str) -> None:
        super().__init__()
        self._store = store
        self._sha256 = sha256
        self._pos = 0
        self._body: Any = None
        self._body_pos = -1
        self._digest = hashlib.sha256()
        self._hashed = 0  # bytes hashed in order from 0
        self._checked = False
        self._size = self._open_at(0)

    def _open_at(self, pos: int) -> int:
        self._close_body()
        kwargs: dict[str, Any] = {
            "Bucket": self._store.bucket,
            "Key": self._store.key(self._sha256),
        }
        if pos:
            kwargs["Range"] = f"bytes={pos}-"
        try:
            answer = self._store.client.get_object(**kwargs)
        except ClientError as exc:
            code, status = _code(exc)
            if code in {"NoSuchKey", "404"} or status == 404:
                raise BlobNotFound(self._sha256) from exc
            if status == 416:  # reading at the end: nothing left
                self._body, self._body_pos = None, pos
                return self._size
            raise unavailable(exc) from exc
        except BotoCoreError as exc:
            raise unavailable(exc) from exc
        self._body, self._body_pos = answer["Body"], pos
        if "ContentRange" in answer:
            return int(str(answer["ContentRange"]).rsplit("/", 1)[1])
        return int(answer["ContentLength"])

    def _close_body(self) -> None:
        if self._body is not None:
            self._body.close()
            self._body = None

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        target = base + offset
        if target < 0:
            raise ValueError("negative Position")
        self._pos = target
        return target

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self._pos >= self._size or not len(buffer):
            self._finish()
            return 0
        if self._body_pos != self._pos or self._body is None:
            self._open_at(self._pos)
        want = min(len(buffer), CHUNK_SIZE)
        try:
            chunk = self._body.read(want)
        except (BotoCoreError, OSError):
            # a connection broken off mid-stream: once more from here (Range), then give up
            self._open_at(self._pos)
            try:
                chunk = self._body.read(want)
            except (BotoCoreError, OSError) as exc:
                self._close_body()
                raise unavailable(exc) from exc
        if not chunk:
            raise BlobCorrupt(
                f"Das Dokument {self._sha256} ist im Objektspeicher kürzer als angegeben."
            )
        n = len(chunk)
        buffer[:n] = chunk
        if self._pos == self._hashed:
            self._digest.update(chunk)
            self._hashed += n
        self._pos += n
        self._body_pos = self._pos
        if self._pos >= self._size:
            self._finish()
        return n

    def _finish(self) -> None:
        """At the end: if everything was read in order, it must hash to the name."""
        if self._checked or self._hashed != self._size:
            return
        self._checked = True
        if self._digest.hexdigest() != self._sha256:
            raise BlobCorrupt(
                f"Das Dokument {self._sha256} ist beschädigt: sein Inhalt passt nicht zu "
                "seiner Prüfsumme."
            )

    def close(self) -> None:
        self._close_body()
        super().close()


class S3BlobStore:
    """Content-addressed blobs in one bucket under one prefix."""

    remote = True  # no local path: code that hands a file to a child copies it first

    def __init__(self, conf: S3Settings) -> None:
        self.conf = conf
        self.bucket = conf.bucket
        self.prefix = conf.prefix
        self.client = _client(conf)

    def key(self, sha256: str) -> str:
        check_name(sha256)
        return f"{self.prefix}/{sha256}" if self.prefix else sha256

    # --- writing ----------------------------------------------------------------------

    def put(self, data: bytes | IO[bytes]) -> BlobRef:
        if isinstance(data, bytes | bytearray):
            raw = bytes(data)
            digest = hashlib.sha256(raw)
            ref = BlobRef(digest.hexdigest(), len(raw))
            if len(raw) >= self.conf.multipart_bytes:
                self._put_multipart(ref, io.BytesIO(raw))
            else:
                self._put_single(ref, raw, _b64(digest.digest()))
            return ref
        with _hashed(data) as (ref, body):
            return self._put_ref(ref, body)

    def put_named(self, sha256: str, stream: IO[bytes]) -> BlobRef:
        """Store a blob another store holds under ``sha256``: hashed before anything is
        sent; bytes that do not hash to that name raise BlobCorrupt and are not stored."""
        check_name(sha256)
        with _hashed(stream) as (ref, body):
            if ref.sha256 != sha256:
                raise BlobCorrupt(
                    f"Das Dokument {sha256} ist in der Quelle beschädigt: sein Inhalt passt "
                    "nicht zu seinem Namen."
                )
            return self._put_ref(ref, body)

    def put_verified_file(self, path: Path, sha256: str) -> BlobRef:
        """Upload the verified file under ``sha256`` without hashing it again: the store
        checks the bytes itself (a single object's SHA-256 checksum, refused as
        BadDigest; a multipart object's parts and whole content), then the file is
        removed. Bytes that are not ``sha256`` are not stored and the file stays."""
        check_name(sha256)
        with path.open("rb") as body:
            ref = self._put_ref(BlobRef(sha256, os.fstat(body.fileno()).st_size), body)
        path.unlink(missing_ok=True)
        return ref

    def holds(self, sha256: str, size: int) -> bool:
        """Is the blob here with this length and (where the store keeps one for the
        whole object) the right checksum? A wrong one raises BlobCorrupt."""
        return self._check_existing(BlobRef(sha256, size), missing_ok=True)

    def _put_ref(self, ref: BlobRef, stream: IO[bytes]) -> BlobRef:
        if ref.size >= self.conf.multipart_bytes:
            self._put_multipart(ref, stream)
        else:
            self._put_single(ref, stream, _b64(bytes.fromhex(ref.sha256)))
        return ref

    def _put_single(self, ref: BlobRef, body: bytes | IO[bytes], checksum: str) -> None:
        try:
            self.client.put_object(
                Bucket=self.bucket,
                Key=self.key(ref.sha256),
                Body=body,
                ContentLength=ref.size,
                ChecksumSHA256=checksum,
                IfNoneMatch="*",
            )
        except ClientError as exc:
            if _code(exc)[1] in {412, 409}:
                self._check_existing(ref)
                return
            raise unavailable(exc) from exc
        except BotoCoreError as exc:
            raise unavailable(exc) from exc

    def _put_multipart(self, ref: BlobRef, stream: IO[bytes]) -> None:
        if self._check_existing(ref, missing_ok=True):
            return  # no need to send megabytes the store has
        key = self.key(ref.sha256)
        part_size = max(MIN_PART, self.conf.multipart_bytes // 2)
        try:
            upload = self.client.create_multipart_upload(
                Bucket=self.bucket, Key=key, ChecksumAlgorithm="SHA256"
            )
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc) from exc
        upload_id = upload["UploadId"]
        try:
            parts = []
            number = 1
            sent = hashlib.sha256()
            while part := _read_full(stream, part_size):
                sent.update(part)
                answer = self.client.upload_part(
                    Bucket=self.bucket,
                    Key=key,
                    UploadId=upload_id,
                    PartNumber=number,
                    Body=part,
                    ChecksumSHA256=_b64(hashlib.sha256(part).digest()),
                )
                parts.append(
                    {
                        "PartNumber": number,
                        "ETag": answer["ETag"],
                        "ChecksumSHA256": answer.get("ChecksumSHA256")
                        or _b64(hashlib.sha256(part).digest()),
                    }
                )
                number += 1
            if sent.hexdigest() != ref.sha256:
                raise BlobCorrupt(
                    f"Das Dokument {ref.sha256} hat sich während des Hochladens verändert."
                )
            self.client.complete_multipart_upload(
                Bucket=self.bucket,
                Key=key,
                UploadId=upload_id,
                MultipartUpload={"Parts": parts},
                IfNoneMatch="*",
            )
        except ClientError as exc:
            self._abort(key, upload_id)
            if _code(exc)[1] in {412, 409}:
                self._check_existing(ref)
                return
            raise unavailable(exc) from exc
        except BaseException as exc:
            self._abort(key, upload_id)
            if isinstance(exc, BotoCoreError):
                raise unavailable(exc) from exc
            raise

    def _abort(self, key: str, upload_id: str) -> None:
        # on failure abort_stale_uploads removes it later
        with contextlib.suppress(ClientError, BotoCoreError):
            self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)

    def _check_existing(self, ref: BlobRef, *, missing_ok: bool = False) -> bool:
        """The object under ``ref``'s name is that blob (length and checksum), or raise
        BlobCorrupt. Returns False when there is none (only with ``missing_ok``)."""
        try:
            head = self._head(ref.sha256)
        except BlobNotFound:
            if missing_ok:
                return False
            raise
        if int(head["ContentLength"]) != ref.size:
            raise BlobCorrupt(
                f"Im Objektspeicher liegt unter {ref.sha256} ein Dokument anderer Länge."
            )
        stored = str(head.get("ChecksumSHA256") or "")
        if stored and "-" not in stored:
            if stored != _b64(bytes.fromhex(ref.sha256)):
                raise BlobCorrupt(f"Im Objektspeicher ist {ref.sha256} beschädigt.")
            return True
        # A multipart object's checksum is one of its parts' checksums ("…-N"), and a
        # store may keep none: equal length proves nothing, so its content is read and
        # hashed (rare: a large blob already there). A mismatch raises BlobCorrupt.
        self._rehash(ref.sha256)
        return True

    def _rehash(self, sha256: str) -> None:
        with self.open(sha256) as stream:
            while stream.read(CHUNK_SIZE):
                pass

    # --- reading ----------------------------------------------------------------------

    def _head(self, sha256: str) -> dict[str, Any]:
        try:
            answer: dict[str, Any] = self.client.head_object(
                Bucket=self.bucket, Key=self.key(sha256), ChecksumMode="ENABLED"
            )
        except ClientError as exc:
            if _code(exc)[1] == 404:
                raise BlobNotFound(sha256) from exc
            raise unavailable(exc) from exc
        except BotoCoreError as exc:
            raise unavailable(exc) from exc
        return answer

    def open(self, sha256: str) -> IO[bytes]:
        check_name(sha256)
        return S3BlobReader(self, sha256)  # type: ignore[return-value]

    def exists(self, sha256: str) -> bool:
        try:
            self._head(sha256)
        except BlobNotFound:
            return False
        return True

    def size(self, sha256: str) -> int:
        return int(self._head(sha256)["ContentLength"])

    def delete(self, sha256: str) -> None:
        try:
            self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc) from exc

    def iter_all(self, prefix: str = "") -> Iterator[str]:
        check_prefix(prefix)
        base = f"{self.prefix}/" if self.prefix else ""
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=base + prefix
        )
        try:
            for page in pages:
                for item in page.get("Contents", []):
                    name = str(item["Key"])[len(base) :]
                    try:
                        yield check_name(name)
                    except ValueError:
                        continue  # a stray object is not a blob
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc) from exc

    # --- housekeeping -----------------------------------------------------------------

    def abort_stale_uploads(self, older_than: timedelta, *, now: datetime) -> int:
        """Abort multipart uploads under the prefix begun before ``now - older_than`` (a
        process died mid-upload; the parts cost storage and are invisible otherwise)."""
        base = f"{self.prefix}/" if self.prefix else ""
        cutoff = now - older_than
        aborted = 0
        try:
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=base
            )
            for page in pages:
                for upload in page.get("Uploads", []):
                    if upload["Initiated"] < cutoff:
                        self._abort(str(upload["Key"]), str(upload["UploadId"]))
                        aborted += 1
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc) from exc
        return aborted

    def prepare(self) -> None:
        try:
            self.client.head_bucket(Bucket=self.bucket)
        except (ClientError, BotoCoreError) as exc:
            raise unavailable(exc) from exc

    def check_ready(self) -> tuple[bool, str]:
        """Ready when a probe object can be written and removed (keys, bucket, network)."""
        base = f"{self.prefix}/" if self.prefix else ""
        probe = f"{base}.probe-{uuid.uuid4().hex}"
        try:
            self.client.put_object(Bucket=self.bucket, Key=probe, Body=b"ok")
            self.client.delete_object(Bucket=self.bucket, Key=probe)
        except (ClientError, BotoCoreError) as exc:
            detail = str(unavailable(exc))
            logger.warning("Dokumentenspeicher s3://%s/%s: %s", self.bucket, self.prefix, detail)
            return False, detail
        return True, "ok"
