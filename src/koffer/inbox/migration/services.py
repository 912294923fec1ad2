"""Every write of the migration from the previous specialist software: the dry run kept as
an Importlauf with its report, the import started as a job, each chunk of rows written in
its job step, the run closed. Each audited."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.inbox import access as inbox_access
from koffer.inbox.errors import Conflict, Forbidden, InboxError
from koffer.inbox.migration import dateien
from koffer.inbox.migration.abgleich import Abgleich, Ablehnung, Zaehlung, in_chunks
from koffer.inbox.models import Importablehnung, Importlauf
from koffer.jobs import services as jobs
from koffer.tenancy.models import Mandant, Organisationseinheit

JOB_KIND = "inbox.migration"
CHUNK = 200  # rows per job step: one transaction each (on SQLite it holds the write lock)


@dataclass(frozen=True)
class Upload:
    name: str
    data: bytes


def _check_access(access: Access | None, tenant: Mandant) -> None:
    if access is not None and not inbox_access.migrates(access, tenant):
        raise Forbidden("forbidden", "Sie dürfen keine Daten aus dem Altsystem übernehmen.")


def dry_run(
    *,
    tenant: Mandant,
    files: list[dateien.Datei],
    default_unit: Organisationseinheit | None,
) -> tuple[Zaehlung, list[Ablehnung], int]:
    """Compare every row with koffer without writing: counts and rejected rows."""
    rows = dateien.all_rows(files)
    abgleich = Abgleich(tenant=tenant, rows=rows, default_unit=default_unit, lauf=None, dry=True)
    total = Zaehlung()
    refused: list[Ablehnung] = []
    for _, chunk in in_chunks(rows, CHUNK):
        counts, found = abgleich.chunk(chunk)
        for art, counter in counts.je_art.items():
            total.je_art[art].update(counter)
        refused.extend(found)
    return total, refused, len(rows)


def check_import(
    *,
    actor: Actor,
    access: Access | None,
    tenant: Mandant,
    uploads: list[Upload],
    default_unit: Organisationseinheit | None = None,
) -> Importlauf:
    """Read the uploaded export files and make the dry run; kept as an Importlauf that
    the import can then be started from. Raises :class:`dateien.FormatError` for a file
    that is not one of the three export files."""
    _check_access(access, tenant)
    if default_unit is not None and default_unit.tenant_id != tenant.pk:
        raise InboxError("foreign_reference", "Die Einheit gehört zu einem anderen Mandanten.")
    files = dateien.ordered([dateien.read(u.name, u.data) for u in uploads])
    counts, refused, total = dry_run(tenant=tenant, files=files, default_unit=default_unit)
    with transaction.atomic():
        lauf = Importlauf.objects.create(
            tenant=tenant,
            created_by=actor if getattr(actor, "pk", None) else None,
            dateien=[f.as_json() for f in files],
            sha256=dateien.fingerprint(files),
            default_unit=default_unit,
            probelauf=counts.as_json(),
            rows_total=total,
        )
        _store_rejections(lauf, refused, probelauf=True)
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="inbox.import.check",
            obj=lauf,
            changes={
                "dateien": [{"name": f.name, "art": f.art, "sha256": f.sha256} for f in files],
                "default_unit": str(default_unit.pk) if default_unit else None,
                **{k: v for k, v in counts.as_json().items() if k != "je_art"},
            },
        )
    return lauf


def start_import(*, actor: Actor, access: Access | None, lauf: Importlauf) -> Importlauf:
    """Start the import of a checked run as a background job (once)."""
    _check_access(access, lauf.tenant)
    with transaction.atomic():
        taken = (
            Importlauf.objects.for_tenant(lauf.tenant_id)
            .filter(pk=lauf.pk, state=Importlauf.State.GEPRUEFT)
            .update(state=Importlauf.State.WARTET)
        )
        if not taken:
            raise Conflict("import_started", "Dieser Import wurde schon gestartet.")
        job = jobs.start_job(
            actor=actor,
            tenant=lauf.tenant,
            kind=JOB_KIND,
            title="Migration aus dem Altsystem",
            params={"importlauf": str(lauf.pk)},
        )
        Importlauf.objects.for_tenant(lauf.tenant_id).filter(pk=lauf.pk).update(job_id=job.pk)
        audit.record(
            actor=actor,
            tenant_id=lauf.tenant_id,
            action="inbox.import.start",
            obj=lauf,
            changes={"job": str(job.pk), "rows_total": lauf.rows_total},
        )
    lauf.refresh_from_db()
    return lauf


def begin(*, lauf: Importlauf) -> None:
    Importlauf.objects.for_tenant(lauf.tenant_id).filter(
        pk=lauf.pk, state__in=[Importlauf.State.WARTET, Importlauf.State.GEPRUEFT]
    ).update(state=Importlauf.State.LAEUFT)


def apply_chunk(
    *, lauf: Importlauf, abgleich: Abgleich, rows: list[dateien.Zeile]
) -> dict[str, Any]:
    """Write one chunk of rows and count it on the run; called inside the job step's
    transaction, so the rows, their keys and the counts commit together or not at all."""
    counts, refused = abgleich.chunk(rows)
    Importlauf.objects.for_tenant(lauf.tenant_id).filter(pk=lauf.pk).update(
        rows_done=F("rows_done") + len(rows),
        created=F("created") + counts.total("neu"),
        updated=F("updated") + counts.total("geaendert"),
        unchanged=F("unchanged") + counts.total("unveraendert"),
        rejected=F("rejected") + counts.total("abgelehnt"),
    )
    _store_rejections(lauf, refused, probelauf=False)
    return counts.as_json()


def finish(*, lauf: Importlauf) -> None:
    current = Importlauf.objects.for_tenant(lauf.tenant_id).get(pk=lauf.pk)
    if current.state == Importlauf.State.FERTIG:
        return
    current.state = Importlauf.State.FERTIG
    current.finished_at = timezone.now()
    current.save(update_fields=["state", "finished_at"])
    audit.record(
        actor=None,
        tenant_id=lauf.tenant_id,
        action="inbox.import.finish",
        obj=current,
        changes={
            "created": current.created,
            "updated": current.updated,
            "unchanged": current.unchanged,
            "rejected": current.rejected,
        },
    )


def record_rejections_read(
    *, actor: Actor, lauf: Importlauf, probelauf: bool, purpose: str
) -> None:
    """Rejected rows quote the export's values (names, birth dates): reading them is
    logged."""
    audit.record(
        actor=actor,
        tenant_id=lauf.tenant_id,
        action="inbox.import.read",
        obj=lauf,
        changes={"probelauf": probelauf, "purpose": purpose},
    )


def lauf_of(tenant_id: uuid.UUID, lauf_id: uuid.UUID) -> Importlauf | None:
    return (
        Importlauf.objects.for_tenant(tenant_id)
        .select_related("tenant", "default_unit", "created_by")
        .filter(pk=lauf_id)
        .first()
    )


def _store_rejections(lauf: Importlauf, refused: list[Ablehnung], *, probelauf: bool) -> None:
    Importablehnung.objects.bulk_create(
        [
            Importablehnung(
                tenant_id=lauf.tenant_id,
                lauf=lauf,
                probelauf=probelauf,
                datei=a.datei[:200],
                zeile=a.zeile,
                spalte=a.spalte[:60],
                wert=a.wert[:300],
                grund=a.grund[:500],
            )
            for a in refused
        ],
        batch_size=500,
    )
