"""A real koffer server (granian, demo district, throwaway SQLite) and Debian's chromium.

No pytest-django live_server: it flushes the database between tests, and the audit table
refuses DELETE and TRUNCATE. The server here is started once per session from a fresh
``KOFFER_VAR_DIR`` and killed at the end.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from koffer.shell import server
from tests import dbtemplate
from tests.browser.pagecheck import ARTIFACTS, ROOT
from tests.subprocesses import koffer_env, stop_group

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
SERVER_START_TIMEOUT = 60.0


def _server_env(var_dir: Path) -> dict[str, str]:
    return koffer_env(
        var_dir,
        KOFFER_DEBUG="0",
        # Demo passwords are hashed with MD5 instead of argon2: ~50 ms saved per sign-in.
        KOFFER_FAST_HASHER="1",
    )


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        pytest.fail(
            f"manage.py {' '.join(args)} ist fehlgeschlagen:\n{result.stdout}\n{result.stderr}"
        )


def _wait_healthy(url: str, proc: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"Der Server ist beim Start beendet worden:\n{log.read_text()[-4000:]}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.1)
    pytest.fail(f"Der Server antwortet nicht auf /healthz:\n{log.read_text()[-4000:]}")


@pytest.fixture(scope="session")
def server_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Base URL of koffer served as ``make run`` serves it: a single-threaded granian web
    worker and the event streams from a granian process of their own on another port."""
    var_dir = tmp_path_factory.mktemp("koffer-browser-var")
    env = _server_env(var_dir)
    migrated = dbtemplate.migrate_var_dir(var_dir, env)
    if migrated.returncode != 0:
        pytest.fail(f"manage.py migrate ist fehlgeschlagen:\n{migrated.stdout}\n{migrated.stderr}")
    _manage(env, "load_demo")
    port, live_port = server.free_port(), server.free_port()
    # Kept after the run (test-artifacts/ is git-ignored): a 500 in a test is explained here.
    ARTIFACTS.mkdir(exist_ok=True)
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    log = ARTIFACTS / f"server{'-' + worker if worker else ''}.log"
    commands = [
        (server.web_command(host="127.0.0.1", port=port, workers=1), 0),
        (server.live_command(host="127.0.0.1", port=live_port, streams=4), 4),
    ]
    procs: list[subprocess.Popen[bytes]] = []
    with log.open("wb") as out:
        for command, streams in commands:
            extra = server.stream_env(port=port, live_port=live_port, streams=streams)
            procs.append(
                subprocess.Popen(
                    command,
                    cwd=ROOT,
                    env={**env, **extra},
                    stdout=out,
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_healthy(url, procs[0], log)
        _wait_healthy(f"http://127.0.0.1:{live_port}", procs[1], log)
        yield url
    finally:
        for proc in procs:
            stop_group(proc)


@pytest.fixture(scope="session")
def playwright_session() -> Iterator[Playwright]:
    with sync_playwright() as playwright:
        yield playwright


def launch_chromium(playwright: Playwright) -> Browser:
    """Debian's headless chromium; Playwright never downloads a browser here."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} fehlt: bitte `make system-deps-test` ausführen (Paket chromium).")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@pytest.fixture(scope="session")
def chromium(playwright_session: Playwright) -> Iterator[Browser]:
    browser = launch_chromium(playwright_session)
    yield browser
    browser.close()
