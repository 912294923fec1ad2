"""The data-protection officer's audit page ("Protokoll") and its CSV export."""

from __future__ import annotations

from typing import Any

from django.http import HttpResponse, HttpResponseBase, StreamingHttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from koffer.accounts.access import require_perm
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.privacy import export, selectors, services
from koffer.privacy.forms import AuditFilterForm
from koffer.privacy.selectors import AuditQuery


def _filter_form(request: TenantRequest) -> AuditFilterForm:
    tenant = request.tenant
    return AuditFilterForm(
        request.GET,
        actors=selectors.actor_choices(tenant),
        actions=selectors.actions_present(tenant),
        former_actor_label=lambda actor_id: selectors.last_actor_label(tenant, actor_id),
    )


def _jobs_url(request: TenantRequest) -> str:
    """The jobs page, where "Audit-Kette prüfen" runs, if it is routed and this user may
    open it (the jobs app is optional here: no import, only its URL name)."""
    if not request.access.can(Perm.JOBS_RUN):
        return ""
    try:
        return reverse("jobs:list")
    except NoReverseMatch:
        return ""


def _context(request: TenantRequest, form: AuditFilterForm) -> dict[str, Any]:
    return {
        "form": form,
        "page_title": "Protokoll",
        "breadcrumbs": [
            {"label": "Start", "url": reverse("shell:start")},
            {"label": "Protokoll", "url": None},
        ],
        "jobs_url": _jobs_url(request),
    }


def _render(request: TenantRequest, context: dict[str, Any], status: int = 200) -> HttpResponse:
    # The chain head is read last, so that it counts this very look at the log.
    context["head"] = selectors.chain_head(request.tenant)
    return render(request, "privacy/audit_log.html", context, status=status)


@require_perm(Perm.AUDIT_VIEW)
def audit_log(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    form = _filter_form(request)
    context = _context(request, form)
    if not form.is_valid():
        return _render(request, context, status=400)
    audit_filter = form.audit_filter()
    event = services.record_audit_query(
        actor=request.user, tenant=tenant, audit_filter=audit_filter, output="html"
    )
    query = AuditQuery(tenant, audit_filter, upto=event.seq)
    context["page"] = query.page(
        older_than=form.cleaned_data["vor"], newer_than=form.cleaned_data["nach"]
    )
    context["subjects"] = query.subjects
    context["is_first_page"] = (
        form.cleaned_data["vor"] is None and form.cleaned_data["nach"] is None
    )
    return _render(request, context)


@require_perm(Perm.AUDIT_VIEW)
def audit_export(request: TenantRequest) -> HttpResponseBase:
    tenant = request.tenant
    form = _filter_form(request)
    if not form.is_valid():
        return _render(request, _context(request, form), status=400)
    audit_filter = form.audit_filter()
    event = services.record_audit_query(
        actor=request.user, tenant=tenant, audit_filter=audit_filter, output="csv"
    )
    query = AuditQuery(tenant, audit_filter, upto=event.seq)
    stamp = timezone.localtime(event.at, selectors.BERLIN).strftime("%Y%m%d-%H%M%S")
    response = StreamingHttpResponse(
        export.csv_chunks(query), content_type="text/csv; charset=utf-8"
    )
    response["Content-Disposition"] = f'attachment; filename="protokoll-{tenant.slug}-{stamp}.csv"'
    response["Cache-Control"] = "no-store"
    return response
