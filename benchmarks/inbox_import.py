"""Migration from the previous specialist software: ``ROWS`` rows of a CSV export (per
household two persons, a Bedarfsgemeinschaft of two members and one Akte: five rows)
through the dry run, the import (job ``inbox.migration``, steps of 200 rows, every object
created through the E-Akte's audited services) and the same export again (everything
unchanged, nothing created).

Figures: rows per second of each phase; the import's per-row cost against the dry run's
(the ratio is the price of the writes and their audit events), and its SQL statements per
row, which do not depend on how busy the machine is.
"""

from __future__ import annotations

import time
from typing import Any

from django.db import connection

from benchmarks.data import leistungsakten_plan
from benchmarks.inbox_altsystem import export
from benchmarks.report import emit, note
from benchmarks.scale import sized
from koffer.inbox.migration import services
from koffer.inbox.models import Importlauf
from koffer.jobs import runner
from koffer.records import defaults
from koffer.records.models import Akte
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

NAME = "inbox_import"
DATABASES = ("sqlite", "postgresql")
ROWS = sized(5000, 50)


def _import(
    tenant: Mandant, uploads: list[services.Upload]
) -> tuple[Importlauf, float, float, int]:
    began = time.perf_counter()
    lauf = services.check_import(actor=None, access=None, tenant=tenant, uploads=uploads)  # type: ignore[arg-type]
    checked = time.perf_counter() - began
    lauf = services.start_import(actor=None, access=None, lauf=lauf)  # type: ignore[arg-type]
    assert lauf.job_id is not None
    statements = 0

    def counted(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        nonlocal statements  # Django's query log keeps only the last 9,000
        statements += 1
        return execute(sql, params, many, context)

    began = time.perf_counter()
    with connection.execute_wrapper(counted):
        assert runner.execute(lauf.job_id) == "done"
    imported = time.perf_counter() - began
    lauf.refresh_from_db()
    return lauf, checked, imported, statements


def run() -> None:
    tenant = tenancy.create_mandant(
        actor=None, slug="bench-migration", name="Jobcenter Migration", kind=Mandant.Kind.JOBCENTER
    )
    defaults.install(actor=None, tenant=tenant)
    leistungsakten_plan(tenant)
    root = Organisationseinheit.objects.for_tenant(tenant).get(parent=None)
    files = export(ROWS // 5, plan="50.2.1", unit=root.name)
    uploads = [services.Upload(n, d) for n, d in files.items()]
    rows = sum(d.count(b"\n") - 1 for d in files.values())

    first, dry_s, import_s, statements = _import(tenant, uploads)
    assert first.rejected == 0 and first.rows_done == rows, (first.rejected, first.rows_done)
    assert Akte.objects.for_tenant(tenant).count() == ROWS // 5
    note(f"{rows} Zeilen: Probelauf {dry_s:.1f} s, Import {import_s:.1f} s")
    again, dry_again_s, import_again_s, _ = _import(tenant, uploads)
    assert again.created == 0 and again.unchanged == rows, (again.created, again.unchanged)
    emit(
        NAME,
        db=connection.vendor,
        case="dry_run",
        rows=rows,
        seconds=dry_s,
        rows_per_s=rows / dry_s,
    )
    emit(
        NAME,
        db=connection.vendor,
        case="import",
        rows=rows,
        seconds=import_s,
        rows_per_s=rows / import_s,
        ratio_vs_dry_run=import_s / dry_s,
        sql_per_row=statements / rows,
    )
    emit(
        NAME,
        db=connection.vendor,
        case="rerun_unchanged",
        rows=rows,
        seconds=dry_again_s + import_again_s,
        rows_per_s=rows / (dry_again_s + import_again_s),
    )
