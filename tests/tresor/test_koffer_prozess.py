"""A real Koffer with the tresor on, in processes of its own: migrated, a person with an
address and a document that names them, then every file under its var folder read as raw
bytes. Wrong secrets and keys, a changed secret, ``serve`` and the wipe, the same way."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from koffer.shell import server
from koffer.tresor import orte, schluessel
from koffer.tresor.dokumentenspeicher import TresorBlobStore
from koffer.tresor.sqlcipher.base import DATENBANK_UNLESBAR
from tests.subprocesses import ROOT, koffer_env, reaped
from tests.tresor import befuellen

pytestmark = [pytest.mark.real_clock, pytest.mark.long, pytest.mark.own_database]

SECRET = "Kofferkennwort-2026"
START_TIMEOUT = 120.0


def _env(var: Path, kennwortdatei: Path | None, **extra: str) -> dict[str, str]:
    env = koffer_env(var, KOFFER_TRESOR="1", KOFFER_FAST_HASHER="1")
    env.pop(schluessel.SCHLUESSEL_ENV, None)
    env.pop(schluessel.KENNWORT_DATEI_ENV, None)
    env.update(extra)
    if kennwortdatei is not None:
        env[schluessel.KENNWORT_DATEI_ENV] = str(kennwortdatei)
    return env


def _run(env: dict[str, str], *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        stdin=subprocess.DEVNULL,
    )
    if check:
        assert done.returncode == 0, done.stdout + done.stderr
    return done


def _manage(
    env: dict[str, str], *args: str, check: bool = True
) -> subprocess.CompletedProcess[str]:
    return _run(env, str(ROOT / "manage.py"), *args, check=check)


def _secret_file(folder: Path, secret: str) -> Path:
    path = folder / f"kennwort-{len(list(folder.glob('kennwort-*')))}"
    path.write_text(secret + "\n")
    return path


@pytest.fixture(scope="module")
def vorlage(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Path]]:
    """A migrated, filled Koffer (its var folder) and the file holding its secret; each
    test works on a copy."""
    root = tmp_path_factory.mktemp("koffer-tresor")
    kennwort = _secret_file(root, SECRET)
    env = _env(root / "var", kennwort)
    _manage(env, "tresor_einrichten")
    _manage(env, "migrate", "--verbosity", "0")
    out = _run(env, "-m", "tests.tresor.befuellen").stdout
    assert "befüllt:" in out, out
    yield root / "var", kennwort
    shutil.rmtree(orte.seiten_cache((root / "var").resolve()), ignore_errors=True)


@pytest.fixture
def koffer(vorlage: tuple[Path, Path], tmp_path: Path) -> Iterator[tuple[Path, Path]]:
    var, kennwort = vorlage
    shutil.copytree(var, tmp_path / "var")
    yield tmp_path / "var", kennwort
    shutil.rmtree(orte.seiten_cache((tmp_path / "var").resolve()), ignore_errors=True)


def _leaks(var: Path) -> list[tuple[str, bytes]]:
    """Every (file, personal string) where a file under ``var`` holds the string as bytes."""
    found = []
    for path in sorted(var.rglob("*")):
        if path.is_file():
            raw = path.read_bytes()
            found += [(str(path.relative_to(var)), s) for s in befuellen.GEHEIM if s in raw]
    return found


def _device_key(var: Path) -> bytes:
    datei = schluessel.Tresordatei.from_json((var / "tresor.json").read_text())
    return schluessel.auspacken(datei, SECRET)


def test_a_stolen_koffer_reveals_no_personal_data(koffer: tuple[Path, Path]) -> None:
    var, _ = koffer
    files = [p for p in var.rglob("*") if p.is_file()]
    assert var / "koffer.sqlite3" in files
    assert any("blobs" in p.parts for p in files)
    assert var / "koffer" / "abgleich" / "befuellen.json" in files  # the waiting push

    assert _leaks(var) == []

    # The data is there, for whoever has the key: the scan above looked at real data.
    import sqlcipher3.dbapi2 as sqlcipher

    key = schluessel.unterschluessel(_device_key(var), "datenbank")
    conn = sqlcipher.connect(str(var / "koffer.sqlite3"))
    conn.execute(f"PRAGMA key = \"x'{key.hex()}'\"")
    rows = conn.execute("SELECT family_name, street, city FROM records_person").fetchall()
    conn.close()
    assert (befuellen.NACHNAME, befuellen.STRASSE, befuellen.ORT) in rows
    store = TresorBlobStore(
        var / "blobs", lambda: schluessel.unterschluessel(_device_key(var), "dokumente")
    )
    sha256 = hashlib.sha256(befuellen.DOKUMENT).hexdigest()
    assert sha256 in list(store.iter_all())
    with store.open(sha256) as stream:
        assert stream.read() == befuellen.DOKUMENT
    # Without the key the file is no SQLite database at all.
    with pytest.raises(sqlite3.DatabaseError):
        sqlite3.connect(var / "koffer.sqlite3").execute("SELECT * FROM sqlite_master").fetchall()


def test_a_wrong_secret_or_key_opens_nothing(koffer: tuple[Path, Path], tmp_path: Path) -> None:
    var, kennwort = koffer

    falsch = _manage(
        _env(var, _secret_file(tmp_path, "Kofferkennwort-2025")), "tresor_oeffnen", check=False
    )
    assert falsch.returncode != 0
    assert "Das Kennwort für den Koffer ist falsch." in falsch.stderr

    fremd = _env(var, None, **{schluessel.SCHLUESSEL_ENV: "ab" * 32})
    done = _manage(fremd, "showmigrations", "records", check=False)
    assert done.returncode != 0
    assert "passt nicht zu diesem Koffer" in done.stderr

    ohne = _manage(_env(var, None), "showmigrations", "records", check=False)
    assert ohne.returncode != 0
    assert "sein Schlüssel fehlt" in ohne.stderr

    # A tresor.json of another key (same secret): SQLCipher itself refuses the database.
    schluessel.schreiben(schluessel.einpacken(os.urandom(32), SECRET), var / "tresor.json")
    done = _manage(_env(var, kennwort), "showmigrations", "records", check=False)
    assert done.returncode != 0
    assert DATENBANK_UNLESBAR in done.stderr


def test_a_new_secret_opens_the_same_data(koffer: tuple[Path, Path], tmp_path: Path) -> None:
    var, kennwort = koffer
    neu = _secret_file(tmp_path, "Neues-Kofferkennwort")
    database = (var / "koffer.sqlite3").read_bytes()

    _manage(_env(var, kennwort, KOFFER_TRESOR_NEUES_KENNWORT_DATEI=str(neu)), "tresor_kennwort")

    assert (var / "koffer.sqlite3").read_bytes() == database  # nothing encrypted anew
    assert "[X] 0001_initial" in _manage(_env(var, neu), "showmigrations", "records").stdout
    assert "unversehrt" in _manage(_env(var, neu), "blobs_verify").stdout
    alt = _manage(_env(var, kennwort), "tresor_oeffnen", check=False)
    assert "Das Kennwort für den Koffer ist falsch." in alt.stderr


def test_the_wipe_leaves_nothing_readable(koffer: tuple[Path, Path]) -> None:
    var, kennwort = koffer
    env = _env(var, kennwort)

    out = _manage(env, "tresor_loeschen", "--ja").stdout
    assert "Der Koffer ist gelöscht" in out
    _manage(env, "tresor_loeschen", "--ja")  # again: nothing left to do, no error

    left = sorted(str(p.relative_to(var)) for p in var.rglob("*") if p.is_file())
    assert "tresor.json" not in left
    assert not [name for name in left if name.startswith(("koffer.sqlite3", "blobs/"))]
    assert _leaks(var) == []
    done = _manage(env, "showmigrations", "records", check=False)
    assert done.returncode != 0
    assert "nicht eingerichtet oder wurde gelöscht" in done.stderr


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def test_serve_unwraps_the_key_for_web_and_worker(koffer: tuple[Path, Path]) -> None:
    var, kennwort = koffer
    port, live_port = server.free_port(), server.free_port()
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "serve",
        "--no-demo",
        "--port",
        str(port),
        "--live-port",
        str(live_port),
    ]

    ohne = subprocess.run(
        command,
        cwd=ROOT,
        env=_env(var, None),
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
        start_new_session=True,  # no terminal: getpass reads the (empty) input
    )
    assert ohne.returncode != 0
    assert "Kein Kennwort für den Koffer eingegeben" in ohne.stderr

    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=_env(var, kennwort),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    with reaped(proc):
        deadline = time.monotonic() + START_TIMEOUT
        body: dict[str, object] = {}
        while time.monotonic() < deadline:
            assert proc.poll() is None, proc.stdout.read().decode() if proc.stdout else ""
            try:
                status, raw = _get(f"http://127.0.0.1:{port}/readyz")
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                time.sleep(0.3)
                continue
            body = json.loads(raw)
            if status == 200:
                break
            time.sleep(0.3)
        assert body.get("status") == "ok", body
        assert body["checks"]["database"]["ok"], body  # type: ignore[index]
        assert body["checks"]["worker"]["ok"], body  # type: ignore[index]
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode == 0, out.decode()
    assert _device_key(var).hex() not in out.decode()
    assert _leaks(var) == []
