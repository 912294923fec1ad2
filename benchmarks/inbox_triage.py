"""Triage (die Zuordnung) with 5,000 documents waiting, as the mail room works it.

Data: one Jobcenter, one scan batch, ``WAITING`` documents waiting for a person in the
mail room's unit (rows written in bulk; each with a suggestion and a reason, pointing to
one small stored page). The mail room's person holds "poststelle" there, never a
superuser. Measured in-process with Django's test client (every middleware, the access
filter, the read audit event that opening a document writes, template rendering):

- the queue page (``/posteingang/zuordnung/``): p50/p95 and its SQL statements;
- the next document shown: "Nächstes Dokument" (a redirect to the oldest document nobody
  else has open) and that document's page, both requests together, p50/p95.

Baseline in the same run: the signed-in start page. Targets: queue page p95 < 150 ms,
next document p95 < 200 ms.
"""

from __future__ import annotations

import hashlib
import io
import time
from datetime import timedelta

from django.db import connection
from django.test import Client
from django.utils import timezone

from benchmarks.inprocess import queries
from benchmarks.report import emit, note, percentile
from benchmarks.scale import setting, sized
from koffer.accounts import services as accounts
from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.inbox.lieferung import services as delivery
from koffer.inbox.models import Eingangsdokument, Stapel
from koffer.records.dokumente import services as documents
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

NAME = "inbox_triage"
DATABASES = ("sqlite", "postgresql")
WAITING = sized(5000, 30)
REQUESTS = setting("KOFFER_BENCH_ITERATIONS", 200, 5)
TARGET_QUEUE_P95_MS = 150.0
TARGET_NEXT_P95_MS = 200.0


def _page() -> bytes:
    import pikepdf

    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def _world() -> tuple[User, Stapel]:
    tenant = tenancy.create_mandant(
        actor=None, slug="bench-zuordnung", name="Jobcenter Benchmark", kind=Mandant.Kind.JOBCENTER
    )
    root = Organisationseinheit.objects.for_tenant(tenant).get(parent=None)
    mail_room = accounts.create_user(
        actor=None,
        tenant=tenant,
        username="bench.poststelle",
        first_name="Paula",
        last_name="Post",
        email=None,
        password="Benchmark-Passwort-1",
        unit=root,
        role="poststelle",
        is_machine=False,
        must_change_password=False,
    )
    page = _page()
    note_bytes = (
        '{"version": 1, "stapel_id": "BENCH-1", "scan_datum": "2026-11-24", "operator": "B", '
        '"scanner": "S", "qualitaetspruefung": {"ergebnis": "bestanden"}, "dateien": '
        f'[{{"name": "0001.pdf", "seiten": 1, "sha256": "{hashlib.sha256(page).hexdigest()}"}}]}}'
    ).encode()
    stapel = delivery.deliver(
        actor=mail_room,
        access=Access.for_user(mail_room.pk, tenant.pk),
        tenant=tenant,
        manifest_bytes=note_bytes,
        files=[delivery.IncomingFile("0001.pdf", io.BytesIO(page))],
        start_check=False,
    ).stapel
    sha = hashlib.sha256(page).hexdigest()
    documents.settle_blobs(documents.store_blobs(tenant_id=tenant.pk, blobs=[(sha, page)]))
    datei = stapel.dateien.get()
    start = timezone.now() - timedelta(days=10)
    rows = [
        Eingangsdokument(
            tenant=tenant,
            stapel=stapel,
            datei=datei,
            teil=number,
            pages=[0],
            state=Eingangsdokument.State.ZU_PRUEFEN,
            original_sha256=sha,
            text=f"Schreiben {number}: bitte um Rückruf wegen der Unterlagen.",
            kind="sonstiges",
            vorschlaege=[],
            reason="Keine passende Akte erkannt.",
            unit=root,
            created_at=start + timedelta(seconds=number * 90),
            updated_at=start,
        )
        for number in range(WAITING)
    ]
    Eingangsdokument.objects.bulk_create(rows, batch_size=1000)
    return mail_room, stapel


def _timed(client: Client, url: str, *, follow: bool = False) -> float:
    began = time.perf_counter()
    response = client.get(url, follow=follow)
    elapsed = (time.perf_counter() - began) * 1000
    assert response.status_code == 200, (url, response.status_code)
    return elapsed


def run() -> None:
    started = time.perf_counter()
    mail_room, _ = _world()
    note(f"{WAITING} wartende Dokumente angelegt in {time.perf_counter() - started:.1f} s")
    client = Client()
    client.force_login(mail_room)
    queue = "/posteingang/zuordnung/"
    body = client.get(queue).content.decode()
    assert f"Warten auf Zuordnung ({WAITING})" in body, "nicht alle wartenden Dokumente gezählt"
    for url in ("/", queue):
        for _ in range(10):
            _timed(client, url)
    baseline = [_timed(client, "/") for _ in range(REQUESTS)]
    queue_ms = [_timed(client, queue) for _ in range(REQUESTS)]
    # Each "next" opens a document and claims it, so the following one is the next in line.
    next_ms = [
        _timed(client, "/posteingang/zuordnung/naechstes/", follow=True) for _ in range(REQUESTS)
    ]
    emit(
        NAME,
        db=connection.vendor,
        case="start_baseline",
        requests=REQUESTS,
        p50_ms=percentile(baseline, 50),
        p95_ms=percentile(baseline, 95),
    )
    queue_p95 = percentile(queue_ms, 95)
    emit(
        NAME,
        db=connection.vendor,
        case="queue_page",
        waiting=WAITING,
        requests=REQUESTS,
        p50_ms=percentile(queue_ms, 50),
        p95_ms=queue_p95,
        queries=queries(client, queue),
        ratio_vs_start=percentile(queue_ms, 50) / percentile(baseline, 50),
        target="p95<150ms",
        met=queue_p95 < TARGET_QUEUE_P95_MS,
    )
    next_p95 = percentile(next_ms, 95)
    emit(
        NAME,
        db=connection.vendor,
        case="next_document",
        waiting=WAITING,
        requests=REQUESTS,
        p50_ms=percentile(next_ms, 50),
        p95_ms=next_p95,
        ratio_vs_start=percentile(next_ms, 50) / percentile(baseline, 50),
        target="p95<200ms",
        met=next_p95 < TARGET_NEXT_P95_MS,
    )
