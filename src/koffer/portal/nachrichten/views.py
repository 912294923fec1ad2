"""Pages of the messages: the citizen's thread about a Vorgang (portal; files attached,
documents of an answer downloaded) and the caseworker's (staff, linked from the
Vorgang's page; documents of the Akte attached). Thin: selectors read, services
write."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.portal import dateien, vertretungen
from koffer.portal.nachrichten import selectors, services
from koffer.portal.nachrichten.forms import AntwortForm, NachrichtForm
from koffer.portal.sitzung import buerger_erforderlich
from koffer.portal.views import seite
from koffer.records import selectors as records
from koffer.records import services as records_services
from koffer.shell.breadcrumbs import trail


@buerger_erforderlich
@require_http_methods(["GET", "POST"])
def verlauf(request: HttpRequest, mandant: str, vorgang_id: uuid.UUID) -> HttpResponse:
    konto = request.buerger  # type: ignore[attr-defined]
    vorgang = selectors.vorgang(konto, vorgang_id)
    if vorgang is None:
        raise Http404("Diesen Vorgang gibt es nicht.")
    form, status = NachrichtForm(request.POST or None), 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.schreiben(
                    actor=konto,
                    vorgang=vorgang,
                    text=form.cleaned_data["text"],
                    dateien=request.FILES.getlist("anlagen"),
                )
            except DomainError as exc:
                form.add_error("text", exc.message)
                status = exc.status
            else:
                messages.success(
                    request, "Ihre Nachricht ist gesendet und liegt der Verwaltung vor."
                )
                return redirect("portal:nachrichten", mandant=mandant, vorgang_id=vorgang.pk)
    eintraege = selectors.verlauf_lesen(konto, vorgang)
    services.gelesen(actor=konto, nachrichten=eintraege)
    return seite(
        request,
        "portal/nachrichten/verlauf.html",
        {
            "page_title": f"Nachrichten: {vorgang.title}",
            "vorgang": vorgang,
            "eintraege": eintraege,
            "form": form,
            "max_anlagen": services.MAX_ANLAGEN,
        },
        status=status,
    )


@buerger_erforderlich
@require_http_methods(["GET"])
def anlage(
    request: HttpRequest, mandant: str, vorgang_id: uuid.UUID, anlage_id: uuid.UUID
) -> FileResponse:
    """A document of the Akte the office's answer carries, downloaded (audited)."""
    konto = request.buerger  # type: ignore[attr-defined]
    vorgang = selectors.vorgang(konto, vorgang_id)
    gefunden = selectors.anlage_lesen(konto, vorgang, anlage_id) if vorgang is not None else None
    if gefunden is None or gefunden.dokument is None:
        raise Http404("Diese Anlage gibt es nicht.")
    version = gefunden.dokument.current_version
    assert version is not None
    return dateien.antwort(
        version.sha256, name=f"anlage-{gefunden.position}", typ=version.mime_type
    )


@requires(lambda access, tenant: vertretungen.darf_bearbeiten(access))
@require_http_methods(["GET", "POST"])
def verwaltung(request: TenantRequest, vorgang_id: uuid.UUID) -> HttpResponse:
    """The caseworker's side of the thread, with the answer form."""
    vorgang = records.vorgang(records.Viewer.of(request), vorgang_id)
    if vorgang is None:
        raise Http404
    darf = services.may_answer(request.access, request.user, vorgang)
    dokumente = [(str(d.pk), d.title) for d in services.anhaengbar(vorgang)] if darf else []
    form, status = AntwortForm(request.POST or None, dokumente=dokumente), 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                services.antworten(
                    actor=request.user,
                    access=request.access,
                    vorgang=vorgang,
                    text=form.cleaned_data["text"],
                    dokument_ids=[uuid.UUID(i) for i in form.cleaned_data["dokumente"]],
                )
            except DomainError as exc:
                form.add_error("text", exc.message)
                status = exc.status
            else:
                messages.success(
                    request, "Die Antwort ist im Vorgang abgelegt und liegt im Postfach bereit."
                )
                return redirect("portal:nachrichten_verwaltung", vorgang_id=vorgang.pk)
    eintraege = selectors.verlauf(vorgang)
    records_services.record_vorgang_read(
        actor=request.user, vorgang=vorgang, purpose="Nachrichten der Online-Dienste"
    )
    akte = vorgang.akte
    return render(
        request,
        "portal/nachrichten/verwaltung.html",
        {
            "page_title": f"Nachrichten: {vorgang.title}",
            "breadcrumbs": trail(
                ("Meine Akten", reverse("records:akten")),
                (akte.aktenzeichen, reverse("records:akte_detail", args=[akte.pk])),
                ("Nachrichten (Online-Dienste)", None),
            ),
            "vorgang": vorgang,
            "eintraege": eintraege,
            "darf": darf,
            "form": form,
        },
        status=status,
    )
