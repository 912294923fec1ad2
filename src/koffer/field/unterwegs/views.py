"""The Koffer's own page on the laptop („Koffer“, Koffer mode only; 404 in the office):
paired with which office, as whom, since when; last pull and sync; the carried Akten
until when and their changes waiting to be sent; the office reachable or not; „Jetzt
abholen“ and „Jetzt abgleichen“ as jobs with live progress; pairing by code."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.accounts.lockout import client_ip
from koffer.field import access
from koffer.field.geraete import texte
from koffer.field.paket import abholung
from koffer.field.unterwegs import ablauf, einrichtung, selectors, tasks, uhr, verfall, vermerke
from koffer.field.unterwegs.forms import KopplungForm
from koffer.field.unterwegs.middleware import gesperrt_seite
from koffer.jobs import services as jobs
from koffer.jobs.models import Job
from koffer.shell.breadcrumbs import trail

TITEL = "Koffer"
HTMX_STOP_POLLING = 286

View = Callable[..., HttpResponse]


def nur_im_koffer(view: View) -> View:
    """In the office these pages do not exist (404), whoever asks."""

    @wraps(view)
    def wrapped(request: TenantRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not ablauf.im_koffer():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _zeit(value: object) -> str:
    moment = selectors.zeit(value)
    return texte.zeitpunkt(moment) if moment else ""


def _letzter_auftrag(request: TenantRequest) -> Job | None:
    return (
        Job.objects.for_tenant(request.tenant.pk)
        .filter(kind__in=tasks.ARTEN)
        .order_by("-created_at")
        .first()
    )


def _seite(request: TenantRequest, form: KopplungForm, status: int = 200) -> HttpResponse:
    verfall.abgelaufene_abwischen()
    notiz = vermerke.lesen()
    gekoppelt = ablauf.gekoppelt()
    ausleihen = selectors.getragene_akten()
    je_akte, nicht = selectors.offene_aenderungen()
    geraet = selectors.dieser_koffer()
    abholung_ = notiz.get("abholung") or {}
    abgleich_ = notiz.get("abgleich") or {}
    gesperrt = notiz.get("gesperrt") or {}
    verfallen = notiz.get("verfall") or {}
    buero = ""
    if gekoppelt:
        try:
            buero = ablauf.zugang().url
        except ablauf.Fehlgeschlagen:
            gekoppelt = False
    return render(
        request,
        "field/unterwegs/koffer.html",
        {
            "page_title": TITEL,
            "breadcrumbs": trail((TITEL, None)),
            "gekoppelt": gekoppelt,
            "buero": buero,
            "geraet": geraet,
            "gekoppelt_am": texte.zeitpunkt(geraet.gekoppelt_am)
            if geraet is not None and geraet.gekoppelt_am
            else _zeit((notiz.get("gekoppelt") or {}).get("am")),
            "abholung": {**abholung_, "zeit": _zeit(abholung_.get("am"))},
            "abgleich": {**abgleich_, "zeit": _zeit(abgleich_.get("am"))},
            "gesperrt": {**gesperrt, "zeit": _zeit(gesperrt.get("am"))} if gesperrt else None,
            "verfall": {**verfallen, "zeit": _zeit(verfallen.get("am"))} if verfallen else None,
            "akten": [(a, texte.tag(a.bis), je_akte.get(str(a.akte_id), 0)) for a in ausleihen],
            "ohne_akte": je_akte.get(selectors.OHNE_AKTE, 0),
            "nicht_uebertragen": nicht,
            "uhr_warnung": uhr.warnung(),
            "job": _letzter_auftrag(request),
            "form": form,
        },
        status=status,
    )


@require_GET
@nur_im_koffer
@requires(access.seite_unterwegs)
def koffer(request: TenantRequest) -> HttpResponse:
    return _seite(request, KopplungForm(initial={"buero": settings.KOFFER_BUERO_URL}))


@require_http_methods(["POST"])
@nur_im_koffer
@requires(access.seite_unterwegs)
def koppeln(request: TenantRequest) -> HttpResponse:
    form = KopplungForm(request.POST)
    if form.is_valid():
        try:
            ablauf.koppeln(url=form.cleaned_data["buero"], code=form.cleaned_data["code"])
        except ablauf.Fehlgeschlagen as exc:
            form.add_error("code", exc.message)
        else:
            messages.success(request, "Der Koffer ist mit dem Büro gekoppelt.")
            return redirect("field:unterwegs")
    return _seite(request, form, status=400)


def _starten(request: TenantRequest, art: str, titel: str) -> HttpResponse:
    laufend = _letzter_auftrag(request)
    if laufend is not None and not laufend.is_finished:
        messages.info(request, "Es läuft schon ein Auftrag; bitte warten Sie, bis er fertig ist.")
        return redirect("field:unterwegs")
    if not ablauf.gekoppelt():
        messages.error(request, "Dieser Koffer ist nicht gekoppelt; bitte zuerst koppeln.")
        return redirect("field:unterwegs")
    try:
        jobs.start_job(actor=request.user, tenant=request.tenant, kind=art, title=titel)
    except jobs.JobRefused as exc:
        messages.error(request, exc.message)
    return redirect("field:unterwegs")


@require_POST
@nur_im_koffer
@requires(access.seite_unterwegs)
def abholen(request: TenantRequest) -> HttpResponse:
    return _starten(request, tasks.ABHOLEN, "Koffer: jetzt abholen")


@require_POST
@nur_im_koffer
@requires(access.seite_unterwegs)
def abgleichen(request: TenantRequest) -> HttpResponse:
    return _starten(request, tasks.ABGLEICHEN, "Koffer: jetzt abgleichen")


def _auftrag(request: TenantRequest) -> Job:
    """The page's current job: the latest pull or sync of this Mandant."""
    job = _letzter_auftrag(request)
    if job is None:
        raise Http404
    return job


@require_GET
@nur_im_koffer
@requires(access.seite_unterwegs)
def fortschritt(request: TenantRequest) -> HttpResponse:
    """The live part of the page, polled by htmx; 286 once the job is finished."""
    job = _auftrag(request)
    status = HTMX_STOP_POLLING if job.is_finished else 200
    return render(request, "field/unterwegs/_lauf.html", {"job": job}, status=status)


@require_POST
@nur_im_koffer
@requires(access.seite_unterwegs)
def wiederholen(request: TenantRequest) -> HttpResponse:
    """Retry the failed pull or sync (the waiting payload goes again as it is)."""
    job = _auftrag(request)
    try:
        jobs.retry_job(actor=request.user, job=job)
    except jobs.JobRefused as exc:
        messages.error(request, exc.message)
    return redirect("field:unterwegs")


@require_GET
@nur_im_koffer
@requires(access.seite_unterwegs)
def buero(request: TenantRequest) -> HttpResponse:
    """The office reachable or not (loaded after the page, short timeout). A revoked
    Koffer learns it here too and wipes at once."""
    ergebnis = None
    gesperrt = ""
    if ablauf.gekoppelt():
        try:
            zugang = ablauf.zugang()
        except ablauf.Fehlgeschlagen:
            zugang = None
        if zugang is not None:
            ergebnis = selectors.buero_pruefen(zugang)
            if ergebnis.gesperrt:
                gesperrt = ablauf.gesperrt_abwischen(
                    zugang, None, abholung.KofferGesperrt(ergebnis.meldung)
                ).message
                if ablauf.geloescht():  # the database is gone: nothing else to show
                    return gesperrt_seite()
    return render(
        request,
        "field/unterwegs/_buero.html",
        {"ergebnis": ergebnis, "gesperrt": gesperrt, "uhr_warnung": uhr.warnung()},
    )


def nur_beim_einrichten(view: View) -> View:
    """The set-up pages exist only while this Koffer has no account and is not paired
    (or its first pull runs); otherwise 404, whoever asks."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not einrichtung.offen():
            raise Http404
        return view(request, *args, **kwargs)

    return wrapped


def _einrichten_seite(request: HttpRequest, form: KopplungForm, status: int = 200) -> HttpResponse:
    return render(
        request,
        "field/unterwegs/einrichten.html",
        {
            "page_title": "Koffer einrichten",
            "form": form,
            "gekoppelt": ablauf.gekoppelt(),
            "stand": einrichtung.stand(),
        },
        status=status,
    )


@require_http_methods(["GET", "POST"])
@nur_beim_einrichten
def einrichten(request: HttpRequest) -> HttpResponse:
    """„Koffer einrichten“: pair by the office's address and code, then the first pull."""
    if request.method == "GET":
        return _einrichten_seite(
            request, KopplungForm(initial={"buero": settings.KOFFER_BUERO_URL})
        )
    if ablauf.gekoppelt():  # paired here already: „Erneut abholen“
        einrichtung.starten()
        return redirect("field:einrichten")
    form = KopplungForm(request.POST)
    if form.is_valid():
        try:
            einrichtung.koppeln(
                url=form.cleaned_data["buero"],
                code=form.cleaned_data["code"],
                client_ip=client_ip(request),
            )
        except ablauf.Fehlgeschlagen as exc:
            form.add_error("code", exc.message)
        else:
            einrichtung.starten()
            return redirect("field:einrichten")
    return _einrichten_seite(request, form, status=400)


@require_GET
def einrichten_stand(request: HttpRequest) -> HttpResponse:
    """The live part of the set-up page, polled by htmx; 286 once the pull ended. Its end
    („Koffer eingerichtet“, counts and the way to the sign-in, no personal data) is still
    shown after the account arrived and the page itself is gone."""
    stand = einrichtung.stand()
    fertig = ablauf.im_koffer() and stand.get("stand") == einrichtung.FERTIG
    if not (einrichtung.offen() or fertig):
        raise Http404
    laeuft = stand.get("stand") == einrichtung.LAEUFT
    return render(
        request,
        "field/unterwegs/_einrichten_stand.html",
        {"stand": stand},
        status=200 if laeuft else HTMX_STOP_POLLING,
    )
