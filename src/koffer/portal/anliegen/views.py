"""„Mein Anliegen“: the citizen's pages — „Meine Anträge“ with each application's current
step, an application's timeline with the files sent and open requests, a request for
documents (upload per item, remove, send) and the downloads of what was sent. Thin: the
selectors read (audited), the services write."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from koffer.errors import DomainError
from koffer.portal import dateien
from koffer.portal.anliegen import selectors, services
from koffer.portal.antrag import selectors as antraege
from koffer.portal.models import Nachforderung
from koffer.portal.sitzung import buerger_erforderlich
from koffer.portal.views import mit_retry_after, seite


def _datei_antwort(sha256: str, name: str, typ: str) -> FileResponse:
    return dateien.antwort(sha256, name=name, typ=typ)


@buerger_erforderlich
@require_GET
def meine_antraege(request: HttpRequest, mandant: str) -> HttpResponse:
    konto = request.buerger  # type: ignore[attr-defined]
    return seite(
        request,
        "portal/anliegen/antraege.html",
        {"page_title": "Meine Anträge", "staende": selectors.meine_antraege(konto)},
    )


@buerger_erforderlich
@require_GET
def antrag(request: HttpRequest, mandant: str, antrag_id: uuid.UUID) -> HttpResponse:
    konto = request.buerger  # type: ignore[attr-defined]
    stand = selectors.anliegen(konto, antrag_id)
    if stand is None:
        raise Http404("Diesen Antrag gibt es nicht.")
    return seite(
        request,
        "portal/anliegen/antrag.html",
        {
            "page_title": f"{stand.titel} – Stand",
            "stand": stand,
            "anlagen": selectors.anlagen(stand.antrag),
        },
    )


@buerger_erforderlich
@require_GET
def anlage(request: HttpRequest, mandant: str, antrag_id: uuid.UUID, blob: str) -> FileResponse:
    """A file attached to the application, downloaded again (audited)."""
    konto = request.buerger  # type: ignore[attr-defined]
    gefunden = antraege.antrag(konto, antrag_id)
    eintrag = None
    if gefunden is not None:
        eintrag = next((a for a in selectors.anlagen(gefunden) if a["blob"] == blob), None)
    if gefunden is None or eintrag is None:
        raise Http404("Diese Datei gibt es nicht.")
    name = str(eintrag.get("name", "datei"))
    selectors.datei_gelesen(konto, gefunden, name)
    return _datei_antwort(blob, name, str(eintrag.get("typ", "")))


def _uuid(roh: str) -> uuid.UUID:
    try:
        return uuid.UUID(roh)
    except ValueError as exc:
        raise Http404("Diese Unterlage gibt es nicht.") from exc


def _nachforderung_url(nf: Nachforderung) -> str:
    return reverse(
        "portal:nachforderung",
        kwargs={"mandant": nf.antrag.tenant.slug, "nachforderung_id": nf.pk},
    )


@buerger_erforderlich
@require_http_methods(["GET", "POST"])
def nachforderung(request: HttpRequest, mandant: str, nachforderung_id: uuid.UUID) -> HttpResponse:
    konto = request.buerger  # type: ignore[attr-defined]
    nf = selectors.nachforderung(konto, nachforderung_id)
    if nf is None:
        raise Http404("Diese Anforderung gibt es nicht.")
    fehler: list[str] = []
    status = 200
    retry_after: int | None = None
    if request.method == "POST":
        aktion = request.POST.get("aktion", "")
        try:
            if aktion == "hochladen":
                posten_id = _uuid(request.POST.get("posten", ""))
                dateien = request.FILES.getlist("dateien")
                fehler = (
                    services.hochladen(
                        actor=konto, nachforderung=nf, posten_id=posten_id, dateien=dateien
                    )
                    if dateien
                    else ["Bitte wählen Sie eine Datei aus."]
                )
            elif aktion == "entfernen":
                datei = services.datei_entfernen(
                    actor=konto,
                    nachforderung=nf,
                    datei_id=_uuid(request.POST.get("datei", "")),
                )
                messages.success(request, f"Datei „{datei.name}“ entfernt.")
            elif aktion == "senden":
                services.beantworten(actor=konto, nachforderung=nf)
                messages.success(
                    request,
                    "Ihre Unterlagen sind gesendet. Die Verwaltung hat sie erhalten.",
                )
                return HttpResponseRedirect(
                    reverse(
                        "portal:anliegen", kwargs={"mandant": mandant, "antrag_id": nf.antrag_id}
                    )
                )
        except DomainError as exc:
            fehler, status = [exc.message], exc.status
            retry_after = getattr(exc, "retry_after", None)
        if fehler:
            status = status if status != 200 else 422
        else:
            if aktion == "hochladen":
                messages.success(
                    request,
                    "Die Dateien sind hochgeladen. Bitte senden Sie sie ab, wenn alles dabei ist.",
                )
            return HttpResponseRedirect(_nachforderung_url(nf))
        nf = selectors.nachforderung(konto, nachforderung_id) or nf
    return mit_retry_after(
        seite(
            request,
            "portal/anliegen/nachforderung.html",
            {
                "page_title": "Unterlagen nachreichen",
                "nf": nf,
                "posten": list(nf.posten.all()),
                "fehler": fehler,
                "offen": nf.status == Nachforderung.Status.OFFEN,
            },
            status=status,
        ),
        retry_after,
    )


@buerger_erforderlich
@require_GET
def nachforderung_datei(request: HttpRequest, mandant: str, datei_id: uuid.UUID) -> FileResponse:
    """A file uploaded for a request, downloaded again (audited)."""
    konto = request.buerger  # type: ignore[attr-defined]
    datei = selectors.datei(konto, datei_id)
    if datei is None:
        raise Http404("Diese Datei gibt es nicht.")
    selectors.datei_gelesen(konto, datei.posten.nachforderung, datei.name)
    return _datei_antwort(datei.blob, datei.name, datei.typ)
