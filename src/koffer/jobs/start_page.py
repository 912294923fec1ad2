"""The start page's "Ihre Aufgaben": the user's running jobs and recent failures."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from koffer.jobs import selectors
from koffer.jobs.models import Job
from koffer.shell.tasks_registry import StartTask


def _status(job: Job) -> str:
    if job.status == Job.Status.RUNNING and job.percent is not None:
        return f"läuft, {job.percent} %"
    if job.status == Job.Status.DONE and job.needs_attention:
        return "fertig, mit Befund"
    return job.get_status_display()


def open_jobs(request: HttpRequest) -> list[StartTask]:
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if tenant is None or user is None or not user.is_authenticated:
        return []
    return [
        StartTask(
            label=f"Auftrag: {job.title}",
            url=reverse("jobs:detail", args=[job.pk]),
            status=_status(job),
        )
        for job in selectors.open_jobs_of(tenant, user)
    ]
