"""Pages of documents: upload (many files, per-file results), viewer with server-rendered
page images, downloads, new version, move, cancel, metadata. Thin: parse, call one
service or selector, render. Missing and forbidden both answer 404."""

from __future__ import annotations

import logging
import uuid
from typing import Any

from django import forms
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET

from koffer.accounts.access import require_perm
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.blobs.store import get_store
from koffer.errors import DomainError
from koffer.records import access, erweiterungen, selectors
from koffer.records.breadcrumbs import akte_trail
from koffer.records.dokumente import content, convert, detect, naming, pages
from koffer.records.dokumente import services as documents
from koffer.records.dokumente.files import download_response
from koffer.records.dokumente.forms import (
    DocumentMetaForm,
    MetadataForm,
    MoveForm,
    ReasonForm,
    VersionForm,
)
from koffer.records.forms import WiedervorlageForm
from koffer.records.models import Dokument, DokumentVersion

logger = logging.getLogger("koffer.records.documents")

# The viewer shows at most this much extracted text (the download has everything).
TEXT_SHOWN = 300_000


def _text_shown(version: DokumentVersion) -> str:
    """The version's text; a plain-text file whose version carries none (a Koffer's
    package leaves the text out, the file is the text) is read from the file itself."""
    if version.text or version.mime_type != "text/plain":
        return version.text
    with get_store().open(version.sha256) as datei:
        return datei.read(4 * (TEXT_SHOWN + 1)).decode("utf-8", errors="replace")


def _dokument_or_404(
    request: TenantRequest, dokument_id: uuid.UUID, *, edit: bool = False
) -> Dokument:
    found = selectors.dokument(selectors.Viewer.of(request), dokument_id)
    if found is None:
        raise Http404
    if edit and not access.can_edit(request.access, request.user.id, found.akte):
        raise Http404
    return found


def _version_or_404(dokument: Dokument, number: str | int | None) -> DokumentVersion:
    current = dokument.current_version
    if number in (None, "") and current is not None:
        return current
    try:
        wanted = int(number) if number not in (None, "") else 0
    except (TypeError, ValueError) as exc:
        raise Http404 from exc
    if not 0 < wanted < 2**31:  # beyond any version number (and any database integer)
        raise Http404
    if current is not None and current.number == wanted:
        return current
    version = (
        DokumentVersion.objects.for_tenant(dokument.tenant_id)
        .filter(dokument_id=dokument.pk, number=wanted)
        .first()
    )
    if version is None:
        raise Http404
    return version


# --- Forms -------------------------------------------------------------------------------------


def _wants_json(request: TenantRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def result_line(result: documents.IngestResult) -> dict[str, Any]:
    """One file's result for the page and for the upload script. A duplicate links to the
    existing document: the service reports only those the user may see."""
    line: dict[str, Any] = {
        "filename": result.filename,
        "outcome": result.outcome,
        "code": result.code,
        "message": result.message,
        "notes": result.notes,
        "url": None,
        "title": None,
    }
    target = result.dokument
    if target is None:
        return line
    line["url"] = reverse("records:dokument", args=[target.pk])
    line["title"] = target.title
    return line


@require_perm(Perm.RECORDS_EDIT)
def dokument_upload(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    """Upload one or many files into an Akte. Without JavaScript the form posts every file
    at once and gets a result page; the upload script posts one file per request and
    reads the JSON answer (per-file progress)."""
    akte = selectors.akte(selectors.Viewer.of(request), akte_id)
    if akte is None or not access.can_edit(request.access, request.user.id, akte):
        raise Http404
    vorgaenge = list(selectors.akte_vorgaenge(akte))
    form = DocumentMetaForm(request.POST or None, vorgaenge=vorgaenge)
    results: list[dict[str, Any]] = []
    error = ""
    status = 200
    if request.method == "POST":
        files = request.FILES.getlist("dateien")
        if not files:
            error = "Bitte wählen Sie mindestens eine Datei aus."
        elif form.is_valid():
            incoming = [naming.IncomingFile(f.name or "", f.size or 0, f) for f in files]
            try:
                outcome = documents.ingest_files(
                    actor=request.user,
                    akte=akte,
                    files=incoming,
                    meta=form.meta(),
                    vorgang=form.chosen_vorgang(),
                    upload_key=form.cleaned_data["upload_token"],
                    access=request.access,
                )
            except DomainError as exc:
                error = exc.message
            else:
                results = [result_line(r) for r in outcome]
        if error or form.errors:
            status = 400
        if _wants_json(request):
            return _upload_json(results, form, error, status)
    return render(
        request,
        "records/dokument_upload.html",
        {
            "akte": akte,
            "vorgaenge": vorgaenge,
            "upload_form": form,
            "results": results,
            "error": error,
            "stored": sum(1 for r in results if r["outcome"] == "stored"),
            "page_title": f"Dokumente hochladen – {akte.aktenzeichen}",
            "breadcrumbs": akte_trail(akte, ("Dokumente hochladen", None)),
        },
        status=status,
    )


@require_perm(Perm.RECORDS_VIEW)
@require_GET
def dokumente_liste(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    """The Akte's list of documents with its count, for the upload script to swap in once
    its files are stored: without it the Akte page kept the count and the rows of before
    the upload until reloaded. The Akte page that holds it recorded the read already."""
    akte = selectors.akte(selectors.Viewer.of(request), akte_id)
    if akte is None:
        raise Http404
    return render(
        request,
        "records/_dokumente_liste.html",
        {"akte": akte, "dokumente": selectors.akte_document_rows(akte)},
    )


def _upload_json(
    results: list[dict[str, Any]], form: DocumentMetaForm, error: str, status: int
) -> JsonResponse:
    errors = [
        f"{form.fields[name].label}: {' '.join(str(m) for m in msgs)}"
        for name, msgs in form.errors.items()
        if name in form.fields
    ]
    errors += [str(e) for e in form.non_field_errors()]
    if error:
        errors.insert(0, error)
    return JsonResponse(
        {"results": results, "errors": errors},
        status=status,
        json_dumps_params={"ensure_ascii": False},
    )


# --- Viewer ------------------------------------------------------------------------------------


def _preview_notice(version: DokumentVersion) -> str:
    if pages.source_of(version) is not None or version.mime_type == "text/plain":
        return ""
    if version.mime_type in {t.mime for t in detect.TYPES.values() if t.office}:
        if convert.office_converter() is None:
            return content.NO_OFFICE_PREVIEW
        return content.FAILED_OFFICE_PREVIEW
    return "Keine Vorschau für diesen Dateityp."


@require_perm(Perm.RECORDS_VIEW)
@require_GET
def dokument_detail(request: TenantRequest, dokument_id: uuid.UUID) -> HttpResponse:
    """The viewer: metadata, versions, page images and the text. Opening it is a read of
    personal data and is audited once (the page images are not audited again)."""
    dokument = _dokument_or_404(request, dokument_id)
    version = _version_or_404(dokument, request.GET.get("version"))
    documents.record_read(actor=request.user, dokument=dokument, purpose="Dokument angesehen")
    versionen = list(
        DokumentVersion.objects.for_tenant(dokument.tenant_id)
        .filter(dokument_id=dokument.pk)
        .select_related("created_by")
        .defer("text")
        .order_by("-number")
    )
    renderable = pages.source_of(version) is not None
    page_numbers = list(range(1, version.page_count + 1)) if renderable else []
    can_edit = access.can_edit(request.access, request.user.id, dokument.akte)
    akte = dokument.akte
    shown = _text_shown(version)
    return render(
        request,
        "records/dokument_detail.html",
        {
            "dokument": dokument,
            "akte": akte,
            "version": version,
            "is_current": version.pk == dokument.current_version_id,
            "versionen": versionen,
            "page_numbers": page_numbers,
            "thumb_width": pages.THUMB_WIDTH,
            "view_width": pages.VIEW_WIDTH,
            "preview_notice": _preview_notice(version),
            "is_text": version.mime_type == "text/plain",
            "text": shown[:TEXT_SHOWN],
            "text_cut": len(shown) > TEXT_SHOWN,
            "has_pdf": bool(version.pdf_sha256),
            "can_edit": can_edit and dokument.status == Dokument.Status.ACTIVE,
            "links": erweiterungen.dokument_links(request.access, request.user.id, dokument),
            "wv_form": WiedervorlageForm(),
            "page_title": dokument.title,
            "breadcrumbs": akte_trail(akte, (dokument.title, None)),
        },
    )


@require_perm(Perm.RECORDS_VIEW)
@require_GET
def dokument_page_zoom(
    request: TenantRequest, dokument_id: uuid.UUID, number: int, page: int
) -> HttpResponse:
    """One page enlarged, as a page of its own: the image with a heading, the way back to
    the document and to the neighbouring pages. The bare image had neither a way back nor
    a title, and a browser showing an image alone styles it inline, which the CSP
    refuses. A read of personal data like the viewer's, so audited like it."""
    dokument = _dokument_or_404(request, dokument_id)
    version = _version_or_404(dokument, number)
    if pages.source_of(version) is None or not 1 <= page <= version.page_count:
        raise Http404
    documents.record_read(actor=request.user, dokument=dokument, purpose="Seite vergrößert")
    is_current = version.pk == dokument.current_version_id
    viewer = reverse("records:dokument", args=[dokument.pk])
    if not is_current:
        viewer += f"?version={version.number}"
    return render(
        request,
        "records/dokument_seite.html",
        {
            "dokument": dokument,
            "version": version,
            "is_current": is_current,
            "page": page,
            "page_count": version.page_count,
            "zoom_width": pages.ZOOM_WIDTH,
            "back_url": f"{viewer}#seite-{page}",
            "page_title": f"Seite {page} von {version.page_count} – {dokument.title}",
            "breadcrumbs": akte_trail(
                dokument.akte, (dokument.title, viewer), (f"Seite {page} vergrößert", None)
            ),
        },
    )


@require_perm(Perm.RECORDS_VIEW)
@require_GET
def dokument_page(
    request: TenantRequest, dokument_id: uuid.UUID, number: int, page: int, width: int
) -> HttpResponseBase:
    """One page image, rendered on first request and then served from the disk cache.
    Permission-checked like the viewer, but not audited again (the viewer was)."""
    dokument = _dokument_or_404(request, dokument_id)
    version = _version_or_404(dokument, number)
    try:
        path = pages.page_image(version, page, width)
    except pages.PageNotAvailable as exc:
        raise Http404 from exc
    except pages.PageRefused as exc:
        return pages.refused_response(exc, width)
    except Exception as exc:
        logger.exception("rendering page %s of version %s failed", page, version.pk)
        raise Http404 from exc
    response = FileResponse(path.open("rb"), content_type=pages.IMAGE_MIME)
    # The bytes behind a version never change; only this user's browser may keep them.
    response["Cache-Control"] = "private, max-age=604800, immutable"
    # A raster image (nosniff) runs nothing, so a policy guards nothing here; but a browser showing
    # the image alone (opened in a tab of its own) styles it inline, which the pages'
    # style-src refused with three console errors.
    response._csp_exempt = True  # type: ignore[attr-defined]
    return response


@require_perm(Perm.RECORDS_VIEW)
@require_GET
def dokument_download(request: TenantRequest, dokument_id: uuid.UUID) -> HttpResponseBase:
    dokument = _dokument_or_404(request, dokument_id)
    version = _version_or_404(dokument, request.GET.get("version"))
    as_pdf = request.GET.get("format") == "pdf"
    response = download_response(version, as_pdf=as_pdf)
    purpose = "PDF-Fassung heruntergeladen" if as_pdf else "Dokument heruntergeladen"
    documents.record_read(actor=request.user, dokument=dokument, purpose=purpose)
    return response


# --- Changes -----------------------------------------------------------------------------------


def _action_page(
    request: TenantRequest,
    dokument: Dokument,
    form: forms.Form,
    *,
    title: str,
    submit: str,
    intro: str = "",
    multipart: bool = False,
) -> HttpResponse:
    return render(
        request,
        "records/dokument_action.html",
        {
            "dokument": dokument,
            "form": form,
            "intro": intro,
            "submit_label": submit,
            "multipart": multipart,
            "page_title": title,
            "breadcrumbs": akte_trail(
                dokument.akte,
                (dokument.title, reverse("records:dokument", args=[dokument.pk])),
                (title, None),
            ),
        },
        status=400 if form.errors else 200,
    )


def _back(dokument: Dokument) -> HttpResponse:
    return redirect("records:dokument", dokument_id=dokument.pk)


@require_perm(Perm.RECORDS_EDIT)
def dokument_version_add(request: TenantRequest, dokument_id: uuid.UUID) -> HttpResponse:
    dokument = _dokument_or_404(request, dokument_id, edit=True)
    form = VersionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["datei"]
        try:
            result = documents.add_version(
                actor=request.user,
                dokument=dokument,
                file=naming.IncomingFile(upload.name or "", upload.size or 0, upload),
                note=form.cleaned_data["note"],
                access=request.access,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            line = result_line(result)
            if result.ok:
                messages.success(request, " ".join([result.message, *result.notes]))
                return _back(dokument)
            form.add_error("datei", line["message"])
    return _action_page(
        request,
        dokument,
        form,
        title="Neue Version hochladen",
        submit="Version speichern",
        intro="Die bisherigen Versionen bleiben unverändert erhalten.",
        multipart=True,
    )


@require_perm(Perm.RECORDS_EDIT)
def dokument_move(request: TenantRequest, dokument_id: uuid.UUID) -> HttpResponse:
    dokument = _dokument_or_404(request, dokument_id, edit=True)
    vorgaenge = [v for v in selectors.akte_vorgaenge(dokument.akte) if v.pk != dokument.vorgang_id]
    form = MoveForm(request.POST or None, vorgaenge=vorgaenge)
    if request.method == "POST" and form.is_valid():
        try:
            documents.move_dokument(
                actor=request.user,
                access=request.access,
                dokument=dokument,
                vorgang=form.vorgaenge.get(form.cleaned_data["vorgang"] or ""),
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Das Dokument wurde verschoben.")
            return _back(dokument)
    where = f"im Vorgang „{dokument.vorgang.title}“" if dokument.vorgang else "direkt in der Akte"
    return _action_page(
        request,
        dokument,
        form,
        title="Dokument verschieben",
        submit="Verschieben",
        intro=f"Das Dokument liegt zurzeit {where}. "
        "Es kann in einen anderen Vorgang derselben Akte verschoben werden.",
    )


@require_perm(Perm.RECORDS_EDIT)
def dokument_cancel(request: TenantRequest, dokument_id: uuid.UUID) -> HttpResponse:
    dokument = _dokument_or_404(request, dokument_id, edit=True)
    form = ReasonForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            documents.cancel_dokument(
                actor=request.user, dokument=dokument, reason=form.cleaned_data["reason"]
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request, "Das Dokument wurde storniert. Es bleibt in der Akte sichtbar."
            )
            return _back(dokument)
    return _action_page(
        request,
        dokument,
        form,
        title="Dokument stornieren",
        submit="Stornieren",
        intro="Ein storniertes Dokument bleibt mit dem Grund in der Akte sichtbar und wird "
        "nicht gelöscht.",
    )


@require_perm(Perm.RECORDS_EDIT)
def dokument_edit(request: TenantRequest, dokument_id: uuid.UUID) -> HttpResponse:
    dokument = _dokument_or_404(request, dokument_id, edit=True)
    initial = {
        "title": dokument.title,
        "kind": dokument.kind,
        "direction": dokument.direction,
        "sender": dokument.sender,
        "received_on": dokument.received_on,
    }
    form = MetadataForm(request.POST or None, initial=initial, current_kind=dokument.kind)
    if request.method == "POST" and form.is_valid():
        try:
            documents.change_metadata(actor=request.user, dokument=dokument, meta=form.meta())
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Die Angaben wurden gespeichert.")
            return _back(dokument)
    return _action_page(request, dokument, form, title="Angaben ändern", submit="Angaben speichern")
