"""Ingest of 1 MB PDFs through the E-Akte's real pipeline with the S3 blob store against
the local store, in the same run (issue 20: „Ingest through the S3 backend ≥ 20 files/s
for 1 MB PDFs“).

Data: the typeset text PDF of ``records_ingest`` (about 1 MB, many pages of German text);
distinct files are made from it by changing its document information, so none is refused
as a duplicate. Measured: the bulk ingest of ``benchmarks._ingest`` —
``documents.ingest_files`` ten files a call, as an import or a multi-file upload hands
them over (name cleaning, size check, hashing, type from content, PDF inspection and text
in the bounded child, blob ledger, blob store, rows, search index, audit event; the next
file is inspected while this one is stored and written) — once into an Akte with the
local store (files under a fresh folder, fsync) and once with SeaweedFS's S3 gateway
(conditional, checksummed writes), each into a fresh Akte. Printed per store files/s,
p50 and p95 (a file's share of its batch's time), then the ratio S3/local and whether the
target holds. SeaweedFS runs on this machine (``tests/seaweed.py``): the figures hold the
protocol's and the gateway's cost, and their CPU competes with the pipeline's.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from django.conf import settings
from tests import seaweed

from benchmarks._ingest import base_pdf, fresh_akte, ingest, variants
from benchmarks.report import emit, note
from benchmarks.scale import sized, smoke
from koffer.blobs.store import get_store

NAME = "scale_ingest"
FILES = sized(100, 3)
TARGET_FILES_PER_SECOND = 20.0


def _ingest(label: str, files: list[bytes]) -> dict[str, float]:
    figures = ingest(fresh_akte(label), files)
    emit(
        NAME,
        store=label,
        files=figures.files,
        mb_per_file=len(files[0]) / 1e6,
        seconds=figures.seconds,
        files_per_s=figures.files_per_s,
        p50_ms=figures.p50_ms,
        p95_ms=figures.p95_ms,
        load1=round(os.getloadavg()[0], 2),
    )
    return {"files_per_s": figures.files_per_s, "p95_ms": figures.p95_ms}


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
        local = _ingest("local", variants(base, "local", FILES))
        server.apply(settings, "s3://bench/ingest")
        get_store().prepare()
        s3 = _ingest("s3", variants(base, "s3", FILES))
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
