"""The check of a delivered batch as the job kind ``inbox.pruefung``: begin, one step per
file, finish. Each step is a job step (recorded with its write), and each write also
checks the state it starts from, so a worker killed at any point resumes where it stopped:
no file is checked into two states, none is left out."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import partial

from koffer.accounts.roles import Perm
from koffer.audit.services import Actor
from koffer.inbox.lieferung import pruefung, services
from koffer.inbox.models import Stapel, Stapeldatei
from koffer.jobs import registry
from koffer.jobs.runner import JobError, JobRun, Outcome

JOB_KIND = services.JOB_KIND


def check_stapel(*, actor: Actor | None, stapel: Stapel, run: JobRun | None = None) -> Stapel:
    """Check every file of the batch and close the check (see ``pruefung``). With ``run``
    (the job) each part is a job step and progress is reported."""

    def step(key: str, work: Callable[[], object]) -> None:
        def write() -> None:
            work()  # the step's JSON result stays empty: its write is in the tables

        if run is not None:
            run.step(key, write)
        else:
            write()
        services.step_reached(key)

    step("beginn", partial(services.begin_check, stapel=stapel))
    dateien = list(
        Stapeldatei.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel)
        .select_related("stapel")
        .order_by("position")
    )
    for done, datei in enumerate(dateien):
        key = f"datei-{datei.pk}"
        if run is not None and run.is_done(key):
            continue
        # The file is opened outside the step's transaction: on SQLite that holds the
        # write lock, and an inspection may take seconds.
        finding = pruefung.check(datei)
        step(key, partial(services.record_file_check, datei=datei, finding=finding))
        if run is not None:
            run.progress(done + 1, len(dateien), f"{done + 1} von {len(dateien)} Dateien geprüft")
    step("abschluss", partial(services.finish_check, actor=actor, stapel=stapel))
    return Stapel.objects.for_tenant(stapel.tenant_id).get(pk=stapel.pk)


def _check_job(run: JobRun) -> Outcome:
    stapel = (
        Stapel.objects.for_tenant(run.tenant_id)
        .filter(pk=uuid.UUID(str(run.params.get("stapel", uuid.UUID(int=0)))))
        .first()
    )
    if stapel is None:
        raise JobError("Diesen Scan-Stapel gibt es nicht mehr.")
    stapel = check_stapel(actor=None, stapel=stapel, run=run)
    return Outcome(
        f"Scan-Stapel {stapel.batch_id}: {stapel.get_state_display()}.",
        needs_attention=stapel.has_problems,
    )


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=JOB_KIND,
            label="Prüfung eines Scan-Stapels",
            description="Prüft die Dateien eines eingelieferten Scan-Stapels gegen den "
            "Lieferschein: Prüfsummen, fehlende und zusätzliche Dateien, Seitenzahlen, "
            "beschädigte und verschlüsselte Dateien.",
            handler=_check_job,
            permission=Perm.INBOX_PROCESS,
            offered=False,
        )
    )
