"""Pages of filling a form at the desk: choosing a form for an Akte, its steps, the
summary „Angaben prüfen“ with „Einreichen“, the confirmation, „Meine Formularentwürfe“
and the empty printable form. Thin: the services write (and ask ``forms.access``), the
selectors read, ``forms.darstellung`` renders a step and reads it back."""

from __future__ import annotations

import base64
import hashlib
import uuid
from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.blobs.store import get_store
from koffer.errors import DomainError
from koffer.forms import access as rules
from koffer.forms.ausfuellen import ablage, selectors, selectors_seiten, services, zusammenfassung
from koffer.forms.ausfuellen.links import fuellt_formulare
from koffer.forms.darstellung import antworten_aus_post, navigation_html, schritt_html
from koffer.forms.darstellung.namen import DATEI_ENTFERNEN, WEITERE_ZEILE
from koffer.forms.definition import Definition, sichtbar, text_de
from koffer.forms.druck import formular_pdf
from koffer.forms.errors import Ungueltig
from koffer.forms.katalog import selectors as katalog
from koffer.forms.models import Entwurf, Formular
from koffer.outbox.briefe.setzen import satzkopf
from koffer.outbox.vorlagen.selectors import briefkopf_fuer
from koffer.records import antwortcode
from koffer.records import selectors as records
from koffer.records.breadcrumbs import akte_trail
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Vorgang
from koffer.shell.breadcrumbs import trail

LEER_CACHE_SEKUNDEN = 24 * 3600


def _akte(request: TenantRequest, akte_id: uuid.UUID) -> Akte:
    akte = records.akte(records.Viewer.of(request), akte_id)
    if akte is None or not rules.fuellt_aus(request.access, request.user.pk, akte):
        raise Http404
    return akte


def _entwurf(request: TenantRequest, entwurf_id: uuid.UUID) -> Entwurf:
    entwurf = selectors.entwurf(request.access, request.user.pk, entwurf_id)
    if entwurf is None:
        raise Http404
    return entwurf


def _vorgang(request: TenantRequest, akte: Akte, roh: str | None) -> Vorgang | None:
    try:
        vorgang_id = uuid.UUID(roh or "")
    except ValueError:
        return None
    vorgang = records.vorgang(records.Viewer.of(request), vorgang_id)
    return vorgang if vorgang is not None and vorgang.akte_id == akte.pk else None


def _schritt_url(entwurf: Entwurf, schritt_id: str) -> str:
    return reverse("forms:entwurf_schritt", args=[entwurf.pk, schritt_id])


def _titel(entwurf: Entwurf) -> str:
    return entwurf.formularversion.formular.titel


# --- choosing a form ---------------------------------------------------------------------


@require_GET
@requires(fuellt_formulare)
def akte_formulare(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    akte = _akte(request, akte_id)
    vorgang = _vorgang(request, akte, request.GET.get("vorgang"))
    fachbereich = akte.aktenplaneinheit.module
    formulare = []
    for formular in katalog.katalog(akte.tenant_id):
        definition = katalog.definition(formular.aktuelle_version)  # type: ignore[arg-type]
        formulare.append(
            {
                "formular": formular,
                "beschreibung": text_de(definition.beschreibung),
                "eigenes": definition.fachbereich == fachbereich,
            }
        )
    # The forms of the Akte's Fachbereich first, each group by title (stable sort).
    formulare.sort(key=lambda f: not f["eigenes"])
    return render(
        request,
        "forms/ausfuellen/akte_formulare.html",
        {
            "akte": akte,
            "vorgang": vorgang,
            "formulare": formulare,
            "entwuerfe": list(selectors_seiten.offene_entwuerfe(akte)),
            "einreichungen": selectors_seiten.einreichungen(akte),
            "offen": akte.status == Akte.Status.OPEN,
            "page_title": "Formular ausfüllen",
            "breadcrumbs": akte_trail(akte, ("Formular ausfüllen", None)),
        },
    )


@require_POST
@requires(fuellt_formulare)
def beginnen(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    akte = _akte(request, akte_id)
    vorgang = _vorgang(request, akte, request.POST.get("vorgang"))
    try:
        formular_id = uuid.UUID(request.POST.get("formular", ""))
    except ValueError as exc:
        raise Http404 from exc
    formular = Formular.objects.for_tenant(akte.tenant_id).filter(pk=formular_id).first()
    if formular is None:
        raise Http404
    try:
        entwurf = services.entwurf_beginnen(
            actor=request.user, access=request.access, formular=formular, akte=akte, vorgang=vorgang
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("forms:akte_formulare", akte_id=akte.pk)
    definition = katalog.definition(entwurf.formularversion)
    return redirect(_schritt_url(entwurf, _gezeigte(definition, entwurf.antworten)[0]))


def _gezeigte(definition: Definition, antworten: dict[str, Any]) -> list[str]:
    ids = sichtbar(definition, antworten, heute=timezone.localdate()).schritte
    return [s.id for s in definition.schritte if s.id in ids]


# --- a step ------------------------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@requires(fuellt_formulare)
def schritt(request: TenantRequest, entwurf_id: uuid.UUID, schritt_id: str) -> HttpResponse:
    entwurf = _entwurf(request, entwurf_id)
    if entwurf.status != Entwurf.Status.OFFEN:
        return _nicht_offen(request, entwurf)
    definition = katalog.definition(entwurf.formularversion)
    gezeigte = _gezeigte(definition, entwurf.antworten)
    if schritt_id not in gezeigte:
        return redirect(_schritt_url(entwurf, gezeigte[0]))
    if request.method == "GET":
        services.record_read(actor=request.user, obj=entwurf, purpose="Formularentwurf geöffnet")
        return _schritt_seite(request, entwurf, definition, schritt_id, {})
    return _schritt_speichern(request, entwurf, definition, schritt_id)


def _schritt_speichern(
    request: TenantRequest, entwurf: Entwurf, definition: Definition, schritt_id: str
) -> HttpResponse:
    heute, jetzt = timezone.localdate(), timezone.now()
    vorher = sichtbar(definition, entwurf.antworten, heute=heute).felder
    gesendet = antworten_aus_post(definition, schritt_id, request.POST)
    # The page replaces the step's answers: a field that was on the page and came back
    # empty is cleared (a file field keeps its uploads: it posts only new ones).
    schritt_def = definition.schritt(schritt_id)
    assert schritt_def is not None
    antworten: dict[str, Any] = {
        f.id: None for f in schritt_def.felder if f.id in vorher and f.hat_wert and f.typ != "datei"
    }
    antworten.update(gesendet)
    abgelegt = ablage.ablegen(
        tenant_id=entwurf.tenant_id,
        definition=definition,
        schritt_id=schritt_id,
        gezeigt=vorher,
        dateien={k: request.FILES.getlist(k) for k in request.FILES},
        post=request.POST,
        gesendet=gesendet,
        bisher=entwurf.antworten,
        jetzt=jetzt,
    )
    antworten.update(abgelegt.antworten)
    try:
        pruefung = services.schritt_speichern(
            actor=request.user,
            access=request.access,
            entwurf=entwurf,
            schritt=schritt_id,
            antworten=antworten,
        )
    except DomainError as exc:
        documents.discard_blobs(abgelegt.marken)
        messages.error(request, exc.message)
        return _schritt_seite(request, entwurf, definition, schritt_id, {}, status=409)
    documents.settle_blobs(abgelegt.marken)
    entwurf.refresh_from_db(fields=["antworten", "vorbelegt", "schritt", "updated_at"])
    fehler = {**pruefung.fehler}
    for feld_id, meldungen in abgelegt.fehler.items():
        fehler[feld_id] = [*fehler.get(feld_id, []), *meldungen]
    if request.POST.get(DATEI_ENTFERNEN):
        # „Datei entfernen“: the step's answers are saved above (nothing typed is lost),
        # then the file goes; the same step again, with the message.
        _datei_entfernen(request, entwurf, request.POST[DATEI_ENTFERNEN])
        entwurf.refresh_from_db(fields=["antworten", "updated_at"])
        return _schritt_seite(request, entwurf, definition, schritt_id, fehler)
    aktion = request.POST.get("aktion", "weiter")
    gezeigte = _gezeigte(definition, entwurf.antworten)
    if aktion == "zurueck":
        davor = gezeigte[: gezeigte.index(schritt_id)] if schritt_id in gezeigte else []
        return redirect(_schritt_url(entwurf, davor[-1] if davor else schritt_id))
    nachher = sichtbar(definition, entwurf.antworten, heute=heute).felder
    neu_gezeigt = {f.id for f in schritt_def.felder if f.id in nachher and f.id not in vorher}
    if fehler or request.POST.get(WEITERE_ZEILE) or neu_gezeigt or aktion == "speichern":
        if aktion == "speichern" and not fehler:
            messages.success(request, "Ihre Angaben sind zwischengespeichert.")
        return _schritt_seite(request, entwurf, definition, schritt_id, fehler)
    danach = gezeigte[gezeigte.index(schritt_id) + 1 :] if schritt_id in gezeigte else []
    if danach:
        return redirect(_schritt_url(entwurf, danach[0]))
    return redirect("forms:entwurf_pruefen", entwurf_id=entwurf.pk)


def _datei_entfernen(request: TenantRequest, entwurf: Entwurf, wert: str) -> None:
    feld, _, blob = wert.partition(":")
    try:
        datei = services.datei_entfernen(
            actor=request.user, access=request.access, entwurf=entwurf, feld=feld, blob=blob
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Datei „{datei.get('name', '')}“ entfernt.")


def _schritt_seite(
    request: TenantRequest,
    entwurf: Entwurf,
    definition: Definition,
    schritt_id: str,
    fehler: dict[str, list[str]],
    status: int = 200,
) -> HttpResponse:
    heute = timezone.localdate()
    gezeigt = sichtbar(definition, entwurf.antworten, heute=heute)
    reihe = [s.id for s in definition.schritte if s.id in gezeigt.schritte]
    # Steps up to the furthest one saved, or answered, are links; later ones not yet.
    weitester = max(
        [reihe.index(s) for s in (entwurf.schritt, schritt_id) if s in reihe]
        + [
            i
            for i, s in enumerate(reihe)
            if any(f.id in entwurf.antworten for f in definition.schritt(s).felder)  # type: ignore[union-attr]
        ]
    )
    besucht = set(reihe[: weitester + 1])
    personen = selectors_seiten.personen(entwurf.akte)
    html = schritt_html(
        definition,
        schritt_id,
        antworten=entwurf.antworten,
        fehler=fehler,
        vorbelegt=entwurf.vorbelegt,
        personen=personen,
        heute=heute,
    )
    navigation = navigation_html(
        definition,
        schritt_id,
        gezeigt,
        adresse=lambda s: _schritt_url(entwurf, s) if s in besucht else "",
    )
    titel = _titel(entwurf)
    return render(
        request,
        "forms/ausfuellen/schritt.html",
        {
            "entwurf": entwurf,
            "akte": entwurf.akte,
            "schritt_html": html,
            "navigation_html": navigation,
            "erster": reihe and reihe[0] == schritt_id,
            "letzter": reihe and reihe[-1] == schritt_id,
            "page_title": f"{titel} – {text_de(definition.schritt(schritt_id).titel)}",  # type: ignore[union-attr]
            "titel": titel,
            "breadcrumbs": akte_trail(entwurf.akte, (titel, None)),
        },
        status=status,
    )


def _nicht_offen(request: TenantRequest, entwurf: Entwurf) -> HttpResponse:
    einreichung = selectors.einreichung_von(entwurf)
    if einreichung is not None:
        return redirect("forms:einreichung", einreichung_id=einreichung.pk)
    messages.info(request, f"Dieser Entwurf ist {entwurf.get_status_display()}.")
    return redirect("forms:meine_entwuerfe")


# --- summary and submission --------------------------------------------------------------


@require_http_methods(["GET", "POST"])
@requires(fuellt_formulare)
def pruefen(request: TenantRequest, entwurf_id: uuid.UUID) -> HttpResponse:
    entwurf = _entwurf(request, entwurf_id)
    if entwurf.status != Entwurf.Status.OFFEN:
        return _nicht_offen(request, entwurf)
    definition = katalog.definition(entwurf.formularversion)
    befunde: list[dict[str, str]] = []
    if request.method == "POST":
        try:
            einreichung = services.einreichen(
                actor=request.user, access=request.access, entwurf=entwurf
            )
        except Ungueltig as exc:
            befunde = _befunde(definition, entwurf, exc.fehler)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Das Formular ist eingereicht und in der Akte abgelegt.")
            return redirect("forms:einreichung", einreichung_id=einreichung.pk)
    else:
        services.record_read(actor=request.user, obj=entwurf, purpose="Formularentwurf geprüft")
    personen = dict(selectors_seiten.personen(entwurf.akte))
    abschnitte = zusammenfassung.abschnitte(
        definition, entwurf.antworten, personen=personen, heute=timezone.localdate()
    )
    titel = _titel(entwurf)
    return render(
        request,
        "forms/ausfuellen/pruefen.html",
        {
            "entwurf": entwurf,
            "akte": entwurf.akte,
            "titel": titel,
            "abschnitte": [
                {
                    "abschnitt": a,
                    "url": _schritt_url(entwurf, a.id),
                    "angaben": [(x, _bild(x.bild)) for x in a.angaben],
                }
                for a in abschnitte
            ],
            "befunde": befunde,
            "page_title": f"{titel} – Angaben prüfen",
            "breadcrumbs": akte_trail(
                entwurf.akte,
                (titel, _schritt_url(entwurf, abschnitte[0].id) if abschnitte else None),
                ("Angaben prüfen", None),
            ),
        },
    )


def _befunde(
    definition: Definition, entwurf: Entwurf, fehler: dict[str, list[str]]
) -> list[dict[str, str]]:
    """Each finding with a link to the step (and control) to correct it."""
    ergebnis = []
    for pfad, meldungen in fehler.items():
        feld_id = pfad.split("[", 1)[0].split(".", 1)[0]
        feld = definition.felder.get(feld_id)
        schritt_id = feld.schritt if feld is not None else None
        url = f"{_schritt_url(entwurf, schritt_id)}#f-{feld_id}" if schritt_id else ""
        ergebnis += [{"meldung": m, "url": url} for m in meldungen]
    return ergebnis


def _bild(sha: str) -> str:
    """A signature's PNG as a data URL (small; only a blob the draft names)."""
    if not sha:
        return ""
    try:
        with get_store().open(sha) as datei:
            png = datei.read(2_000_000)
    except (OSError, ValueError):
        return ""
    if hashlib.sha256(png).hexdigest() != sha:
        return ""
    return "data:image/png;base64," + base64.b64encode(png).decode()


@require_GET
@requires(fuellt_formulare)
def einreichung(request: TenantRequest, einreichung_id: uuid.UUID) -> HttpResponse:
    gefunden = selectors.einreichung(request.access, request.user.pk, einreichung_id)
    if gefunden is None:
        raise Http404
    titel = gefunden.formularversion.formular.titel
    return render(
        request,
        "forms/ausfuellen/einreichung.html",
        {
            "einreichung": gefunden,
            "akte": gefunden.akte,
            "wiedervorlage": selectors_seiten.wiedervorlage(gefunden),
            "drucken": selectors_seiten.druck_knopf(
                request.access, request.user.pk, request.tenant, gefunden
            ),
            "titel": titel,
            "page_title": f"{titel} – eingereicht",
            "breadcrumbs": akte_trail(gefunden.akte, (f"{titel} eingereicht", None)),
        },
    )


# --- my drafts ---------------------------------------------------------------------------


@require_GET
@requires(fuellt_formulare)
def meine_entwuerfe(request: TenantRequest) -> HttpResponse:
    entwuerfe = selectors_seiten.meine_entwuerfe(request.access, request.user.pk)
    zeilen = []
    for entwurf in entwuerfe:
        definition = katalog.definition(entwurf.formularversion)
        schritt_def = definition.schritt(entwurf.schritt) or definition.schritte[0]
        zeilen.append(
            {
                "entwurf": entwurf,
                "schritt": text_de(schritt_def.titel),
                "url": _schritt_url(entwurf, schritt_def.id),
            }
        )
    return render(
        request,
        "forms/ausfuellen/meine_entwuerfe.html",
        {
            "zeilen": zeilen,
            "page_title": "Meine Formularentwürfe",
            "breadcrumbs": trail(("Meine Formularentwürfe", None)),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(fuellt_formulare)
def verwerfen(request: TenantRequest, entwurf_id: uuid.UUID) -> HttpResponse:
    entwurf = _entwurf(request, entwurf_id)
    if entwurf.status != Entwurf.Status.OFFEN:
        return _nicht_offen(request, entwurf)
    if request.method == "POST":
        try:
            services.verwerfen(actor=request.user, access=request.access, entwurf=entwurf)
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, f"Der Entwurf „{_titel(entwurf)}“ ist verworfen.")
        return redirect("forms:meine_entwuerfe")
    return render(
        request,
        "forms/ausfuellen/verwerfen.html",
        {
            "entwurf": entwurf,
            "akte": entwurf.akte,
            "titel": _titel(entwurf),
            "page_title": "Entwurf verwerfen",
            "breadcrumbs": trail(
                ("Meine Formularentwürfe", reverse("forms:meine_entwuerfe")),
                ("Entwurf verwerfen", None),
            ),
        },
    )


# --- the empty printable form ------------------------------------------------------------


@require_GET
@requires(fuellt_formulare)
def leer_pdf(request: TenantRequest, akte_id: uuid.UUID, formular_id: uuid.UUID) -> HttpResponse:
    """The empty form to print for the Akte: the letterhead of its unit, its Aktenzeichen
    and its reply code (the Akte, and the Vorgang of ``?vorgang=``), so a copy filled in
    by hand, signed and scanned is filed there by the Posteingang. No answers, no person:
    the PDF is cached per version, letterhead and Akte."""
    akte = _akte(request, akte_id)
    formular = next((f for f in katalog.katalog(akte.tenant_id) if f.pk == formular_id), None)
    if formular is None or formular.aktuelle_version is None:
        raise Http404
    vorgang = _vorgang(request, akte, request.GET.get("vorgang"))
    version = formular.aktuelle_version
    kopf = satzkopf(briefkopf_fuer(akte.unit), akte.unit.name)
    code = antwortcode.encode(
        antwortcode.Antwortcode(
            tenant_id=akte.tenant_id,
            akte_id=akte.pk,
            vorgang_id=vorgang.pk if vorgang is not None else None,
        )
    )
    schluessel = (
        "forms:leer:"
        + hashlib.sha256(f"{version.pk}|{kopf!r}|{code}|{akte.aktenzeichen}".encode()).hexdigest()
    )
    pdf = cache.get(schluessel)
    if not isinstance(pdf, bytes):
        pdf = formular_pdf(
            katalog.definition(version),
            None,
            briefkopf=kopf,
            antwortcode=code,
            kopfzeilen=(("Aktenzeichen", akte.aktenzeichen), ("Version", str(version.nummer))),
            heute=timezone.localdate(),
        )
        cache.set(schluessel, pdf, LEER_CACHE_SEKUNDEN)
    antwort = HttpResponse(pdf, content_type="application/pdf")
    dateiname = f"{formular.schluessel}-leer.pdf"
    antwort["Content-Disposition"] = f'attachment; filename="{dateiname}"'
    return antwort
