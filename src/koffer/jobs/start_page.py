"""The start page's "Ihre Aufgaben": the user's running jobs and recent failures."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from koffer.accounts.roles import Perm
from koffer.jobs import selectors
from koffer.jobs.models import Job
from koffer.shell.tasks_registry import StartTask, TaskBatch, TaskCount

RUNNING = "Auftrag läuft"
ATTENTION = "Auftrag braucht Aufmerksamkeit"


def _status(job: Job) -> str:
    if job.status == Job.Status.RUNNING and job.percent is not None:
        return f"läuft, {job.percent} %"
    if job.status == Job.Status.DONE and job.needs_attention:
        return "fertig, mit Befund"
    return job.get_status_display()


def _kind(job: Job) -> str:
    return RUNNING if job.status in (Job.Status.WAITING, Job.Status.RUNNING) else ATTENTION


def open_jobs(request: HttpRequest) -> TaskBatch:
    """One query (plain SQL, see selectors.open_jobs_of). A job has no deadline, so it
    comes after every dated task; the count is that of the jobs listed (at most
    ``selectors.open_jobs_of``'s limit, which the user's own jobs rarely reach)."""
    tenant = getattr(request, "tenant", None)
    user = getattr(request, "user", None)
    if tenant is None or user is None or not user.is_authenticated:
        return TaskBatch()
    jobs = selectors.open_jobs_of(tenant, user)
    if not jobs:
        return TaskBatch()
    tasks = [
        StartTask(
            label=f"Auftrag: {job.title}",
            url=reverse("jobs:detail", args=[job.pk]),
            status=_status(job),
            kind=_kind(job),
        )
        for job in jobs
    ]
    running = sum(1 for t in tasks if t.kind == RUNNING)
    access = getattr(request, "access", None)
    listing = reverse("jobs:list") if access is not None and access.can(Perm.JOBS_RUN) else ""
    return TaskBatch(
        tasks,
        [
            TaskCount(RUNNING, running, "Auftrag läuft", "Aufträge laufen", listing),
            TaskCount(
                ATTENTION,
                len(tasks) - running,
                "Auftrag braucht Aufmerksamkeit",
                "Aufträge brauchen Aufmerksamkeit",
                listing,
            ),
        ],
    )
