"""The job kind ``outbox.lokaldruck``: one letter's filed PDF sent to a printer over IPP,
then watched until the printer's job has ended.

The send is a job step per ``versuch`` (``senden-<n>``), so a retry after a timeout does
not send the same letter again; a retry after a certain failure has a new ``versuch`` and
sends anew (``services.wiederholen``). The step runs outside a transaction (a network
call must not hold SQLite's write lock); a worker killed between the printer's answer
and the step's row finds its job again in the printer's list (``_sent_before``)."""

from __future__ import annotations

import logging
import uuid
from functools import partial
from typing import Any

from django.conf import settings

from koffer.accounts.roles import Perm
from koffer.jobs import registry
from koffer.jobs.runner import JobError, JobRun, Outcome
from koffer.outbox.errors import Conflict
from koffer.outbox.lokaldruck import ipp, services
from koffer.outbox.models import Druckauftrag

logger = logging.getLogger(__name__)

JOB_KIND = services.JOB_KIND
DEFAULT_WAIT_SECONDS = 300.0  # a printer that has not finished one letter by then is stuck
POLL_SECONDS = 1.0


def wait_seconds() -> float:
    return float(getattr(settings, "KOFFER_LOKALDRUCK_WAIT_SECONDS", DEFAULT_WAIT_SECONDS))


def _fail(auftrag: Druckauftrag, message: str) -> JobError:
    services.fehlgeschlagen(auftrag, message)
    return JobError(message)


def _send(auftrag: Druckauftrag) -> dict[str, Any]:
    """Send the letter once per ``versuch``: a job already recorded for it, or found in the
    printer's list above the mark taken before sending, is that send (a worker killed
    after the printer's answer does not print the letter again)."""
    user, name = auftrag.created_by.username, services.auftrag_name(auftrag)
    if auftrag.ipp_versuch == auftrag.versuch and auftrag.ipp_job_id is not None:
        return {"job_id": auftrag.ipp_job_id, "state": auftrag.ipp_state}
    try:
        earlier = _sent_before(auftrag, user, name)
        if earlier is not None:
            job = ipp.Auftrag(earlier.job_id, "", earlier.state)
        else:
            job = ipp.print_job(
                auftrag.drucker.uri,
                services.auftrag_pdf(auftrag),
                job_name=name,
                user=user,
                duplex=auftrag.drucker.duplex,
            )
    except ipp.IppError as exc:
        raise _fail(auftrag, exc.message) from exc
    services.gesendet(auftrag, job)
    return {"job_id": job.job_id, "state": job.state}


def _sent_before(auftrag: Druckauftrag, user: str, name: str) -> ipp.Eintrag | None:
    """The printer's job of an earlier try of this ``versuch`` that never got recorded;
    else None, with the mark for this try taken (a printer that lists no jobs gets
    none: then only the moment between its answer and the record is unguarded)."""
    try:
        listed = ipp.jobs(auftrag.drucker.uri, user=user)
    except ipp.IppError:
        logger.warning("printer %s lists no jobs; sending without a mark", auftrag.drucker.uri)
        return None
    if auftrag.ipp_vorher_versuch == auftrag.versuch and auftrag.ipp_vorher is not None:
        mine = [e for e in listed if e.job_id > auftrag.ipp_vorher and e.name == name]
        if mine:
            return mine[0]
    services.markiert(auftrag, max((e.job_id for e in listed), default=0))
    return None


def _printed(auftrag: Druckauftrag) -> str:
    services.gedruckt(auftrag)
    return "gedruckt"


def print_letter(*, auftrag: Druckauftrag, run: JobRun) -> Druckauftrag:
    services.laeuft(auftrag)
    drucker = auftrag.drucker
    run.progress(0, 2, f"Wird an {drucker.name} gesendet")
    sent = run.step(f"senden-{auftrag.versuch}", partial(_send, auftrag), atomic=False)
    run.progress(1, 2, f"{drucker.name} druckt")

    def seen(state: ipp.Auftrag) -> None:
        services.stand(auftrag, state)
        run.progress(1, 2, f"{drucker.name}: {ipp.JOB_STATES.get(state.state, state.message)}")

    try:
        final = ipp.wait(
            drucker.uri,
            int(sent["job_id"]),
            user=auftrag.created_by.username,
            limit=wait_seconds(),
            every=POLL_SECONDS,
            seen=seen,
        )
    except ipp.IppError as exc:
        raise _fail(auftrag, f"Stand des Drucks unbekannt: {exc.message}") from exc
    if not final.final:
        raise _fail(
            auftrag,
            f"{drucker.name} hat den Druck nicht in {wait_seconds():.0f} Sekunden beendet "
            f"(zuletzt: {ipp.JOB_STATES.get(final.state, final.message)}). Bitte am Drucker "
            "nachsehen; „Erneut versuchen“ fragt nur nach, es druckt den Brief nicht nochmals.",
        )
    if final.state != ipp.COMPLETED:
        said = f": {final.message}" if final.message else ""
        raise _fail(
            auftrag,
            f"{drucker.name} hat den Druck {ipp.JOB_STATES[final.state]}{said}. "
            "„Erneut versuchen“ sendet den Brief noch einmal.",
        )
    run.step("abschluss", partial(_printed, auftrag))
    run.progress(2, 2, f"Gedruckt auf {drucker.name}")
    return auftrag


def _job(run: JobRun) -> Outcome:
    raw = str(run.params.get("druckauftrag", ""))
    try:
        key = uuid.UUID(raw)
    except ValueError as exc:
        raise JobError("Diesen Druckauftrag gibt es nicht.") from exc
    auftrag = services.auftrag_of(run.tenant_id, key)
    if auftrag is None:
        raise JobError("Diesen Druckauftrag gibt es nicht mehr.")
    if auftrag.status == Druckauftrag.Status.FEHLGESCHLAGEN:  # retried on the job's page
        try:
            services.fortsetzen(auftrag)
        except Conflict as exc:
            raise JobError(exc.message) from exc
    if auftrag.status != Druckauftrag.Status.GEDRUCKT:
        print_letter(auftrag=auftrag, run=run)
    return Outcome(f"„{services.titel(auftrag)}“ gedruckt auf {auftrag.drucker.name}.")


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=JOB_KIND,
            label="Brief drucken",
            description="Sendet einen freigegebenen Brief als abgelegtes PDF an einen Drucker "
            "(IPP) und wartet, bis der Drucker ihn gedruckt hat.",
            handler=_job,
            permission=Perm.OUTBOX_SEND,
            offered=False,
        )
    )
