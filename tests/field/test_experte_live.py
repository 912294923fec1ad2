"""The Expertensitzung's speed between two screens, on a real office process (granian:
pages on one port, event streams on another, as ``make run`` serves them): the time from
a field worker's write (POST) until the expert's event stream carries it, on loopback
and through a TCP proxy that delays every chunk by 300 ms each way (a slow mobile link).
Targets (issue 18): p95 ≤ 200 ms on loopback, ≤ 1 s with 300 ms added latency."""

from __future__ import annotations

import http.client
import json
import queue
import re
import statistics
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
from benchmarks.leitung import LangsamerProxy

from tests import dbtemplate
from tests.field.conftest import Dienst
from tests.field.test_paket_koffer import _manage
from tests.subprocesses import koffer_env

pytestmark = [pytest.mark.real_clock, pytest.mark.long, pytest.mark.own_database]

CHANGES = 20
DELAY = 0.3


@dataclass
class Buero:
    host: str
    port: int
    live_port: int
    seed: dict[str, Any]


@pytest.fixture(scope="module")
def buero(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Buero]:
    var = tmp_path_factory.mktemp("experte")
    env = koffer_env(var, KOFFER_FAST_HASHER="1", KOFFER_DEBUG="0", KOFFER_REQUIRE_OTP="0")
    migrated = dbtemplate.migrate_var_dir(var, env)
    assert migrated.returncode == 0, migrated.stderr
    seed_file = var / "seed.json"
    _manage(
        env, "shell", "-c", f"from tests.field.experte_seed import seed; seed({str(seed_file)!r})"
    )
    dienst = Dienst(var=var, env=env).starten()
    try:
        yield Buero("127.0.0.1", dienst.port, dienst.live_port, json.loads(seed_file.read_text()))
    finally:
        dienst.stoppen()


# --- a person's browser, reduced to HTTP ------------------------------------------------------


@dataclass
class Person:
    host: str
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, port: int | None = None
    ) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection(self.host, port or self.port, timeout=30)
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-Requested-With"] = "fetch"
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        data = response.read()
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                key, _, rest = value.partition("=")
                self.cookies[key] = rest.split(";", 1)[0]
        conn.close()
        return response.status, data

    def csrf(self, path: str) -> str:
        status, page = self.request("GET", path)
        assert status == 200, (path, status)
        match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, page[:500]
        return match.group(1).decode()

    def sign_in(self, username: str, password: str) -> None:
        token = self.csrf("/anmelden/")
        status, _ = self.request(
            "POST",
            "/anmelden/",
            {"csrfmiddlewaretoken": token, "username": username, "password": password},
        )
        assert status == 302, f"Anmeldung von {username}: {status}"


class Strom:
    """The expert's event stream, read in a thread; each event lands in ``events`` with
    the time it arrived. Reconnects with Last-Event-ID when the server ends it."""

    def __init__(self, person: Person, port: int, path: str) -> None:
        self.events: queue.Queue[tuple[float, str, dict[str, Any]]] = queue.Queue()
        self.person, self.port, self.path, self.last = person, port, path, ""
        self.stopped = threading.Event()
        self.opened = threading.Event()
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self.stopped.is_set():
            conn = http.client.HTTPConnection(self.person.host, self.port, timeout=60)
            headers = {
                "Cookie": "; ".join(f"{k}={v}" for k, v in self.person.cookies.items()),
                "Accept": "text/event-stream",
            }
            if self.last:
                headers["Last-Event-ID"] = self.last
            conn.request("GET", self.path, headers=headers)
            response = conn.getresponse()
            assert response.status == 200, response.status
            self.opened.set()
            art, daten = "", ""
            while not self.stopped.is_set():
                line = response.readline()
                if not line:
                    break
                text = line.decode().rstrip("\n")
                if text.startswith("id: "):
                    self.last = text[4:]
                elif text.startswith("event: "):
                    art = text[7:]
                elif text.startswith("data: "):
                    daten = text[6:]
                elif text == "" and art:
                    self.events.put((time.perf_counter(), art, json.loads(daten)))
                    art, daten = "", ""
            conn.close()

    def wait_for(self, feld: str, version: int, timeout: float = 10.0) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                at, art, daten = self.events.get(timeout=0.5)
            except queue.Empty:
                continue
            if art == "feld" and daten["feld"] == feld and daten["version"] >= version:
                return at
        raise AssertionError(f"Kein Ereignis für {feld} Version {version}")

    def close(self) -> None:
        self.stopped.set()


def _messen(buero: Buero, web_port: int, live_port: int, feld: str) -> list[float]:
    seed = buero.seed
    sitzung = seed["sitzung"]
    worker = Person(buero.host, web_port)
    worker.sign_in(seed["aussendienst"], seed["passwort"])
    experte = Person(buero.host, web_port)
    experte.sign_in(seed["experte"], seed["passwort"])
    token = worker.csrf(f"/koffer/experte/{sitzung}/")
    strom = Strom(experte, live_port, f"/koffer/experte/{sitzung}/live/")
    assert strom.opened.wait(10)
    zeiten: list[float] = []
    version = 0
    try:
        for i in range(CHANGES):
            start = time.perf_counter()
            status, body = worker.request(
                "POST",
                f"/koffer/experte/{sitzung}/feld/",
                {
                    "csrfmiddlewaretoken": token,
                    "feld": feld,
                    "wert": f"{400 + i}",
                    "version": str(version),
                },
            )
            assert status == 200, body
            version = json.loads(body)["version"]
            zeiten.append(strom.wait_for(feld, version) - start)
    finally:
        strom.close()
    return zeiten


def _p95(zeiten: list[float]) -> float:
    return statistics.quantiles(zeiten, n=20, method="inclusive")[-1]


# How fast is the benchmark's question (``make bench ONLY=field_experte``: p95 on loopback
# and through the 300 ms proxy against the targets); timed asserts flake on a shared
# machine. These tests hold what must be true at any load: every change reaches the other
# screen's stream, with its version, and none before the link allows.


def test_a_change_reaches_the_other_screen_on_loopback(buero: Buero) -> None:
    zeiten = _messen(buero, buero.port, buero.live_port, "miete")
    p95 = _p95(zeiten)
    print(f"loopback: p50 {statistics.median(zeiten) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    assert len(zeiten) == CHANGES and all(z > 0 for z in zeiten), zeiten


def test_a_change_reaches_the_other_screen_over_a_slow_link(
    buero: Buero,
) -> None:
    web, live = LangsamerProxy(buero.port, DELAY), LangsamerProxy(buero.live_port, DELAY)
    try:
        zeiten = _messen(buero, web.port, live.port, "wohnflaeche")
    finally:
        web.close()
        live.close()
    p95 = _p95(zeiten)
    print(f"+300 ms: p50 {statistics.median(zeiten) * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms")
    # A write crosses the link twice (request, then the event), so 600 ms is the floor.
    assert len(zeiten) == CHANGES
    assert min(zeiten) >= 2 * DELAY, zeiten
