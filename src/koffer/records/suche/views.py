"""The search page (/suche/) and the header quick search's suggestions. Thin: parse the GET
form, call koffer.records.suche.services, render. Reading a result list opens no document, so
nothing is audited here; the document page audits its own reads."""

from __future__ import annotations

import uuid
from functools import cache
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse

from koffer.accounts.access import require_perm
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.records.selectors import Viewer
from koffer.records.suche import services as search
from koffer.records.suche.forms import SearchForm

PAGE_SIZE = 25
# URL names of the document page, newest naming first; the first that resolves is used.
DOKUMENT_URL_NAMES = ("records:dokument_detail", "records:dokument")
AKTE_URL_NAME = "records:akte_detail"


@cache
def _dokument_url_name() -> str | None:
    for name in DOKUMENT_URL_NAMES:
        try:
            reverse(name, kwargs={"dokument_id": uuid.UUID(int=0)})
        except NoReverseMatch:
            continue
        return name
    return None


def _url(name: str | None, **kwargs: uuid.UUID) -> str | None:
    if name is None:
        return None
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return None


@require_perm(Perm.RECORDS_VIEW)
def suche(request: TenantRequest) -> HttpResponse:
    form = SearchForm(request.GET or None, tenant_id=request.tenant.pk)
    result: search.SearchResult | None = None
    akten: list[search.AkteHit] = []
    if form.is_bound and form.is_valid():
        query = form.cleaned_data.get("q") or ""
        page = form.cleaned_data.get("seite") or 1
        viewer = Viewer.of(request)
        result = search.search(
            viewer, query, form.filters(), limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE
        )
        if page == 1 and query.strip():
            akten = search.find_akten(viewer, query)
    dokument_url = _dokument_url_name()
    hits = [
        {
            "hit": hit,
            "url": _url(dokument_url, dokument_id=hit.dokument_id),
            "akte_url": _url(AKTE_URL_NAME, akte_id=hit.akte_id),
        }
        for hit in (result.hits if result else [])
    ]
    return render(
        request,
        "records/suche.html",
        {
            "page_title": "Suche",
            "breadcrumbs": [
                {"label": "Start", "url": reverse("shell:start")},
                {"label": "Suche", "url": None},
            ],
            "form": form,
            "result": result,
            "hits": hits,
            "akten": [{"hit": a, "url": _url(AKTE_URL_NAME, akte_id=a.akte_id)} for a in akten],
            "previous_url": _page_url(request, result, -1),
            "next_url": _page_url(request, result, +1),
            "first_number": (result.offset + 1) if result else 0,
            "last_number": (result.offset + len(result.hits)) if result else 0,
        },
    )


def _page_url(request: TenantRequest, result: search.SearchResult | None, step: int) -> str | None:
    if (
        result is None
        or (step > 0 and not result.has_next)
        or (step < 0 and not result.has_previous)
    ):
        return None
    page = result.offset // result.limit + 1 + step
    params = {k: v for k, v in request.GET.items() if k != "seite" and v}
    if page > 1:
        params["seite"] = str(page)
    return f"{reverse('records:suche')}?{urlencode(params)}"


@require_perm(Perm.RECORDS_VIEW)
def suche_akten(request: TenantRequest) -> HttpResponse:
    """Suggestions for the header quick search (htmx). A direct visit (no JavaScript) goes
    to the search page with the same words."""
    text = request.GET.get("q", "")[:100]
    if not request.headers.get("HX-Request"):
        return redirect(f"{reverse('records:suche')}?{urlencode({'q': text})}")
    hits = search.find_akten(Viewer.of(request), text)
    return render(
        request,
        "records/suche_vorschlaege.html",
        {
            "text": text.strip(),
            "too_short": len(text.strip()) < search.FINDER_MIN_CHARS,
            "suggestions": [
                {"hit": h, "url": _url(AKTE_URL_NAME, akte_id=h.akte_id)} for h in hits
            ],
            "search_url": f"{reverse('records:suche')}?{urlencode({'q': text.strip()})}",
        },
    )
