"""After a revocation's crypto-erase the Koffer's background worker ends for good (issue
18): real processes — ``serve`` with the tresor on a filled Koffer, the erase done by
another process as the Koffer's pull does it (``ablauf.gesperrt_abwischen``) — the worker
ends without opening a database again, ``serve`` does not start it anew, and the pages
answer only „Dieser Koffer wurde gesperrt und gelöscht“."""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from koffer.shell import server
from koffer.tresor import schluessel
from tests.subprocesses import ROOT, reaped
from tests.tresor.test_koffer_prozess import SECRET, _env, _get, _manage, _secret_file

pytestmark = [pytest.mark.real_clock, pytest.mark.long]

START_TIMEOUT = 120.0
LOESCHEN = """
from koffer.field.paket.abholung import Buero, KofferGesperrt
from koffer.field.unterwegs import ablauf
fehler = ablauf.gesperrt_abwischen(
    Buero(url="http://127.0.0.1:9", token="kg_test"), None, KofferGesperrt("gesperrt")
)
print(fehler.message)
"""


@pytest.fixture
def koffer(tmp_path: Path, transactional_db: None) -> tuple[Path, Path]:
    """An empty Koffer with the tresor: set up with its secret, its database this test
    run's migrated one, encrypted with the Koffer's key (migrating SQLCipher anew takes
    minutes on a loaded machine)."""
    from django.db import connection
    from sqlcipher3 import dbapi2 as sqlcipher

    from koffer.records.suche.backends.folding import fold

    if connection.vendor != "sqlite":
        pytest.skip("der Koffer ist eine SQLite-Datenbank; der SQLite-Lauf prüft das")
    var = tmp_path / "var"
    var.mkdir()
    kennwort = _secret_file(tmp_path, SECRET)
    _manage(_env(var, kennwort), "tresor_einrichten")
    leer = tmp_path / "leer.sqlite3"
    connection.ensure_connection()
    copy = sqlite3.connect(leer)
    connection.connection.backup(copy)
    copy.close()
    geraet = schluessel.auspacken(schluessel.lesen(var / "tresor.json"), SECRET)
    key = schluessel.unterschluessel(geraet, "datenbank").hex()
    conn = sqlcipher.connect(str(leer))
    # The schema's expression index on folded names needs the function (records.apps).
    conn.create_function(
        "koffer_fold", 1, lambda t: None if t is None else fold(t), deterministic=True
    )
    try:
        target = str(var / "koffer.sqlite3").replace("'", "''")
        conn.execute(f"ATTACH DATABASE '{target}' AS tresor KEY \"x'{key}'\"")
        conn.execute("SELECT sqlcipher_export('tresor')")
        conn.execute("DETACH DATABASE tresor")
    finally:
        conn.close()
    return var, kennwort


def _workers(serve: int) -> list[int]:
    """The live worker processes serve started (its worker id names serve's pid)."""
    found = []
    for folder in Path("/proc").iterdir():
        if not folder.name.isdigit():
            continue
        try:
            command = (folder / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if " worker " in command and f"-serve-{serve} " in f"{command} ":
            found.append(int(folder.name))
    return found


def _warten(bedingung: object, sekunden: float, was: str) -> None:
    deadline = time.monotonic() + sekunden
    while time.monotonic() < deadline:
        if callable(bedingung) and bedingung():
            return
        time.sleep(0.2)
    raise AssertionError(f"{was} nicht innerhalb von {sekunden:.0f} s")


def test_the_worker_ends_for_good_after_the_crypto_erase(koffer: tuple[Path, Path]) -> None:
    var, kennwort = koffer
    env = _env(var, kennwort, KOFFER_MODE="koffer")
    port, live_port = server.free_port(), server.free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            str(ROOT / "manage.py"),
            "serve",
            "--no-demo",
            "--port",
            str(port),
            "--live-port",
            str(live_port),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    with reaped(proc):

        def laeuft() -> bool:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                status, _ = _get(f"http://127.0.0.1:{port}/readyz")
            except OSError:
                return False
            # ready: the worker runs its loop and beats (not only started)
            return status == 200 and bool(_workers(proc.pid))

        _warten(laeuft, START_TIMEOUT, "serve mit Worker")
        assert len(_workers(proc.pid)) == 1

        out = _manage(env, "shell", "-c", LOESCHEN).stdout
        assert "gesperrt und gelöscht" in out, out
        assert not (var / "tresor.json").exists()

        _warten(lambda: not _workers(proc.pid), 30, "Das Ende des Workers")
        time.sleep(3)  # serve would have started it again after 1 s
        assert proc.poll() is None  # serve itself goes on, showing the page below
        assert _workers(proc.pid) == []
        assert not list(var.glob("koffer.sqlite3*")), "eine neue Datenbank wurde angelegt"
        status, body = _get(f"http://127.0.0.1:{port}/")
        assert status == 410 and "gesperrt und gelöscht" in body.decode()

        proc.send_signal(signal.SIGINT)
        text, _ = proc.communicate(timeout=30)
    log = text.decode()
    assert "Hintergrund-Worker endgültig beendet" in log, log
    assert "Hintergrund-Worker neu gestartet" not in log, log
    assert "Worker endgültig beendet: Dieser Koffer wurde gesperrt und gelöscht" in log, log
