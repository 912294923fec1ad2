"""Pages of the citizen's mailbox: „Postfach“ (the letters, unread ones marked „neu“,
the consent to electronic delivery) and a letter's PDF, whose first opening is its
retrieval (§ 37 Abs. 2a SGB X). Thin: selectors read, services write."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.views.decorators.http import require_GET, require_http_methods

from koffer.errors import DomainError
from koffer.portal import dateien
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
            "eintraege": selectors.briefe_lesen(konto, "Postfach im Portal"),
            "vorgaenge": nachrichten.vorgaenge_lesen(konto, "Nachrichten: Vorgänge im Portal"),
            "antworten": nachrichten.ungelesen(konto),
            "erlaubt": empfang.erlaubt(konto.tenant_id),
        },
    )


@buerger_erforderlich
@require_GET
def brief_pdf(request: HttpRequest, mandant: str, brief_id: uuid.UUID) -> HttpResponseBase:
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
    return dateien.antwort(
        brief.dokument.current_version.sha256,
        name=f"brief-{brief.pk}.pdf",
        typ="application/pdf",
        anhang=False,
    )
