"""Pages of the Aktenauszug and the Akteneinsicht.

Caseworkers: choose documents and order an extract, follow its progress, download it,
issue and revoke read-only links. Recipients (a court, a lawyer) open such a link under
``/einsicht/<token>/`` without an account: PIN first, then the cover information, the PDF
and a simple page view. Missing and forbidden look the same (404); an expired or revoked
link answers 410 with a German explanation.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from typing import Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koffer.accounts.access import require_perm
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.errors import DomainError
from koffer.jobs.models import Job
from koffer.records import access, selectors
from koffer.records.auszug import einsicht
from koffer.records.auszug import services as extract
from koffer.records.auszug.files import pdf_response
from koffer.records.auszug.forms import EinsichtForm, PinForm, PurposeForm
from koffer.records.breadcrumbs import akte_trail
from koffer.records.dokumente import pages
from koffer.records.models import (
    Akte,
    Aktenauszug,
    Akteneinsicht,
    Dokument,
    DokumentVersion,
    Vorgang,
)

logger = logging.getLogger("koffer.records.extract")

# htmx stops polling when a response has this status (and still swaps its content).
HTMX_STOP_POLLING = 286


def _akte_or_404(request: TenantRequest, akte_id: uuid.UUID, *, edit: bool = False) -> Akte:
    akte = selectors.akte(selectors.Viewer.of(request), akte_id)
    if akte is None or (edit and not access.can_edit(request.access, request.user.id, akte)):
        raise Http404
    return akte


def _auszug_or_404(
    request: TenantRequest, auszug_id: uuid.UUID, *, edit: bool = False
) -> Aktenauszug:
    auszug = extract.auszug_for(selectors.Viewer.of(request), auszug_id)
    if auszug is None:
        raise Http404
    if edit and not access.can_edit(request.access, request.user.id, auszug.akte):
        raise Http404
    return auszug


# --- Forms -------------------------------------------------------------------------------------


def _uuids(values: list[str]) -> list[uuid.UUID] | None:
    try:
        return [uuid.UUID(v) for v in values]
    except ValueError:
        return None


# --- Caseworker pages -------------------------------------------------------------------------


@require_perm(Perm.RECORDS_EDIT)
@require_http_methods(["GET", "POST"])
def auszug_create(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    """The selection page: documents grouped by Vorgang with checkboxes, and the purpose."""
    akte = _akte_or_404(request, akte_id, edit=True)
    form = PurposeForm(request.POST or None)
    chosen_docs = set(request.POST.getlist("dokumente"))
    chosen_vorgaenge = set(request.POST.getlist("vorgaenge"))
    whole = request.method == "GET" or request.POST.get("ganze_akte") == "1"
    error = ""
    if request.method == "POST" and form.is_valid():
        vorgang_ids = _uuids(sorted(chosen_vorgaenge))
        dokument_ids = _uuids(sorted(chosen_docs))
        if vorgang_ids is None or dokument_ids is None:
            error = "Die Auswahl ist ungültig. Bitte laden Sie die Seite neu."
        else:
            try:
                auszug = extract.create_auszug(
                    actor=request.user,
                    akte=akte,
                    auswahl=extract.Auswahl(
                        ganze_akte=whole, vorgang_ids=vorgang_ids, dokument_ids=dokument_ids
                    ),
                    purpose=form.cleaned_data["purpose"],
                )
            except DomainError as exc:
                error = exc.message
            else:
                # No "done" message here: the extract's page says what state it is in.
                return redirect("records:auszug", auszug_id=auszug.pk)
    groups = _selection_groups(
        extract.selectable_documents(akte),
        docs=chosen_docs,
        vorgaenge=chosen_vorgaenge,
        whole=whole,
    )
    return render(
        request,
        "records/auszug_create.html",
        {
            "akte": akte,
            "form": form,
            "groups": groups,
            "whole": whole,
            "active_total": sum(1 for g in groups for row in g["rows"] if not row["cancelled"]),
            "error": error,
            "page_title": f"Aktenauszug erstellen – {akte.aktenzeichen}",
            "breadcrumbs": akte_trail(akte, ("Aktenauszug erstellen", None)),
        },
        status=400 if request.method == "POST" else 200,
    )


def _selection_groups(
    groups: list[tuple[Vorgang | None, list[Dokument]]],
    *,
    docs: set[str],
    vorgaenge: set[str],
    whole: bool,
) -> list[dict[str, Any]]:
    """Rows of the selection page with their ticks: a ticked whole Akte or Vorgang ticks
    its valid documents; cancelled ones only when ticked themselves."""
    result = []
    for vorgang, dokumente in groups:
        group_ticked = whole or (vorgang is not None and str(vorgang.pk) in vorgaenge)
        rows = []
        for dokument in dokumente:
            cancelled = dokument.status == Dokument.Status.CANCELLED
            version = dokument.current_version
            rows.append(
                {
                    "dokument": dokument,
                    "date_label": extract.document_date_label(dokument),
                    "cancelled": cancelled,
                    "checked": str(dokument.pk) in docs or (group_ticked and not cancelled),
                    "form": _form_hint(version),
                }
            )
        result.append({"vorgang": vorgang, "checked": group_ticked, "rows": rows})
    return result


def _form_hint(version: DokumentVersion | None) -> str:
    """How the document gets into the PDF, or why it does not."""
    if version is None:
        return "keine Datei: nur im Inhaltsverzeichnis"
    if version.pdf_sha256:
        return "PDF-Fassung des Office-Dokuments"
    if version.mime_type == pages.PDF_MIME:
        return f"PDF, {version.page_count} S." if version.page_count else "PDF"
    if version.mime_type in pages.RASTER_MIMES:
        return "Bild, wird als Seite eingefügt"
    if version.mime_type == "text/plain":
        return "Text, wird gesetzt"
    return "ohne PDF-Fassung: nur im Inhaltsverzeichnis"


@require_perm(Perm.RECORDS_VIEW)
@require_GET
def auszug_list(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    akte = _akte_or_404(request, akte_id)
    return render(
        request,
        "records/auszug_list.html",
        {
            "akte": akte,
            "auszuege": extract.akte_auszuege(akte),
            "einsichten": _link_rows(einsicht.for_akte(akte)),
            "can_edit": access.can_edit(request.access, request.user.id, akte),
            "page_title": f"Aktenauszüge – {akte.aktenzeichen}",
            "breadcrumbs": akte_trail(akte, ("Aktenauszüge", None)),
        },
    )


def _link_rows(links: Any) -> list[dict[str, Any]]:
    return einsicht.rows(links)


@dataclass(frozen=True)
class BuildState:
    """What the extract's page says about its build, as an alert: level, title, text."""

    level: str
    title: str
    text: str


def build_state(auszug: Aktenauszug, job: Job | None) -> BuildState:
    """The build's real state. An extract waits until the worker takes its job; the job
    runs before the extract's own status says "building"; only a finished build is done."""
    if auszug.status == Aktenauszug.Status.DONE:
        return BuildState("success", "Erledigt", "Der Aktenauszug ist fertig.")
    if auszug.status == Aktenauszug.Status.FAILED:
        return BuildState(
            "error",
            "Fehlgeschlagen",
            auszug.error or "Der Aktenauszug konnte nicht erstellt werden.",
        )
    running = auszug.status == Aktenauszug.Status.BUILDING or (
        job is not None and job.status == Job.Status.RUNNING
    )
    if running:
        return BuildState(
            "info",
            "Läuft",
            "Der Aktenauszug wird erstellt. Sie können die Seite verlassen; "
            "er wird weiter erstellt.",
        )
    return BuildState(
        "info",
        "Wartet",
        "Der Aktenauszug ist bestellt und wartet auf den Hintergrunddienst. "
        "Sie können die Seite verlassen; er wird erstellt, sobald der Dienst frei ist.",
    )


def _auszug_context(request: TenantRequest, auszug: Aktenauszug) -> dict[str, Any]:
    return {
        "auszug": auszug,
        "akte": auszug.akte,
        "job": auszug.job,
        "state": build_state(auszug, auszug.job),
        "can_edit": access.can_edit(request.access, request.user.id, auszug.akte),
    }


@require_perm(Perm.RECORDS_VIEW)
@require_GET
def auszug_detail(request: TenantRequest, auszug_id: uuid.UUID) -> HttpResponse:
    auszug = _auszug_or_404(request, auszug_id)
    extract.record_read(actor=request.user, auszug=auszug, purpose="Aktenauszug angesehen")
    context = _auszug_context(request, auszug)
    return render(
        request,
        "records/auszug_detail.html",
        {
            **context,
            "einsichten": _link_rows(einsicht.for_auszug(auszug)),
            "einsicht_form": EinsichtForm(),
            "page_title": f"Aktenauszug {auszug.akte.aktenzeichen}",
            "breadcrumbs": akte_trail(
                auszug.akte,
                ("Aktenauszüge", reverse("records:auszuege", args=[auszug.akte_id])),
                (f"vom {timezone.localtime(auszug.created_at):%d.%m.%Y %H:%M}", None),
            ),
        },
    )


@require_perm(Perm.RECORDS_VIEW)
@require_GET
def auszug_progress(request: TenantRequest, auszug_id: uuid.UUID) -> HttpResponse:
    """The live part of the extract's page, polled by htmx; 286 once it is finished."""
    auszug = _auszug_or_404(request, auszug_id)
    finished = auszug.status in (Aktenauszug.Status.DONE, Aktenauszug.Status.FAILED)
    return render(
        request,
        "records/auszug_live.html",
        _auszug_context(request, auszug),
        status=HTMX_STOP_POLLING if finished else 200,
    )


@require_perm(Perm.RECORDS_EDIT)
@require_POST
def auszug_retry(request: TenantRequest, auszug_id: uuid.UUID) -> HttpResponse:
    """Start a failed build again; documents already prepared are skipped. Anyone who may
    edit the Akte may do this, not only who ordered it."""
    auszug = _auszug_or_404(request, auszug_id, edit=True)
    try:
        extract.retry(actor=request.user, auszug=auszug)
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect("records:auszug", auszug_id=auszug.pk)


@require_perm(Perm.RECORDS_VIEW)
@require_GET
def auszug_pdf(request: TenantRequest, auszug_id: uuid.UUID) -> HttpResponseBase:
    auszug = _auszug_or_404(request, auszug_id)
    try:
        response = pdf_response(auszug)
    except extract.NotReady as exc:
        return render(
            request,
            "shell/error.html",
            {"status": 409, "title": "Noch nicht fertig", "detail": exc.message},
            status=409,
        )
    extract.record_read(actor=request.user, auszug=auszug, purpose="Aktenauszug heruntergeladen")
    return response


@never_cache
@require_perm(Perm.RECORDS_EDIT)
@require_POST
def einsicht_create(request: TenantRequest, auszug_id: uuid.UUID) -> HttpResponse:
    """Issue a link; the answer shows link and PIN once (never cached, never again)."""
    auszug = _auszug_or_404(request, auszug_id, edit=True)
    form = EinsichtForm(request.POST)
    if form.is_valid():
        try:
            link, token, pin = einsicht.create_einsicht(
                actor=request.user,
                access=request.access,
                auszug=auszug,
                recipient=form.cleaned_data["recipient"],
                valid_days=form.cleaned_data["valid_days"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return render(
                request,
                "records/einsicht_created.html",
                {
                    "link": link,
                    "auszug": auszug,
                    "akte": auszug.akte,
                    "url": request.build_absolute_uri(reverse("records:einsicht", args=[token])),
                    "pin": pin,
                    "page_title": "Akteneinsicht eingerichtet",
                    "breadcrumbs": akte_trail(
                        auszug.akte,
                        ("Aktenauszug", reverse("records:auszug", args=[auszug.pk])),
                        ("Akteneinsicht eingerichtet", None),
                    ),
                },
            )
    context = _auszug_context(request, auszug)
    return render(
        request,
        "records/auszug_detail.html",
        {
            **context,
            "einsichten": _link_rows(einsicht.for_auszug(auszug)),
            "einsicht_form": form,
            "page_title": f"Aktenauszug {auszug.akte.aktenzeichen}",
            "breadcrumbs": akte_trail(auszug.akte, ("Aktenauszug", None)),
        },
        status=400,
    )


@require_perm(Perm.RECORDS_EDIT)
@require_POST
def einsicht_revoke(request: TenantRequest, einsicht_id: uuid.UUID) -> HttpResponse:
    link = (
        Akteneinsicht.objects.for_tenant(request.tenant)
        .filter(pk=einsicht_id)
        .select_related("auszug")
        .first()
    )
    if link is None:
        raise Http404
    auszug = _auszug_or_404(request, link.auszug_id, edit=True)
    try:
        einsicht.revoke_einsicht(actor=request.user, link=link, access=request.access)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Die Akteneinsicht für {link.recipient} ist widerrufen.")
    back = request.POST.get("zurueck") == "akte"
    if back:
        return redirect("records:akte_detail", akte_id=auszug.akte_id)
    return redirect("records:auszug", auszug_id=auszug.pk)


# --- The recipient's pages (no account) -----------------------------------------------------


def _public(response: HttpResponse) -> HttpResponse:
    """No caching, no search engines, and the URL (it holds the token) never sent to other
    sites as referrer. "same-origin", not "no-referrer": without a referrer the browser
    sends "Origin: null" with the PIN form, and the CSRF check refuses it."""
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def _gone(request: HttpRequest, link: Akteneinsicht, current: str) -> HttpResponse:
    if current == einsicht.LOCKED:
        title = "Zugang gesperrt"
        detail = (
            "Die PIN wurde zu oft falsch eingegeben. Der Zugang ist deshalb gesperrt. "
            "Bitte wenden Sie sich an die Behörde, die Ihnen den Link geschickt hat; sie kann "
            "Ihnen einen neuen Zugang einrichten."
        )
        status = 403
    elif current == einsicht.REVOKED:
        title = "Zugang widerrufen"
        detail = (
            "Die Behörde hat diesen Zugang zur Akteneinsicht widerrufen. Bitte wenden Sie "
            "sich an sie, wenn Sie den Aktenauszug weiterhin benötigen."
        )
        status = 410
    else:
        title = "Zugang abgelaufen"
        detail = (
            f"Dieser Zugang zur Akteneinsicht war bis zum "
            f"{timezone.localtime(link.expires_at):%d.%m.%Y, %H:%M} Uhr gültig. Bitte wenden "
            "Sie sich an die Behörde, die Ihnen den Link geschickt hat."
        )
        status = 410
    response = render(
        request,
        "records/einsicht_gone.html",
        {"title": title, "detail": detail, "behoerde": link.tenant.name, "page_title": title},
        status=status,
    )
    return _public(response)


def _open_link(token: str) -> Akteneinsicht:
    link = einsicht.find(token)
    if link is None:
        raise Http404
    return link


@require_http_methods(["GET", "POST"])
def einsicht_page(request: HttpRequest, token: str) -> HttpResponse:
    """PIN entry, then the cover information with download and page view. Nothing about
    the file or the person is shown before the PIN."""
    link = _open_link(token)
    current = einsicht.state(link)
    if current != einsicht.OPEN:
        return _gone(request, link, current)
    form = PinForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        check = einsicht.check_pin(link=link, pin=form.cleaned_data["pin"])
        if check.outcome == "ok":
            einsicht.grant(request.session, link)
            return _public(redirect("records:einsicht", token=token))
        if check.outcome in (einsicht.LOCKED, einsicht.EXPIRED, einsicht.REVOKED):
            return _gone(request, link, check.outcome)
        if check.outcome == "malformed":
            form.add_error("pin", "Die PIN besteht aus 6 Ziffern.")
        else:
            form.add_error(
                "pin",
                f"Die PIN ist falsch. Noch {check.remaining} "
                f"Versuch{'e' if check.remaining != 1 else ''}, dann wird der Zugang gesperrt.",
            )
        status = 400
    elif request.method == "POST":
        status = 400
    if request.method == "GET" and einsicht.is_granted(request.session, link):
        return _public(_einsicht_content(request, link, token))
    return _public(
        render(
            request,
            "records/einsicht_pin.html",
            {"form": form, "behoerde": link.tenant.name, "page_title": "Akteneinsicht"},
            status=status,
        )
    )


def _einsicht_content(request: HttpRequest, link: Akteneinsicht, token: str) -> HttpResponse:
    auszug = link.auszug
    subject = selectors.first_subject(auszug.akte)
    return render(
        request,
        "records/einsicht_detail.html",
        {
            "link": link,
            "auszug": auszug,
            "akte": auszug.akte,
            "behoerde": link.tenant.name,
            "person": extract.person_line(subject),
            "token": token,
            "page_title": f"Akteneinsicht {auszug.akte.aktenzeichen}",
        },
    )


def _granted_link(request: HttpRequest, token: str) -> Akteneinsicht | HttpResponse:
    link = _open_link(token)
    current = einsicht.state(link)
    if current != einsicht.OPEN:
        return _gone(request, link, current)
    if not einsicht.is_granted(request.session, link):
        return _public(redirect("records:einsicht", token=token))
    return link


@require_GET
def einsicht_pdf(request: HttpRequest, token: str) -> HttpResponseBase:
    found = _granted_link(request, token)
    if isinstance(found, HttpResponse):
        return found
    try:
        response = pdf_response(found.auszug)
    except extract.NotReady as exc:
        raise Http404 from exc
    einsicht.record_access(link=found, purpose="Akteneinsicht: Aktenauszug heruntergeladen")
    response["Referrer-Policy"] = "same-origin"
    return response


VIEWED_KEY = "koffer_einsicht_angesehen"


@require_GET
def einsicht_view(request: HttpRequest, token: str) -> HttpResponse:
    """A simple page view: one page image at a time, with previous and next."""
    found = _granted_link(request, token)
    if isinstance(found, HttpResponse):
        return found
    auszug = found.auszug
    total = extract.page_total(auszug)
    try:
        page = min(max(int(request.GET.get("seite", "1")), 1), max(total, 1))
    except ValueError:
        page = 1
    viewed = list(request.session.get(VIEWED_KEY) or [])
    if str(found.pk) not in viewed:
        einsicht.record_access(link=found, purpose="Akteneinsicht: Seitenansicht geöffnet")
        request.session[VIEWED_KEY] = [*viewed, str(found.pk)]
    return _public(
        render(
            request,
            "records/einsicht_view.html",
            {
                "auszug": auszug,
                "akte": auszug.akte,
                "behoerde": found.tenant.name,
                "token": token,
                "page": page,
                "total": total,
                "label": _page_label(auszug, page),
                "previous": page - 1 if page > 1 else None,
                "next": page + 1 if page < total else None,
                "page_title": f"Akteneinsicht {auszug.akte.aktenzeichen}, Seite {page}",
            },
        )
    )


def _page_label(auszug: Aktenauszug, page: int) -> str:
    front = auszug.page_count - auszug.sheet_count
    if page == 1:
        return "Deckblatt"
    if page <= front:
        return "Inhaltsverzeichnis"
    return f"Bl. {page - front}"


@require_GET
def einsicht_page_image(request: HttpRequest, token: str, page: int) -> HttpResponseBase:
    found = _granted_link(request, token)
    if isinstance(found, HttpResponse):
        return found
    try:
        path = extract.page_image(found.auszug, page, pages.VIEW_WIDTH)
    except pages.PageNotAvailable as exc:
        raise Http404 from exc
    except pages.PageRefused as exc:
        return pages.refused_response(exc, pages.VIEW_WIDTH)
    except Exception as exc:
        logger.exception("rendering page %s of extract %s failed", page, found.auszug_id)
        raise Http404 from exc
    response = FileResponse(path.open("rb"), content_type=pages.IMAGE_MIME)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response
