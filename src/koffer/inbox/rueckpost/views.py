"""The mail room's action „Rückläufer (unzustellbar)“ on a document of the Posteingang
(in triage or filed). Thin: the triage's selector finds the document, the service writes."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.inbox import access
from koffer.inbox.klaerung import selectors
from koffer.inbox.rueckpost import services


@require_POST
@requires(access.sorts_post)
def markieren(request: TenantRequest, eingang_id: uuid.UUID) -> HttpResponse:
    doc = selectors.dokument(request.access, request.tenant, eingang_id)
    if doc is None:
        raise Http404
    try:
        services.mark(actor=request.user, doc=doc, grund=request.POST.get("rueckpost_grund", ""))
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request, "Als Rückläufer erfasst: der Brief ist als unzustellbar vermerkt."
        )
    return redirect("inbox:klaerung_dokument", eingang_id=doc.pk)
