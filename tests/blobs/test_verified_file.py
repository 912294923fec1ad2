"""A file the caller hashed as it arrived (the Koffer's fetched part file) is taken over by
the store: renamed into place on the local store (no second copy of its bytes), uploaded
and checked by the store itself on S3, encrypted by the tresor's store."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

import pytest

from koffer.blobs import local
from koffer.blobs.local import LocalBlobStore
from koffer.blobs.s3 import S3BlobStore
from koffer.blobs.store import BlobCorrupt, BlobStore, BlobStoreUnavailable, get_store
from koffer.tresor.dokumentenspeicher import MAGIC, TresorBlobStore


@pytest.fixture
def store(blob_backend: str) -> BlobStore:
    found = get_store()
    assert isinstance(found, LocalBlobStore if blob_backend == "local" else S3BlobStore)
    return found


def teil(tmp_path: Path, data: bytes) -> Path:
    part = tmp_path / "teile" / "x.part"
    part.parent.mkdir(exist_ok=True)
    part.write_bytes(data)
    return part


def test_a_verified_file_becomes_the_blob_and_is_gone(store: BlobStore, tmp_path: Path) -> None:
    data = b"Bescheid vom Amt\n" * 1000
    sha = hashlib.sha256(data).hexdigest()
    part = teil(tmp_path, data)

    ref = store.put_verified_file(part, sha)

    assert (ref.sha256, ref.size) == (sha, len(data))
    assert not part.exists()
    with store.open(sha) as stored:
        assert stored.read() == data
    # The same bytes again: nothing changes, the file is still taken.
    again = teil(tmp_path, data)
    assert store.put_verified_file(again, sha) == ref
    assert not again.exists()
    assert list(store.iter_all()) == [sha]


def test_the_local_store_renames_instead_of_copying(tmp_path: Path, settings) -> None:
    settings.KOFFER_BLOB_DIR = tmp_path / "blobs"
    store = get_store()
    assert isinstance(store, LocalBlobStore)
    data = os.urandom(300_000)
    sha = hashlib.sha256(data).hexdigest()
    part = teil(tmp_path, data)
    inode = part.stat().st_ino

    store.put_verified_file(part, sha)

    final = store.path_of(sha)
    assert final.stat().st_ino == inode  # the very file, not a copy of its bytes
    assert final.stat().st_mode & 0o777 == 0o600
    assert final.read_bytes() == data


def test_on_another_file_system_the_bytes_are_copied_and_checked(
    tmp_path: Path, settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.KOFFER_BLOB_DIR = tmp_path / "blobs"
    store = get_store()
    assert isinstance(store, LocalBlobStore)
    echt = os.replace

    def anderes_dateisystem(src: object, dst: object) -> None:
        if str(src).endswith(".part"):
            raise OSError(errno.EXDEV, "Invalid cross-device link")
        echt(src, dst)  # type: ignore[arg-type]

    monkeypatch.setattr(local.os, "replace", anderes_dateisystem)
    data = b"Kopie statt Umbenennen"
    sha = hashlib.sha256(data).hexdigest()
    part = teil(tmp_path, data)
    assert store.put_verified_file(part, sha).sha256 == sha
    assert not part.exists()
    assert store.path_of(sha).read_bytes() == data

    falsch = teil(tmp_path, b"andere Bytes")
    with pytest.raises(BlobCorrupt):
        store.put_verified_file(falsch, hashlib.sha256(b"etwas anderes").hexdigest())


def test_s3_refuses_bytes_that_are_not_the_named_blob_and_keeps_the_file(
    s3_blob_url: str, tmp_path: Path
) -> None:
    store = get_store()
    assert isinstance(store, S3BlobStore)
    anders = hashlib.sha256(b"anders").hexdigest()
    part = teil(tmp_path, b"daten")

    with pytest.raises((BlobStoreUnavailable, BlobCorrupt)):
        store.put_verified_file(part, anders)

    assert list(store.iter_all()) == []
    assert part.read_bytes() == b"daten"


def test_the_tresor_encrypts_a_verified_file_and_refuses_other_bytes(tmp_path: Path) -> None:
    store = TresorBlobStore(tmp_path / "blobs", lambda: bytes(range(32)))
    data = b"Personenbezogen: Erika Mustermann " * 50
    sha = hashlib.sha256(data).hexdigest()
    part = teil(tmp_path, data)

    store.put_verified_file(part, sha)

    raw = store.path_of(sha).read_bytes()
    assert raw.startswith(MAGIC) and b"Mustermann" not in raw
    with store.open(sha) as stored:
        assert stored.read() == data
    assert not part.exists()
    with pytest.raises(BlobCorrupt):
        store.put_verified_file(teil(tmp_path, b"falsch"), sha)
    # the other bytes only under their own name, never under ``sha``
    assert list(store.iter_all()) == sorted([sha, hashlib.sha256(b"falsch").hexdigest()])
