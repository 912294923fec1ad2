"""Aufträge: list and start, a job's page with live progress, retry."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from koffer.accounts.access import require_perm
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.jobs import access, registry, selectors, services
from koffer.jobs.models import Job
from koffer.shell.breadcrumbs import Crumb, trail

# htmx stops polling when a response has this status (and still swaps its content).
HTMX_STOP_POLLING = 286

View = Callable[..., HttpResponse]


def tenant_member(view: View) -> View:
    """Signed in with a Mandant chosen; what the member may see is decided per job."""

    @wraps(view)
    def wrapped(request: TenantRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if getattr(request, "tenant", None) is None:
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapped


def _crumbs(request: TenantRequest, *items: tuple[str, str | None]) -> list[Crumb]:
    if access.sees_all_jobs(request.access):
        items = (("Aufträge", reverse("jobs:list")), *items)
    return trail(*items)


def _job_or_404(request: TenantRequest, job_id: uuid.UUID) -> Job:
    job = selectors.job_for(request.tenant, job_id, user=request.user, access=request.access)
    if job is None:
        raise Http404
    return job


def _list(request: TenantRequest, *, error: str = "", status: int = 200) -> HttpResponse:
    return render(
        request,
        "jobs/job_list.html",
        {
            "page_title": "Aufträge",
            "breadcrumbs": [
                {"label": "Start", "url": reverse("shell:start")},
                {"label": "Aufträge", "url": None},
            ],
            "kinds": access.startable_kinds(request.access),
            "jobs": selectors.latest_jobs(request.tenant, user=request.user, access=request.access),
            "error": error,
        },
        status=status,
    )


@require_perm(Perm.JOBS_RUN)
@require_GET
def job_list(request: TenantRequest) -> HttpResponse:
    return _list(request)


@require_perm(Perm.JOBS_RUN)
@require_POST
def job_start(request: TenantRequest) -> HttpResponse:
    code = request.POST.get("kind", "")
    if not access.may_start(request.access, code):
        return _list(
            request,
            error="Diese Auftragsart gibt es nicht, oder Sie dürfen sie nicht starten.",
            status=400,
        )
    try:
        job = services.start_job(
            actor=request.user,
            tenant=request.tenant,
            kind=code,
            title=registry.label_of(code),
        )
    except services.JobRefused as exc:
        return _list(request, error=exc.message, status=400)
    # Started is not done: a "success" message would be titled "Erledigt".
    messages.info(request, f"Der Auftrag „{job.title}“ wurde gestartet.")
    return redirect("jobs:detail", job_id=job.pk)


def _live_context(request: TenantRequest, job: Job) -> dict[str, Any]:
    return {"job": job, "may_retry": access.may_retry(request.access, job)}


@tenant_member
@require_GET
def job_detail(request: TenantRequest, job_id: uuid.UUID) -> HttpResponse:
    job = _job_or_404(request, job_id)
    return render(
        request,
        "jobs/job_detail.html",
        {
            **_live_context(request, job),
            "kind_label": registry.label_of(job.kind),
            "page_title": job.title,
            "breadcrumbs": _crumbs(request, (job.title, None)),
        },
    )


@tenant_member
@require_GET
def job_progress(request: TenantRequest, job_id: uuid.UUID) -> HttpResponse:
    """The live part of the job page, polled by htmx; 286 once the job is finished."""
    job = _job_or_404(request, job_id)
    status = HTMX_STOP_POLLING if job.is_finished else 200
    return render(request, "jobs/_job_live.html", _live_context(request, job), status=status)


@tenant_member
@require_POST
def job_retry(request: TenantRequest, job_id: uuid.UUID) -> HttpResponse:
    job = _job_or_404(request, job_id)
    if not access.may_retry(request.access, job):
        raise PermissionDenied
    try:
        services.retry_job(actor=request.user, job=job)
    except services.JobRefused as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, "Der Auftrag wird wiederholt; erledigte Schritte werden übersprungen."
        )
    return redirect("jobs:detail", job_id=job.pk)
