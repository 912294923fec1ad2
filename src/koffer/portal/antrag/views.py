"""Pages of an online application: begin (or resume) from the start page, its steps
(rendered and read back by the Formulare's ``darstellung``, uploads through their
``ablage`` with the E-Akte's inspection), „Angaben prüfen“ with „Einreichen“, the
confirmation and the receipt PDF. Thin: the services write, the selectors read."""

from __future__ import annotations

import uuid
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koffer.errors import DomainError
from koffer.forms.ausfuellen import ablage, zusammenfassung
from koffer.forms.darstellung import antworten_aus_post, navigation_html, schritt_html
from koffer.forms.darstellung.namen import DATEI_ENTFERNEN, WEITERE_ZEILE
from koffer.forms.definition import Definition, sichtbar, text_de
from koffer.forms.errors import Ungueltig
from koffer.forms.katalog import selectors as katalog
from koffer.portal import dateien
from koffer.portal.antrag import selectors, services
from koffer.portal.errors import ZuVieleVersuche
from koffer.portal.models import Antrag
from koffer.portal.sitzung import buerger_erforderlich
from koffer.portal.views import mit_retry_after, seite
from koffer.records.dokumente import services as documents


def _antrag(request: HttpRequest, antrag_id: uuid.UUID) -> Antrag:
    gefunden = selectors.antrag(request.buerger, antrag_id)  # type: ignore[attr-defined]
    if gefunden is None:
        raise Http404("Diesen Antrag gibt es nicht.")
    return gefunden


def _url(antrag: Antrag, name: str, **kwargs: Any) -> str:
    return reverse(
        f"portal:{name}",
        kwargs={"mandant": antrag.tenant.slug, "antrag_id": antrag.pk, **kwargs},
    )


def _schritt_url(antrag: Antrag, schritt_id: str) -> str:
    return _url(antrag, "antrag_schritt", schritt_id=schritt_id)


def _gezeigte(definition: Definition, antworten: dict[str, Any]) -> list[str]:
    ids = sichtbar(definition, antworten, heute=timezone.localdate()).schritte
    return [s.id for s in definition.schritte if s.id in ids]


def _personen(antrag: Antrag, definition: Definition) -> list[tuple[str, str]]:
    return list(services.lage_des_antrags(antrag, definition).namen.items())


@buerger_erforderlich
@require_POST
def beginnen(request: HttpRequest, mandant: str) -> HttpResponse:
    try:
        angebot_id = uuid.UUID(request.POST.get("angebot", ""))
    except ValueError as exc:
        raise Http404("Dieser Antrag wird online nicht angeboten.") from exc
    angebot = selectors.angebot(request.portal_mandant.pk, angebot_id)  # type: ignore[attr-defined]
    if angebot is None:
        raise Http404("Dieser Antrag wird online nicht angeboten.")
    try:
        antrag = services.beginnen(
            actor=request.buerger,  # type: ignore[attr-defined]
            angebot=angebot,
            person_id=request.POST.get("fuer") or None,
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("portal:start", mandant=mandant)
    definition = katalog.definition(antrag.formularversion)
    gezeigte = _gezeigte(definition, antrag.antworten)
    weiter = antrag.schritt if antrag.schritt in gezeigte else gezeigte[0]
    return redirect(_schritt_url(antrag, weiter))


@buerger_erforderlich
@require_http_methods(["GET", "POST"])
def schritt(
    request: HttpRequest, mandant: str, antrag_id: uuid.UUID, schritt_id: str
) -> HttpResponse:
    antrag = _antrag(request, antrag_id)
    if antrag.status != Antrag.Status.OFFEN:
        return redirect(_url(antrag, "antrag_eingereicht"))
    definition = katalog.definition(antrag.formularversion)
    gezeigte = _gezeigte(definition, antrag.antworten)
    if schritt_id not in gezeigte:
        return redirect(_schritt_url(antrag, gezeigte[0]))
    if request.method == "GET":
        selectors.gelesen(antrag, "Online-Antrag bearbeiten")
        return _schritt_seite(request, antrag, definition, schritt_id, {})
    return _schritt_speichern(request, antrag, definition, schritt_id)


def _version(request: HttpRequest) -> int:
    try:
        return int(request.POST.get("version", "0"))
    except ValueError:
        return 0


def _schritt_speichern(
    request: HttpRequest, antrag: Antrag, definition: Definition, schritt_id: str
) -> HttpResponse:
    heute, jetzt = timezone.localdate(), timezone.now()
    vorher = sichtbar(definition, antrag.antworten, heute=heute).felder
    gesendet = antworten_aus_post(definition, schritt_id, request.POST)
    schritt_def = definition.schritt(schritt_id)
    assert schritt_def is not None
    antworten: dict[str, Any] = {
        f.id: None for f in schritt_def.felder if f.id in vorher and f.hat_wert and f.typ != "datei"
    }
    antworten.update(gesendet)
    hochgeladen = sum(len(request.FILES.getlist(k)) for k in request.FILES)
    try:
        services.uploads_zaehlen(actor=request.buerger, anzahl=hochgeladen)  # type: ignore[attr-defined]
    except ZuVieleVersuche as exc:
        messages.error(request, exc.message)
        getippt = {**antrag.antworten, **{k: v for k, v in antworten.items() if v is not None}}
        return mit_retry_after(
            _schritt_seite(
                request, antrag, definition, schritt_id, {}, status=exc.status, antworten=getippt
            ),
            exc.retry_after,
        )
    abgelegt = ablage.ablegen(
        tenant_id=antrag.tenant_id,
        definition=definition,
        schritt_id=schritt_id,
        gezeigt=vorher,
        dateien={k: request.FILES.getlist(k) for k in request.FILES},
        post=request.POST,
        gesendet=gesendet,
        bisher=antrag.antworten,
        jetzt=jetzt,
    )
    antworten.update(abgelegt.antworten)
    try:
        pruefung = services.speichern(
            actor=request.buerger,  # type: ignore[attr-defined]
            antrag=antrag,
            schritt=schritt_id,
            antworten=antworten,
            version=_version(request),
        )
    except DomainError as exc:
        documents.discard_blobs(abgelegt.marken)
        messages.error(request, exc.message)
        # What was typed stays on the page (not saved); the page now carries the stored
        # version, so saving again takes it.
        frisch = _antrag(request, antrag.pk)
        if frisch.status != Antrag.Status.OFFEN:
            return redirect(_url(antrag, "antrag_eingereicht"))
        getippt = {**frisch.antworten, **{k: v for k, v in antworten.items() if v is not None}}
        return _schritt_seite(
            request, frisch, definition, schritt_id, {}, status=exc.status, antworten=getippt
        )
    documents.settle_blobs(abgelegt.marken)
    fehler = {**pruefung.fehler}
    for feld_id, meldungen in abgelegt.fehler.items():
        fehler[feld_id] = [*fehler.get(feld_id, []), *meldungen]
    if request.POST.get(DATEI_ENTFERNEN):
        feld, _, blob = request.POST[DATEI_ENTFERNEN].partition(":")
        try:
            datei = services.datei_entfernen(
                actor=request.buerger,  # type: ignore[attr-defined]
                antrag=antrag,
                feld=feld,
                blob=blob,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Datei „{datei.get('name', '')}“ entfernt.")
        return _schritt_seite(request, antrag, definition, schritt_id, fehler)
    aktion = request.POST.get("aktion", "weiter")
    gezeigte = _gezeigte(definition, antrag.antworten)
    if aktion == "zurueck":
        davor = gezeigte[: gezeigte.index(schritt_id)] if schritt_id in gezeigte else []
        return redirect(_schritt_url(antrag, davor[-1] if davor else schritt_id))
    nachher = sichtbar(definition, antrag.antworten, heute=heute).felder
    neu_gezeigt = {f.id for f in schritt_def.felder if f.id in nachher and f.id not in vorher}
    if fehler or request.POST.get(WEITERE_ZEILE) or neu_gezeigt or aktion == "speichern":
        if aktion == "speichern" and not fehler:
            messages.success(
                request,
                "Ihre Angaben sind gespeichert. Sie können den Antrag später auch auf einem "
                "anderen Gerät fortsetzen.",
            )
        return _schritt_seite(request, antrag, definition, schritt_id, fehler)
    danach = gezeigte[gezeigte.index(schritt_id) + 1 :] if schritt_id in gezeigte else []
    if danach:
        return redirect(_schritt_url(antrag, danach[0]))
    return redirect(_url(antrag, "antrag_pruefen"))


def _schritt_seite(
    request: HttpRequest,
    antrag: Antrag,
    definition: Definition,
    schritt_id: str,
    fehler: dict[str, list[str]],
    status: int = 200,
    antworten: dict[str, Any] | None = None,
) -> HttpResponse:
    heute = timezone.localdate()
    werte = antrag.antworten if antworten is None else antworten
    gezeigt = sichtbar(definition, werte, heute=heute)
    reihe = [s.id for s in definition.schritte if s.id in gezeigt.schritte]
    bis = max([reihe.index(s) for s in (antrag.schritt, schritt_id) if s in reihe] + [0])
    besucht = set(reihe[: bis + 1])
    html = schritt_html(
        definition,
        schritt_id,
        antworten=werte,
        fehler=fehler,
        vorbelegt=antrag.vorbelegt,
        personen=_personen(antrag, definition),
        heute=heute,
    )
    navigation = navigation_html(
        definition,
        schritt_id,
        gezeigt,
        adresse=lambda s: _schritt_url(antrag, s) if s in besucht else "",
    )
    titel = antrag.formularversion.formular.titel
    schritt_titel = text_de(definition.schritt(schritt_id).titel)  # type: ignore[union-attr]
    return seite(
        request,
        "portal/antrag/schritt.html",
        {
            "antrag": antrag,
            "schritt_html": html,
            "navigation_html": navigation,
            "erster": bool(reihe) and reihe[0] == schritt_id,
            "letzter": bool(reihe) and reihe[-1] == schritt_id,
            "titel": titel,
            "page_title": f"{titel} – {schritt_titel}",
            "pruefen_url": _url(antrag, "antrag_pruefen"),
        },
        status=status,
    )


@buerger_erforderlich
@require_http_methods(["GET", "POST"])
def pruefen(request: HttpRequest, mandant: str, antrag_id: uuid.UUID) -> HttpResponse:
    antrag = _antrag(request, antrag_id)
    if antrag.status != Antrag.Status.OFFEN:
        return redirect(_url(antrag, "antrag_eingereicht"))
    definition = katalog.definition(antrag.formularversion)
    befunde: list[dict[str, str]] = []
    status, retry_after = 200, None
    if request.method == "POST":
        try:
            services.einreichen(actor=request.buerger, antrag=antrag)  # type: ignore[attr-defined]
        except Ungueltig as exc:
            befunde = _befunde(definition, antrag, exc.fehler)
            status = 422
        except DomainError as exc:
            messages.error(request, exc.message)
            status, retry_after = exc.status, getattr(exc, "retry_after", None)
        else:
            return redirect(_url(antrag, "antrag_eingereicht"))
    else:
        selectors.gelesen(antrag, "Online-Antrag prüfen")
    personen = dict(_personen(antrag, definition))
    abschnitte = zusammenfassung.abschnitte(
        definition, antrag.antworten, personen=personen, heute=timezone.localdate()
    )
    titel = antrag.formularversion.formular.titel
    response = seite(
        request,
        "portal/antrag/pruefen.html",
        {
            "antrag": antrag,
            "titel": titel,
            "abschnitte": [
                {"abschnitt": a, "url": _schritt_url(antrag, a.id), "angaben": a.angaben}
                for a in abschnitte
            ],
            "befunde": befunde,
            "page_title": f"{titel} – Angaben prüfen",
        },
        status=status,
    )
    return mit_retry_after(response, retry_after)


def _befunde(
    definition: Definition, antrag: Antrag, fehler: dict[str, list[str]]
) -> list[dict[str, str]]:
    ergebnis = []
    for pfad, meldungen in fehler.items():
        feld = definition.felder.get(pfad.split("[", 1)[0].split(".", 1)[0])
        url = f"{_schritt_url(antrag, feld.schritt)}#f-{feld.id}" if feld is not None else ""
        ergebnis += [{"meldung": m, "url": url} for m in meldungen]
    return ergebnis


@buerger_erforderlich
@require_GET
def eingereicht(request: HttpRequest, mandant: str, antrag_id: uuid.UUID) -> HttpResponse:
    antrag = _antrag(request, antrag_id)
    if antrag.status != Antrag.Status.EINGEREICHT:
        return redirect(_url(antrag, "antrag_pruefen"))
    selectors.gelesen(antrag, "Eingangsbestätigung ansehen")
    titel = antrag.formularversion.formular.titel
    return seite(
        request,
        "portal/antrag/eingereicht.html",
        {
            "antrag": antrag,
            "titel": titel,
            "summe": services.summe_lesbar(antrag.pruefsumme),
            "quittung_url": _url(antrag, "antrag_quittung"),
            "page_title": f"{titel} – eingereicht",
        },
    )


@buerger_erforderlich
@require_GET
def quittung(request: HttpRequest, mandant: str, antrag_id: uuid.UUID) -> HttpResponseBase:
    """The receipt: the submitted form with date, time, Mandant and hash (PDF)."""
    antrag = _antrag(request, antrag_id)
    sha256 = selectors.quittung(antrag)
    if sha256 is None:
        return redirect(_url(antrag, "antrag_pruefen"))
    selectors.gelesen(antrag, "Eingangsbestätigung herunterladen")
    name = f"{antrag.formularversion.formular.schluessel}-eingangsbestaetigung.pdf"
    return dateien.antwort(sha256, name=name, typ="application/pdf")
