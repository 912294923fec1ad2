"""The serial letter as the job kind ``outbox.serienbrief``: its Akten in chunks of
:data:`services.CHUNK`, each chunk one job step, so a worker killed at any point goes on
with the first chunk not committed, and no Akte gets its letter twice."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from functools import partial

from django.conf import settings

from koffer.accounts.roles import Perm
from koffer.jobs import registry
from koffer.jobs.runner import JobError, JobRun, Outcome
from koffer.outbox.models import Serienbrief
from koffer.outbox.satz.werkstatt import Satzpool
from koffer.outbox.serienbriefe import services
from koffer.tenancy.prepared import prepared

JOB_KIND = services.JOB_KIND
# From how many letters a series is typeset in child processes (starting them takes
# about a second).
POOL_AB = 3 * services.CHUNK


def step_reached(name: str) -> None:
    """Called after each step; the interruption tests raise here to stand for a process
    killed at that point."""


def run_series(*, serie: Serienbrief, run: JobRun) -> Serienbrief:
    # The same dozen statements for every letter: prepared once on PostgreSQL.
    with prepared():
        return _run_series(serie=serie, run=run)


def _run_series(*, serie: Serienbrief, run: JobRun) -> Serienbrief:
    ids = [str(x) for x in serie.akten]
    total = len(ids)
    chunks = [ids[start : start + services.CHUNK] for start in range(0, total, services.CHUNK)]
    keys = [f"akten-{number}" for number in range(len(chunks))]
    todo = [n for n, key in enumerate(keys) if not run.is_done(key)]
    with _pool(sum(len(chunks[n]) for n in todo)) as pool:
        ahead: dict[int, dict[str, services.Vorbereitet]] = {}

        def prepare(position: int) -> None:
            if pool is not None and position < len(todo):
                number = todo[position]
                ahead[number] = services.vorbereiten(
                    serie=serie, akte_ids=chunks[number], pool=pool
                )

        prepare(0)
        for position, number in enumerate(todo):
            # The next chunk goes to the pool before this one is written: typesetting
            # and the database work overlap; so do this chunk's blob writes.
            prepare(position + 1)
            vorbereitet = ahead.pop(number, None)
            blobs = services.blobs_vorab(serie=serie, vorbereitet=vorbereitet)
            try:
                run.step(
                    keys[number],
                    partial(
                        services.make_chunk,
                        serie=serie,
                        akte_ids=chunks[number],
                        vorbereitet=vorbereitet,
                        blobs=blobs,
                    ),
                )
            finally:
                if blobs is not None:
                    blobs.close()
            step_reached(keys[number])
            done = min(total, (number + 1) * services.CHUNK)
            run.progress(done, total, f"{done} von {total} Briefen erstellt")
    run.step("abschluss", partial(_finish, serie=serie))
    found = services.serie_of(serie.tenant_id, serie.pk)
    assert found is not None
    return found


@contextlib.contextmanager
def _pool(letters: int) -> Iterator[Satzpool | None]:
    """Child processes typesetting ahead, for a series long enough to pay for starting
    them (:data:`POOL_AB` letters), where any are configured."""
    prozesse = settings.KOFFER_OUTBOX_SATZ_PROZESSE
    if prozesse <= 0 or letters < POOL_AB:
        yield None
        return
    with Satzpool(prozesse) as pool:
        yield pool


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
