"""``/api/v1/jobs``: the Mandant's jobs, one job, and retrying a failed one."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from ninja import Router, Schema, Status

from koffer.accounts.http import TenantRequest
from koffer.api.enums import schema_enum
from koffer.api.pagination import paginate
from koffer.api.problems import ApiProblem, Problem, not_found
from koffer.jobs import access, registry, selectors, services
from koffer.jobs.models import Job

router = Router(tags=["Aufträge"])
# For mypy the model's enum; at run time a copy under a name of its own (koffer.api.enums).
if TYPE_CHECKING:
    JobStatus = Job.Status
else:
    JobStatus = schema_enum("JobStatus", Job.Status)


class JobOut(Schema):
    id: uuid.UUID
    kind: str
    kind_label: str
    title: str
    status: JobStatus
    status_label: str
    progress_done: int
    progress_total: int | None
    percent: int | None
    message: str
    error: str
    needs_attention: bool
    attempts: int
    created_by_id: uuid.UUID | None
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class JobPage(Schema):
    items: list[JobOut]
    next_cursor: str | None


def _out(job: Job) -> JobOut:
    return JobOut(
        id=job.pk,
        kind=job.kind,
        kind_label=registry.label_of(job.kind),
        title=job.title,
        status=JobStatus(job.status),
        status_label=job.get_status_display(),
        progress_done=job.progress_done,
        progress_total=job.progress_total,
        percent=job.percent,
        message=job.message,
        error=job.error,
        needs_attention=job.needs_attention,
        attempts=job.attempts,
        created_by_id=job.created_by_id,
        created_at=job.created_at,
        started_at=job.started_at,
        finished_at=job.finished_at,
    )


def _job_or_404(request: TenantRequest, job_id: uuid.UUID) -> Job:
    job = selectors.job_for(request.tenant, job_id, user=request.user, access=request.access)
    if job is None:
        raise not_found("Diesen Auftrag")
    return job


@router.get(
    "",
    response={200: JobPage, 400: Problem, 403: Problem},
    summary="Aufträge des Mandanten (älteste zuerst, seitenweise)",
)
def list_jobs(
    request: TenantRequest,
    cursor: str | None = None,
    limit: int = 50,
    status: JobStatus | None = None,
) -> JobPage:
    if not access.sees_jobs(request.access):
        raise ApiProblem(
            403, "forbidden", "Keine Berechtigung", "Sie dürfen keine Aufträge einsehen."
        )
    jobs = selectors.visible_jobs(request.tenant, user=request.user, access=request.access)
    if status is not None:
        jobs = jobs.filter(status=status)
    rows, next_cursor = paginate(jobs, cursor=cursor, limit=limit)
    return JobPage(items=[_out(j) for j in rows], next_cursor=next_cursor)


@router.get("/{job_id}", response={200: JobOut, 404: Problem}, summary="Ein Auftrag")
def get_job(request: TenantRequest, job_id: uuid.UUID) -> JobOut:
    return _out(_job_or_404(request, job_id))


@router.post(
    "/{job_id}/retry",
    response={202: JobOut, 403: Problem, 404: Problem, 409: Problem},
    summary="Fehlgeschlagenen Auftrag wiederholen (erledigte Schritte werden übersprungen)",
)
def retry_job(request: TenantRequest, job_id: uuid.UUID) -> Status:
    job = _job_or_404(request, job_id)
    if not access.may_retry(request.access, job):
        raise ApiProblem(
            403, "forbidden", "Keine Berechtigung", "Sie dürfen diesen Auftrag nicht wiederholen."
        )
    try:
        job = services.retry_job(actor=request.user, job=job)
    except services.JobRefused as exc:
        raise ApiProblem(409, exc.code, "Auftrag nicht wiederholbar", exc.message) from exc
    return Status(202, _out(job))
