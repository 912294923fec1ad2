"""Pages of the citizen's mailbox: „Postfach“ (the letters, unread ones marked „neu“,
the consent to electronic delivery) and a letter's PDF, whose first opening is its
retrieval (§ 37 Abs. 2a SGB X). Thin: selectors read, services write."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from koffer.blobs.store import get_store
from koffer.errors import DomainError
from koffer.portal.nachrichten import selectors as nachrichten
from koffer.portal.postfach import empfang, selectors, services
from koffer.portal.sitzung import buerger_erforderlich
from koffer.portal.views import seite


@buerger_erforderlich
@require_http_methods(["GET", "POST"])
def postfach(request: HttpRequest, mandant: str) -> HttpResponse:
    konto = request.buerger  # type: ignore[attr-defined]
    if request.method == "POST":
        aktion = request.POST.get("aktion", "")
        try:
            if aktion == "einwilligen":
                services.einwilligen(actor=konto)
                messages.success(request, "Sie erhalten Briefe jetzt in Ihrem Postfach.")
            elif aktion == "widerrufen":
                services.widerrufen(actor=konto)
                messages.success(request, "Sie erhalten Briefe wieder per Post.")
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("portal:postfach", mandant=mandant)
    return seite(
        request,
        "portal/postfach/postfach.html",
        {
            "page_title": "Postfach",
            "eintraege": selectors.briefe(konto),
            "vorgaenge": list(nachrichten.vorgaenge(konto)[:50]),
            "antworten": nachrichten.ungelesen(konto),
            "erlaubt": empfang.erlaubt(konto.tenant_id),
        },
    )


@buerger_erforderlich
@require_GET
def brief_pdf(request: HttpRequest, mandant: str, brief_id: uuid.UUID) -> HttpResponse:
    """The letter as filed; the first opening is its retrieval."""
    konto = request.buerger  # type: ignore[attr-defined]
    brief = selectors.brief(konto, brief_id)
    if brief is None or brief.dokument is None or brief.dokument.current_version is None:
        raise Http404("Diesen Brief gibt es nicht.")
    try:
        services.oeffnen(actor=konto, brief=brief)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:postfach", mandant=mandant)
    with get_store().open(brief.dokument.current_version.sha256) as datei:
        pdf = datei.read()
    antwort = HttpResponse(pdf, content_type="application/pdf")
    antwort["Content-Disposition"] = f'inline; filename="brief-{brief.pk}.pdf"'
    antwort["Cache-Control"] = "private, no-store"
    return antwort
