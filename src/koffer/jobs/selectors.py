"""Reads of jobs, scoped to the Mandant and to what the actor may see."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.jobs.access import sees_all_jobs, sees_jobs
from koffer.jobs.models import Job
from koffer.tenancy import plain_sql
from koffer.tenancy.models import Mandant
from koffer.tenancy.scoping import db_uuid

RECENT_DAYS = 7


def visible_jobs(tenant: Mandant, *, user: Any, access: Access) -> QuerySet[Job]:
    jobs = Job.objects.for_tenant(tenant)
    if not sees_jobs(access):
        return jobs.none()
    if not sees_all_jobs(access):
        jobs = jobs.filter(created_by_id=user.pk)
    return jobs


def job_for(tenant: Mandant, job_id: uuid.UUID, *, user: Any, access: Access) -> Job | None:
    """The job if the actor may see it; None for another Mandant's or a stranger's job."""
    return (
        visible_jobs(tenant, user=user, access=access)
        .select_related("created_by")
        .filter(pk=job_id)
        .first()
    )


def latest_jobs(tenant: Mandant, *, user: Any, access: Access, limit: int = 100) -> list[Job]:
    return list(
        visible_jobs(tenant, user=user, access=access)
        .select_related("created_by")
        .order_by("-created_at")[:limit]
    )


# The columns of OPEN_JOBS_SQL, in its order.
OPEN_JOBS_FIELDS = (
    "id",
    "tenant_id",
    "title",
    "status",
    "progress_done",
    "progress_total",
    "needs_attention",
    "created_at",
)
OPEN_JOBS_SQL = """
SELECT id, tenant_id, title, status, progress_done, progress_total, needs_attention, created_at
FROM jobs_job
WHERE tenant_id = %s AND created_by_id = %s
  AND (status IN (%s, %s) OR (finished_at >= %s AND (status = %s OR needs_attention)))
ORDER BY created_at DESC
LIMIT %s
"""


def open_jobs_of(tenant: Mandant, user: Any, limit: int = 10) -> list[Job]:
    """The user's own jobs that concern them now: still running, or failed or with a
    finding in the last days."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    # Runs on every start page: plain SQL, because compiling this ORM filter cost more
    # CPU than executing it (and a RawQuerySet still 0.05 ms for no rows). The tenant
    # condition is explicit in the SQL.
    params = [
        db_uuid(tenant.pk),
        db_uuid(user.pk),
        Job.Status.WAITING,
        Job.Status.RUNNING,
        connection.ops.adapt_datetimefield_value(since),
        Job.Status.FAILED,
        limit,
    ]
    with connection.cursor() as cursor:
        cursor.execute(OPEN_JOBS_SQL, params)
        return plain_sql.instances(Job, OPEN_JOBS_FIELDS, cursor.fetchall(), connection)
