"""The import as the job kind ``inbox.migration``: the rows of a checked Importlauf in
chunks of :data:`services.CHUNK`, each chunk one job step (one transaction with its keys
and counts), so a worker killed at any point continues with the first chunk not committed,
and the keys kept with every imported object make sure nothing is created twice."""

from __future__ import annotations

import uuid
from functools import partial

from koffer.accounts.roles import Perm
from koffer.inbox.migration import dateien, services
from koffer.inbox.migration.abgleich import Abgleich, in_chunks
from koffer.inbox.models import Importlauf
from koffer.jobs import registry
from koffer.jobs.runner import JobError, JobRun, Outcome

JOB_KIND = services.JOB_KIND


def step_reached(name: str) -> None:
    """Called after each step; the interruption tests raise here to stand for a process
    killed at that point."""


def run_import(*, lauf: Importlauf, run: JobRun) -> Importlauf:
    rows = dateien.all_rows(dateien.from_json(lauf.dateien))
    abgleich = Abgleich(
        tenant=lauf.tenant, rows=rows, default_unit=lauf.default_unit, lauf=lauf, dry=False
    )
    run.step("beginn", partial(services.begin, lauf=lauf))
    step_reached("beginn")
    for index, chunk in in_chunks(rows, services.CHUNK):
        key = f"zeilen-{index}"
        if not run.is_done(key):
            run.step(key, partial(services.apply_chunk, lauf=lauf, abgleich=abgleich, rows=chunk))
            step_reached(key)
        done = min(len(rows), (index + 1) * services.CHUNK)
        run.progress(done, len(rows), f"{done} von {len(rows)} Zeilen übernommen")
    run.step("abschluss", partial(services.finish, lauf=lauf))
    step_reached("abschluss")
    return Importlauf.objects.for_tenant(lauf.tenant_id).get(pk=lauf.pk)


def _import_job(run: JobRun) -> Outcome:
    lauf = services.lauf_of(
        run.tenant_id, uuid.UUID(str(run.params.get("importlauf", uuid.UUID(int=0))))
    )
    if lauf is None:
        raise JobError("Diesen Importlauf gibt es nicht mehr.")
    lauf = run_import(lauf=lauf, run=run)
    return Outcome(
        f"Migration aus dem Altsystem: {lauf.created} neu, {lauf.updated} geändert, "
        f"{lauf.unchanged} unverändert, {lauf.rejected} abgelehnt.",
        needs_attention=lauf.rejected > 0,
    )


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=JOB_KIND,
            label="Migration aus dem Altsystem",
            description="Übernimmt Personen, Bedarfsgemeinschaften und Akten aus dem "
            "CSV-Export des bisherigen Fachverfahrens, in Schritten zu "
            f"{services.CHUNK} Zeilen; abgelehnte Zeilen stehen mit Grund im Importlauf.",
            handler=_import_job,
            permission=Perm.TENANCY_MANAGE,
            offered=False,
        )
    )
