"""What one audit event adds to a service write.

The write is what ``koffer.tenancy.services.create_unit`` does: one INSERT of an
Organisationseinheit and its ``audit.record`` event in one transaction. The baseline is
the same INSERT in the same transaction without the event, measured alternately in the
same run so drift and noise hit both alike. Target: under 1 ms added (p95).
"""

from __future__ import annotations

import gc
import time

from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from uuid6 import uuid7

from benchmarks.report import emit, note, percentile
from koffer.audit import services as audit
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

NAME = "core_audit_write"
DATABASES = ("sqlite", "postgresql")
WARMUP = 200
ITERATIONS = 3000
TARGET_MS = 1.0


def _create(tenant: Mandant, parent: Organisationseinheit, name: str) -> Organisationseinheit:
    unit_id = uuid7()
    return Organisationseinheit.objects.create(
        id=unit_id,
        tenant=tenant,
        parent=parent,
        name=name,
        kind=Organisationseinheit.Kind.TEAM,
        path=f"{parent.path}{unit_id}/",
    )


def _plain_write(tenant: Mandant, parent: Organisationseinheit, name: str) -> None:
    with transaction.atomic():
        _create(tenant, parent, name)


def _audited_write(tenant: Mandant, parent: Organisationseinheit, name: str) -> None:
    with transaction.atomic():
        unit = _create(tenant, parent, name)
        audit.record(
            actor=None,
            tenant_id=tenant.pk,
            action="tenancy.unit.create",
            obj=unit,
            changes={"name": name, "kind": unit.kind, "parent": str(parent.pk)},
        )


def run() -> None:
    tenant = tenancy.create_mandant(
        actor=None, slug="benchmark", name="Landkreis Benchmark", kind=Mandant.Kind.KREIS
    )
    root = Organisationseinheit.objects.for_tenant(tenant).get(parent=None)
    with CaptureQueriesContext(connection) as plain_queries:
        _plain_write(tenant, root, "Zählung ohne")
    with CaptureQueriesContext(connection) as audited_queries:
        _audited_write(tenant, root, "Zählung mit")
    for statement in audited_queries.captured_queries:
        note(statement["sql"][:160])

    plain: list[float] = []
    audited: list[float] = []
    gc.collect()
    for i in range(WARMUP + ITERATIONS):
        # Alternate the order too, so neither variant always runs on a warmer cache.
        order = ((plain, _plain_write), (audited, _audited_write))
        for samples, write in order if i % 2 == 0 else reversed(order):
            started = time.perf_counter_ns()
            write(tenant, root, f"Team {i} {'m' if write is _audited_write else 'o'}")
            elapsed_ms = (time.perf_counter_ns() - started) / 1e6
            if i >= WARMUP:
                samples.append(elapsed_ms)

    added_p50 = percentile(audited, 50) - percentile(plain, 50)
    added_p95 = percentile(audited, 95) - percentile(plain, 95)
    emit(
        NAME,
        db=connection.vendor,
        case="baseline",
        n=len(plain),
        p50_ms=percentile(plain, 50),
        p95_ms=percentile(plain, 95),
        p99_ms=percentile(plain, 99),
        queries=len(plain_queries),
    )
    emit(
        NAME,
        db=connection.vendor,
        case="with_audit",
        n=len(audited),
        p50_ms=percentile(audited, 50),
        p95_ms=percentile(audited, 95),
        p99_ms=percentile(audited, 99),
        queries=len(audited_queries),
        ratio_p50=percentile(audited, 50) / percentile(plain, 50),
    )
    emit(
        NAME,
        db=connection.vendor,
        case="added",
        added_p50_ms=added_p50,
        added_p95_ms=added_p95,
        target=f"p95<{TARGET_MS}ms",
        met=added_p95 < TARGET_MS,
    )
