"""`make run`'s serve command for real: web workers, the stream process and the background
worker come up on a fresh SQLite file, and one Ctrl-C (SIGINT) stops all of them."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from koffer.shell import server
from tests.subprocesses import ROOT, koffer_env, reaped

# manage.py serve runs on the real clock; the test that watches it keeps that clock too.
pytestmark = pytest.mark.real_clock

START_TIMEOUT = 90.0


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
        command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT
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


def test_serve_stops_everything_and_says_so_when_a_part_dies(tmp_path: Path) -> None:
    port, live_port = server.free_port(), server.free_port()
    proc = subprocess.Popen(
        _command(port, live_port),
        cwd=ROOT,
        env=koffer_env(tmp_path),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    with reaped(proc):
        _ready(f"http://127.0.0.1:{live_port}", proc)
        children = _children(proc.pid)
        live = next(
            pid
            for pid in children
            if str(live_port) in Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
            and _parent(pid) == proc.pid
        )
        os.kill(live, signal.SIGKILL)
        out, _ = proc.communicate(timeout=30)
    assert proc.returncode != 0
    assert "Unerwartet beendet: Live-Aktualisierung" in out.decode()
    _assert_gone(children)


def _assert_gone(pids: set[int]) -> None:
    """Every process in ``pids`` ends within a few seconds."""
    deadline = time.monotonic() + 5
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not [pid for pid in pids if _alive(pid)], "Prozesse laufen nach dem Ende weiter"


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])
