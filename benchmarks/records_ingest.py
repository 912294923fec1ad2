"""Ingest of 100 text PDFs of about 1 MB each through the document pipeline.

Data: one typeset PDF of about 1 MB (many pages of German text, made once with typst);
100 distinct files are made from it by changing its document information, so each has its
own SHA-256 and none is refused as a duplicate. Measured: ``documents.ingest_files`` for
all 100 in this process, as an upload would call it (name cleaning, size check, hashing,
type from content, PDF inspection and text extraction, blob store, rows, search index,
audit event). Baseline in the same run: only putting the same 100 files into the blob
store (hashing, fsync, rename), the part no pipeline can avoid.

Target: at least 20 files per second.
"""

from __future__ import annotations

import io
import time

import pikepdf
from django.db import connection

from benchmarks.report import emit, note, percentile
from benchmarks.scale import setting, sized
from koffer.blobs.store import get_store
from koffer.records import defaults, services
from koffer.records.auszug import pdf as extract_pdf
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

NAME = "records_ingest"
DATABASES = ("sqlite", "postgresql")
FILES = sized(100, 3)
TARGET_FILES_PER_SECOND = 20.0
ROUNDS = setting("KOFFER_BENCH_ROUNDS", 2, 1)

TEXT_TYP = """
#let d = json(bytes(sys.inputs.data))
#set page(paper: "a4", margin: 22mm)
#set text(font: ("Liberation Sans", "DejaVu Sans"), size: 10pt, lang: "de")
#for i in range(d.pages) {
  if i > 0 { pagebreak() }
  heading[Bescheid über Leistungen zur Sicherung des Lebensunterhalts – Seite #(i + 1)]
  lorem(420)
}
"""


def base_pdf() -> bytes:
    pages = 40
    while True:
        data = extract_pdf.typeset(TEXT_TYP, {"pages": pages}, pdfa=False)
        if len(data) >= 900_000 or pages > 2000:
            return data
        pages = int(pages * 1_000_000 / max(len(data), 1)) + 10


def _variants(base: bytes, count: int) -> list[bytes]:
    out = []
    for number in range(count):
        with pikepdf.open(io.BytesIO(base)) as pdf:
            pdf.docinfo["/Title"] = f"Bescheid Nr. {number:03d}"
            buffer = io.BytesIO()
            pdf.save(buffer)
        out.append(buffer.getvalue())
    return out


def _akte(round_number: int):  # type: ignore[no-untyped-def]
    tenant = tenancy.create_mandant(
        actor=None,
        slug=f"bench-ingest-{round_number}",
        name="Jobcenter Benchmark",
        kind=Mandant.Kind.JOBCENTER,
    )
    root = Organisationseinheit.objects.for_tenant(tenant).get(parent=None)
    defaults.install(actor=None, tenant=tenant)
    plan = services.create_aktenplaneinheit(
        actor=None,
        tenant=tenant,
        parent=None,
        kennzeichen="50.2.1",
        title="Leistungsakten",
        module="sgb2",
    )
    return services.create_akte(
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=root, title="Rückscan"
    )


def run() -> None:
    started = time.perf_counter()
    base = base_pdf()
    note(f"Vorlage: {len(base) / 1e6:.2f} MB in {time.perf_counter() - started:.1f} s")
    for round_number in range(ROUNDS):
        files = _variants(base, FILES)
        # Baseline: the blob store alone.
        store = get_store()
        began = time.perf_counter()
        for data in files:
            store.put(io.BytesIO(data))
        store_seconds = time.perf_counter() - began
        # Fresh bytes for the pipeline, so the store really writes again.
        files = _variants(base, FILES)
        files = [data + f"\n%{round_number}-{i}\n".encode() for i, data in enumerate(files)]
        akte = _akte(round_number)
        per_file: list[float] = []
        began = time.perf_counter()
        for number, data in enumerate(files):
            t0 = time.perf_counter()
            [result] = documents.ingest_files(
                actor=None,
                akte=akte,
                files=[naming.IncomingFile.from_bytes(f"bescheid-{number:03d}.pdf", data)],
            )
            per_file.append((time.perf_counter() - t0) * 1000)
            assert result.ok, result.message
        seconds = time.perf_counter() - began
        rate = FILES / seconds
        emit(
            NAME,
            db=connection.vendor,
            round=round_number + 1,
            files=FILES,
            mb_per_file=len(files[0]) / 1e6,
            seconds=seconds,
            files_per_s=rate,
            p50_ms=percentile(per_file, 50),
            p95_ms=percentile(per_file, 95),
            store_only_files_per_s=FILES / store_seconds,
            ratio_vs_store=rate / (FILES / store_seconds),
            target="files_per_s>=20",
            met=rate >= TARGET_FILES_PER_SECOND,
        )
