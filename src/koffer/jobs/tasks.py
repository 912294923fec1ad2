"""The one task behind every job: it takes the job's id, the runner does the rest."""

from __future__ import annotations

import logging
import uuid

from django.db import transaction
from django_tasks import task

from koffer.jobs import runner
from koffer.jobs.models import Job

logger = logging.getLogger("koffer.jobs")


@task()
def run_job(job_id: str, tenant_id: str | None = None) -> str:
    """Run (or continue) the job. A job paused by a worker shutdown is left waiting
    without a queue entry; the next worker's recovery queues it again. The queue entry
    names the job's Mandant, so every statement on the job goes to its shard on Citus
    (entries queued before without it still run: the runner looks the Mandant up)."""
    return runner.execute(uuid.UUID(job_id), uuid.UUID(tenant_id) if tenant_id else None)


def enqueue(job_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
    """Hand the job to the queue and remember the queue entry on the job."""
    result = run_job.enqueue(str(job_id), str(tenant_id))
    Job.objects.for_tenant(tenant_id).filter(pk=job_id).update(task_id=str(result.id)[:64])


def enqueue_on_commit(job_id: uuid.UUID, tenant_id: uuid.UUID) -> None:
    """Queue the job once the surrounding transaction has committed. If queueing fails,
    the job stays waiting without a queue entry, and the worker's recovery queues it."""
    transaction.on_commit(lambda: enqueue(job_id, tenant_id), robust=True)
