"""The Koffer starts offline and shows the first Akte: from starting ``manage.py serve`` on a
Koffer (Koffer mode, the tresor on, its secret from ``KOFFER_TRESOR_KENNWORT_DATEI``) with
the office stopped, until the first Akte's page answers 200 with the Akte's content for
the field worker, signed in before (the session is kept in the Koffer's database).

Data: the office's Mandant with a field worker and 20 Akten (person, Vorgang,
Wiedervorlage, 10 text documents of 50 kB each), pulled by two Koffer over loopback
(``koffer_koppeln``, ``koffer_abholen``), one after the other (an Akte is in one Koffer at a
time: the first gives them back before the second checks them out). Then the office stops
and every start is offline.

Measured: the wall time from ``Popen(serve)`` until the page answers (polled every 20 ms):
the secret stretched by argon2id and the device key unwrapped, ``migrate`` finding nothing
to do, the chains' heads anchored, granian's workers importing koffer, the first request on
the encrypted database. ``--no-demo``: a Koffer loads no demo district. Baseline in the
same run, alternating with it: the same start of a Koffer without the tresor holding the
same package (left out in a smoke run). ``ratio`` = tresor / baseline (p50).
``serve_bereit``: until serve printed that its parts run (secret, migrate, anchors done).

Target: the first Akte shown within 5 s of the start (issue 18).
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from django.conf import settings

from benchmarks import _field, served
from benchmarks.report import emit, percentile
from benchmarks.scale import sized, smoke
from koffer.field.geraete import services as geraete
from koffer.field.models import Ausleihe
from koffer.shell.server import free_port

NAME = "field_start"
DATABASES = ("sqlite",)
AKTEN = sized(20, 1)
DOKUMENTE_JE_AKTE = sized(10, 1)
GROESSE = sized(50_000, 2_000)
# A smoke run starts each Koffer once, to sign in, and counts that start (sign-in included).
RUNS = sized(7, 0)
TARGET_SECONDS = 5.0
POLL_SECONDS = 0.02
START_TIMEOUT = 120.0
BEREIT = "koffer läuft auf"  # serve's line once its parts are started


def run() -> None:
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR) as folder:
        _messen(Path(folder))


def _messen(folder: Path) -> None:
    vorlage = _field.leere_vorlage(folder)
    buero = _field.buero_daten(akten=AKTEN, dokumente=DOKUMENTE_JE_AKTE, groesse=GROESSE)
    erste = buero.akten[0]
    koffer = {"tresor": _field.tresor_koffer_anlegen(folder / "tresor", vorlage)}
    if not smoke():  # a smoke run proves the start; the baseline is the same code
        koffer["ohne"] = _field.koffer_anlegen(folder / "ohne", vorlage)
    port = free_port()
    office = served.start_web(port)
    try:
        base = f"http://127.0.0.1:{port}"
        served.wait_until_up(base)
        for art, env in koffer.items():
            code = _field.kopplungscode(buero, f"Messkoffer {art}")
            _field.manage(env, "koffer_koppeln", "--buero", base, "--code", code)
            _field.manage(env, "koffer_abholen")
            for ausleihe in Ausleihe.objects.for_tenant(buero.tenant).filter(zurueck_am=None):
                geraete.zurueckgeben(actor=buero.worker, ausleihe=ausleihe)
    finally:
        served.stop(office)  # from here on the Koffer are offline
    pfad = f"/akten/{erste.pk}/"
    inhalt = erste.aktenzeichen
    cookies: dict[str, str] = {}
    samples: dict[str, list[float]] = {art: [] for art in koffer}
    bereit: dict[str, list[float]] = {art: [] for art in koffer}
    for art, env in koffer.items():
        cookies[art], seconds, vorbereitet = _anmelden(env, pfad, inhalt)
        if not RUNS:
            samples[art].append(seconds)
            bereit[art].append(vorbereitet)
    for _ in range(RUNS):
        for art, env in koffer.items():
            seconds, vorbereitet = _start(env, pfad, inhalt, cookies[art])
            samples[art].append(seconds)
            bereit[art].append(vorbereitet)
    p50 = percentile(samples["tresor"], 50)
    base50 = percentile(samples.get("ohne") or [0.0], 50)
    emit(
        NAME,
        akten=AKTEN,
        runs=len(samples["tresor"]),
        p50_seconds=round(p50, 2),
        p95_seconds=round(percentile(samples["tresor"], 95), 2),
        max_seconds=round(max(samples["tresor"]), 2),
        serve_bereit_p50_seconds=round(percentile(bereit["tresor"], 50), 2),
        baseline="derselbe Koffer-Start ohne Tresor",
        baseline_p50_seconds=round(base50, 2),
        baseline_p95_seconds=round(percentile(samples.get("ohne") or [0.0], 95), 2),
        baseline_serve_bereit_p50_seconds=round(percentile(bereit.get("ohne") or [0.0], 50), 2),
        ratio=round(p50 / base50, 2) if base50 else 0,
        target_seconds=TARGET_SECONDS,
        met=percentile(samples["tresor"], 95) <= TARGET_SECONDS,
    )


def _anmelden(env: dict[str, str], pfad: str, inhalt: str) -> tuple[str, float, float]:
    """The first start after the pull: the field worker signs in through the form (the
    session outlives the process) and the Akte's page is checked once. Returns the
    session's cookie and, as :func:`_warten`, the seconds until the page showed."""
    port = free_port()
    started = time.perf_counter()
    proc = _serve(env, port)
    try:
        base = f"http://127.0.0.1:{port}"
        _, vorbereitet = _warten(proc, base + "/healthz", "", started, log=_log(env))
        cookie = _field.anmelden(base, "aussendienst", _field.PASSWORD)
        status, body = _field.seite(base + pfad, cookie)
        if status != 200 or inhalt not in body:
            raise SystemExit(f"Die Akte {pfad} zeigt sich nicht (HTTP {status} {body[:200]})")
        return cookie, time.perf_counter() - started, vorbereitet
    finally:
        served.stop(proc, timeout=30)


def _start(env: dict[str, str], pfad: str, inhalt: str, cookie: str) -> tuple[float, float]:
    port = free_port()
    started = time.perf_counter()
    proc = _serve(env, port)
    try:
        url = f"http://127.0.0.1:{port}{pfad}"
        return _warten(proc, url, inhalt, started, cookie, log=_log(env))
    finally:
        served.stop(proc, timeout=30)


def _serve(env: dict[str, str], port: int) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        str(_field.ROOT / "manage.py"),
        "serve",
        "--no-demo",
        "--port",
        str(port),
        "--live-port",
        str(free_port()),
    ]
    # As on a laptop (and `make run`): koffer's bytecode is kept after the first start,
    # not compiled again by each of serve's processes.
    env = {k: v for k, v in env.items() if k != "PYTHONDONTWRITEBYTECODE"}
    with _log(env).open("wb") as log:
        return subprocess.Popen(
            command,
            cwd=_field.ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )


def _log(env: dict[str, str]) -> Path:
    return Path(env["KOFFER_VAR_DIR"]) / "serve.log"


def _warten(
    proc: subprocess.Popen[bytes],
    url: str,
    inhalt: str,
    started: float,
    cookie: str = "",
    log: Path | None = None,
) -> tuple[float, float]:
    """Seconds since ``started`` until ``url`` answers 200 (with ``inhalt`` in the page),
    and until serve said it runs (the secret, migrate and the anchors done, its parts
    started: ``BEREIT`` in its output)."""
    bereit = 0.0
    while time.perf_counter() - started < START_TIMEOUT:
        if proc.poll() is not None:
            tail = log.read_text(errors="replace")[-3000:] if log else ""
            raise SystemExit(f"serve endete beim Start (Code {proc.returncode}):\n{tail}")
        if not bereit and log is not None and BEREIT in log.read_text(errors="replace"):
            bereit = time.perf_counter() - started
        status, body = _field.seite(url, cookie)
        if status == 200 and inhalt in body:
            seconds = time.perf_counter() - started
            if not bereit and log is not None and BEREIT in log.read_text(errors="replace"):
                bereit = seconds
            return seconds, bereit
        if status not in (0, 502, 503):
            raise SystemExit(f"{url}: HTTP {status} beim Start")
        time.sleep(POLL_SECONDS)
    raise SystemExit(f"{url} antwortet nicht innerhalb von {START_TIMEOUT:.0f} s")
