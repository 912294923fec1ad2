"""``manage.py blobs_migrate``: a local store copied into S3, verified, and resumed after
the copying process was killed midway."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from koffer.blobs.local import LocalBlobStore
from koffer.blobs.s3 import S3BlobStore
from koffer.blobs.store import get_store
from koffer.blobs.verification import verify_store
from tests.seaweed import S3Server
from tests.subprocesses import ROOT, koffer_env, reaped


def _local(tmp_path: Path, count: int, size: int = 2000) -> LocalBlobStore:
    store = LocalBlobStore(tmp_path / "alt")
    for i in range(count):
        store.put(os.urandom(size) + f"Dokument {i}".encode())
    return store


def _target(s3_blob_url: str) -> S3BlobStore:
    store = get_store()
    assert isinstance(store, S3BlobStore)
    return store


def test_migrate_copies_verifies_and_skips_what_is_there(
    tmp_path: Path, s3_blob_url: str, capsys
) -> None:
    source = _local(tmp_path, 12)
    names = list(source.iter_all())
    target = _target(s3_blob_url)
    with source.open(names[0]) as stream:
        target.put(stream)  # copied by an earlier, interrupted run
    broken = source.path_of(names[5])
    broken.write_bytes(b"nicht mehr das Original")

    with pytest.raises(CommandError, match="1 Dokumente sind in der Quelle beschädigt"):
        call_command("blobs_migrate", quelle=str(source.root), ziel=s3_blob_url)
    out, err = capsys.readouterr()
    assert "10 Dokumente kopiert" in out and "1 waren schon vorhanden, von 12" in out
    assert f"beschädigt: {names[5]}" in err
    assert list(target.iter_all()) == [n for n in names if n != names[5]]
    assert verify_store(target).ok

    broken.unlink()  # the damaged one restored from the backup elsewhere
    call_command("blobs_migrate", quelle=str(source.root))  # the target from KOFFER_BLOB_URL
    assert "0 Dokumente kopiert (0.0 MB), 11 waren schon vorhanden" in capsys.readouterr().out


def test_no_target_and_a_wrong_target_are_named(tmp_path: Path, settings) -> None:
    settings.KOFFER_BLOB_URL = ""
    source = _local(tmp_path, 1)
    with pytest.raises(CommandError, match="Kein Ziel"):
        call_command("blobs_migrate", quelle=str(source.root))
    with pytest.raises(CommandError, match="keine gültige Adresse"):
        call_command("blobs_migrate", quelle=str(source.root), ziel="/var/blobs")
    with pytest.raises(CommandError, match="fehlt"):
        call_command("blobs_migrate", quelle=str(tmp_path / "nichts"), ziel="s3://b/p")


@pytest.mark.real_clock
def test_killed_midway_a_second_run_finishes_the_copy(
    tmp_path: Path, s3_server: S3Server, s3_blob_url: str
) -> None:
    source = _local(tmp_path, 120, size=30_000)
    env = koffer_env(
        tmp_path / "var",
        KOFFER_BLOB_DIR=str(source.root),
        KOFFER_BLOB_URL=s3_blob_url,
        PYTHONUNBUFFERED="1",
        **s3_server.env(),
    )
    command = [sys.executable, str(ROOT / "manage.py"), "blobs_migrate", "-v", "2"]
    first = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True, cwd=ROOT)
    with reaped(first):
        assert first.stdout is not None
        copied = 0
        for line in first.stdout:
            copied += line.startswith("kopiert:")
            if copied == 20:
                first.kill()
                break
        first.wait(timeout=30)
    target = _target(s3_blob_url)
    after_kill = len(list(target.iter_all()))
    assert 20 <= after_kill < 120

    second = subprocess.run(command[:-2], env=env, capture_output=True, text=True, cwd=ROOT)
    assert second.returncode == 0, second.stderr
    copied_now = 120 - after_kill
    assert f"{copied_now} Dokumente kopiert" in second.stdout
    assert f"{after_kill} waren schon vorhanden, von 120" in second.stdout
    assert list(target.iter_all()) == list(source.iter_all())
    assert verify_store(target).ok
