"""The encrypting blob store: plaintext names and sizes, encrypted content in segments,
streamed with bounded memory, and every change to a file found by the verification."""

from __future__ import annotations

import hashlib
import io
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings

from koffer.blobs.store import BlobNotFound, get_store
from koffer.blobs.verification import is_intact, verify_store
from koffer.tresor import schluessel
from koffer.tresor.dokumentenspeicher import (
    HEADER,
    OVERHEAD,
    SEGMENT,
    BlobBeschaedigt,
    TresorBlobStore,
)

KEY = bytes(range(32))
TEXT = b"Zyprian Quendelmeier, Wiesenkerbelweg 17, Pflegegrad 3. "


@pytest.fixture
def store(tmp_path: Path) -> TresorBlobStore:
    return TresorBlobStore(tmp_path / "blobs", lambda: KEY)


def _segment_start(index: int) -> int:
    return HEADER + index * (SEGMENT + OVERHEAD)


@pytest.mark.parametrize("size", [0, 1, SEGMENT - 1, SEGMENT, SEGMENT + 1, 3 * SEGMENT + 5])
def test_round_trip_keeps_name_size_and_bytes(store: TresorBlobStore, size: int) -> None:
    data = (TEXT * (size // len(TEXT) + 1))[:size]

    ref = store.put(data)

    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert ref.size == size
    assert store.size(ref.sha256) == size
    with store.open(ref.sha256) as stream:
        assert stream.read() == data
    assert list(store.iter_all()) == [ref.sha256]
    assert is_intact(store, ref.sha256)


def test_the_file_holds_no_plaintext(store: TresorBlobStore) -> None:
    ref = store.put(TEXT * 100)

    raw = store.path_of(ref.sha256).read_bytes()

    assert b"Quendelmeier" not in raw
    assert b"Wiesenkerbelweg" not in raw
    # The same bytes stored twice: written once (the name is the plaintext's hash).
    assert store.put(TEXT * 100) == ref
    assert store.path_of(ref.sha256).read_bytes() == raw


def test_seek_reads_from_the_middle(store: TresorBlobStore) -> None:
    data = os.urandom(2 * SEGMENT + 100)
    ref = store.put(data)

    with store.open(ref.sha256) as stream:
        stream.seek(SEGMENT - 10)
        assert stream.read(20) == data[SEGMENT - 10 : SEGMENT + 10]
        stream.seek(-50, io.SEEK_END)
        assert stream.read() == data[-50:]


def test_another_key_reads_nothing(store: TresorBlobStore, tmp_path: Path) -> None:
    ref = store.put(TEXT)
    thief = TresorBlobStore(tmp_path / "blobs", lambda: bytes(32))

    with pytest.raises(BlobBeschaedigt), thief.open(ref.sha256) as stream:
        stream.read()
    assert not is_intact(thief, ref.sha256)


class _Pattern(io.RawIOBase):
    """``total`` bytes of a repeating pattern, made as they are read (never held whole)."""

    def __init__(self, total: int) -> None:
        self.left = total
        self.block = hashlib.sha256(b"tresor").digest() * 2048  # 64 KiB

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self.left, len(self.block))
        buffer[:n] = self.block[:n]
        self.left -= n
        return n


def test_a_20_mb_document_streams_in_and_out_with_bounded_memory(
    store: TresorBlobStore,
) -> None:
    total = 20 * 1024 * 1024
    expected = hashlib.sha256()
    source = _Pattern(total)
    while chunk := source.read(1024 * 1024):
        expected.update(chunk)

    tracemalloc.start()
    try:
        ref = store.put(io.BufferedReader(_Pattern(total)))
        digest = hashlib.sha256()
        with store.open(ref.sha256) as stream:
            while chunk := stream.read(64 * 1024):
                digest.update(chunk)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert ref.size == total
    assert digest.hexdigest() == expected.hexdigest() == ref.sha256
    assert peak < 4 * 1024 * 1024, f"Spitze {peak / 1e6:.1f} MB für 20 MB"


def _stored(store: TresorBlobStore) -> tuple[str, Path]:
    ref = store.put(os.urandom(3 * SEGMENT + 1000))
    return ref.sha256, store.path_of(ref.sha256)


def _flip_byte(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[_segment_start(1) + 100] ^= 0x01
    path.write_bytes(bytes(raw))


def _truncate_last_segment(path: Path) -> None:
    with path.open("r+b") as out:
        out.truncate(path.stat().st_size - 10)


def _drop_last_segment(path: Path) -> None:
    # Cut at a segment boundary: what is left are whole, valid segments, but the new last
    # one was not written as the last.
    with path.open("r+b") as out:
        out.truncate(_segment_start(3))


def _swap_segments(path: Path) -> None:
    raw = path.read_bytes()
    first = raw[_segment_start(0) : _segment_start(1)]
    second = raw[_segment_start(1) : _segment_start(2)]
    path.write_bytes(raw[: _segment_start(0)] + second + first + raw[_segment_start(2) :])


def _graft_header(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[4:20] = os.urandom(16)  # another file's id: another file key
    path.write_bytes(bytes(raw))


@pytest.mark.parametrize(
    "tamper",
    [_flip_byte, _truncate_last_segment, _drop_last_segment, _swap_segments, _graft_header],
)
def test_a_tampered_file_is_reported_corrupt(store: TresorBlobStore, tamper) -> None:
    sha256, path = _stored(store)
    intact, _ = _stored(store)

    tamper(path)

    with pytest.raises(BlobBeschaedigt), store.open(sha256) as stream:
        stream.read()
    report = verify_store(store)
    assert report.checked == 2
    assert report.corrupt == [sha256]
    assert intact not in report.corrupt


def test_blobs_verify_runs_on_the_configured_tresor_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(schluessel.KENNWORT_DATEI_ENV, raising=False)
    with override_settings(
        KOFFER_TRESOR=True,
        KOFFER_TRESOR_DATEI=tmp_path / "tresor.json",
        KOFFER_BLOB_DIR=tmp_path / "blobs",
        KOFFER_BLOB_BACKEND="tresor",
    ):
        key = schluessel.einrichten(
            "Kofferkennwort-2026", params={"time_cost": 1, "memory_cost": 1024, "parallelism": 1}
        )
        monkeypatch.setenv(schluessel.SCHLUESSEL_ENV, key.hex())
        store = get_store()
        assert isinstance(store, TresorBlobStore)
        ref = store.put(TEXT)
        out = io.StringIO()
        call_command("blobs_verify", stdout=out)
        assert "Alle 1 Dokumente sind unversehrt." in out.getvalue()

        _flip_byte_anywhere(store.path_of(ref.sha256))
        err = io.StringIO()
        with pytest.raises(CommandError, match="1 von 1 Dokumenten sind beschädigt"):
            call_command("blobs_verify", stdout=io.StringIO(), stderr=err)
        assert ref.sha256 in err.getvalue()


def _flip_byte_anywhere(path: Path) -> None:
    raw = bytearray(path.read_bytes())
    raw[-1] ^= 0x80
    path.write_bytes(bytes(raw))


def test_missing_blob(store: TresorBlobStore) -> None:
    with pytest.raises(BlobNotFound):
        store.open("0" * 64)
    with pytest.raises(BlobNotFound):
        store.size("0" * 64)


@pytest.fixture(autouse=True)
def _forget_keys() -> Iterator[None]:
    yield
    schluessel.vergessen()
