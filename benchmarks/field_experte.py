"""The remote expert's live co-editing (Expertensitzung): how soon a field worker's change
appears on the expert's screen, on a real office served by ``manage.py serve`` (pages on
one port, the event streams from their own process on another, as ``make run`` serves
them).

Data, made through the services before the office starts: a Mandant, a field worker with
an Akte and an open draft of a small form (a money and a number field), an expert of
another unit, and an open session the expert has joined (with the citizen's consent).

Measured, per link: the field worker writes a field as the session page does (``POST
…/feld/`` with the field's version, ``X-Requested-With: fetch``) while the expert's event
stream (``…/live/``, SSE) is open; the time from sending the POST until the ``feld`` event
with the new version arrives on the expert's stream. ``CHANGES`` changes per link, one at a
time, after a few unmeasured ones (the processes' first requests). Two links: loopback,
and a TCP proxy that delays every chunk by 300 ms each way (``benchmarks.leitung``, a slow
mobile link) in front of both the pages and the stream process. A change crosses such a
link twice (the POST, then the event), so 600 ms is its floor.

Baseline in the same run, over the same link, alternated with the changes: a ``GET
/healthz`` of the same office on a new connection (one plain HTTP round trip through the
same proxy). ``ratio`` = the change's p95 / the round trip's p95.

Targets (issue 18): p95 ≤ 200 ms on loopback, ≤ 1 s with 300 ms added latency.
"""

from __future__ import annotations

import http.client
import json
import os
import queue
import re
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from django.conf import settings

from benchmarks import served
from benchmarks.leitung import LangsamerProxy
from benchmarks.report import emit, note, percentile
from benchmarks.scale import sized
from koffer.accounts import services as accounts
from koffer.field.experte import services as experte
from koffer.field.models import Sitzung
from koffer.forms.ausfuellen import services as ausfuellen
from koffer.forms.katalog import services as katalog
from koffer.records import defaults
from koffer.records import services as records
from koffer.shell.server import free_port
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

NAME = "field_experte"
DATABASES = ("sqlite",)
CHANGES = sized(200, 10)
WARMUP = sized(5, 2)
DELAY = 0.3
TARGETS_MS = {"loopback": 200.0, "300ms": 1000.0}
PASSWORD = "Experten-Messung-42"
START_TIMEOUT = 180.0
EVENT_TIMEOUT = 30.0
BASELINE = "GET /healthz über dieselbe Leitung, neue Verbindung"


def run() -> None:
    seed = _sitzung()
    port, live_port = free_port(), free_port()
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR) as folder:
        log = Path(folder) / "serve.log"
        office = _serve(port, live_port, log)
        try:
            _warten(office, port, live_port, log)
            worker = _Person(port)
            worker.sign_in(seed["aussendienst"])
            expert = _Person(port)
            expert.sign_in(seed["experte"])
            sitzung = seed["sitzung"]
            token = worker.csrf(f"/koffer/experte/{sitzung}/")
            for link, feld in (("loopback", "miete"), ("300ms", "wohnflaeche")):
                load = os.getloadavg()[0]
                if link == "loopback":
                    result = _messen(worker, expert, port, live_port, sitzung, token, feld)
                else:
                    web, live = LangsamerProxy(port, DELAY), LangsamerProxy(live_port, DELAY)
                    try:
                        result = _messen(worker, expert, web.port, live.port, sitzung, token, feld)
                    finally:
                        web.close()
                        live.close()
                _emit(link, result, load)
        finally:
            served.stop(office, timeout=30)


@dataclass
class _Ergebnis:
    changes: list[float] = field(default_factory=list)  # POST sent → event received
    posts: list[float] = field(default_factory=list)  # POST sent → its answer
    baseline: list[float] = field(default_factory=list)  # GET /healthz round trips


def _emit(link: str, result: _Ergebnis, load: float) -> None:
    def ms(samples: list[float], p: float) -> float:
        return 1000 * percentile(samples, p)

    p95, base95 = ms(result.changes, 95), ms(result.baseline, 95)
    target = TARGETS_MS[link]
    emit(
        f"{NAME}_{link}",
        changes=len(result.changes),
        added_latency_ms=0 if link == "loopback" else round(1000 * DELAY),
        p50=f"{ms(result.changes, 50):.0f}ms",
        p95=f"{p95:.0f}ms",
        max=f"{ms(result.changes, 100):.0f}ms",
        target_p95=f"{target:.0f}ms",
        post_p50=f"{ms(result.posts, 50):.0f}ms",
        post_p95=f"{ms(result.posts, 95):.0f}ms",
        baseline=BASELINE,
        baseline_p50=f"{ms(result.baseline, 50):.1f}ms",
        baseline_p95=f"{base95:.1f}ms",
        ratio=round(p95 / base95, 2) if base95 else 0.0,
        load1=round(load, 2),
        met=p95 <= target,
    )


# --- the office and its data ------------------------------------------------------------------


def _definition() -> dict[str, Any]:
    def t(de: str) -> dict[str, str]:
        return {"de": de}

    return {
        "format": 1,
        "schluessel": "wohngeld-messung",
        "titel": t("Wohngeldantrag (Messung)"),
        "schritte": [
            {
                "id": "wohnung",
                "titel": t("Wohnung"),
                "felder": [
                    {"id": "miete", "typ": "geld", "label": t("Monatliche Miete")},
                    {"id": "wohnflaeche", "typ": "zahl", "label": t("Wohnfläche in m²")},
                ],
            }
        ],
    }


def _sitzung() -> dict[str, str]:
    """The Mandant, the field worker's Akte and draft, the expert of another unit and the
    session they have joined, through the services; what the clients need."""
    tenant = tenancy.create_mandant(
        actor=None, slug="expertenhausen", name="Stadt Expertenhausen", kind=Mandant.Kind.GEMEINDE
    )
    defaults.install(actor=None, tenant=tenant)
    root = Organisationseinheit.objects.for_tenant(tenant).get(parent=None)
    team = tenancy.create_unit(
        actor=None,
        tenant=tenant,
        parent=root,
        name="Seniorenbüro",
        kind=Organisationseinheit.Kind.TEAM,
    )
    stelle = tenancy.create_unit(
        actor=None,
        tenant=tenant,
        parent=root,
        name="Wohngeldstelle",
        kind=Organisationseinheit.Kind.TEAM,
    )
    plan = records.create_aktenplaneinheit(
        actor=None, tenant=tenant, parent=None, kennzeichen="50", title="Soziales", module="sgb2"
    )
    worker = _user(tenant, team, "aussendienst", "Frieda", "Feld", "aussendienst")
    expert = _user(tenant, stelle, "experte", "Erik", "Experte", "sachbearbeitung")
    [importiert] = katalog.importieren(actor=None, access=None, tenant=tenant, daten=_definition())
    akte = records.open_akte_for_person(
        actor=worker,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=team,
        title="Wohngeld Muster",
        family_name="Muster",
        given_names="Erna",
        bg_nummer="neu",
        caseworker=worker,
    )
    entwurf = ausfuellen.entwurf_beginnen(actor=worker, formular=importiert.formular, akte=akte)
    row = experte.starten(
        actor=worker,
        entwurf=entwurf,
        experte=expert,
        einwilligung_von="Erna Muster",
        einwilligung_art=Sitzung.Einwilligung.MUENDLICH,
        eingewilligt=True,
    )
    experte.beitreten(actor=expert, sitzung=row)
    return {"sitzung": str(row.pk), "aussendienst": worker.username, "experte": expert.username}


def _user(
    tenant: Mandant, unit: Organisationseinheit, username: str, first: str, last: str, role: str
) -> Any:
    return accounts.create_user(
        actor=None,
        tenant=tenant,
        username=username,
        first_name=first,
        last_name=last,
        email=f"{username}@example.org",
        password=PASSWORD,
        unit=unit,
        role=role,
        must_change_password=False,
    )


def _serve(port: int, live_port: int, log: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        str(Path(settings.PROJECT_DIR) / "manage.py"),
        "serve",
        "--no-demo",
        "--workers",
        "1",
        "--port",
        str(port),
        "--live-port",
        str(live_port),
    ]
    with log.open("wb") as out:
        return subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT
        )


def _warten(office: subprocess.Popen[bytes], port: int, live_port: int, log: Path) -> None:
    started = time.perf_counter()
    for target in (port, live_port):
        while True:
            if office.poll() is not None:
                tail = log.read_text(errors="replace")[-3000:]
                raise SystemExit(f"serve endete beim Start (Code {office.returncode}):\n{tail}")
            if _erreichbar(target):
                break
            if time.perf_counter() - started > START_TIMEOUT:
                raise SystemExit(f"serve antwortet nicht innerhalb von {START_TIMEOUT:.0f} s")
            time.sleep(0.2)
    note(f"serve bereit nach {time.perf_counter() - started:.1f} s")


def _erreichbar(port: int) -> bool:
    try:
        return _Person(port).request("GET", "/healthz")[0] == 200
    except (OSError, http.client.HTTPException):
        return False


# --- the two screens, reduced to HTTP ---------------------------------------------------------


@dataclass
class _Person:
    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, form: dict[str, str] | None = None, port: int | None = None
    ) -> tuple[int, bytes]:
        """One request on a new connection (to ``port`` if given: the same office through
        another link); keeps the cookies it is given."""
        conn = http.client.HTTPConnection("127.0.0.1", port or self.port, timeout=60)
        headers = {"Cookie": self.cookie()}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["X-Requested-With"] = "fetch"  # as static/field/experte.js sends it
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key] = rest.split(";", 1)[0]
            return response.status, data
        finally:
            conn.close()

    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def csrf(self, path: str) -> str:
        status, page = self.request("GET", path)
        found = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if status != 200 or found is None:
            raise SystemExit(f"{path}: HTTP {status} ohne CSRF-Token")
        return found.group(1).decode()

    def sign_in(self, username: str) -> None:
        token = self.csrf("/anmelden/")
        form = {"csrfmiddlewaretoken": token, "username": username, "password": PASSWORD}
        status, _ = self.request("POST", "/anmelden/", form)
        if status != 302 or "sessionid" not in self.cookies:
            raise SystemExit(f"Anmeldung als {username} fehlgeschlagen (HTTP {status})")


class _Strom:
    """The expert's event stream, read in a thread as the page's EventSource does; each
    ``feld`` event lands in ``events`` with the time it arrived. Reconnects with
    Last-Event-ID when the server ends it (after ``LIVE_SECONDS``)."""

    def __init__(self, person: _Person, port: int, path: str) -> None:
        self.events: queue.Queue[tuple[float, str, int]] = queue.Queue()
        self.person, self.port, self.path, self.last = person, port, path, ""
        self.stopped = threading.Event()
        self.opened = threading.Event()
        self.error: str = ""
        threading.Thread(target=self._run, daemon=True).start()

    def _run(self) -> None:
        while not self.stopped.is_set():
            try:
                self._lesen()
            except (OSError, http.client.HTTPException) as exc:
                self.error = repr(exc)
                time.sleep(0.2)

    def _lesen(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.person.cookie(), "Accept": "text/event-stream"}
        if self.last:
            headers["Last-Event-ID"] = self.last
        try:
            conn.request("GET", self.path, headers=headers)
            response = conn.getresponse()
            if response.status != 200:
                self.error = f"HTTP {response.status}"
                time.sleep(1)
                return
            self.opened.set()
            art, daten = "", ""
            while not self.stopped.is_set():
                line = response.readline()
                if not line:
                    return
                text = line.decode().rstrip("\r\n")
                if text.startswith("id: "):
                    self.last = text[4:]
                elif text.startswith("event: "):
                    art = text[7:]
                elif text.startswith("data: "):
                    daten = text[6:]
                elif text == "" and art:
                    if art == "feld":
                        event = json.loads(daten)
                        self.events.put((time.perf_counter(), event["feld"], event["version"]))
                    art, daten = "", ""
        finally:
            conn.close()

    def wait_for(self, feld: str, version: int) -> float:
        """When the event of ``feld`` at ``version`` (or later) arrived."""
        deadline = time.monotonic() + EVENT_TIMEOUT
        while time.monotonic() < deadline:
            try:
                at, name, number = self.events.get(timeout=0.5)
            except queue.Empty:
                continue
            if name == feld and number >= version:
                return at
        raise SystemExit(f"Kein Ereignis für {feld} Version {version} ({self.error or 'still'})")

    def close(self) -> None:
        self.stopped.set()


def _messen(
    worker: _Person,
    expert: _Person,
    web_port: int,
    live_port: int,
    sitzung: str,
    token: str,
    feld: str,
) -> _Ergebnis:
    """``WARMUP`` unmeasured, then ``CHANGES`` measured changes of ``feld`` over the link
    (pages on ``web_port``, stream on ``live_port``), each followed by a baseline round
    trip over the same link."""
    strom = _Strom(expert, live_port, f"/koffer/experte/{sitzung}/live/")
    if not strom.opened.wait(EVENT_TIMEOUT):
        raise SystemExit(f"Der Ereignisstrom des Experten öffnet sich nicht ({strom.error})")
    result = _Ergebnis()
    version = 0
    try:
        for i in range(WARMUP + CHANGES):
            form = {
                "csrfmiddlewaretoken": token,
                "feld": feld,
                "wert": f"{400 + i}",
                "version": str(version),
            }
            start = time.perf_counter()
            status, body = worker.request(
                "POST", f"/koffer/experte/{sitzung}/feld/", form, web_port
            )
            answered = time.perf_counter()
            if status != 200:
                raise SystemExit(f"Feld schreiben: HTTP {status} {body[:300]!r}")
            version = int(json.loads(body)["version"])
            arrived = strom.wait_for(feld, version)
            started = time.perf_counter()
            status, _ = worker.request("GET", "/healthz", port=web_port)
            round_trip = time.perf_counter() - started
            if status != 200:
                raise SystemExit(f"/healthz: HTTP {status}")
            if i >= WARMUP:
                result.changes.append(arrived - start)
                result.posts.append(answered - start)
                result.baseline.append(round_trip)
    finally:
        strom.close()
    return result
