"""Running one job: claim it, call its handler with a :class:`JobRun`, record the outcome.

Handlers split their work into steps::

    def handle(run: JobRun) -> Outcome:
        for batch in batches:
            run.step(f"batch-{batch.number}", lambda: import_batch(batch))
            run.progress(batch.number, len(batches))
        return Outcome("Alle Stapel importiert.")

A step's work and its :class:`JobStep` row commit in one transaction, and the row is
unique per job, so after a failure or a killed worker the rerun skips every completed
step and no step is done twice. Keep steps short: on SQLite a step's transaction holds
the database's write lock.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from koffer.audit import services as audit
from koffer.jobs import registry
from koffer.jobs.models import Job, JobStep

logger = logging.getLogger("koffer.jobs")

PROGRESS_WRITE_SECONDS = 0.5
UNEXPECTED_ERROR = (
    "Bei der Ausführung ist ein unerwarteter Fehler aufgetreten; die Einzelheiten stehen im "
    "Server-Protokoll. Sie können den Auftrag wiederholen: bereits erledigte Schritte werden "
    "dabei übersprungen."
)
PAUSED_MESSAGE = (
    "Unterbrochen, weil der Worker beendet wurde; wird beim nächsten Start fortgesetzt."
)


class JobError(Exception):
    """A failure the user can act on: its (German) message becomes the job's error."""


class JobInterrupted(BaseException):
    """The worker is shutting down; the job pauses at a step boundary and resumes later.

    A BaseException, like KeyboardInterrupt, so that a handler's ``except Exception``
    cannot swallow a shutdown."""


@dataclass(frozen=True)
class Outcome:
    """What a handler reports: a German message and whether the result needs attention
    (a check that found a problem finished its job, but someone must look at it)."""

    message: str
    needs_attention: bool = False


# --- process-wide state of a worker: which jobs run here, and whether to stop ------------

_stop = threading.Event()
_active: set[uuid.UUID] = set()
_active_lock = threading.Lock()


def request_stop() -> None:
    """Ask running handlers to pause at their next step or progress report."""
    _stop.set()


def clear_stop() -> None:
    _stop.clear()


def stop_requested() -> bool:
    return _stop.is_set()


def active_jobs() -> list[uuid.UUID]:
    """Jobs running in this process; the worker's heartbeat keeps them fresh."""
    with _active_lock:
        return list(_active)


@contextmanager
def _tracking(job_id: uuid.UUID) -> Iterator[None]:
    with _active_lock:
        _active.add(job_id)
    try:
        yield
    finally:
        with _active_lock:
            _active.discard(job_id)


def _json(value: Any) -> Any:
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False))


class JobRun:
    """What a handler works with: the job, its parameters, steps and progress."""

    def __init__(self, job: Job) -> None:
        self.job = job
        self.current_step = ""
        self._done: dict[str, Any] = dict(
            JobStep.objects.for_tenant(job.tenant_id)
            .filter(job_id=job.pk)
            .values_list("key", "result")
        )
        self._progress: dict[str, Any] = {}
        self._written_at = 0.0

    @property
    def tenant_id(self) -> uuid.UUID:
        return self.job.tenant_id

    @property
    def params(self) -> dict[str, Any]:
        return dict(self.job.params or {})

    def is_done(self, key: str) -> bool:
        return key in self._done

    def step(self, key: str, work: Callable[[], Any], *, atomic: bool = True) -> Any:
        """Run ``work`` once for this job and return its (JSON) result; if the step was
        completed in an earlier attempt, skip it and return the stored result.

        ``atomic=True``: the work's database writes and the step's row commit together
        (the row is written first, so a concurrent rerun waits and then skips). Use
        ``atomic=False`` only for work that is read-only or idempotent, such as a long
        check that must not hold a transaction open; its row is written afterwards."""
        if key in self._done:
            return self._done[key]
        self._check_stop()
        self.current_step = key
        if atomic:
            with transaction.atomic():
                if not self._claim(key, None):
                    return self._stored(key)
                result = _json(work())
                JobStep.objects.for_tenant(self.tenant_id).filter(
                    job_id=self.job.pk, key=key
                ).update(result=result)
        else:
            result = _json(work())
            if not self._claim(key, result):
                return self._stored(key)
        self._done[key] = result
        self.current_step = ""
        return result

    def _claim(self, key: str, result: Any) -> bool:
        try:
            with transaction.atomic():
                JobStep.objects.create(
                    tenant_id=self.tenant_id, job_id=self.job.pk, key=key, result=result
                )
        except IntegrityError:
            return False  # completed meanwhile by another run of the same job
        return True

    def _stored(self, key: str) -> Any:
        result = (
            JobStep.objects.for_tenant(self.tenant_id)
            .filter(job_id=self.job.pk, key=key)
            .values_list("result", flat=True)
            .first()
        )
        self._done[key] = result
        self.current_step = ""
        return result

    def progress(self, done: int, total: int | None = None, message: str | None = None) -> None:
        """Report progress; written at most every half second (the last value wins).
        Called inside an atomic step, the write becomes visible when the step commits."""
        self._check_stop()
        self._progress["progress_done"] = max(0, int(done))
        if total is not None:
            self._progress["progress_total"] = max(0, int(total))
        if message is not None:
            self._progress["message"] = message
        if time.monotonic() - self._written_at >= PROGRESS_WRITE_SECONDS:
            self.flush()

    def flush(self) -> None:
        self._written_at = time.monotonic()
        if not self._progress:
            return
        Job.objects.for_tenant(self.tenant_id).filter(pk=self.job.pk).update(
            heartbeat_at=timezone.now(), **self._progress
        )

    def final_progress(self) -> dict[str, Any]:
        return dict(self._progress)

    def _check_stop(self) -> None:
        if stop_requested():
            raise JobInterrupted


def execute(job_id: uuid.UUID, tenant_id: uuid.UUID | None = None) -> str:
    """Run the job if it is waiting; returns what happened: done, failed, interrupted or
    skipped (not waiting: already taken by another worker, finished, or unknown).

    ``tenant_id`` (the queue entry names it) keeps every statement on the job in its
    Mandant's shard on Citus; without it the Mandant is looked up first, across shards."""
    if tenant_id is None:
        tenant_id = (
            Job.objects.unscoped().filter(pk=job_id).values_list("tenant_id", flat=True).first()
        )
        if tenant_id is None:
            logger.info("Auftrag %s gibt es nicht; übersprungen", job_id)
            return "skipped"
    now = timezone.now()
    claimed = (
        Job.objects.for_tenant(tenant_id)
        .filter(pk=job_id, status=Job.Status.WAITING)
        .update(
            status=Job.Status.RUNNING,
            attempts=F("attempts") + 1,
            started_at=now,
            heartbeat_at=now,
            finished_at=None,
            error="",
            message="",
        )
    )
    if not claimed:
        logger.info("Auftrag %s wartet nicht (mehr); übersprungen", job_id)
        return "skipped"
    job = Job.objects.for_tenant(tenant_id).get(pk=job_id)
    kind = registry.get(job.kind)
    run = JobRun(job)
    with _tracking(job.pk):
        try:
            if kind is None:
                raise JobError(f"Die Auftragsart „{job.kind}“ ist unbekannt.")
            outcome = kind.handler(run)
        except JobInterrupted:
            _pause(job, run)
            return "interrupted"
        except (KeyboardInterrupt, SystemExit):
            _pause(job, run)  # forced stop: the open step was rolled back, resume later
            raise
        except JobError as exc:
            logger.warning("Auftrag %s (%s) fehlgeschlagen: %s", job.pk, job.kind, exc)
            _fail(job, run, str(exc))
            return "failed"
        except Exception:
            logger.exception(
                "Auftrag %s (%s) fehlgeschlagen im Schritt %r", job.pk, job.kind, run.current_step
            )
            _fail(job, run, UNEXPECTED_ERROR)
            return "failed"
    _finish(job, run, outcome)
    return "done"


def _finish(job: Job, run: JobRun, outcome: Outcome) -> None:
    progress = run.final_progress()
    total = progress.get("progress_total", job.progress_total)
    done = total if total is not None else progress.get("progress_done", job.progress_done)
    with transaction.atomic():
        Job.objects.for_tenant(job.tenant_id).filter(pk=job.pk).update(
            status=Job.Status.DONE,
            progress_done=done,
            progress_total=total,
            message=outcome.message,
            needs_attention=outcome.needs_attention,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
        )
        audit.record(
            actor=None,
            tenant_id=job.tenant_id,
            action="jobs.job.done",
            obj=job,
            changes={"message": outcome.message, "needs_attention": outcome.needs_attention},
        )


def _fail(job: Job, run: JobRun, error: str) -> None:
    progress = run.final_progress()
    progress.pop("message", None)
    with transaction.atomic():
        Job.objects.for_tenant(job.tenant_id).filter(pk=job.pk).update(
            status=Job.Status.FAILED,
            error=error,
            finished_at=timezone.now(),
            heartbeat_at=timezone.now(),
            **progress,
        )
        audit.record(
            actor=None,
            tenant_id=job.tenant_id,
            action="jobs.job.failed",
            obj=job,
            changes={"error": error, "step": run.current_step},
        )


def _pause(job: Job, run: JobRun) -> None:
    progress = run.final_progress()
    progress.pop("message", None)
    Job.objects.for_tenant(job.tenant_id).filter(pk=job.pk).update(
        status=Job.Status.WAITING, message=PAUSED_MESSAGE, task_id="", **progress
    )
    logger.warning("Auftrag %s unterbrochen; wird beim nächsten Start fortgesetzt", job.pk)
