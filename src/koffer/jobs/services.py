"""Writes to jobs: start, retry, and the worker's recovery of abandoned jobs."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.jobs import registry
from koffer.jobs.models import Job
from koffer.jobs.tasks import enqueue_on_commit
from koffer.tenancy.models import Mandant

RECOVERED_MESSAGE = (
    "Der Worker wurde mitten im Auftrag beendet; der Auftrag wird fortgesetzt. "
    "Erledigte Schritte werden nicht wiederholt."
)
RETRY_MESSAGE = "Wird wiederholt; erledigte Schritte werden übersprungen."
MAX_PARAMS_BYTES = 64 * 1024


class JobRefused(Exception):
    """The job cannot be started or retried; ``message`` says why (German)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _params(params: dict[str, Any] | None) -> dict[str, Any]:
    try:
        text = json.dumps(params or {}, cls=DjangoJSONEncoder, ensure_ascii=False)
    except (TypeError, ValueError) as exc:
        raise JobRefused("invalid_params", "Die Parameter des Auftrags sind ungültig.") from exc
    if len(text.encode()) > MAX_PARAMS_BYTES:
        raise JobRefused("invalid_params", "Die Parameter des Auftrags sind zu groß.")
    loaded: dict[str, Any] = json.loads(text)
    return loaded


def start_job(
    *,
    actor: Actor,
    tenant: Mandant,
    kind: str,
    title: str,
    params: dict[str, Any] | None = None,
) -> Job:
    """Create a waiting job of a registered kind and queue it once committed."""
    if registry.get(kind) is None:
        raise JobRefused("unknown_kind", f"Die Auftragsart „{kind}“ gibt es nicht.")
    title = (title or registry.label_of(kind)).strip()[:200]
    clean = _params(params)
    with transaction.atomic():
        job = Job.objects.create(
            tenant=tenant,
            kind=kind,
            title=title,
            params=clean,
            created_by=actor if getattr(actor, "pk", None) else None,
            message="Wartet auf einen freien Worker.",
        )
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="jobs.job.start",
            obj=job,
            changes={"kind": kind, "title": title, "params": clean},
        )
        enqueue_on_commit(job.pk, tenant.pk)
    return job


def retry_job(*, actor: Actor, job: Job) -> Job:
    """Queue a failed job again. Its completed steps stay recorded and are skipped."""
    with transaction.atomic():
        updated = (
            Job.objects.for_tenant(job.tenant_id)
            .filter(pk=job.pk, status=Job.Status.FAILED)
            .update(status=Job.Status.WAITING, error="", message=RETRY_MESSAGE, task_id="")
        )
        if not updated:
            raise JobRefused("not_failed", "Nur fehlgeschlagene Aufträge können wiederholt werden.")
        audit.record(
            actor=actor,
            tenant_id=job.tenant_id,
            action="jobs.job.retry",
            obj=job,
            changes={"attempts": job.attempts},
        )
        enqueue_on_commit(job.pk, job.tenant_id)
    job.refresh_from_db()
    return job


def recover_stale_jobs(*, now: datetime | None = None) -> list[uuid.UUID]:
    """Queue again what no worker is doing: running jobs whose heartbeat is older than
    KOFFER_WORKER_STALE_SECONDS (their worker was killed mid-way), and waiting jobs that
    never reached the queue or were paused by a worker shutdown. Completed steps stay
    recorded, so the rerun continues where the old worker stopped. Safe to run from
    several workers at once: each job is taken over by exactly one of them."""
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.KOFFER_WORKER_STALE_SECONDS)
    stale_running = Q(status=Job.Status.RUNNING) & (
        Q(heartbeat_at__lt=cutoff) | Q(heartbeat_at__isnull=True)
    )
    rows = list(Job.objects.unscoped().filter(stale_running).values_list("pk", "tenant_id")[:200])
    recovered = [
        job_id
        for job_id, tenant_id in rows
        if _requeue(job_id, tenant_id, still=stale_running, reason="Worker ohne Lebenszeichen")
    ]
    grace = now - timedelta(seconds=settings.KOFFER_WORKER_HEARTBEAT_SECONDS)
    unqueued = (
        Job.objects.unscoped()
        .filter(status=Job.Status.WAITING, task_id="", created_at__lt=grace)
        .exclude(pk__in=recovered)
        .values_list("pk", "tenant_id")[:200]
    )
    for job_id, tenant_id in list(unqueued):
        # Queueing twice is harmless: only one run can move the job from waiting to running.
        enqueue_on_commit(job_id, tenant_id)
        recovered.append(job_id)
    return recovered


def take_over_jobs_of(*, worker_id: str) -> list[uuid.UUID]:
    """Queue again at once the running jobs that the worker ``worker_id`` took last.

    Called by a worker that starts under the id of one that died (``serve`` restarts its
    worker under one id, one at a time): the jobs of its predecessor need not wait
    KOFFER_WORKER_STALE_SECONDS for their heartbeat to grow old. Completed steps stay
    recorded, as with any recovery."""
    running = list(
        Job.objects.unscoped()
        .filter(status=Job.Status.RUNNING)
        .exclude(task_id="")
        .values_list("pk", "tenant_id", "task_id")[:200]
    )
    if not running:
        return []
    last_worker = {
        str(task_id): (worker_ids or [None])[-1]
        for task_id, worker_ids in DBTaskResult.objects.filter(
            id__in=[task_id for _, _, task_id in running]
        ).values_list("id", "worker_ids")
    }
    return [
        job_id
        for job_id, tenant_id, task_id in running
        if last_worker.get(task_id) == worker_id
        and _requeue(
            job_id,
            tenant_id,
            still=Q(status=Job.Status.RUNNING, task_id=task_id),
            reason="Worker neu gestartet",
        )
    ]


def _requeue(job_id: uuid.UUID, tenant_id: uuid.UUID, *, still: Q, reason: str) -> bool:
    """Put one running job back to waiting, audited, if it still matches ``still``;
    safe against other workers doing the same: exactly one of them takes it."""
    with transaction.atomic():
        taken = (
            Job.objects.for_tenant(tenant_id)
            .filter(pk=job_id)
            .filter(still)
            .update(status=Job.Status.WAITING, message=RECOVERED_MESSAGE, task_id="")
        )
        if not taken:
            return False  # another worker recovered it, or it came back to life
        audit.record(
            actor=None,
            tenant_id=tenant_id,
            action="jobs.job.recovered",
            obj=("jobs.job", job_id),
            reason=reason,
        )
        enqueue_on_commit(job_id, tenant_id)
    return True
