"""Reads of jobs, scoped to the Mandant and to what the actor may see."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.jobs.access import sees_all_jobs
from koffer.jobs.models import Job
from koffer.tenancy.models import Mandant

RECENT_DAYS = 7


def visible_jobs(tenant: Mandant, *, user: Any, access: Access) -> QuerySet[Job]:
    jobs = Job.objects.for_tenant(tenant)
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


def open_jobs_of(tenant: Mandant, user: Any, limit: int = 10) -> list[Job]:
    """The user's own jobs that concern them now: still running, or failed or with a
    finding in the last days."""
    since = timezone.now() - timedelta(days=RECENT_DAYS)
    wanted = Q(status__in=[Job.Status.WAITING, Job.Status.RUNNING]) | Q(finished_at__gte=since) & (
        Q(status=Job.Status.FAILED) | Q(needs_attention=True)
    )
    return list(
        Job.objects.for_tenant(tenant)
        .filter(created_by_id=user.pk)
        .filter(wanted)
        .order_by("-created_at")[:limit]
    )
