"""The dispatch worker killed (SIGKILL) at random moments while it makes, packs and
hands over batches, started again each time: in the end every released letter is in
exactly one active batch, no batch is left unpacked, and every ZIP is complete (each
PDF with its page count, the manifest naming exactly the batch's letters)."""

from __future__ import annotations

import io
import json
import random
import sqlite3
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from tests.outbox.versand import killrun
from tests.outbox.versand.conftest import process_env, run_python
from tests.subprocesses import ROOT, reaped

pytestmark = [pytest.mark.real_clock, pytest.mark.long]
KILLS = 16
KINDS = ("record", "schreiben", "stapeln", "store_blobs", "uebernehmen", "settle_blobs", "packen")


def _blob(var: Path, sha: str) -> bytes:
    [path] = list(var.rglob(sha))
    return path.read_bytes()


def test_dispatch_killed_at_random_moments_puts_every_letter_in_exactly_one_batch(
    tmp_path: Path, migrated_sqlite: Path
) -> None:
    env = process_env(tmp_path, migrated_sqlite)
    run_python(env, "-m", "tests.outbox.versand.killrun", "setup")

    rng = random.Random(20261206)
    kills: list[str] = []
    finished = False
    for _attempt in range(KILLS + 10):
        proc = subprocess.Popen(
            [sys.executable, "-m", "tests.outbox.versand.killrun", "run"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        with reaped(proc):
            assert proc.stdout is not None
            if len(kills) < KILLS:
                # Killed right after the chosen kind of step began or ended (the kinds in
                # turn, the occurrence drawn): inside a transaction, between assigning
                # and packing, while a blob is stored.
                kind = KINDS[len(kills) % len(KINDS)]
                left = rng.randint(1, 3)
                line = ""
                while left and (line := proc.stdout.readline()):
                    left -= line.startswith(f"schritt {kind}")
                if line and proc.poll() is None:
                    time.sleep(rng.uniform(0, 0.02))
                    proc.kill()
                    proc.wait()
                    kills.append(line.strip())
                    continue
            out, err = proc.communicate(timeout=300)
            assert proc.returncode == 0, err
            if "fertig" in out:
                finished = True
                break
    assert finished and len(kills) >= KILLS // 2, kills
    assert {k.split()[1] for k in kills} >= {"record", "stapeln", "schreiben"}, kills

    db = sqlite3.connect(tmp_path / "koffer.sqlite3")
    letters = {
        row[0]: row[1]
        for row in db.execute(
            "SELECT id, seiten FROM outbox_brief WHERE kanal = 'hybrid' AND status != 'entwurf'"
        )
    }
    assert len(letters) == killrun.DAYS * killrun.LETTERS_PER_DAY
    active = [row[0] for row in db.execute("SELECT brief_id FROM outbox_stapelbrief WHERE aktiv")]
    assert sorted(active) == sorted(letters)  # each letter once, none left out
    batches = list(db.execute("SELECT id, status, zip_sha256 FROM outbox_versandstapel"))
    assert batches and all(status != "offen" and sha for _, status, sha in batches)
    for batch_id, _status, sha in batches:
        archive = zipfile.ZipFile(io.BytesIO(_blob(tmp_path, sha)))
        manifest = json.loads(archive.read("manifest.json"))
        members = {
            row[0]
            for row in db.execute(
                "SELECT brief_id FROM outbox_stapelbrief WHERE stapel_id = ?", [batch_id]
            )
        }
        assert {e["id"].replace("-", "") for e in manifest["briefe"]} == members
        assert sorted(archive.namelist()) == sorted(
            [e["datei"] for e in manifest["briefe"]] + ["manifest.json"]
        )
        for entry in manifest["briefe"]:
            pages = len(pdfium.PdfDocument(archive.read(entry["datei"])))
            assert pages == entry["seiten"] == letters[entry["id"].replace("-", "")]
