"""Memory of the web processes while caseworkers use the E-Akte, served as ``make run`` does.

Serves the app with granian (2 workers, the threads of ``make run``) and drives it over
HTTP as a signed-in ordinary caseworker, in phases, with 8 parallel clients:

1. the Akte page with 200 documents,
2. full-text search for a common word (top 25 with snippets),
3. upload of 100 text PDFs of about 1 MB each (one file per request, as the page's upload
   script sends them),
4. page images of those PDFs (rendered on first request, then from the cache), at viewer
   and zoom width,
5. download of the originals and of a 500-page Aktenauszug (built by the job runner in this
   process beforehand, as the worker would).

A sampler reads the resident set size (VmRSS) of every granian process every 50 ms. The
figure that counts is the largest RSS any one web process reached in a phase; the baseline
in the same run is the RSS after start-up and the sign-in (an idle worker).

Target (issue 5): web process memory under 300 MB throughout.
"""

from __future__ import annotations

import http.client
import io
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pikepdf
from django.db import connection

from benchmarks import served
from benchmarks._ingest import base_pdf
from benchmarks.records_akte_page import akte_with_documents
from benchmarks.records_extract import typeset_document
from benchmarks.report import emit, note, percentile
from benchmarks.scale import sized
from koffer.jobs import runner
from koffer.records.auszug import services as extract
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import Dokument
from koffer.shell.server import free_port

NAME = "records_web_memory"
DATABASES = ("sqlite", "postgresql")
CLIENTS = sized(8, 2)
PASSWORD = "Benchmark-Passwort-1"  # of benchmarks.records_akte_page's caseworker
UPLOADS = sized(100, 3)
PAGE_REQUESTS = sized(200, 8)  # per phase: the Akte page, the search
EXTRACT_DOCUMENTS = sized(25, 2)  # of 20 pages each: 500 sheets
TARGET_RSS_MB = 300.0
SAMPLE_SECONDS = 0.05


class RssSampler(threading.Thread):
    """The peak VmRSS of each process in the tree below ``root`` since the last ``take()``."""

    def __init__(self, root: int) -> None:
        super().__init__(daemon=True)
        self.root = root
        self.peaks: dict[int, int] = {}
        self.lock = threading.Lock()
        self.stopped = threading.Event()

    def run(self) -> None:
        while not self.stopped.wait(SAMPLE_SECONDS):
            sample = {pid: rss for pid in _tree(self.root) if (rss := _rss_kb(pid)) is not None}
            with self.lock:
                for pid, rss in sample.items():
                    self.peaks[pid] = max(rss, self.peaks.get(pid, 0))

    def take(self) -> dict[int, int]:
        with self.lock:
            peaks, self.peaks = self.peaks, {}
        return peaks


def _tree(root: int) -> list[int]:
    found, todo = [], [root]
    while todo:
        pid = todo.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*/children"):
            try:
                todo.extend(int(child) for child in task.read_text().split())
            except OSError:
                continue
    return found


def _rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


class Session:
    """One keep-alive connection per client thread, with the caseworker's cookies."""

    def __init__(self, port: int, cookie: str) -> None:
        self.port = port
        self.cookie = cookie
        self.local = threading.local()

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> tuple[int, bytes]:
        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = self.local.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=120)
        conn.request(method, path, body=body, headers={"Cookie": self.cookie, **(headers or {})})
        response = conn.getresponse()
        return response.status, response.read()


def _phase(
    name: str,
    sampler: RssSampler,
    calls: Iterable[Callable[[], tuple[int, bytes]]],
    *,
    ok: tuple[int, ...] = (200,),
    check: Callable[[bytes], None] | None = None,
    baseline_mb: float,
) -> float:
    sampler.take()
    samples: list[float] = []

    def timed(call: Callable[[], tuple[int, bytes]]) -> None:
        began = time.perf_counter()
        status, body = call()
        samples.append((time.perf_counter() - began) * 1000)
        if status not in ok:
            raise SystemExit(f"{name}: Status {status}: {body[:300]!r}")
        if check is not None:
            check(body)

    began = time.perf_counter()
    with ThreadPoolExecutor(CLIENTS) as pool:
        list(pool.map(timed, calls))
    seconds = time.perf_counter() - began
    time.sleep(3 * SAMPLE_SECONDS)
    peaks = sampler.take()
    peak_mb = max(peaks.values(), default=0) / 1024
    emit(
        NAME,
        db=connection.vendor,
        case=name,
        clients=CLIENTS,
        requests=len(samples),
        seconds=seconds,
        p50_ms=percentile(samples, 50),
        p95_ms=percentile(samples, 95),
        peak_rss_mb=peak_mb,
        processes=len(peaks),
        ratio_vs_idle=peak_mb / baseline_mb if baseline_mb else 0.0,
        target=f"rss<{TARGET_RSS_MB:.0f}MB",
        met=peak_mb < TARGET_RSS_MB,
    )
    return peak_mb


def _stored(body: bytes) -> None:
    """The upload's answer says the file was stored (not refused, not a duplicate)."""
    results = json.loads(body)["results"]
    if [r["outcome"] for r in results] != ["stored"]:
        raise SystemExit(f"Upload nicht gespeichert: {results}")


def _multipart(filename: str, data: bytes, csrf: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    parts = [
        f'--{boundary}\r\nContent-Disposition: form-data; name="csrfmiddlewaretoken"\r\n\r\n{csrf}\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\nSchreiben\r\n',
        f'--{boundary}\r\nContent-Disposition: form-data; name="direction"\r\n\r\nin\r\n',
    ]
    head = "".join(parts).encode()
    file_head = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="dateien"; filename="{filename}"\r\n'
        "Content-Type: application/pdf\r\n\r\n"
    ).encode()
    return head + file_head + data + f"\r\n--{boundary}--\r\n".encode(), boundary


def _pdf_variants(base: bytes, count: int) -> list[bytes]:
    out = []
    for number in range(count):
        with pikepdf.open(io.BytesIO(base)) as pdf:
            pdf.docinfo["/Title"] = f"Speicher-Bescheid Nr. {number:03d}"
            buffer = io.BytesIO()
            pdf.save(buffer)
            out.append(buffer.getvalue())
    return out


def run() -> None:
    started = time.perf_counter()
    caseworker, akte = akte_with_documents()
    for number in range(1, EXTRACT_DOCUMENTS + 1):
        result = documents.ingest_file(
            actor=caseworker,
            akte=akte,
            file=naming.IncomingFile.from_bytes(
                f"gutachten-{number}.pdf", typeset_document(number)
            ),
            meta=documents.DocumentMeta(title=f"Gutachten {number:02d}"),
        )
        assert result.ok, result.message
    auszug = extract.create_auszug(
        actor=caseworker,
        akte=akte,
        auswahl=extract.Auswahl(
            dokument_ids=tuple(
                Dokument.objects.for_tenant(akte.tenant)
                .filter(akte=akte, title__startswith="Gutachten")
                .values_list("pk", flat=True)
            )
        ),
        purpose="Speichermessung",
    )
    assert auszug.job_id is not None and runner.execute(auszug.job_id) == "done"
    auszug.refresh_from_db()
    uploads = _pdf_variants(base_pdf(), UPLOADS)
    note(f"Daten in {time.perf_counter() - started:.1f} s; {len(uploads)} PDFs à ~1 MB bereit")

    port = free_port()
    server = served.start_web(port)
    sampler = RssSampler(server.pid)
    try:
        base = f"http://127.0.0.1:{port}"
        served.wait_until_up(base)
        cookie = served.sign_in(base, caseworker.username, PASSWORD)
        csrf = next(p.split("=", 1)[1] for p in cookie.split("; ") if p.startswith("csrftoken="))
        session = Session(port, cookie)
        sampler.start()
        for _ in range(2 * CLIENTS):  # every worker imports, connects and renders once
            session.request("GET", f"/akten/{akte.pk}/")
        time.sleep(0.5)
        idle = sampler.take()
        idle_mb = max(idle.values(), default=0) / 1024
        emit(NAME, db=connection.vendor, case="idle_after_warmup", peak_rss_mb=idle_mb)

        def get(path: str) -> Callable[[], tuple[int, bytes]]:
            return lambda: session.request("GET", path)

        peaks = [
            _phase(
                "akte_page_200_docs",
                sampler,
                [get(f"/akten/{akte.pk}/")] * PAGE_REQUESTS,
                baseline_mb=idle_mb,
            ),
            _phase(
                "search_common_word",
                sampler,
                [get("/suche/?q=Bescheid")] * PAGE_REQUESTS,
                baseline_mb=idle_mb,
            ),
        ]

        def upload(index: int) -> Callable[[], tuple[int, bytes]]:
            body, boundary = _multipart(f"bescheid-{index:03d}.pdf", uploads[index], csrf)
            headers = {
                "Content-Type": f"multipart/form-data; boundary={boundary}",
                "Accept": "application/json",
                "X-CSRFToken": csrf,
                "Referer": base + "/",
            }
            return lambda: session.request(
                "POST", f"/akten/{akte.pk}/dokumente/hochladen/", body, headers
            )

        peaks.append(
            _phase(
                "upload_100_pdfs_1mb",
                sampler,
                [upload(i) for i in range(UPLOADS)],
                check=_stored,
                baseline_mb=idle_mb,
            )
        )
        uploaded = list(
            Dokument.objects.for_tenant(akte.tenant)
            .filter(akte=akte, current_version__filename__startswith="bescheid-")
            .values_list("pk", flat=True)
        )
        if len(uploaded) < UPLOADS:
            raise SystemExit(f"nur {len(uploaded)} von {UPLOADS} Uploads angekommen")
        pages = [
            get(f"/dokumente/{pk}/versionen/1/seiten/{page}/{width}/")
            for pk in uploaded[:25]
            for page in (1, 2)
            for width in (1000, 1600)
        ]
        peaks.append(_phase("page_images", sampler, pages, baseline_mb=idle_mb))
        downloads = [get(f"/dokumente/{pk}/herunterladen/") for pk in uploaded]
        downloads += [get(f"/auszuege/{auszug.pk}/pdf/")] * 8
        peaks.append(_phase("downloads_and_extract", sampler, downloads, baseline_mb=idle_mb))
    finally:
        sampler.stopped.set()
        served.stop(server)
    overall = max(peaks)
    emit(
        NAME,
        db=connection.vendor,
        case="overall",
        peak_rss_mb=overall,
        idle_rss_mb=idle_mb,
        ratio_vs_idle=overall / idle_mb if idle_mb else 0.0,
        target=f"rss<{TARGET_RSS_MB:.0f}MB",
        met=overall < TARGET_RSS_MB,
        extract_sheets=auszug.sheet_count,
    )
