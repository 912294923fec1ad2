"""The blob store on S3-compatible storage (SeaweedFS) against the local store, in the same
run: put and get of 1,000 documents of 200 KB and of 20 of 20 MB (multipart from 16 MB),
sequentially through koffer's store interface — a get reads the stream to its end, so
S3's figure includes the SHA-256 check on read, a put the hash and the conditional,
checksummed write. Printed per store: throughput (documents/s, MB/s) and p95 latency;
then the ratio S3/local.

SeaweedFS runs on this machine (the engines' start script, ``tests/seaweed.py``), so the
figures show the protocol's and the gateway's cost, not a network's. Without the ``weed``
binary the benchmark prints one line saying it was skipped and why.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from pathlib import Path

from tests import seaweed

from benchmarks.report import emit, note, percentile
from benchmarks.scale import sized, smoke
from koffer.blobs.local import LocalBlobStore
from koffer.blobs.s3 import S3BlobStore, S3Settings
from koffer.blobs.store import BlobStore

NAME = "scale_blobs"
SMALL = (sized(1000, 20), 200 * 1024)
LARGE = (sized(20, 2), sized(20, 2) * 1024 * 1024)
MB = 1024 * 1024


def _measure(store: BlobStore, label: str, count: int, size: int) -> dict[str, float]:
    payloads = [os.urandom(size) for _ in range(min(count, 8))]
    names: list[str] = []
    put_times: list[float] = []
    started = time.perf_counter()
    for i in range(count):
        # distinct contents without generating count × size random bytes
        data = payloads[i % len(payloads)][:-8] + i.to_bytes(8, "big")
        t = time.perf_counter()
        names.append(store.put(data).sha256)
        put_times.append(time.perf_counter() - t)
    put_total = time.perf_counter() - started
    get_times: list[float] = []
    started = time.perf_counter()
    for name in names:
        t = time.perf_counter()
        with store.open(name) as stream:
            while stream.read(MB):
                pass
        get_times.append(time.perf_counter() - t)
    get_total = time.perf_counter() - started
    figures = {
        "put_per_s": count / put_total,
        "put_mb_s": count * size / MB / put_total,
        "put_p95_ms": percentile(put_times, 95) * 1000,
        "get_per_s": count / get_total,
        "get_mb_s": count * size / MB / get_total,
        "get_p95_ms": percentile(get_times, 95) * 1000,
    }
    emit(NAME, store=label, documents=count, kb=size // 1024, **figures)
    return figures


def run() -> None:
    reason = seaweed.why_not()
    if reason:
        emit(NAME, skipped=True, reason=reason)
        return
    work = Path(tempfile.mkdtemp(prefix="scale-blobs-"))
    server, env = seaweed.start(work / "seaweed")
    try:
        seaweed.make_bucket(server, "bench")
        s3 = S3BlobStore(
            S3Settings(
                bucket="bench",
                prefix="blobs",
                endpoint=server.endpoint,
                region=server.region,
                access_key=server.access_key,
                secret_key=server.secret_key,
            )
        )
        local = LocalBlobStore(work / "local")
        local.prepare()
        for count, size in (SMALL, LARGE):
            note(f"{count} × {size // 1024} KB …")
            mine = _measure(local, "local", count, size)
            theirs = _measure(s3, "s3", count, size)
            emit(
                NAME,
                ratio="s3/local",
                documents=count,
                kb=size // 1024,
                put_throughput=theirs["put_mb_s"] / mine["put_mb_s"],
                get_throughput=theirs["get_mb_s"] / mine["get_mb_s"],
                put_p95=theirs["put_p95_ms"] / mine["put_p95_ms"],
                get_p95=theirs["get_p95_ms"] / mine["get_p95_ms"],
                smoke=smoke(),
            )
    finally:
        seaweed.stop(env)
        shutil.rmtree(work, ignore_errors=True)
