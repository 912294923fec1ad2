"""Pages of the Rückscan: „Rückscan: Stand je Standort“ (the rollout, chart and table)
and the Deckblätter to print (one Akte, several, or every Akte of a unit). Thin:
selectors read, the service prints and plans, access from ``inbox.access``."""

from __future__ import annotations

import uuid
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.inbox import access
from koffer.inbox.rueckscan import charts, files, selectors, services
from koffer.shell.breadcrumbs import trail

STAND = "Rückscan: Stand je Standort"
DECKBLAETTER = "Rückscan: Deckblätter drucken"
PAGE_SIZE = 100


@require_GET
@requires(access.plans_rueckscan)
def stand(request: TenantRequest) -> HttpResponse:
    staende = selectors.rollout(request.tenant)
    chart, chart_phone = charts.rollout_charts(staende) if staende else (None, None)
    return render(
        request,
        "inbox/rueckscan_stand.html",
        {
            "page_title": STAND,
            "breadcrumbs": trail((STAND, None)),
            "staende": staende,
            "summe": selectors.total(staende),
            "chart": chart,
            "chart_phone": chart_phone,
        },
    )


def _uuid(value: str | None) -> uuid.UUID | None:
    try:
        return uuid.UUID(value or "")
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@requires(access.plans_rueckscan)
def deckblaetter(request: TenantRequest) -> HttpResponse:
    """GET: the Akten to choose from (of one unit, if chosen); POST: their Deckblätter as
    one PDF (a refusal is shown on the page)."""
    error = ""
    if request.method == "POST":
        ids = [i for i in (_uuid(v) for v in request.POST.getlist("akte")) if i is not None]
        try:
            data = services.print_deckblaetter(
                actor=request.user,
                access=request.access,
                tenant=request.tenant,
                akte_ids=ids,
                unit_id=_uuid(request.POST.get("einheit")),
            )
        except DomainError as exc:
            error = exc.message
        else:
            return files.pdf_response(data)
    unit_id = _uuid(request.GET.get("einheit") or request.POST.get("einheit"))
    akten = selectors.printable(request.access, request.user.pk, request.tenant)
    units = selectors.units(request.tenant)
    chosen = next((u for u in units if u.pk == unit_id), None)
    if chosen is not None:
        akten = akten.filter(unit_path__startswith=chosen.path)
    page = Paginator(akten, PAGE_SIZE).get_page(request.GET.get("seite"))
    rows = selectors.planned(request.tenant, page.object_list)
    return render(
        request,
        "inbox/rueckscan_deckblaetter.html",
        {
            "page_title": DECKBLAETTER,
            "breadcrumbs": trail((STAND, reverse("inbox:rueckscan")), (DECKBLAETTER, None)),
            "page": page,
            "zeilen": [(a, rows.get(a.pk)) for a in page.object_list],
            "units": units,
            "chosen": chosen,
            "pager_query": urlencode({"einheit": chosen.pk}) if chosen else "",
            "error": error,
        },
        status=400 if error else 200,
    )
