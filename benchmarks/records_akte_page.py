"""The Akte page with 200 documents, as an ordinary caseworker, through the whole stack.

Data: one Akte with 200 documents (small text files through the document pipeline, so
versions, search index and audit rows are real), five Vorgänge with Fristen, a few
Wiedervorlagen; the caseworker holds "sachbearbeitung" in the Akte's team, never a
superuser. Measured in-process with Django's test client (every middleware, the
permission filter, the read audit event that each opening writes, template rendering):
wall-clock p50/p95/p99 over many requests, the SQL query count per request (pinned by
tests/records/test_akten.py as well), and the process's peak memory (RSS).
Baseline in the same run: the signed-in start page.

Targets: p95 ≤ 80 ms, a pinned number of queries; web process memory under 300 MB.
"""

from __future__ import annotations

import resource
import time
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone

from benchmarks.inprocess import leistungsakte, measure
from benchmarks.report import emit, note, percentile
from benchmarks.scale import setting, sized
from koffer.records import services
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import FristRegel, VorgangTyp

NAME = "records_akte_page"
DATABASES = ("sqlite", "postgresql")
DOCUMENTS = sized(200, 5)
REQUESTS = setting("KOFFER_BENCH_ITERATIONS", 300, 5)
TARGET_P95_MS = 80.0
TARGET_RSS_MB = 300.0


def akte_with_documents():  # type: ignore[no-untyped-def]
    fall = leistungsakte("bench-akte")
    tenant, caseworker, akte = fall.tenant, fall.caseworker, fall.akte
    typen = list(VorgangTyp.objects.for_tenant(tenant).filter(module="sgb2"))[:5]
    regel = FristRegel.objects.for_tenant(tenant).get(code="widerspruchsfrist")
    vorgaenge = []
    for typ in typen:
        vorgang = services.create_vorgang(actor=caseworker, akte=akte, typ=typ, title=typ.label)
        services.add_frist(
            actor=caseworker, vorgang=vorgang, base_date=timezone.localdate(), regel=regel
        )
        vorgaenge.append(vorgang)
    for days in (1, 5, 9):
        services.set_wiedervorlage(
            actor=caseworker,
            akte=akte,
            due_date=timezone.localdate() + timedelta(days=days),
            assignee=caseworker,
        )
    for number in range(DOCUMENTS):
        text = (
            f"Schreiben Nr. {number} zur Bedarfsgemeinschaft. Bewilligung, Bescheid, Nachweis {number * 7919}.\n"
            * 20
        )
        result = documents.ingest_file(
            actor=caseworker,
            akte=akte,
            vorgang=vorgaenge[number % len(vorgaenge)],
            file=naming.IncomingFile.from_bytes(f"schreiben-{number:03d}.txt", text.encode()),
            meta=documents.DocumentMeta(title=f"Schreiben {number:03d}", kind="Schreiben"),
        )
        assert result.ok, result.message
    return caseworker, akte


def run() -> None:
    started = time.perf_counter()
    caseworker, akte = akte_with_documents()
    note(f"Akte mit {DOCUMENTS} Dokumenten angelegt in {time.perf_counter() - started:.1f} s")
    client = Client()
    client.force_login(caseworker)
    url = f"/akten/{akte.pk}/"
    body = client.get(url).content.decode()
    assert body.count('href="/dokumente/') >= DOCUMENTS, "nicht alle Dokumente auf der Seite"
    baseline, baseline_queries = measure(client, "/", REQUESTS)
    page, page_queries = measure(client, url, REQUESTS)
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    p95 = percentile(page, 95)
    emit(
        NAME,
        db=connection.vendor,
        case="start_baseline",
        requests=REQUESTS,
        p50_ms=percentile(baseline, 50),
        p95_ms=percentile(baseline, 95),
        queries=baseline_queries,
    )
    emit(
        NAME,
        db=connection.vendor,
        case="akte_200_dokumente",
        requests=REQUESTS,
        p50_ms=percentile(page, 50),
        p95_ms=p95,
        p99_ms=percentile(page, 99),
        queries=page_queries,
        ratio_vs_start=percentile(page, 50) / percentile(baseline, 50),
        target="p95<=80ms",
        met=p95 <= TARGET_P95_MS,
    )
    emit(
        NAME,
        db=connection.vendor,
        case="memory",
        peak_rss_mb=rss_mb,
        target="rss<300MB",
        met=rss_mb < TARGET_RSS_MB,
    )
