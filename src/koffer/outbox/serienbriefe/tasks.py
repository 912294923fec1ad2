"""The serial letter as the job kind ``outbox.serienbrief``: its Akten in chunks of
:data:`services.CHUNK`, each chunk one job step, so a worker killed at any point goes on
with the first chunk not committed, and no Akte gets its letter twice."""

from __future__ import annotations

import uuid
from functools import partial

from koffer.accounts.roles import Perm
from koffer.jobs import registry
from koffer.jobs.runner import JobError, JobRun, Outcome
from koffer.outbox.models import Serienbrief
from koffer.outbox.serienbriefe import services

JOB_KIND = services.JOB_KIND


def step_reached(name: str) -> None:
    """Called after each step; the interruption tests raise here to stand for a process
    killed at that point."""


def run_series(*, serie: Serienbrief, run: JobRun) -> Serienbrief:
    ids = [str(x) for x in serie.akten]
    total = len(ids)
    for start in range(0, total, services.CHUNK):
        key = f"akten-{start // services.CHUNK}"
        chunk = ids[start : start + services.CHUNK]
        if not run.is_done(key):
            run.step(key, partial(services.make_chunk, serie=serie, akte_ids=chunk))
            step_reached(key)
        done = min(total, start + services.CHUNK)
        run.progress(done, total, f"{done} von {total} Briefen erstellt")
    run.step("abschluss", partial(_finish, serie=serie))
    found = services.serie_of(serie.tenant_id, serie.pk)
    assert found is not None
    return found


def _finish(*, serie: Serienbrief) -> str:
    services.finish(serie=serie)
    return "fertig"


def _job(run: JobRun) -> Outcome:
    raw = str(run.params.get("serienbrief", ""))
    try:
        key = uuid.UUID(raw)
    except ValueError as exc:
        raise JobError("Diesen Serienbrief gibt es nicht.") from exc
    serie = services.serie_of(run.tenant_id, key)
    if serie is None:
        raise JobError("Diesen Serienbrief gibt es nicht mehr.")
    serie = run_series(serie=serie, run=run)
    return Outcome(
        f"Serienbrief „{serie.titel}“: {serie.erstellt} Briefe freigegeben, "
        f"{serie.zur_freigabe} warten auf eine zweite Person, {serie.fehler} nicht erstellt.",
        needs_attention=serie.fehler > 0,
    )


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=JOB_KIND,
            label="Serienbrief",
            description="Schreibt einen Brief aus einer Vorlage an viele Akten, legt jeden "
            "in seiner Akte ab und nennt die Akten, für die kein Brief entstehen konnte.",
            handler=_job,
            permission=Perm.OUTBOX_SEND,
            offered=False,
        )
    )
