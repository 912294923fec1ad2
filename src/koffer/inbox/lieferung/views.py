"""Pages of deliveries: the provider's own batches, the mail room's arriving batches, and
one batch with its files and problems. Thin: one selector each, access from
``inbox.access``."""

from __future__ import annotations

import uuid

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.inbox import access
from koffer.inbox.lieferung import selectors
from koffer.inbox.verarbeitung import protokoll
from koffer.inbox.verarbeitung import services as pipeline
from koffer.shell.breadcrumbs import trail

PAGE_SIZE = 50
EINLIEFERUNGEN = "Scan-Einlieferungen"
POSTEINGANG = "Posteingang"


@require_GET
@requires(access.delivers)
def einlieferungen(request: TenantRequest) -> HttpResponse:
    qs = selectors.own_stapel(request.access, request.user.pk, request.tenant)
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("seite")
    )
    return render(
        request,
        "inbox/einlieferungen.html",
        {
            "page_title": EINLIEFERUNGEN,
            "breadcrumbs": trail((EINLIEFERUNGEN, None)),
            "page": page,
            "ablehnungen": selectors.own_refusals(request.access, request.user.pk, request.tenant),
        },
    )


@require_GET
@requires(access.processes)
def stapel_list(request: TenantRequest) -> HttpResponse:
    qs = selectors.incoming_stapel(request.access, request.tenant)
    page = Paginator(qs.order_by("-created_at", "-pk"), PAGE_SIZE).get_page(
        request.GET.get("seite")
    )
    return render(
        request,
        "inbox/stapel_list.html",
        {
            "page_title": POSTEINGANG,
            "breadcrumbs": trail((POSTEINGANG, None)),
            "page": page,
            "ablehnungen": selectors.incoming_refusals(request.access, request.tenant),
        },
    )


@require_GET
@requires(access.sees_batches)
def stapel_detail(request: TenantRequest, stapel_id: uuid.UUID) -> HttpResponse:
    stapel = selectors.stapel(request.access, request.user.pk, request.tenant, stapel_id)
    if stapel is None:
        raise Http404
    if access.processes(request.access, request.tenant):
        parent = (POSTEINGANG, reverse("inbox:stapel_list"))
    else:
        parent = (EINLIEFERUNGEN, reverse("inbox:einlieferungen"))
    title = f"Scan-Stapel {stapel.batch_id}"
    mail_room = access.processes(request.access, request.tenant)
    if mail_room:
        pipeline.record_protocol_read(actor=request.user, stapel=stapel)
    return render(
        request,
        "inbox/stapel_detail.html",
        {
            "page_title": title,
            "breadcrumbs": trail(parent, (title, None)),
            "stapel": stapel,
            "dateien": selectors.dateien(stapel),
            "probleme": selectors.probleme(stapel),
            "dokumente": protokoll.dokumente(stapel) if mail_room else None,
            "protokoll": protokoll.eintraege(stapel) if mail_room else None,
        },
    )
