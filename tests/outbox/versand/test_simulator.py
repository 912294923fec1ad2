"""The print-provider simulator as a real process against a real koffer server: it lists
the waiting batch over HTTP, downloads and checks the ZIP, confirms it and reports every
letter received, printed and posted (a seeded share returned); the posting date gives
the Bekanntgabe. And its check refuses a ZIP whose PDF has fewer pages than declared."""

from __future__ import annotations

import io
import json
import sqlite3
import subprocess
import time
import urllib.error
import urllib.request
import zipfile
from collections import Counter
from pathlib import Path

import pytest

from koffer.outbox.versand import simulator
from koffer.shell import server
from tests.outbox import factories
from tests.outbox.versand import killrun
from tests.outbox.versand.conftest import process_env, run_python
from tests.subprocesses import ROOT, stop_group

pytestmark = pytest.mark.real_clock


def _serve(env: dict[str, str], port: int, log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as out:
        proc = subprocess.Popen(
            server.web_command(host="127.0.0.1", port=port, workers=1),
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert proc.poll() is None, log.read_text()[-3000:]
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2):
                return proc
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    pytest.fail(log.read_text()[-3000:])


@pytest.mark.long
def test_the_simulator_fetches_checks_confirms_and_reports_over_http(
    tmp_path: Path, migrated_sqlite: Path
) -> None:
    env = process_env(tmp_path, migrated_sqlite)
    run_python(env, "-m", "tests.outbox.versand.killrun", "setup")
    run_python(env, "-m", "tests.outbox.versand.killrun", "stapeln")
    token = (tmp_path / "druckdienst.token").read_text(encoding="utf-8")
    port = server.free_port()
    proc = _serve(env, port, tmp_path / "server.log")
    try:
        run_python(
            {**env, "KOFFER_DRUCK_TOKEN": token},
            "manage.py",
            "printprovider_sim",
            "--once",
            "--delay",
            "0",
            "--return-rate",
            "0.25",
            "--seed",
            "3",
            "--base-url",
            f"http://127.0.0.1:{port}",
        )
    finally:
        stop_group(proc)

    db = sqlite3.connect(tmp_path / "koffer.sqlite3")
    letters = killrun.DAYS * killrun.LETTERS_PER_DAY
    statuses = Counter(s for (s,) in db.execute("SELECT status FROM outbox_brief"))
    assert statuses["versendet"] + statuses["unzustellbar"] == letters
    assert 0 < statuses["unzustellbar"] < letters
    [(state,)] = list(db.execute("SELECT status FROM outbox_versandstapel"))
    assert state == "bestaetigt"
    assert not list(db.execute("SELECT id FROM outbox_brief WHERE bekanntgabe_am IS NULL"))
    events = Counter(s for (s,) in db.execute("SELECT status FROM outbox_briefereignis"))
    assert events["abgeholt"] == events["empfangen"] == events["gedruckt"] == letters
    assert events["versendet"] == letters
    returned = db.execute("SELECT COUNT(*) FROM records_wiedervorlage").fetchone()[0]
    assert returned == statuses["unzustellbar"]


def test_the_simulators_check_refuses_a_pdf_with_other_pages_than_declared() -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("0001.pdf", factories.pdf(1))
        archive.writestr(
            "manifest.json", json.dumps({"briefe": [{"id": "x", "datei": "0001.pdf", "seiten": 2}]})
        )
    with pytest.raises(simulator.SimulatorError, match="1 Seiten, laut Manifest 2"):
        simulator.pruefen(buffer.getvalue())
    with pytest.raises(simulator.SimulatorError, match="keine ZIP-Datei"):
        simulator.pruefen(b"PK nope")
