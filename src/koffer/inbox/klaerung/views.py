"""Pages of triage (die Zuordnung): the queue of waiting documents, one document with its
pages, the suggestion and its reasons, and the actions (file, another Akte, not
assignable, another team; split, merge, turn a page). Keyboard first: the shortcuts are listed on the page
(``klaerung.js``). Thin: selectors read, services write, access from ``inbox.access``."""

from __future__ import annotations

import io
import uuid
from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.inbox import access
from koffer.inbox.klaerung import selectors, services
from koffer.inbox.models import Eingangsdokument
from koffer.inbox.rueckpost import services as rueckpost
from koffer.inbox.verarbeitung import seiten
from koffer.inbox.verarbeitung import services as pipeline
from koffer.shell.breadcrumbs import trail

PAGE_SIZE = 50
ZUORDNUNG = "Zuordnung"
PAGE_DPI = 96  # A4 about 800 px wide: readable beside the actions at 640 px


@require_GET
@requires(access.sorts_post)
def liste(request: TenantRequest) -> HttpResponse:
    page = Paginator(selectors.waiting(request.access, request.tenant), PAGE_SIZE).get_page(
        request.GET.get("seite")
    )
    return render(
        request,
        "inbox/klaerung_liste.html",
        {
            "page_title": ZUORDNUNG,
            "breadcrumbs": trail((ZUORDNUNG, None)),
            "page": page,
            "alter": selectors.by_age(request.access, request.tenant),
        },
    )


@require_GET
@requires(access.sorts_post)
def naechstes(request: TenantRequest) -> HttpResponse:
    """The oldest waiting document nobody else has open."""
    doc = selectors.next_waiting(request.access, request.tenant, request.user.pk)
    if doc is None:
        messages.info(request, "Es wartet kein Dokument auf eine Zuordnung.")
        return redirect("inbox:klaerung")
    return redirect("inbox:klaerung_dokument", eingang_id=doc.pk)


def _doc_or_404(request: TenantRequest, eingang_id: uuid.UUID) -> Eingangsdokument:
    doc = selectors.dokument(request.access, request.tenant, eingang_id)
    if doc is None:
        raise Http404
    return doc


@require_GET
@requires(access.sorts_post)
def dokument(request: TenantRequest, eingang_id: uuid.UUID) -> HttpResponse:
    doc = _doc_or_404(request, eingang_id)
    other = None
    if doc.state in pipeline.OPEN_STATES:
        other = services.claim(actor=request.user, doc=doc)
    pipeline.record_document_read(actor=request.user, doc=doc)
    query = request.GET.get("suche", "").strip()
    suggested = [
        (selectors.akte(request.tenant, uuid.UUID(v["akte_id"])), v)
        for v in doc.vorschlaege
        if v.get("akte_id")
    ]
    title = f"Eingang {doc.stapel.batch_id}, {doc.datei.name} S. {doc.page_numbers}"
    partners = selectors.merge_candidates(request.access, request.tenant, doc)
    following = next((p for p in partners if p.first_page > doc.first_page), None)
    return render(
        request,
        "inbox/klaerung_dokument.html",
        {
            "page_title": title,
            "breadcrumbs": trail((ZUORDNUNG, reverse("inbox:klaerung")), (title, None)),
            "doc": doc,
            "other": other,
            "suggested": [(a, v) for a, v in suggested if a is not None],
            "query": query,
            "treffer": selectors.find_akten(request.access, request.tenant, query)
            if query
            else None,
            "teams": selectors.teams(request.tenant),
            "page_indexes": range(len(doc.pages)),
            "reason_max": services.MAX_REASON,
            "partners": partners,
            "following": following,
            "split_pages": range(2, len(doc.pages) + 1),
            "page_numbers": range(1, len(doc.pages) + 1),
            "rueckpost_max": rueckpost.MAX_GRUND,
            "rueckpost_gruende": rueckpost.GRUENDE,
        },
    )


@require_GET
@requires(access.sorts_post)
def seite(request: TenantRequest, eingang_id: uuid.UUID, page: int) -> HttpResponse:
    """Page ``page`` (from 1) of the document as PNG."""
    doc = _doc_or_404(request, eingang_id)
    if not doc.original_sha256 or not 1 <= page <= len(doc.pages):
        raise Http404
    data = pipeline.original_bytes(doc)
    for _, image in seiten.page_images(data, [page - 1], dpi=PAGE_DPI):
        out = io.BytesIO()
        image.convert("L").save(out, format="PNG", optimize=True)
        response = HttpResponse(out.getvalue(), content_type="image/png")
        response["Cache-Control"] = "private, max-age=3600"
        return response
    raise Http404


def _after(request: TenantRequest, doc: Eingangsdokument) -> HttpResponse:
    follow = selectors.next_waiting(request.access, request.tenant, request.user.pk, after=doc)
    if follow is None:
        follow = selectors.next_waiting(request.access, request.tenant, request.user.pk)
    if follow is None:
        return redirect("inbox:klaerung")
    return redirect("inbox:klaerung_dokument", eingang_id=follow.pk)


def _done(
    request: TenantRequest, doc: Eingangsdokument, act: Callable[[], Eingangsdokument], said: str
) -> HttpResponse:
    """Run one triage action: on success say ``said`` and go to the next document; a
    refusal (another person was faster, a reason missing) is shown on the document."""
    try:
        done = act()
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("inbox:klaerung_dokument", eingang_id=doc.pk)
    messages.success(request, said)
    return _after(request, done)


def _refused(request: TenantRequest, doc: Eingangsdokument, message: str) -> HttpResponse:
    messages.error(request, message)
    return redirect("inbox:klaerung_dokument", eingang_id=doc.pk)


@require_POST
@requires(access.sorts_post)
def ablegen(request: TenantRequest, eingang_id: uuid.UUID) -> HttpResponse:
    doc = _doc_or_404(request, eingang_id)
    try:
        akte = selectors.akte(request.tenant, uuid.UUID(request.POST.get("akte", "")))
    except ValueError:
        akte = None
    if akte is None:
        return _refused(request, doc, "Bitte wählen Sie eine Akte.")
    return _done(
        request,
        doc,
        lambda: services.accept(actor=request.user, doc=doc, akte=akte),
        f"Abgelegt in Akte {akte.aktenzeichen}.",
    )


@require_POST
@requires(access.sorts_post)
def nicht_zuordenbar(request: TenantRequest, eingang_id: uuid.UUID) -> HttpResponse:
    doc = _doc_or_404(request, eingang_id)
    reason = request.POST.get("grund", "")
    return _done(
        request,
        doc,
        lambda: services.mark_unassignable(actor=request.user, doc=doc, reason=reason),
        "Als nicht zuzuordnen markiert.",
    )


@require_POST
@requires(access.sorts_post)
def weitergeben(request: TenantRequest, eingang_id: uuid.UUID) -> HttpResponse:
    doc = _doc_or_404(request, eingang_id)
    unit = next(
        (t for t in selectors.teams(request.tenant) if str(t.pk) == request.POST.get("team")),
        None,
    )
    if unit is None:
        return _refused(request, doc, "Bitte wählen Sie ein Team.")
    return _done(
        request,
        doc,
        lambda: services.hand_over(actor=request.user, doc=doc, unit=unit),
        f"An {unit.name} weitergegeben.",
    )


def _changed(
    request: TenantRequest, doc: Eingangsdokument, act: Callable[[], object], said: str
) -> HttpResponse:
    """Run a change of pages: back to the document (it is re-recognised now), the
    refusal shown there."""
    try:
        act()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, said)
    return redirect("inbox:klaerung_dokument", eingang_id=doc.pk)


def _number(request: TenantRequest, name: str) -> int:
    try:
        return int(request.POST.get(name, ""))
    except ValueError:
        return 0


@require_POST
@requires(access.sorts_post)
def teilen(request: TenantRequest, eingang_id: uuid.UUID) -> HttpResponse:
    doc = _doc_or_404(request, eingang_id)
    page = _number(request, "seite")
    return _changed(
        request,
        doc,
        lambda: services.split(actor=request.user, doc=doc, page=page),
        f"Vor Seite {page} geteilt. Beide Teile werden neu erkannt.",
    )


@require_POST
@requires(access.sorts_post)
def zusammenfuehren(request: TenantRequest, eingang_id: uuid.UUID) -> HttpResponse:
    doc = _doc_or_404(request, eingang_id)
    try:
        other = selectors.dokument(
            request.access, request.tenant, uuid.UUID(request.POST.get("mit", ""))
        )
    except ValueError:
        other = None
    if other is None:
        return _refused(request, doc, "Bitte wählen Sie das Dokument, das dazugehört.")
    return _changed(
        request,
        doc,
        lambda: services.merge(actor=request.user, doc=doc, other=other),
        f"Mit {other.pages_label} zusammengeführt. Das Dokument wird neu erkannt.",
    )


@require_POST
@requires(access.sorts_post)
def drehen(request: TenantRequest, eingang_id: uuid.UUID) -> HttpResponse:
    doc = _doc_or_404(request, eingang_id)
    page, degrees = _number(request, "seite"), _number(request, "grad")
    return _changed(
        request,
        doc,
        lambda: services.turn(actor=request.user, doc=doc, page=page, degrees=degrees),
        f"Seite {page} gedreht. Das Dokument wird neu erkannt.",
    )
