"""The checkout package between two real koffer processes: an office (``manage.py serve``,
its own var folder, seeded before it starts) and a Koffer (``koffer_koppeln`` and
``koffer_abholen`` as subprocesses in Koffer mode, another var folder). Afterwards the
Koffer's SQLite file and blob folder are read directly."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests import dbtemplate, factories
from tests.field.conftest import Dienst
from tests.subprocesses import ROOT, koffer_env

pytestmark = [pytest.mark.real_clock, pytest.mark.long, pytest.mark.own_database]

# The large document of the interruption case and the rate the first run fetches it at:
# about eight seconds, ample time to find its part file and kill the process.
GROSS = 4_000_000
LANGSAM_MB_S = "0.5"


@dataclass
class Buero:
    url: str
    var: Path
    env: dict[str, str]
    seed: dict[str, Any]


def _manage(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if check and result.returncode != 0:
        pytest.fail(f"manage.py {' '.join(args)}:\n{result.stdout}\n{result.stderr}")
    return result


@pytest.fixture(scope="module")
def buero(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Buero]:
    """The office: migrated, seeded with three field workers' Koffer and checkouts (one
    per case below), then served."""
    var = tmp_path_factory.mktemp("buero")
    env = koffer_env(var, KOFFER_FAST_HASHER="1", KOFFER_DEBUG="0")
    migrated = dbtemplate.migrate_var_dir(var, env)
    assert migrated.returncode == 0, migrated.stderr
    seed_file = var / "seed.json"
    _manage(
        env,
        "shell",
        "-c",
        f"from tests.field.paket_seed import seed; seed({str(seed_file)!r}, gross={GROSS})",
    )
    seed = json.loads(seed_file.read_text())
    dienst = Dienst(var, env).starten()
    try:
        yield Buero(url=dienst.url, var=var, env=env, seed=seed)
    finally:
        dienst.stoppen()


def _koffer(tmp_path: Path) -> dict[str, str]:
    env = koffer_env(tmp_path, KOFFER_MODE="koffer", KOFFER_FAST_HASHER="1", KOFFER_DEBUG="0")
    migrated = dbtemplate.migrate_var_dir(tmp_path, env)
    assert migrated.returncode == 0, migrated.stderr
    return env


def _koppeln(env: dict[str, str], buero: Buero, case: str) -> None:
    _manage(env, "koffer_koppeln", "--buero", buero.url, "--code", buero.seed[case]["code"])


def _db(var: Path) -> sqlite3.Connection:
    return sqlite3.connect(var / dbtemplate.SQLITE_FILE)


def _ids(con: sqlite3.Connection, table: str) -> set[str]:
    # Django keeps UUIDs as 32 hex characters on SQLite.
    return {row[0] for row in con.execute(f"SELECT id FROM {table}")}


def _hex(value: str) -> str:
    return value.replace("-", "")


def _blob(var: Path, sha: str) -> Path:
    return var / "blobs" / sha[:2] / sha[2:4] / sha


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_a_koffer_pulls_its_akten_documents_forms_and_templates(
    buero: Buero, tmp_path: Path
) -> None:
    case = buero.seed["rundreise"]
    env = _koffer(tmp_path)
    _koppeln(env, buero, "rundreise")
    zugang = tmp_path / "koffer" / "zugang.json"
    assert zugang.stat().st_mode & 0o777 == 0o600

    first = _manage(env, "koffer_abholen")
    assert "Paket eingespielt: 2 Akten, 4 Dokumente" in first.stdout, first.stdout
    assert "Fertig:" in first.stdout

    with _db(tmp_path) as con:
        assert _ids(con, "records_akte") == {_hex(a) for a in case["akten"]}
        assert _hex(case["fremd"]) not in _ids(con, "records_akte")
        shas = {row[0] for row in con.execute("SELECT sha256 FROM records_dokumentversion")}
        assert shas == set(case["blobs"])
        assert con.execute("SELECT count(*) FROM forms_formular").fetchone()[0] >= 1
        assert con.execute("SELECT count(*) FROM outbox_vorlagenversion").fetchone()[0] >= 1
        staende = con.execute("SELECT count(*) FROM field_stand").fetchone()[0]
        rows = {
            t: len(_ids(con, t)) for t in ("records_akte", "records_dokument", "records_person")
        }
    assert staende > 0
    for sha in case["blobs"]:
        assert _sha(_blob(tmp_path, sha)) == sha
        assert _sha(_blob(tmp_path, sha)) == _sha(_blob(buero.var, sha))

    # Nothing changed in the office: the next pull asks for changes and gets none.
    again = _manage(env, "koffer_abholen")
    assert "Änderungen seit dem letzten Abholen eingespielt: 0 Akten, 0 Dokumente" in again.stdout
    with _db(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM field_stand").fetchone()[0] == staende
        assert rows == {t: len(_ids(con, t)) for t in rows}
        con.execute("DELETE FROM field_abholstand")
        con.commit()
    # Without its marker the Koffer pulls the whole package again: the same state.
    full = _manage(env, "koffer_abholen")
    assert "Paket eingespielt: 2 Akten, 4 Dokumente" in full.stdout, full.stdout
    assert f"0 Dateien geladen (0,0 MB), {len(case['blobs'])} schon vorhanden" in full.stdout
    with _db(tmp_path) as con:
        assert con.execute("SELECT count(*) FROM field_stand").fetchone()[0] == staende
        assert rows == {t: len(_ids(con, t)) for t in rows}

    login = _manage(
        env,
        "shell",
        "-c",
        "from django.contrib.auth import authenticate;"
        f" print(authenticate(username={case['username']!r},"
        f" password={factories.PASSWORD!r}) is not None)",
    )
    assert login.stdout.strip().splitlines()[-1] == "True"


def test_an_interrupted_pull_resumes_and_wrong_bytes_never_enter_the_store(
    buero: Buero, tmp_path: Path
) -> None:
    case = buero.seed["abbruch"]
    env = _koffer(tmp_path)
    _koppeln(env, buero, "abbruch")
    teile = tmp_path / "koffer" / "teile"
    slow = subprocess.Popen(
        [sys.executable, str(ROOT / "manage.py"), "koffer_abholen", "--max-rate", LANGSAM_MB_S],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        part = _first_part(teile / f"{case['gross']}.part", slow)
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=10)
    finally:
        if slow.poll() is None:
            slow.kill()
            slow.wait()
    had = part.stat().st_size
    assert 0 < had < GROSS

    rerun = _manage(env, "koffer_abholen")
    assert "Fertig:" in rerun.stdout, rerun.stdout + rerun.stderr
    assert not list(teile.glob("*.part"))
    for sha in case["blobs"]:
        assert _sha(_blob(tmp_path, sha)) == sha
    with _db(tmp_path) as con:
        duplicates = con.execute(
            "SELECT count(*) FROM field_stand GROUP BY tenant_id, modell, objekt_id"
            " HAVING count(*) > 1"
        ).fetchall()
        assert duplicates == []
        assert _ids(con, "records_akte") == {_hex(a) for a in case["akten"]}

    # The office's copy of the large document goes bad; the Koffer lost its own.
    gross = case["gross"]
    office_copy = _blob(buero.var, gross)
    good = office_copy.read_bytes()
    os.chmod(office_copy, 0o644)
    office_copy.write_bytes(good[:-1] + bytes([good[-1] ^ 0xFF]))
    _blob(tmp_path, gross).unlink()
    try:
        refused = _manage(env, "koffer_abholen", check=False)
    finally:
        office_copy.write_bytes(good)
    assert refused.returncode != 0
    assert "passen nicht zu ihrem Hash" in refused.stderr, refused.stderr
    assert not _blob(tmp_path, gross).exists()
    assert not list(teile.glob("*.part"))

    healed = _manage(env, "koffer_abholen")
    assert "1 Dateien geladen" in healed.stdout, healed.stdout
    assert _sha(_blob(tmp_path, gross)) == gross


def _first_part(part: Path, proc: subprocess.Popen[Any]) -> Path:
    """Wait until the large document's part file has bytes (the small ones may come and
    go before it; a run stopped between them is the unit test's case)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        assert proc.poll() is None, "koffer_abholen endete vor dem Abbruch"
        if part.exists() and part.stat().st_size > 0:
            return part
        time.sleep(0.05)
    pytest.fail("keine Teildatei erschienen")


def test_a_revoked_koffer_wipes_its_local_data(buero: Buero, tmp_path: Path) -> None:
    case = buero.seed["gesperrt"]
    env = _koffer(tmp_path)
    _koppeln(env, buero, "gesperrt")
    _manage(env, "koffer_abholen")
    with _db(tmp_path) as con:
        assert _ids(con, "records_akte") == {_hex(a) for a in case["akten"]}

    _manage(
        buero.env,
        "shell",
        "-c",
        f"from tests.field.paket_seed import sperren; sperren({case['geraet']!r})",
    )
    wiped = _manage(env, "koffer_abholen", check=False)

    assert wiped.returncode != 0
    assert "gesperrt" in wiped.stderr and "gelöscht" in wiped.stderr, wiped.stderr
    with _db(tmp_path) as con:
        assert _ids(con, "records_akte") == set()
        assert _ids(con, "records_person") == set()
        assert con.execute("SELECT count(*) FROM records_dokumentversion").fetchone()[0] == 0
        users = con.execute(
            "SELECT count(*) FROM accounts_user WHERE username = ?", [case["username"]]
        ).fetchone()[0]
        assert users == 0
    for sha in case["blobs"]:
        assert not _blob(tmp_path, sha).exists()
    assert not (tmp_path / "koffer" / "zugang.json").exists()
