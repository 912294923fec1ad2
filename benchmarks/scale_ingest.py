"""Ingest of 1 MB PDFs through the E-Akte's real pipeline with the S3 blob store against
the local store, in the same run (issue 20: „Ingest through the S3 backend ≥ 20 files/s
for 1 MB PDFs“).

Data: the typeset text PDF of ``records_ingest`` (about 1 MB, many pages of German text);
distinct files are made from it by changing its document information, so none is refused
as a duplicate. Measured: ``documents.ingest_files`` one file at a time, as an upload
calls it (name cleaning, size check, hashing, type from content, PDF inspection and text
in the bounded child, blob ledger, blob store, rows, search index, audit event) — once
into an Akte with the local store (files under a fresh folder, fsync) and once with
SeaweedFS's S3 gateway (conditional, checksummed writes), each into a fresh Akte.
Printed per store files/s, p50 and p95, then the ratio S3/local and whether the target
holds. SeaweedFS runs on this machine (``tests/seaweed.py``): the figures hold the
protocol's and the gateway's cost, and their CPU competes with the pipeline's.
"""

from __future__ import annotations

import io
import shutil
import tempfile
import time
from pathlib import Path

import pikepdf
from django.conf import settings
from tests import seaweed

from benchmarks.records_ingest import base_pdf
from benchmarks.report import emit, note, percentile
from benchmarks.scale import sized, smoke
from koffer.blobs.store import get_store
from koffer.records import defaults, services
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

NAME = "scale_ingest"
FILES = sized(100, 3)
TARGET_FILES_PER_SECOND = 20.0


def _files(base: bytes, label: str, count: int) -> list[bytes]:
    """``count`` distinct PDFs of the same size (their title differs)."""
    out = []
    for number in range(count):
        with pikepdf.open(io.BytesIO(base)) as pdf:
            pdf.docinfo["/Title"] = f"Bescheid {label} Nr. {number:03d}"
            buffer = io.BytesIO()
            pdf.save(buffer)
        out.append(buffer.getvalue())
    return out


def _akte(label: str) -> Akte:
    tenant = tenancy.create_mandant(
        actor=None,
        slug=f"bench-scale-ingest-{label}-{time.time_ns()}",
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


def _ingest(label: str, files: list[bytes]) -> dict[str, float]:
    akte = _akte(label)
    per_file: list[float] = []
    began = time.perf_counter()
    for number, data in enumerate(files):
        t0 = time.perf_counter()
        [result] = documents.ingest_files(
            actor=None,
            akte=akte,
            files=[naming.IncomingFile.from_bytes(f"bescheid-{number:03d}.pdf", data)],
        )
        per_file.append(time.perf_counter() - t0)
        assert result.ok, result.message
    seconds = time.perf_counter() - began
    figures = {
        "files_per_s": len(files) / seconds,
        "p50_ms": percentile(per_file, 50) * 1000,
        "p95_ms": percentile(per_file, 95) * 1000,
    }
    emit(
        NAME,
        store=label,
        files=len(files),
        mb_per_file=len(files[0]) / 1e6,
        seconds=seconds,
        **figures,
    )
    return figures


def run() -> None:
    reason = seaweed.why_not()
    if reason:
        emit(NAME, skipped=True, reason=reason)
        return
    base = base_pdf()
    note(f"Vorlage: {len(base) / 1e6:.2f} MB")
    work = Path(tempfile.mkdtemp(prefix="scale-ingest-"))
    server, env = seaweed.start(work / "seaweed")
    kept = {
        name: getattr(settings, name)
        for name in (
            "KOFFER_BLOB_DIR",
            "KOFFER_BLOB_URL",
            "KOFFER_BLOB_S3_ENDPOINT",
            "KOFFER_BLOB_S3_ACCESS_KEY",
            "KOFFER_BLOB_S3_SECRET_KEY",
            "KOFFER_BLOB_S3_REGION",
        )
    }
    try:
        seaweed.make_bucket(server, "bench")
        settings.KOFFER_BLOB_DIR = work / "local"
        settings.KOFFER_BLOB_URL = ""
        get_store().prepare()
        local = _ingest("local", _files(base, "local", FILES))
        server.apply(settings, "s3://bench/ingest")
        get_store().prepare()
        s3 = _ingest("s3", _files(base, "s3", FILES))
        emit(
            NAME,
            ratio="s3/local",
            files_per_s=s3["files_per_s"] / local["files_per_s"],
            p95=s3["p95_ms"] / local["p95_ms"],
            target="s3 files_per_s>=20",
            met=s3["files_per_s"] >= TARGET_FILES_PER_SECOND,
            smoke=smoke(),
        )
    finally:
        for name, value in kept.items():
            setattr(settings, name, value)
        seaweed.stop(env)
        shutil.rmtree(work, ignore_errors=True)
