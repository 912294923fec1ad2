"""Sync of a field worker's day back to the office: ``manage.py koffer_abgleichen`` on a
Koffer (a process of its own, Koffer mode, its own SQLite database and blob store) against
a real office process on loopback.

Data: the office's Mandant with a field worker, 20 Akten checked out to the worker's
Koffer (each with its person, a Vorgang, a Wiedervorlage and 100 text documents of 10 kB:
the day's checkout in rows, the bytes kept small because the pull after the sync fetches
only what is new) and the demo's short form in the catalogue. The Koffer pulls them
(``koffer_abholen``, untimed), then the day's work is made in the Koffer's process through
the services its pages call: 50 changed records (contact data of persons, Vorgänge set to
„wartet“, Wiedervorlagen done), 20 new documents (phone photos as JPEG of about 400 kB and
scanned pages as PDF of about 300 kB) and 10 forms filled and submitted (each printed and
filed as a Dokument).

Measured: ``koffer_abgleichen`` from its start to its end in the Koffer's process (blobs
uploaded, the payload pushed and applied in the office, the package pulled again;
``process_seconds`` adds starting Python and Django for it), and, by clocks around its
public steps, the split: ``blobs_seconds`` (every ``PUT /koffer/blobs``),
``push_seconds`` (the ``POST /koffer/abgleich`` including the office applying it),
``pull_seconds`` (the pull afterwards); the rest is the command's start and the collection
of the changes. Baseline in the same run: the same bytes over the same loopback with
urllib, as the Koffer sends them, to a trivial HTTP server that reads and discards them
(a PUT per blob, one POST of the payload's JSON). ``ratio`` = sync / baseline.

Target: the sync in at most 10 s (issue 18).
"""

from __future__ import annotations

import json
import tempfile
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from django.conf import settings

from benchmarks import _field, served
from benchmarks.report import emit, note
from benchmarks.scale import sized
from koffer.shell.server import free_port

NAME = "field_sync"
DATABASES = ("sqlite",)
AKTEN = sized(20, 2)
DOKUMENTE_JE_AKTE = sized(100, 1)
GROESSE = sized(10_000, 2_000)
AENDERUNGEN = sized(50, 3)
NEUE_DOKUMENTE = sized(20, 2)
FORMULARE = sized(10, 1)
TARGET_SECONDS = 10.0
BASELINE = "PUT je Datei und POST der Nutzdaten an einen leeren HTTP-Server (loopback)"


def run() -> None:
    with tempfile.TemporaryDirectory(dir=settings.VAR_DIR) as folder:
        _messen(Path(folder))


def _messen(folder: Path) -> None:
    vorlage = _field.leere_vorlage(folder)
    started = time.perf_counter()
    buero = _field.buero_daten(
        akten=AKTEN, dokumente=DOKUMENTE_JE_AKTE, groesse=GROESSE, formular=True
    )
    code = _field.kopplungscode(buero, "Messkoffer")
    note(f"Büro-Daten in {time.perf_counter() - started:.1f} s")
    var = folder / "koffer"
    env = _field.koffer_anlegen(var, vorlage)
    port = free_port()
    office = served.start_web(port)
    try:
        base = f"http://127.0.0.1:{port}"
        served.wait_until_up(base)
        _field.manage(env, "koffer_koppeln", "--buero", base, "--code", code)
        _field.manage(env, "koffer_abholen")
        started = time.perf_counter()
        tag = _schritt(
            env,
            folder,
            "tagewerk",
            username=buero.worker.username,
            akten=[str(a.pk) for a in buero.akten],
            aenderungen=AENDERUNGEN,
            dokumente=NEUE_DOKUMENTE,
            formulare=FORMULARE,
        )
        note(f"Tagewerk im Koffer in {time.perf_counter() - started:.1f} s")
        for hinweis in tag["nicht_uebertragen"]:
            note(f"nicht übertragen: {hinweis}")
        begin = time.perf_counter()
        sync = _schritt(env, folder, "abgleichen")
        prozess = time.perf_counter() - begin
        note(sync["ausgabe"].strip())
    finally:
        served.stop(office)
    payload = tag["payload"]
    blob_bytes = {
        sha: (var / "blobs" / sha[:2] / sha[2:4] / sha).read_bytes() for sha in payload["blobs"]
    }
    baseline = _baseline(blob_bytes, json.dumps(payload).encode())
    seconds = float(sync["sekunden"])
    emit(
        NAME,
        akten=AKTEN,
        geaendert=tag["geaendert"],
        dokumente=len(tag["dokumente"]),
        formulare=tag["formulare"],
        zeilen_neu=len(payload["neu"]),
        felder_geaendert=sum(len(g["felder"]) for g in payload["geaendert"]),
        blobs=len(blob_bytes),
        mb=round(sum(len(b) for b in blob_bytes.values()) / 1e6, 1),
        seconds=round(seconds, 2),
        process_seconds=round(prozess, 2),
        blobs_seconds=_runden(sync["blobs"]),
        push_seconds=_runden(sync["push"]),
        pull_seconds=_runden(sync["pull"]),
        baseline=BASELINE,
        baseline_seconds=round(baseline, 3),
        ratio=round(seconds / baseline, 1) if baseline else 0,
        target_seconds=TARGET_SECONDS,
        met=seconds <= TARGET_SECONDS,
    )


def _runden(value: float | None) -> object:
    return "unbekannt" if value is None else round(value, 2)


def _schritt(env: dict[str, str], folder: Path, step: str, **auftrag: Any) -> dict[str, Any]:
    datei = folder / f"{step}.json"
    datei.write_text(json.dumps(auftrag))
    _field.run(env, "-m", "benchmarks._field_koffer", step, str(datei))
    answer: dict[str, Any] = json.loads(datei.read_text())
    return answer


class _Senke(BaseHTTPRequestHandler):
    """Reads a request's body and throws it away."""

    def _lesen(self, status: int) -> None:
        remaining = int(self.headers.get("Content-Length") or 0)
        while remaining:
            chunk = self.rfile.read(min(remaining, 1 << 16))
            if not chunk:
                break
            remaining -= len(chunk)
        body = b'{"status": "fertig"}'
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_PUT(self) -> None:
        self._lesen(201)

    def do_POST(self) -> None:
        self._lesen(200)

    def log_message(self, format: str, *args: Any) -> None:
        return


def _baseline(blobs: dict[str, bytes], payload: bytes) -> float:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Senke)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    client = served.opener()
    try:
        started = time.perf_counter()
        for sha, data in blobs.items():
            request = urllib.request.Request(  # noqa: S310
                f"{base}/blobs/{sha}",
                data=data,
                method="PUT",
                headers={"Content-Type": "application/octet-stream"},
            )
            with client.open(request, timeout=60) as response:
                response.read()
        request = urllib.request.Request(  # noqa: S310
            f"{base}/abgleich", data=payload, headers={"Content-Type": "application/json"}
        )
        with client.open(request, timeout=60) as response:
            response.read()
        return time.perf_counter() - started
    finally:
        server.shutdown()
        server.server_close()
