"""The S3 backend's own promises, against a real SeaweedFS: never overwritten, checked on
write and read, multipart with nothing left behind, ranged reads, clear errors."""

from __future__ import annotations

import hashlib
import io
import os
from datetime import timedelta

import pytest
from django.core.exceptions import ImproperlyConfigured

from koffer.blobs.s3 import BlobStoreUnavailable, S3BlobStore
from koffer.blobs.store import BlobCorrupt, BlobNotFound, BlobRef, get_store
from koffer.blobs.verification import is_intact
from tests.seaweed import S3Server, real_now

MB = 1024 * 1024


@pytest.fixture
def store(s3_blob_url: str) -> S3BlobStore:
    found = get_store()
    assert isinstance(found, S3BlobStore)
    return found


def _uploads(store: S3BlobStore) -> list[str]:
    answer = store.client.list_multipart_uploads(Bucket=store.bucket, Prefix=store.prefix + "/")
    return [u["Key"] for u in answer.get("Uploads", [])]


def test_url_selects_the_s3_store_and_a_bad_url_is_refused(settings, s3_blob_url: str) -> None:
    store = get_store()
    assert isinstance(store, S3BlobStore)
    assert (store.bucket, store.prefix) == ("koffer-test", s3_blob_url.rsplit("/", 1)[1])
    settings.KOFFER_BLOB_URL = "ftp://irgendwo/blobs"
    with pytest.raises(ImproperlyConfigured, match="keine gültige Adresse"):
        get_store()


def test_a_blob_is_never_overwritten(store: S3BlobStore) -> None:
    data = b"Bescheid" * 100
    sha = hashlib.sha256(data).hexdigest()
    # someone put other bytes under this name behind koffer's back
    store.client.put_object(Bucket=store.bucket, Key=store.key(sha), Body=b"falsch")
    with pytest.raises(BlobCorrupt, match="anderer Länge"):
        store.put(data)
    body = store.client.get_object(Bucket=store.bucket, Key=store.key(sha))["Body"].read()
    assert body == b"falsch"  # the conditional write replaced nothing


def test_write_is_checked_by_the_store(store: S3BlobStore) -> None:
    """The checksum sent with the bytes is the blob's hash: bytes changed on the way are
    refused by the store itself (400 BadDigest), nothing is stored."""
    wrong = BlobRef(hashlib.sha256(b"anders").hexdigest(), 5)
    with pytest.raises(BlobStoreUnavailable, match="BadDigest"):
        store._put_single(wrong, b"daten", "ypeBEsobvcr6wjGzmiPcTaeG7/gUfE5yuYB3ha/uSLs=")
    assert list(store.iter_all()) == []


def test_a_changed_blob_is_never_read_as_fine(store: S3BlobStore) -> None:
    data = os.urandom(3 * MB + 5)
    ref = store.put(data)
    store.client.put_object(
        Bucket=store.bucket, Key=store.key(ref.sha256), Body=data[:-1] + b"\x00"
    )
    with store.open(ref.sha256) as stream, pytest.raises(BlobCorrupt, match="beschädigt"):
        while stream.read(MB):
            pass
    assert not is_intact(store, ref.sha256)


def test_ranged_reads_seek_without_loading_the_blob(store: S3BlobStore) -> None:
    data = os.urandom(2 * MB + 123)
    ref = store.put(io.BytesIO(data))
    with store.open(ref.sha256) as stream:
        assert stream.seek(0, io.SEEK_END) == len(data)
        stream.seek(MB + 7)
        assert stream.read(100) == data[MB + 7 : MB + 107]
        stream.seek(0)
        assert stream.read() == data  # read from 0 again in order: checked, and fine
    with pytest.raises(BlobNotFound):
        store.open("0" * 64)
    with pytest.raises(BlobNotFound):
        store.size("0" * 64)


def test_large_blob_goes_up_in_parts(store: S3BlobStore, settings) -> None:
    settings.KOFFER_BLOB_S3_MULTIPART_BYTES = 5 * MB
    big = get_store()
    assert isinstance(big, S3BlobStore)
    data = os.urandom(12 * MB + 1)
    ref = big.put(io.BytesIO(data))
    head = big.client.head_object(
        Bucket=big.bucket, Key=big.key(ref.sha256), ChecksumMode="ENABLED"
    )
    assert head["ContentLength"] == len(data)
    assert str(head["ChecksumSHA256"]).endswith("-3")  # parts of 5 MB and the rest
    assert big.put(data) == ref  # the second time: found by its name, nothing sent
    assert is_intact(big, ref.sha256) and _uploads(big) == []


class FailsAfter(io.RawIOBase):
    """A stream that breaks off after ``good`` bytes."""

    def __init__(self, good: int) -> None:
        self.left = good

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview | bytearray) -> int:  # type: ignore[override]
        if self.left <= 0:
            raise OSError("Verbindung abgebrochen")
        n = min(len(buffer), self.left)
        buffer[:n] = b"y" * n
        self.left -= n
        return n


def test_failed_multipart_upload_is_aborted(store: S3BlobStore, settings) -> None:
    settings.KOFFER_BLOB_S3_MULTIPART_BYTES = 5 * MB
    big = get_store()
    assert isinstance(big, S3BlobStore)
    data = os.urandom(11 * MB)

    class BreaksInSecondPart(io.BytesIO):
        def read(self, size: int | None = -1) -> bytes:
            if self.tell() >= 6 * MB:
                raise OSError("Datenträger nicht lesbar")
            return super().read(size)

    ref = BlobRef(hashlib.sha256(data).hexdigest(), len(data))
    with pytest.raises(OSError, match="nicht lesbar"):
        big._put_multipart(ref, BreaksInSecondPart(data))
    assert not big.exists(ref.sha256)
    assert _uploads(big) == []  # the first part is gone with the aborted upload
    with pytest.raises(OSError, match="abgebrochen"):
        big.put(FailsAfter(7 * MB))  # type: ignore[arg-type]
    assert list(big.iter_all()) == []


def test_stale_uploads_of_a_crashed_process_are_aborted(store: S3BlobStore) -> None:
    key = store.key("a" * 64)
    upload = store.client.create_multipart_upload(Bucket=store.bucket, Key=key)
    store.client.upload_part(
        Bucket=store.bucket, Key=key, UploadId=upload["UploadId"], PartNumber=1, Body=b"z" * MB
    )
    assert store.abort_stale_uploads(timedelta(hours=1), now=real_now()) == 0
    assert _uploads(store) == [key]
    later = real_now() + timedelta(hours=2)
    assert store.abort_stale_uploads(timedelta(hours=1), now=later) == 1
    assert _uploads(store) == []


def test_readiness_and_errors_name_the_cause(
    store: S3BlobStore, settings, s3_server: S3Server
) -> None:
    assert store.check_ready() == (True, "ok")
    assert list(store.iter_all()) == []  # the probe object is gone
    store.prepare()

    settings.KOFFER_BLOB_S3_SECRET_KEY = "falsch"
    ok, detail = get_store().check_ready()
    assert not ok and "Zugangsdaten" in detail
    with pytest.raises(BlobStoreUnavailable, match="Zugangsdaten"):
        get_store().put(b"nie gespeichert")

    settings.KOFFER_BLOB_S3_SECRET_KEY = s3_server.secret_key
    settings.KOFFER_BLOB_URL = "s3://gibt-es-nicht/x"
    with pytest.raises(BlobStoreUnavailable, match="Bucket"):
        get_store().prepare()

    settings.KOFFER_BLOB_URL = f"s3://{store.bucket}/x"
    settings.KOFFER_BLOB_S3_ENDPOINT = "http://127.0.0.1:9"  # nothing listens there
    ok, detail = get_store().check_ready()
    assert not ok and "nicht erreichbar" in detail


def test_a_changed_multipart_blob_is_found_by_its_content(store: S3BlobStore, settings) -> None:
    """A multipart object's checksum covers its parts only: one of the same length but
    other bytes is found by hashing its content, never taken as the blob (issue 20)."""
    settings.KOFFER_BLOB_S3_MULTIPART_BYTES = 5 * MB
    big = get_store()
    assert isinstance(big, S3BlobStore)
    data = os.urandom(6 * MB)
    ref = BlobRef(hashlib.sha256(data).hexdigest(), len(data))
    # other bytes of the same length under this name, in parts, behind koffer's back
    key = big.key(ref.sha256)
    upload = big.client.create_multipart_upload(
        Bucket=big.bucket, Key=key, ChecksumAlgorithm="SHA256"
    )
    parts = []
    for number, piece in enumerate((b"x" * (5 * MB), b"x" * MB), start=1):
        answer = big.client.upload_part(
            Bucket=big.bucket,
            Key=key,
            UploadId=upload["UploadId"],
            PartNumber=number,
            Body=piece,
            ChecksumAlgorithm="SHA256",
        )
        parts.append(
            {
                "PartNumber": number,
                "ETag": answer["ETag"],
                "ChecksumSHA256": answer["ChecksumSHA256"],
            }
        )
    big.client.complete_multipart_upload(
        Bucket=big.bucket, Key=key, UploadId=upload["UploadId"], MultipartUpload={"Parts": parts}
    )
    with pytest.raises(BlobCorrupt, match="beschädigt"):
        big.holds(ref.sha256, ref.size)
    with pytest.raises(BlobCorrupt, match="beschädigt"):
        big.put(data)  # found there, read, refused: never reported as stored
    assert not is_intact(big, ref.sha256)

    good = big.put(os.urandom(6 * MB))
    assert big.holds(good.sha256, good.size)  # the real one verifies by its content
