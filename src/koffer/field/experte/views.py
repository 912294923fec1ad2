"""Pages of the Expertensitzung: the list (invitations as expert, one's sessions, one's
drafts to invite to), the invitation with consent, the live session page, its writes
(answered as JSON to the page's script, or by a redirect without it) and its event
stream. Thin: selectors read, services write, access from ``field.access``."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.accounts.middleware import passive
from koffer.errors import DomainError
from koffer.field import access as rules
from koffer.field.experte import koffer, seite, selectors, services
from koffer.field.experte.forms import EinladenForm, HinweisForm
from koffer.field.models import Sitzung
from koffer.field.unterwegs import ablauf, tasks
from koffer.jobs import services as jobs
from koffer.jobs.models import Job
from koffer.shell.breadcrumbs import trail
from koffer.shell.live import allow_pages, stream_origin, stream_url

TITEL = "Expertensitzungen"
# Each open stream holds a thread of the stream process (koffer.shell.live): bounded,
# and each stream ends after a while so that threads rotate (the browser reconnects with
# Last-Event-ID and misses nothing). A change is sent within one poll of the database.
LIVE_STREAMS = threading.BoundedSemaphore(settings.KOFFER_LIVE_STREAMS)
LIVE_SECONDS = 25.0
LIVE_POLL = 0.05
PING_SECONDS = 10.0


def _liste() -> tuple[str, str]:
    return (TITEL, reverse("field:experte"))


def _sitzung(request: TenantRequest, sitzung_id: uuid.UUID) -> Sitzung:
    row = selectors.sitzung(request.access, request.user.pk, sitzung_id)
    if row is None:
        raise Http404
    return row


def _will_json(request: TenantRequest) -> bool:
    return request.headers.get("X-Requested-With") == "fetch"


def _antwort(request: TenantRequest, row: Sitzung, daten: dict[str, Any]) -> HttpResponse:
    if _will_json(request):
        return JsonResponse(daten)
    return redirect("field:experte_sitzung", sitzung_id=row.pk)


def _fehler(request: TenantRequest, row: Sitzung, exc: DomainError) -> HttpResponse:
    if _will_json(request):
        return JsonResponse(
            {"code": exc.code, "fehler": exc.message, **(exc.extra or {})}, status=exc.status
        )
    messages.error(request, exc.message)
    return redirect("field:experte_sitzung", sitzung_id=row.pk)


@require_GET
@requires(rules.seite_experte)
def liste(request: TenantRequest) -> HttpResponse:
    return render(
        request,
        "field/experte/liste.html",
        {
            "einladungen": selectors.einladungen(request.access, request.user.pk),
            "gestartet": selectors.gestartete(request.access, request.user.pk),
            "entwuerfe": selectors.entwuerfe(request.access, request.user),
            "im_koffer": ablauf.im_koffer(),
            "page_title": TITEL,
            "breadcrumbs": trail((TITEL, None)),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(rules.seite_experte)
def einladen(request: TenantRequest, entwurf_id: uuid.UUID) -> HttpResponse:
    entwurf = selectors.entwurf(request.access, request.user.pk, entwurf_id)
    if entwurf is None:
        raise Http404
    assert request.tenant is not None
    experten = selectors.experten(request.tenant.pk, request.user.pk)
    form = EinladenForm(request.POST or None)
    form.set_choices([(str(p.pk), p.get_full_name() or p.username) for p in experten])
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            row = services.starten(
                actor=request.user,
                access=request.access,
                entwurf=entwurf,
                experte=next(p for p in experten if str(p.pk) == data["experte"]),
                einwilligung_von=data["einwilligung_von"],
                einwilligung_art=data["einwilligung_art"],
                eingewilligt=data["eingewilligt"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"{row.experte.get_full_name()} ist eingeladen und sieht die Einladung unter "
                f"„{TITEL}“.",
            )
            return redirect("field:experte_sitzung", sitzung_id=row.pk)
    titel = entwurf.formularversion.formular.titel
    return render(
        request,
        "field/experte/einladen.html",
        {
            "entwurf": entwurf,
            "titel": titel,
            "form": form,
            "page_title": "Expertin/Experte einladen",
            "breadcrumbs": trail(_liste(), ("Einladen", None)),
        },
    )


@require_POST
@requires(rules.seite_experte)
def im_buero(request: TenantRequest, entwurf_id: uuid.UUID) -> HttpResponse:
    """On a Koffer: a draft of the field worker's, to fill with an expert in the office.
    The office has it (same id): off to its invitation page (or the open session).
    Not yet: „Jetzt abgleichen“ starts (the draft goes with it), and the Koffer's page
    says to press the button again once the sync is done (``experte.koffer``)."""
    if not ablauf.im_koffer():
        raise Http404
    entwurf = selectors.entwurf(request.access, request.user.pk, entwurf_id)
    if entwurf is None:
        raise Http404
    try:
        ziel = koffer.im_buero(entwurf)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("field:experte")
    if ziel is not None:
        return redirect(ziel.url)
    laufend = (
        Job.objects.for_tenant(request.tenant.pk)
        .filter(kind__in=tasks.ARTEN)
        .order_by("-created_at")
        .first()
    )
    if laufend is None or laufend.is_finished:
        try:
            jobs.start_job(
                actor=request.user,
                tenant=request.tenant,
                kind=tasks.ABGLEICHEN,
                title="Koffer: jetzt abgleichen",
            )
        except jobs.JobRefused as exc:
            messages.error(request, exc.message)
            return redirect("field:experte")
    messages.info(
        request,
        "Diesen Entwurf hat das Büro noch nicht: er wird jetzt mit dem Abgleich übertragen. "
        "Sobald der Abgleich fertig ist, wählen Sie unter „Expertensitzungen“ erneut "
        "„Im Büro mit Expertin/Experte ausfüllen“.",
    )
    return redirect("field:unterwegs")


@require_GET
@requires(rules.seite_experte)
def sitzung(request: TenantRequest, sitzung_id: uuid.UUID) -> HttpResponse:
    row = _sitzung(request, sitzung_id)
    rolle = selectors.rolle(row, request.user.pk)
    # The expert sees the form's values only once joined (the join is audited).
    dabei = rolle == selectors.AUSSENDIENST or (
        row.beigetreten_am is not None and row.verlassen_am is None
    )
    offen = row.status == Sitzung.Status.OFFEN
    sicht = selectors.sicht(row, request.user.pk) if dabei and offen else None
    if sicht is not None:
        services.record_read(actor=request.user, sitzung=row)
    hinweis_form = HinweisForm()
    steuerungen = {}
    if sicht is not None:
        hinweis_form.set_choices(
            [(f.id, f"{f.label} ({f.schritt})") for f in sicht.felder if not f.maskiert]
        )
        steuerungen = seite.steuerungen(row, sicht.felder)
    live_path = reverse("field:experte_live", args=[row.pk]) + f"?nach={row.letzte_nummer}"
    response = render(
        request,
        "field/experte/sitzung.html",
        {
            "sitzung": row,
            "rolle": rolle,
            "ist_experte": rolle == selectors.EXPERTE,
            "dabei": dabei,
            "offen": offen,
            "sicht": sicht,
            "hinweis_form": hinweis_form,
            "boxen": [_box(row, f, steuerungen, sicht) for f in sicht.felder] if sicht else [],
            "live_url": stream_url(request, live_path),
            "page_title": f"Expertensitzung: {row.entwurf.formularversion.formular.titel}",
            "breadcrumbs": trail(_liste(), ("Sitzung", None)),
        },
    )
    streams = stream_origin(request)
    if streams:  # django-csp adds it to the settings' connect-src for this page
        response._csp_update = {"connect-src": [streams]}  # type: ignore[attr-defined]
    return response


@require_POST
@requires(rules.seite_experte)
def beitreten(request: TenantRequest, sitzung_id: uuid.UUID) -> HttpResponse:
    row = _sitzung(request, sitzung_id)
    try:
        services.beitreten(actor=request.user, sitzung=row)
    except DomainError as exc:
        return _fehler(request, row, exc)
    return _antwort(request, row, {"ok": True})


@require_POST
@requires(rules.seite_experte)
def verlassen(request: TenantRequest, sitzung_id: uuid.UUID) -> HttpResponse:
    row = _sitzung(request, sitzung_id)
    try:
        services.verlassen(actor=request.user, sitzung=row)
    except DomainError as exc:
        return _fehler(request, row, exc)
    messages.success(request, "Sie haben die Sitzung verlassen.")
    return redirect("field:experte")


@require_POST
@requires(rules.seite_experte)
def beenden(request: TenantRequest, sitzung_id: uuid.UUID) -> HttpResponse:
    row = _sitzung(request, sitzung_id)
    try:
        services.beenden(actor=request.user, access=request.access, sitzung=row)
    except DomainError as exc:
        return _fehler(request, row, exc)
    messages.success(request, "Die Expertensitzung ist beendet.")
    return redirect("field:experte")


def _box(
    row: Sitzung,
    f: selectors.FeldSicht,
    steuerungen: dict[str, Any],
    sicht: selectors.Sicht | None,
) -> dict[str, Any]:
    """What ``field/experte/_feld.html`` shows of one field."""
    return {
        "f": f,
        "steuerung": steuerungen.get(f.id, ""),
        "zeilen": range(seite.zeilen(f)) if f.typ == "tabelle" and f.id in steuerungen else (),
        "hinweise": (sicht.hinweise.get(f.id, []) if sicht else []),
        "ist_experte": sicht is not None and sicht.rolle == selectors.EXPERTE,
    }


@require_POST
@requires(rules.seite_experte)
def feld(request: TenantRequest, sitzung_id: uuid.UUID) -> HttpResponse:
    row = _sitzung(request, sitzung_id)
    version = request.POST.get("version", "")
    feld_id = request.POST.get("feld", "")
    if "wert" in request.POST:
        wert: Any = request.POST.get("wert", "")
    else:  # a field with several controls (address, table, boxes, person)
        try:
            wert = seite.wert_aus_post(row, feld_id, request.POST)
        except KeyError:
            raise Http404 from None
    try:
        neu = services.feld_setzen(
            actor=request.user,
            access=request.access,
            sitzung=row,
            feld=feld_id,
            wert=wert,
            version=int(version) if version.isdigit() else -1,
        )
    except DomainError as exc:
        return _fehler(request, row, exc)
    return _antwort(request, row, {"version": neu})


@passive  # the page fetches it by itself after a change, as it follows the stream
@requires(rules.seite_experte)
@require_GET
def feld_box(request: TenantRequest, sitzung_id: uuid.UUID, feld: str) -> HttpResponse:
    """One field's box of the session page as it is now (a field with several controls
    is replaced whole after a change). Like the stream, part of the open page whose
    opening was audited: the expert gets it only while joined."""
    row = _sitzung(request, sitzung_id)
    rolle = selectors.rolle(row, request.user.pk)
    if row.status != Sitzung.Status.OFFEN or (
        rolle == selectors.EXPERTE and (row.beigetreten_am is None or row.verlassen_am)
    ):
        raise Http404
    sicht = selectors.sicht(row, request.user.pk)
    f = next((f for f in sicht.felder if f.id == feld), None)
    if f is None:
        raise Http404
    return render(
        request,
        "field/experte/_feld.html",
        {"b": _box(row, f, seite.steuerungen(row, (f,)), sicht), "sitzung": row},
    )


@require_POST
@requires(rules.seite_experte)
def hinweis(request: TenantRequest, sitzung_id: uuid.UUID) -> HttpResponse:
    row = _sitzung(request, sitzung_id)
    try:
        h = services.hinweis_geben(
            actor=request.user,
            access=request.access,
            sitzung=row,
            feld=request.POST.get("feld", ""),
            text=request.POST.get("text", ""),
        )
    except DomainError as exc:
        return _fehler(request, row, exc)
    return _antwort(request, row, {"hinweis": str(h.pk)})


def _strom(row: Sitzung, user_id: uuid.UUID, nach: int, deadline: float) -> Iterator[bytes]:
    try:
        yield b"retry: 1000\n\n"
        letzte, ping = nach, time.monotonic()
        while time.monotonic() < deadline:
            for e in selectors.ereignisse(row, user_id, letzte):
                letzte = e["nummer"]
                if e["art"] == "still":
                    continue
                daten = json.dumps(e["daten"], ensure_ascii=False)
                yield f"id: {letzte}\nevent: {e['art']}\ndata: {daten}\n\n".encode()
                if e["art"] == "ende":
                    return
            if time.monotonic() - ping > PING_SECONDS:
                ping = time.monotonic()
                yield b": ping\n\n"
            time.sleep(LIVE_POLL)
    finally:
        LIVE_STREAMS.release()


@passive  # the page opens it by itself: not the user's activity
@requires(rules.seite_experte)
@require_GET
def live(request: TenantRequest, sitzung_id: uuid.UUID) -> HttpResponse | StreamingHttpResponse:
    row = _sitzung(request, sitzung_id)
    if selectors.rolle(row, request.user.pk) == selectors.EXPERTE and row.beigetreten_am is None:
        raise Http404  # nothing to follow before joining
    if not LIVE_STREAMS.acquire(blocking=False):
        busy = HttpResponse(
            "Live-Aktualisierung ausgelastet", status=503, content_type="text/plain"
        )
        busy["Retry-After"] = "5"
        allow_pages(request, busy)
        return busy
    raw = request.headers.get("Last-Event-ID") or request.GET.get("nach") or ""
    nach = int(raw) if raw.isdigit() else row.letzte_nummer
    stream = StreamingHttpResponse(
        _strom(row, request.user.pk, nach, time.monotonic() + LIVE_SECONDS),
        content_type="text/event-stream",
    )
    stream["Cache-Control"] = "no-cache"
    stream["X-Accel-Buffering"] = "no"
    allow_pages(request, stream)
    return stream
