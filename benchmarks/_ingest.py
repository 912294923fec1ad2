"""What the ingest benchmarks share (``records_ingest``, ``scale_ingest``): the typeset
text PDF of about 1 MB, distinct files made from it, a fresh Akte to file them into, and
the timed bulk ingest through ``documents.ingest_files`` in batches, as an import or a
multi-file upload hands them over."""

from __future__ import annotations

import io
import time
from dataclasses import dataclass

import pikepdf

from benchmarks.report import percentile
from koffer.records import defaults, services
from koffer.records.auszug import pdf as extract_pdf
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

# Files per ``ingest_files`` call: a multi-file upload's or an import's batch.
BATCH = 10

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
    """A typeset PDF of German text of at least 0.9 MB (many pages)."""
    pages = 40
    while True:
        data = extract_pdf.typeset(TEXT_TYP, {"pages": pages}, pdfa=False)
        if len(data) >= 900_000 or pages > 2000:
            return data
        pages = int(pages * 1_000_000 / max(len(data), 1)) + 10


def variants(base: bytes, label: str, count: int) -> list[bytes]:
    """``count`` distinct PDFs of the same size as ``base`` (their title differs, so each
    has its own SHA-256 and none is refused as a duplicate)."""
    out = []
    for number in range(count):
        with pikepdf.open(io.BytesIO(base)) as pdf:
            pdf.docinfo["/Title"] = f"Bescheid {label} Nr. {number:03d}"
            buffer = io.BytesIO()
            pdf.save(buffer)
        out.append(buffer.getvalue())
    return out


def fresh_akte(label: str) -> Akte:
    """An open Akte in a Mandant of its own (with the default Aktenplan and settings)."""
    tenant = tenancy.create_mandant(
        actor=None,
        slug=f"bench-ingest-{label}-{time.time_ns()}",
        name=f"Jobcenter Benchmark ({label})",
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
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=root, title="Eingang"
    )


@dataclass(frozen=True)
class Figures:
    files: int
    seconds: float
    files_per_s: float
    p50_ms: float  # a file's share of its batch's time
    p95_ms: float


def ingest(akte: Akte, files: list[bytes], batch: int = BATCH) -> Figures:
    """File ``files`` into ``akte`` through ``documents.ingest_files``, ``batch`` at a time
    (name cleaning, size check, hashing, type from content, PDF inspection and text in the
    bounded child, blob ledger, blob store, rows, search index, audit event); every file
    must be stored."""
    per_file: list[float] = []
    began = time.perf_counter()
    for start in range(0, len(files), batch):
        chunk = files[start : start + batch]
        t0 = time.perf_counter()
        results = documents.ingest_files(
            actor=None,
            akte=akte,
            files=[
                naming.IncomingFile.from_bytes(f"bescheid-{start + i:03d}.pdf", data)
                for i, data in enumerate(chunk)
            ],
        )
        per_file.append((time.perf_counter() - t0) / len(chunk))
        for result in results:
            assert result.ok, result.message
    seconds = time.perf_counter() - began
    return Figures(
        files=len(files),
        seconds=seconds,
        files_per_s=len(files) / seconds,
        p50_ms=percentile(per_file, 50) * 1000,
        p95_ms=percentile(per_file, 95) * 1000,
    )
