"""Ingest of 100 text PDFs of about 1 MB each through the document pipeline.

Data: one typeset PDF of about 1 MB (many pages of German text, made once with typst);
100 distinct files are made from it by changing its document information, so each has its
own SHA-256 and none is refused as a duplicate. Measured: ``documents.ingest_files`` for
all 100 in this process, ten files a call as a multi-file upload or an import hands them
over (name cleaning, size check, hashing, type from content, PDF inspection and text
extraction, blob store, rows, search index, audit event; see ``benchmarks._ingest``);
p50/p95 are a file's share of its batch's time. Baseline in the same run: only putting
the same 100 files into the blob store (hashing, fsync, rename), the part no pipeline can
avoid.

Target: at least 20 files per second.
"""

from __future__ import annotations

import io
import time

from django.db import connection

from benchmarks._ingest import base_pdf, fresh_akte, ingest, variants
from benchmarks.report import emit, note
from benchmarks.scale import setting, sized
from koffer.blobs.store import get_store

NAME = "records_ingest"
DATABASES = ("sqlite", "postgresql")
FILES = sized(100, 3)
TARGET_FILES_PER_SECOND = 20.0
ROUNDS = setting("KOFFER_BENCH_ROUNDS", 2, 1)


def run() -> None:
    started = time.perf_counter()
    base = base_pdf()
    note(f"Vorlage: {len(base) / 1e6:.2f} MB in {time.perf_counter() - started:.1f} s")
    for round_number in range(ROUNDS):
        # Baseline: the blob store alone.
        store = get_store()
        stored = variants(base, f"Ablage {round_number}", FILES)
        began = time.perf_counter()
        for data in stored:
            store.put(io.BytesIO(data))
        store_seconds = time.perf_counter() - began
        # Fresh bytes for the pipeline, so the store really writes again.
        files = variants(base, f"Runde {round_number}", FILES)
        figures = ingest(fresh_akte(f"round-{round_number}"), files)
        store_rate = FILES / store_seconds
        emit(
            NAME,
            db=connection.vendor,
            round=round_number + 1,
            files=FILES,
            mb_per_file=len(files[0]) / 1e6,
            seconds=figures.seconds,
            files_per_s=figures.files_per_s,
            p50_ms=figures.p50_ms,
            p95_ms=figures.p95_ms,
            store_only_files_per_s=store_rate,
            ratio_vs_store=figures.files_per_s / store_rate,
            target="files_per_s>=20",
            met=figures.files_per_s >= TARGET_FILES_PER_SECOND,
        )
