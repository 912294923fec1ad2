from __future__ import annotations

import hashlib
import io
import os
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command
from django.core.management.base import CommandError

from koffer.blobs import local
from koffer.blobs.local import LocalBlobStore
from koffer.blobs.s3 import S3BlobStore
from koffer.blobs.store import BlobNotFound, BlobStore, InvalidBlobName, get_store
from koffer.blobs.verification import verify_store


@pytest.fixture
def local_store(tmp_path: Path, settings) -> LocalBlobStore:
    settings.KOFFER_BLOB_DIR = tmp_path / "blobs"
    found = get_store()
    assert isinstance(found, LocalBlobStore)
    return found


@pytest.fixture
def store(blob_backend: str) -> BlobStore:
    """The interface's tests run on the local store and on S3 (SeaweedFS)."""
    found = get_store()
    assert isinstance(found, LocalBlobStore if blob_backend == "local" else S3BlobStore)
    return found


def _files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_put_stores_content_under_its_hash(store: BlobStore) -> None:
    data = b"Bescheid vom 1. M\xc3\xa4rz" * 1000
    ref = store.put(data)
    sha = hashlib.sha256(data).hexdigest()
    assert ref.sha256 == sha and ref.size == len(data)
    if isinstance(store, LocalBlobStore):
        assert store.path_of(sha) == store.root / sha[:2] / sha[2:4] / sha
    else:
        assert isinstance(store, S3BlobStore)
        assert store.key(sha) == f"{store.prefix}/{sha}"
    assert store.exists(sha) and store.size(sha) == len(data)
    with store.open(sha) as f:
        assert f.read() == data


def test_put_reads_a_stream_in_chunks(store: BlobStore) -> None:
    data = os.urandom(3 * 1024 * 1024 + 17)
    ref = store.put(io.BytesIO(data))
    assert ref.sha256 == hashlib.sha256(data).hexdigest() and ref.size == len(data)
    with store.open(ref.sha256) as f:
        assert f.read() == data


def test_same_content_twice_is_stored_once(local_store: LocalBlobStore) -> None:
    store = local_store
    first = store.put(b"gleich")
    mtime = store.path_of(first.sha256).stat().st_mtime_ns
    second = store.put(io.BytesIO(b"gleich"))
    assert first == second
    assert store.path_of(first.sha256).stat().st_mtime_ns == mtime
    assert _files(store.root) == [store.path_of(first.sha256)]


class BrokenStream(io.RawIOBase):
    """Yields some bytes, then fails like a dropped upload."""

    def __init__(self) -> None:
        self.calls = 0

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        self.calls += 1
        if self.calls > 2:
            raise OSError("Verbindung abgebrochen")
        return b"x" * 4096


def test_same_content_twice_is_one_blob(store: BlobStore) -> None:
    first = store.put(b"gleich")
    second = store.put(io.BytesIO(b"gleich"))
    assert first == second
    assert list(store.iter_all()) == [first.sha256]


def test_failed_write_leaves_no_partial_file(store: BlobStore) -> None:
    with pytest.raises(OSError, match="abgebrochen"):
        store.put(BrokenStream())  # type: ignore[arg-type]
    if isinstance(store, LocalBlobStore):
        assert _files(store.root) == []
    assert list(store.iter_all()) == []


def test_failed_rename_leaves_no_partial_file(local_store: LocalBlobStore, monkeypatch) -> None:
    store = local_store

    def fail(*args: object) -> None:
        raise OSError("Datenträger voll")

    monkeypatch.setattr(local.os, "replace", fail)
    with pytest.raises(OSError, match="voll"):
        store.put(b"inhalt")
    assert _files(store.root) == []


def test_unknown_and_invalid_names(store: BlobStore) -> None:
    with pytest.raises(BlobNotFound):
        store.open("0" * 64)
    with pytest.raises(BlobNotFound):
        store.size("0" * 64)
    assert not store.exists("0" * 64)
    for bad in ["../../etc/passwd", "A" * 64, "0" * 63, ""]:
        with pytest.raises(InvalidBlobName):
            store.open(bad)


def test_iter_all_lists_blobs_by_prefix_and_skips_strays(store: BlobStore) -> None:
    refs = [store.put(f"Dokument {i}".encode()) for i in range(20)]
    if isinstance(store, LocalBlobStore):
        (store.root / "ab").mkdir(exist_ok=True)
        (store.root / "ab" / "notiz.txt").write_text("kein Blob")
        (store.root / "README").write_text("kein Blob")
    else:
        assert isinstance(store, S3BlobStore)
        for stray in ["README", "ab/notiz.txt"]:
            store.client.put_object(Bucket=store.bucket, Key=f"{store.prefix}/{stray}", Body=b"x")
    hashes = sorted(r.sha256 for r in refs)
    assert list(store.iter_all()) == hashes
    prefix = hashes[0][:1]
    assert list(store.iter_all(prefix)) == [h for h in hashes if h.startswith(prefix)]
    assert list(store.iter_all(hashes[3])) == [hashes[3]]
    with pytest.raises(InvalidBlobName):
        list(store.iter_all("../"))


def _corrupt(store: BlobStore, sha: str) -> None:
    """Flip the first byte behind the store's back (a disk or a bucket gone bad)."""
    if isinstance(store, S3BlobStore):
        key = store.key(sha)
        data = bytearray(store.client.get_object(Bucket=store.bucket, Key=key)["Body"].read())
        data[0] ^= 0xFF
        store.client.put_object(Bucket=store.bucket, Key=key, Body=bytes(data))
        return
    assert isinstance(store, LocalBlobStore)
    path = store.path_of(sha)
    data = bytearray(path.read_bytes())
    data[0] ^= 0xFF
    path.write_bytes(bytes(data))


def test_verify_finds_corrupt_blob(store: BlobStore) -> None:
    refs = [store.put(f"Akte {i}".encode()) for i in range(5)]
    assert verify_store(store).ok
    _corrupt(store, refs[2].sha256)
    seen: list[tuple[int, int]] = []
    report = verify_store(store, progress=lambda done, total: seen.append((done, total)))
    assert report.checked == 5 and report.corrupt == [refs[2].sha256]
    assert seen[-1] == (5, 5)


def test_blobs_verify_command(store: BlobStore, capsys) -> None:
    refs = [store.put(f"Brief {i}".encode()) for i in range(3)]
    call_command("blobs_verify")
    assert "Alle 3 Dokumente sind unversehrt" in capsys.readouterr().out
    _corrupt(store, refs[1].sha256)
    with pytest.raises(CommandError, match="1 von 3 Dokumenten sind beschädigt"):
        call_command("blobs_verify")
    assert refs[1].sha256 in capsys.readouterr().err
    with pytest.raises(CommandError, match="Ungültiges Hash-Präfix"):
        call_command("blobs_verify", prefix="xyz")


def test_readiness_needs_an_existing_writable_folder(
    local_store: LocalBlobStore, monkeypatch
) -> None:
    store = local_store
    ok, detail = store.check_ready()
    assert not ok and "fehlt" in detail
    assert not store.root.exists()  # a missing folder may be an unmounted volume: not created
    store.prepare()
    assert store.check_ready() == (True, "ok")
    assert _files(store.root) == []  # the probe file is gone

    def read_only(self: Path, data: bytes) -> int:
        raise PermissionError(13, "Keine Berechtigung")

    monkeypatch.setattr(Path, "write_bytes", read_only)
    ok, detail = store.check_ready()
    assert not ok and "nicht beschreibbar" in detail


def test_unknown_backend_is_a_configuration_error(settings) -> None:
    settings.KOFFER_BLOB_BACKEND = "floppy"
    with pytest.raises(ImproperlyConfigured, match="floppy"):
        get_store()
