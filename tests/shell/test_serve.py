"""`make run`'s serve command for real: web workers, the stream process and the background
worker come up on a fresh SQLite file, a part killed with -9 comes back while the others
keep serving, and one Ctrl-C (SIGINT) stops all of them."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import sqlite3
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from koffer.shell import server
from tests import dbtemplate, factories
from tests.subprocesses import ROOT, koffer_env, reaped

# manage.py serve runs on the real clock; the test that watches it keeps that clock too.
# Each test starts serve (and with it a migration of a fresh database): scheduled first.
pytestmark = [pytest.mark.real_clock, pytest.mark.long, pytest.mark.own_database]

# A fresh database is migrated and the demo district loaded before readiness; on a busy
# 2-core machine that has taken more than 90 s.
START_TIMEOUT = 180.0


def _get(url: str) -> tuple[int, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _ready(url: str, proc: subprocess.Popen[bytes]) -> dict[str, object]:
    """/readyz once it says ok (database, blobs, worker heartbeat), or fail."""
    deadline = time.monotonic() + START_TIMEOUT
    body: dict[str, object] = {}
    while time.monotonic() < deadline:
        assert proc.poll() is None, "serve ist beim Start beendet worden"
        try:
            status, raw = _get(url + "/readyz")
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
            continue
        body = json.loads(raw)
        if status == 200:
            return body
        time.sleep(0.2)
    raise AssertionError(f"{url}/readyz nicht bereit: {body}")


def _children(pid: int) -> set[int]:
    """Process ids whose parent chain reaches ``pid``."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError):
            continue
    found: set[int] = set()
    frontier = {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _command(port: int, live_port: int) -> list[str]:
    return [
        sys.executable,
        str(ROOT / "manage.py"),
        "serve",
        "--no-demo",
        "--port",
        str(port),
        "--live-port",
        str(live_port),
    ]


def test_serve_starts_pages_streams_and_worker_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    port, live_port = server.free_port(), server.free_port()
    env = koffer_env(tmp_path)
    command = _command(port, live_port)
    proc = subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # reaped() kills the whole group if the test fails
    )
    with reaped(proc):
        ready = _ready(f"http://127.0.0.1:{port}", proc)
        assert ready["checks"]["worker"]["ok"]  # type: ignore[index]
        _ready(f"http://127.0.0.1:{live_port}", proc)
        children = _children(proc.pid)
        # granian's main process and its workers, twice, and the background worker.
        assert len(children) >= 5, children

        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    text = out.decode()
    assert proc.returncode == 0, text
    assert f"http://127.0.0.1:{port}" in text
    assert f"Live-Aktualisierung auf Port {live_port}" in text
    assert "koffer beendet." in text
    _assert_gone(children)
    for free in (port, live_port):  # nobody listens there any more
        with socket.socket() as s, pytest.raises(ConnectionRefusedError):
            s.connect(("127.0.0.1", free))


def test_serve_names_a_port_in_use(tmp_path: Path) -> None:
    """Something else listens on the stream port: a clear German message, nothing started."""
    port = server.free_port()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        live_port = taken.getsockname()[1]
        result = subprocess.run(
            [*_command(port, live_port)],
            cwd=ROOT,
            env=koffer_env(tmp_path),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
    assert result.returncode != 0
    assert f"Port {live_port} auf 127.0.0.1 ist belegt (Live-Aktualisierung)" in result.stderr
    assert "KOFFER_LIVE_PORT" in result.stderr
    with socket.socket() as s, pytest.raises(ConnectionRefusedError):
        s.connect(("127.0.0.1", port))  # the web server was not started either


# A Mandant and its administrator (who may start jobs) in serve's own database.
SETUP = """
from tests import factories
tenant = factories.mandant()
factories.user(tenant, role="mandant_admin", username="admin")
"""


def test_serve_restarts_a_part_that_dies_and_keeps_sessions_and_jobs(tmp_path: Path) -> None:
    """kill -9 of a web worker, of the background worker and of the stream process while
    a signed-in user clicks: a few seconds of errors at most, the session survives, jobs
    queued around the kill are done exactly once, /readyz names the restarts, and
    Ctrl-C still stops everything."""
    port, live_port = server.free_port(), server.free_port()
    env = koffer_env(tmp_path)
    # The fresh database's migration is the test above; this one may start from a copy.
    assert dbtemplate.migrate_var_dir(tmp_path, env).returncode == 0
    base = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        _command(port, live_port),
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    with reaped(proc):
        _ready(base, proc)
        _ready(f"http://127.0.0.1:{live_port}", proc)
        subprocess.run(
            [sys.executable, str(ROOT / "manage.py"), "shell", "-c", SETUP],
            cwd=ROOT,
            env=env,
            check=True,
            timeout=120,
            capture_output=True,
        )
        session = _Session(base)
        session.sign_in("admin", factories.PASSWORD)
        jobs = [session.start_job()]
        with _Clicks(session) as clicks:
            web_worker = _web_worker(proc.pid, port)
            os.kill(web_worker, signal.SIGKILL)
            _wait_ready(base, proc)
            assert web_worker not in _children(proc.pid)
            assert _web_worker(proc.pid, port)  # granian started another one

            worker = _child(proc.pid, "manage.py worker")
            jobs.append(session.start_job())
            os.kill(worker, signal.SIGKILL)
            jobs.append(session.start_job())  # queued while no worker runs
            processes = _wait_ready(base, proc)
            assert "Hintergrund-Worker: neu gestartet um" in processes, processes
            assert "1 Neustart" in processes

            live = _child(proc.pid, str(live_port))
            os.kill(live, signal.SIGKILL)
            processes = _wait_ready(base, proc)
            assert "Live-Aktualisierung: neu gestartet um" in processes, processes
            _ready(f"http://127.0.0.1:{live_port}", proc)  # streams are served again
        assert clicks.ok >= 10 and clicks.results[-1][1], clicks.summary()
        assert clicks.longest_outage() <= 5.0, clicks.summary()
        assert session.signed_in(), "Sitzung nach den Neustarts verloren"
        _assert_done_once(tmp_path / "koffer.sqlite3", jobs)

        children = _children(proc.pid)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    text = out.decode()
    assert proc.returncode == 0, text
    assert "Hintergrund-Worker unerwartet beendet (Signal SIGKILL); Neustart in 1 s." in text
    assert "Hintergrund-Worker neu gestartet (1. Neustart)." in text
    assert "Live-Aktualisierung unerwartet beendet (Signal SIGKILL)" in text
    assert "Webserver unerwartet" not in text  # granian itself replaced its worker
    assert "koffer beendet." in text
    _assert_gone(children)


class _Session:
    """One browser: a cookie jar that signs in through the form and starts jobs."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(
            urllib.request.ProxyHandler({}), urllib.request.HTTPCookieProcessor(self.jar)
        )

    def _csrf(self, path: str) -> str:
        with self.opener.open(self.base + path, timeout=10) as response:
            page = response.read().decode()
        found = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert found, f"kein CSRF-Token auf {path}"
        return found.group(1)

    def _post(self, path: str, fields: dict[str, str], *, form_page: str = "") -> str:
        token = self._csrf(form_page or path)
        form = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token})
        request = urllib.request.Request(  # noqa: S310
            self.base + path, form.encode(), headers={"Referer": self.base + path}
        )
        with self.opener.open(request, timeout=30) as response:
            return response.geturl()

    def sign_in(self, username: str, password: str) -> None:
        landed = self._post("/anmelden/", {"username": username, "password": password})
        assert "/anmelden" not in landed, "Anmeldung fehlgeschlagen"

    def start_job(self) -> str:
        """Start the audit-chain check through the form; its id from the detail page's URL."""
        landed = self._post(
            "/auftraege/starten/", {"kind": "audit.verify_chain"}, form_page="/auftraege/"
        )
        found = re.search(r"/auftraege/([0-9a-f-]{36})/", landed)
        assert found, landed
        return found.group(1)

    def get(self, path: str) -> tuple[int, str]:
        # A slow answer on a busy machine is no error; only a refused or broken one is.
        try:
            with self.opener.open(self.base + path, timeout=20) as response:
                return response.status, response.geturl()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.geturl()

    def signed_in(self) -> bool:
        status, landed = self.get("/")
        return status == 200 and "/anmelden" not in landed


class _Clicks:
    """The signed-in user clicks the start page every 0.1 s; records which clicks failed."""

    def __init__(self, session: _Session) -> None:
        self.session = session
        self.results: list[tuple[float, bool]] = []
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> _Clicks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            at = time.monotonic()
            try:
                status, landed = self.session.get("/")
                ok = status == 200 and "/anmelden" not in landed
                problem = "" if ok else f"{status} {landed}"
            except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
                ok, problem = False, repr(exc)
            if problem:
                self.errors.append(f"nach {time.monotonic() - at:.1f} s: {problem}")
            self.results.append((at, ok))
            self._stop.wait(0.1)

    @property
    def ok(self) -> int:
        return sum(1 for _, ok in self.results if ok)

    def longest_outage(self) -> float:
        """Seconds from the first failed click of a run of failures to the next success."""
        longest, failing_since = 0.0, None
        for at, ok in self.results:
            if not ok and failing_since is None:
                failing_since = at
            elif ok and failing_since is not None:
                longest = max(longest, at - failing_since)
                failing_since = None
        if failing_since is not None:
            longest = max(longest, time.monotonic() - failing_since)
        return longest

    def summary(self) -> str:
        failed = len(self.results) - self.ok
        return (
            f"{self.ok} gut, {failed} fehlgeschlagen, längster Ausfall"
            f" {self.longest_outage():.1f} s: {self.errors[:5]}"
        )


def _wait_ready(base: str, proc: subprocess.Popen[bytes]) -> str:
    """What /readyz says of serve's parts once every part runs again (after a restart)."""
    time.sleep(0.5)  # serve notices a death within 0.3 s
    body = _ready(base, proc)
    return str(body["checks"]["processes"]["detail"])  # type: ignore[index]


def _child(serve: int, marker: str) -> int:
    """serve's direct child whose command line contains ``marker``."""
    for pid in _children(serve):
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if _parent(pid) == serve and marker in cmdline:
            return pid
    raise AssertionError(f"kein Prozess mit {marker!r}")


def _web_worker(serve: int, port: int) -> int:
    """One of the web server's worker processes (a child of granian's main process)."""
    main = _child(serve, f"--port {port} ")
    workers = [pid for pid in _children(main) if _parent(pid) == main and _alive(pid)]
    assert workers, "granian hat keine Worker"
    return workers[0]


def _assert_done_once(database: Path, jobs: list[str]) -> None:
    """Every job ends done, with one "done" audit event each (no job ran to the end twice)."""
    deadline = time.monotonic() + 150  # generous: the machine may be busy
    ids = [job.replace("-", "") for job in jobs]
    rows: list[tuple[str, str]] = []
    while time.monotonic() < deadline:
        with sqlite3.connect(database, timeout=10) as db:
            rows = db.execute("SELECT id, status FROM jobs_job").fetchall()
        if sum(1 for pk, status in rows if pk in ids and status == "done") == len(ids):
            break
        time.sleep(0.5)
    assert sorted(pk for pk, status in rows if status == "done") == sorted(ids), rows
    with sqlite3.connect(database, timeout=10) as db:
        done = db.execute(
            "SELECT object_id FROM audit_event WHERE action = 'jobs.job.done'"
        ).fetchall()
    assert sorted(pk.replace("-", "") for (pk,) in done) == sorted(ids), done


def _assert_gone(pids: set[int]) -> None:
    """Every process in ``pids`` ends within a few seconds."""
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if _alive(pid)], "Prozesse laufen nach dem Ende weiter"


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
