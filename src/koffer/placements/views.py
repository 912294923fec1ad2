"""Pages of the Platzbörse for providers (facilities, places, requests, Belegungen) and
youth offices (needs, ranked search with live updates, requests). Thin: parse, call one
service or selector, render."""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.accounts.middleware import passive
from koffer.errors import DomainError
from koffer.placements import access, events, selectors, services
from koffer.placements.abrechnung.abgerechnet import AbgerechneterMonat, abgerechnete_monate
from koffer.placements.errors import Busy
from koffer.placements.forms import (
    AbwesenheitForm,
    AngebotForm,
    BeendenForm,
    EinrichtungBearbeitenForm,
    EinrichtungForm,
    EntgeltForm,
    EntgeltWechselForm,
    FreiForm,
    GesuchForm,
    GrundForm,
    PlaetzeForm,
    PlaetzeFreiForm,
    ZusageForm,
)
from koffer.placements.models import Abwesenheit, Angebot, Betreuungsform, Platz, Verfuegbarkeit
from koffer.shell.breadcrumbs import trail
from koffer.shell.live import allow_pages, stream_origin, stream_url


def _form_page(
    request: TenantRequest,
    form: Any,
    title: str,
    crumbs: Sequence[tuple[str, str | None]],
    submit: str,
) -> HttpResponse:
    return render(
        request,
        "placements/form.html",
        {
            "form": form,
            "page_title": title,
            "submit_label": submit,
            "breadcrumbs": trail(*crumbs, (title, None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _fail(request: HttpRequest, exc: DomainError) -> None:
    messages.error(request, exc.message)


# --- provider ----------------------------------------------------------------------------------


EINRICHTUNGEN = "Meine Einrichtungen"


@requires(access.is_provider)
def einrichtungen(request: TenantRequest) -> HttpResponse:
    return render(
        request,
        "placements/einrichtungen.html",
        {
            "rows": selectors.einrichtungen_overview(request.tenant),
            "page_title": EINRICHTUNGEN,
            "breadcrumbs": trail((EINRICHTUNGEN, None)),
        },
    )


@requires(access.is_provider)
def einrichtung_neu(request: TenantRequest) -> HttpResponse:
    form = EinrichtungForm(request.POST or None)
    crumbs = [(EINRICHTUNGEN, reverse("placements:einrichtungen"))]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            einrichtung = services.create_einrichtung(
                actor=request.user,
                tenant=request.tenant,
                fachbereich=data.pop("fachbereich"),
                formen=data.pop("formen"),
                merkmale=data.pop("merkmale"),
                **data,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Einrichtung „{einrichtung.name}“ angelegt.")
            return redirect("placements:einrichtung", einrichtung.pk)
    return _form_page(request, form, "Neue Einrichtung", crumbs, "Einrichtung anlegen")


@requires(access.is_provider)
def einrichtung(request: TenantRequest, einrichtung_id: uuid.UUID) -> HttpResponse:
    item = selectors.einrichtung_detail(request.tenant, einrichtung_id)
    if item is None:
        raise Http404
    angebote = []
    for a in item.angebote.all():
        rows = selectors.platz_zeilen(request.tenant, a)
        form = PlaetzeFreiForm(plaetze=_offerable(rows), auto_id=f"a{a.pk.hex[:8]}_%s")
        fields = dict((p.pk, field) for p, field in form.rows())
        angebote.append(
            {
                "angebot": a,
                "plaetze": [{"row": r, "field": fields.get(r.platz.pk)} for r in rows],
                "form": form,
            }
        )
    return render(
        request,
        "placements/einrichtung.html",
        {
            "einrichtung": item,
            "angebote": angebote,
            "page_title": item.name,
            "breadcrumbs": trail(
                (EINRICHTUNGEN, reverse("placements:einrichtungen")), (item.name, None)
            ),
        },
    )


def _own_einrichtung(request: TenantRequest, einrichtung_id: uuid.UUID) -> Any:
    item = access.get_or_none(access.einrichtungen(request.tenant), einrichtung_id)
    if item is None:
        raise Http404
    return item


@requires(access.is_provider)
def einrichtung_bearbeiten(request: TenantRequest, einrichtung_id: uuid.UUID) -> HttpResponse:
    """The facility's data: licence (§ 45 SGB VIII), forms of care, ages, gender,
    specialisations, address and coordinates."""
    item = _own_einrichtung(request, einrichtung_id)
    form = EinrichtungBearbeitenForm(request.POST or None, einrichtung=item)
    crumbs = [
        (EINRICHTUNGEN, reverse("placements:einrichtungen")),
        (item.name, reverse("placements:einrichtung", args=[item.pk])),
    ]
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)
        try:
            services.update_einrichtung(
                actor=request.user,
                einrichtung=item,
                formen=data.pop("formen"),
                merkmale=data.pop("merkmale"),
                **data,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                "Die Angaben der Einrichtung sind gespeichert. Änderungen mit Bedeutung für die "
                "Betriebserlaubnis melden Sie bitte dem Landesjugendamt (§ 47 SGB VIII).",
            )
            return redirect("placements:einrichtung", item.pk)
    return _form_page(request, form, "Einrichtung bearbeiten", crumbs, "Änderungen speichern")


def _own_angebot(request: TenantRequest, angebot_id: uuid.UUID) -> Angebot:
    item = (
        Angebot.objects.for_tenant(request.tenant)
        .select_related("einrichtung", "betreuungsform__fachbereich")
        .filter(pk=angebot_id)
        .first()
    )
    if item is None:
        raise Http404
    return item


@requires(access.is_provider)
def angebot_neu(request: TenantRequest, einrichtung_id: uuid.UUID) -> HttpResponse:
    item = _own_einrichtung(request, einrichtung_id)
    form = AngebotForm(request.POST or None, formen=item.formen.all())
    crumbs = [
        (EINRICHTUNGEN, reverse("placements:einrichtungen")),
        (item.name, reverse("placements:einrichtung", args=[item.pk])),
    ]
    if request.method == "POST" and form.is_valid():
        try:
            services.create_angebot(
                actor=request.user,
                einrichtung=item,
                betreuungsform=form.cleaned_data["betreuungsform"],
                title=form.cleaned_data["title"],
                absence_rounding=form.cleaned_data["absence_rounding"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Angebot angelegt.")
            return redirect("placements:einrichtung", item.pk)
    return _form_page(request, form, "Neues Angebot", crumbs, "Angebot anlegen")


def _angebot_crumbs(angebot: Angebot) -> Sequence[tuple[str, str | None]]:
    return [
        (EINRICHTUNGEN, reverse("placements:einrichtungen")),
        (
            angebot.einrichtung.name,
            reverse("placements:einrichtung", args=[angebot.einrichtung_id]),
        ),
    ]


@requires(access.is_provider)
def entgelt_neu(request: TenantRequest, angebot_id: uuid.UUID) -> HttpResponse:
    angebot = _own_angebot(request, angebot_id)
    form = EntgeltForm(request.POST or None, absence_share=services.absence_share_default(angebot))
    if request.method == "POST" and form.is_valid():
        try:
            services.set_entgelt(actor=request.user, angebot=angebot, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Entgelt gespeichert.")
            return redirect("placements:einrichtung", angebot.einrichtung_id)
    title = f"Entgelt für {angebot.title}"
    return _form_page(request, form, title, _angebot_crumbs(angebot), "Entgelt speichern")


@requires(access.is_provider)
def entgelt_wechsel(request: TenantRequest, angebot_id: uuid.UUID) -> HttpResponse:
    """A new day rate from a date: the rate in force ends the day before."""
    angebot = _own_angebot(request, angebot_id)
    form = EntgeltWechselForm(
        request.POST or None, absence_share=services.absence_share_default(angebot)
    )
    if request.method == "POST" and form.is_valid():
        try:
            entgelt = services.change_entgelt(
                actor=request.user, angebot=angebot, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Neuer Tagessatz {entgelt.tagessatz} € ab {entgelt.valid_from:%d.%m.%Y} "
                "gespeichert; das bisherige Entgelt endet am Vortag.",
            )
            return redirect(
                reverse("placements:einrichtung", args=[angebot.einrichtung_id])
                + f"#angebot-{angebot.pk}"
            )
    title = f"Neuer Tagessatz für {angebot.title}"
    return _form_page(request, form, title, _angebot_crumbs(angebot), "Neuen Tagessatz speichern")


@requires(access.is_provider)
def plaetze_neu(request: TenantRequest, angebot_id: uuid.UUID) -> HttpResponse:
    angebot = _own_angebot(request, angebot_id)
    form = PlaetzeForm(request.POST or None, initial={"valid_from": selectors.today()})
    if request.method == "POST" and form.is_valid():
        try:
            services.add_plaetze(actor=request.user, angebot=angebot, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Plätze angelegt.")
            return redirect("placements:einrichtung", angebot.einrichtung_id)
    title = f"Plätze für {angebot.title}"
    return _form_page(request, form, title, _angebot_crumbs(angebot), "Plätze anlegen")


def _offerable(rows: list[selectors.PlatzZeile]) -> list[Platz]:
    """The places a provider may offer from a date: not occupied, not held."""
    return [r.platz for r in rows if r.status in ("frei", "nicht angeboten")]


@requires(access.is_provider)
@require_POST
def plaetze_frei(request: TenantRequest, angebot_id: uuid.UUID) -> HttpResponse:
    """„Frei ab“ of all places of one Angebot from one form, saved together."""
    angebot = _own_angebot(request, angebot_id)
    plaetze = _offerable(selectors.platz_zeilen(request.tenant, angebot))
    form = PlaetzeFreiForm(request.POST, plaetze=plaetze)
    back = (
        reverse("placements:einrichtung", args=[angebot.einrichtung_id]) + f"#angebot-{angebot.pk}"
    )
    if not form.is_valid():
        messages.error(request, "Bitte gültige Daten angeben (TT.MM.JJJJ).")
        return redirect(back)
    try:
        changed = services.set_frei_many(
            actor=request.user, angebot=angebot, frei_ab=form.frei_ab()
        )
    except DomainError as exc:
        _fail(request, exc)
        return redirect(back)
    for platz in changed:
        messages.success(
            request,
            f"{platz.label}: frei ab {platz.frei_ab:%d.%m.%Y}."
            if platz.frei_ab
            else f"{platz.label}: nicht mehr angeboten.",
        )
    if not changed:
        messages.info(request, "Keine Änderung an den Plätzen.")
    return redirect(back)


@requires(access.is_provider)
@require_POST
def platz_frei(request: TenantRequest, platz_id: uuid.UUID) -> HttpResponse:
    """Set a place free from a date (or take it off): one tap on a phone."""
    platz = (
        Platz.objects.for_tenant(request.tenant)
        .select_related("angebot")
        .filter(pk=platz_id)
        .first()
    )
    if platz is None:
        raise Http404
    form = FreiForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Bitte ein gültiges Datum angeben (TT.MM.JJJJ).")
    else:
        try:
            services.set_frei(actor=request.user, platz=platz, frei_ab=form.cleaned_data["frei_ab"])
        except DomainError as exc:
            _fail(request, exc)
        else:
            when = form.cleaned_data["frei_ab"]
            messages.success(
                request,
                f"{platz.label}: frei ab {when:%d.%m.%Y}."
                if when
                else f"{platz.label}: nicht mehr angeboten.",
            )
    return redirect(
        reverse("placements:einrichtung", args=[platz.einrichtung_id])
        + f"#angebot-{platz.angebot_id}"
    )


ANFRAGEN = "Anfragen und Belegungen"


BELEGUNGEN_PAGE_SIZE = 50


@requires(access.is_provider)
def anfragen(request: TenantRequest) -> HttpResponse:
    offen = list(selectors.offene_anfragen(request.tenant))
    # Open requests expire within days, so they stay few; running placements grow with
    # the provider and are paged. Only the page shown is recorded as read.
    laufend = Paginator(selectors.laufende_belegungen(request.tenant), BELEGUNGEN_PAGE_SIZE)
    page = laufend.get_page(request.GET.get("seite"))
    events.record_list_read(
        actor=request.user,
        tenant=request.tenant,
        kind="placements.anfragen",
        pseudonyms=[a.gesuch.pseudonym for a in offen] + [b.gesuch.pseudonym for b in page],
        purpose="Anfragen und Belegungen angezeigt",
    )
    return render(
        request,
        "placements/anfragen.html",
        {
            "anfragen": offen,
            "belegungen": page.object_list,
            "page": page,
            "pager_label": "Seiten der laufenden Belegungen",
            "tenant_id": request.tenant.pk,
            "zusage_form": ZusageForm(),
            "page_title": ANFRAGEN,
            "breadcrumbs": trail((ANFRAGEN, None)),
        },
    )


@requires(access.is_provider)
@require_POST
def anfrage_zusagen(request: TenantRequest, reservierung_id: uuid.UUID) -> HttpResponse:
    own = access.reservierungen(request.tenant).filter(tenant=request.tenant)
    if access.get_or_none(own, reservierung_id) is None:
        raise Http404
    form = ZusageForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Bitte den Beginn der Belegung als Datum angeben.")
        return redirect("placements:anfragen")
    try:
        services.confirm(
            actor=request.user,
            tenant=request.tenant,
            reservierung_id=reservierung_id,
            beginn=form.cleaned_data["beginn"],
        )
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(
            request,
            "Zugesagt. Die Belegung ist eingetragen; andere Anfragen für diese Person wurden zurückgezogen.",
        )
    return redirect("placements:anfragen")


@requires(access.is_provider)
def anfrage_absagen(request: TenantRequest, reservierung_id: uuid.UUID) -> HttpResponse:
    hold = access.get_or_none(
        access.reservierungen(request.tenant).filter(tenant=request.tenant), reservierung_id
    )
    if hold is None:
        raise Http404
    form = GrundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.decline(
                actor=request.user,
                tenant=request.tenant,
                reservierung_id=hold.pk,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "Abgesagt. Der Platz ist wieder frei.")
        return redirect("placements:anfragen")
    return _form_page(
        request, form, "Anfrage absagen", [(ANFRAGEN, reverse("placements:anfragen"))], "Absagen"
    )


@requires(access.is_provider)
def belegung_beenden(request: TenantRequest, belegung_id: uuid.UUID) -> HttpResponse:
    belegung = access.get_or_none(
        access.belegungen(request.tenant).filter(tenant=request.tenant), belegung_id
    )
    if belegung is None:
        raise Http404
    form = BeendenForm(
        request.POST or None, initial={"ende": selectors.today(), "wieder_anbieten": True}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.end_belegung(
                actor=request.user, tenant=request.tenant, belegung=belegung, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Die Belegung ist beendet.")
            return redirect("placements:anfragen")
    return _form_page(
        request, form, "Belegung beenden", [(ANFRAGEN, reverse("placements:anfragen"))], "Beenden"
    )


ABWESENHEITEN = "Abwesenheiten"


def _warn_billed(request: HttpRequest, billed: list[AbgerechneterMonat]) -> None:
    for month in billed:
        messages.warning(request, month.warnung)


@requires(access.is_provider)
def belegung_abwesenheiten(request: TenantRequest, belegung_id: uuid.UUID) -> HttpResponse:
    """The absence days of one Belegung, a form to add some, and the months already
    billed (their invoices stay as sent; a rejected one can be corrected from here)."""
    belegung = selectors.eigene_belegung(request.tenant, belegung_id)
    if belegung is None:
        raise Http404
    form = AbwesenheitForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.record_abwesenheit(actor=request.user, belegung=belegung, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Abwesenheit vom {form.cleaned_data['von']:%d.%m.%Y} bis "
                f"{form.cleaned_data['bis']:%d.%m.%Y} erfasst.",
            )
            period = (form.cleaned_data["von"], form.cleaned_data["bis"])
            _warn_billed(request, abgerechnete_monate(belegung, period))
            return redirect("placements:belegung_abwesenheiten", belegung.pk)
    events.record_read(
        actor=request.user,
        tenant=request.tenant,
        obj=belegung,
        subject=belegung.gesuch,
        purpose="Abwesenheiten der Belegung angezeigt",
    )
    title = f"{ABWESENHEITEN} {belegung.gesuch.pseudonym}"
    abwesenheiten = list(selectors.abwesenheiten_of(belegung))
    billed = abgerechnete_monate(belegung, (belegung.beginn, belegung.ende or selectors.today()))
    billed_months = {b.monat for b in billed}
    return render(
        request,
        "placements/abwesenheiten.html",
        {
            "belegung": belegung,
            "abwesenheiten": [
                {
                    "item": a,
                    "billed": any(a.von.replace(day=1) <= m <= a.bis for m in billed_months),
                }
                for a in abwesenheiten
            ],
            "abgerechnet": billed,
            "form": form,
            "page_title": title,
            "breadcrumbs": trail((ANFRAGEN, reverse("placements:anfragen")), (title, None)),
        },
        status=400 if form.is_bound and form.errors else 200,
    )


def _own_abwesenheit(request: TenantRequest, abwesenheit_id: uuid.UUID) -> Abwesenheit:
    item = selectors.eigene_abwesenheit(request.tenant, abwesenheit_id)
    if item is None:
        raise Http404
    return item


@requires(access.is_provider)
def abwesenheit_bearbeiten(request: TenantRequest, abwesenheit_id: uuid.UUID) -> HttpResponse:
    item = _own_abwesenheit(request, abwesenheit_id)
    belegung = item.belegung
    form = AbwesenheitForm(
        request.POST or None, initial={"von": item.von, "bis": item.bis, "grund": item.grund}
    )
    back = reverse("placements:belegung_abwesenheiten", args=[belegung.pk])
    if request.method == "POST" and form.is_valid():
        old = (item.von, item.bis)
        try:
            services.change_abwesenheit(actor=request.user, abwesenheit=item, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Abwesenheit geändert: {form.cleaned_data['von']:%d.%m.%Y} bis "
                f"{form.cleaned_data['bis']:%d.%m.%Y}.",
            )
            new = (form.cleaned_data["von"], form.cleaned_data["bis"])
            _warn_billed(request, abgerechnete_monate(belegung, old, new))
            return redirect(back)
    crumbs = [
        (ANFRAGEN, reverse("placements:anfragen")),
        (f"{ABWESENHEITEN} {belegung.gesuch.pseudonym}", back),
    ]
    return _form_page(
        request,
        form,
        f"Abwesenheit vom {item.von:%d.%m.%Y} bis {item.bis:%d.%m.%Y} ändern",
        crumbs,
        "Änderung speichern",
    )


@requires(access.is_provider)
@require_POST
def abwesenheit_loeschen(request: TenantRequest, abwesenheit_id: uuid.UUID) -> HttpResponse:
    item = _own_abwesenheit(request, abwesenheit_id)
    belegung = item.belegung
    try:
        services.delete_abwesenheit(actor=request.user, abwesenheit=item)
    except DomainError as exc:
        _fail(request, exc)
    else:
        messages.success(
            request, f"Abwesenheit vom {item.von:%d.%m.%Y} bis {item.bis:%d.%m.%Y} gelöscht."
        )
        _warn_billed(request, abgerechnete_monate(belegung, (item.von, item.bis)))
    return redirect("placements:belegung_abwesenheiten", belegung.pk)


# --- youth office ---------------------------------------------------------------------------------

GESUCHE = "Platzgesuche"


@requires(access.is_requester)
def gesuche(request: TenantRequest) -> HttpResponse:
    return render(
        request,
        "placements/gesuche.html",
        {
            "gesuche": selectors.gesuche_of(request.tenant)[:200],
            "page_title": GESUCHE,
            "breadcrumbs": trail((GESUCHE, None)),
        },
    )


@requires(access.is_requester)
def gesuch_neu(request: TenantRequest) -> HttpResponse:
    form = GesuchForm(
        request.POST or None, initial={"ab_datum": selectors.today(), "radius_km": 50}
    )
    if request.method == "POST" and form.is_valid():
        try:
            gesuch = services.create_gesuch(
                actor=request.user, tenant=request.tenant, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            return redirect("placements:gesuch", gesuch.pk)
    return _form_page(
        request,
        form,
        "Neues Platzgesuch",
        [(GESUCHE, reverse("placements:gesuche"))],
        "Passende Plätze suchen",
    )


def _own_gesuch(request: TenantRequest, gesuch_id: uuid.UUID) -> Any:
    gesuch = selectors.gesuch_detail(request.tenant, gesuch_id)
    if gesuch is None:
        raise Http404
    return gesuch


@requires(access.is_requester)
def gesuch(request: TenantRequest, gesuch_id: uuid.UUID) -> HttpResponse:
    item = _own_gesuch(request, gesuch_id)
    events.record_read(
        actor=request.user,
        tenant=request.tenant,
        obj=item,
        subject=item,
        purpose="Platzgesuch geöffnet",
    )
    live_path = reverse("placements:live") + f"?form={item.betreuungsform_id}"
    response = render(
        request,
        "placements/gesuch.html",
        {
            "gesuch": item,
            "treffer": selectors.treffer_for(item) if item.status == "offen" else [],
            "anfragen": selectors.anfragen_of(item),
            "live_url": stream_url(request, live_path),
            "page_title": f"Platzgesuch {item.pseudonym}",
            "breadcrumbs": trail((GESUCHE, reverse("placements:gesuche")), (item.pseudonym, None)),
        },
    )
    streams = stream_origin(request)
    if streams:  # django-csp adds it to the settings' connect-src for this page
        response._csp_update = {"connect-src": [streams]}  # type: ignore[attr-defined]
    return response


@requires(access.is_requester)
@require_GET
def gesuch_treffer(request: TenantRequest, gesuch_id: uuid.UUID) -> HttpResponse:
    """The ranked results alone, refreshed by the page when availability changes."""
    item = _own_gesuch(request, gesuch_id)
    return render(
        request,
        "placements/_treffer.html",
        {"gesuch": item, "treffer": selectors.treffer_for(item) if item.status == "offen" else []},
    )


@requires(access.is_requester)
@require_POST
def gesuch_kostenzusage(request: TenantRequest, gesuch_id: uuid.UUID) -> HttpResponse:
    """The youth office enters its Kostenzusage/Aktenzeichen; invoices carry it (BT-12)."""
    item = _own_gesuch(request, gesuch_id)
    try:
        services.set_kostenzusage(
            actor=request.user, gesuch=item, kostenzusage=request.POST.get("kostenzusage", "")
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Kostenzusage/Aktenzeichen gespeichert.")
    return redirect("placements:gesuch", item.pk)


@requires(access.is_requester)
@require_POST
def gesuch_anfragen(request: TenantRequest, gesuch_id: uuid.UUID) -> HttpResponse:
    """Request one place at each chosen Angebot; each answer is reported on its own."""
    item = _own_gesuch(request, gesuch_id)
    chosen = request.POST.getlist("angebot")[:10]
    if not chosen:
        messages.error(request, "Bitte mindestens ein Angebot auswählen.")
        return redirect("placements:gesuch", item.pk)
    for raw in chosen:
        try:
            angebot_id = uuid.UUID(raw)
        except ValueError:
            continue
        angebot = (
            Angebot.objects.unscoped()
            .select_related("einrichtung", "betreuungsform")
            .filter(pk=angebot_id)
            .first()
        )
        if angebot is None:
            messages.error(request, "Ein gewähltes Angebot gibt es nicht mehr.")
            continue
        try:
            services.reserve(actor=request.user, gesuch=item, angebot=angebot)
        except Busy as exc:
            messages.warning(request, f"{angebot.einrichtung.name}: {exc.message}")
        except DomainError as exc:
            messages.error(request, f"{angebot.einrichtung.name}: {exc.message}")
        else:
            messages.success(
                request, f"{angebot.einrichtung.name}: Platz reserviert, Anfrage gesendet."
            )
    return redirect("placements:gesuch", item.pk)


@requires(access.is_requester)
def anfrage_zurueckziehen(request: TenantRequest, reservierung_id: uuid.UUID) -> HttpResponse:
    hold = access.get_or_none(
        access.reservierungen(request.tenant).filter(jugendamt=request.tenant), reservierung_id
    )
    if hold is None:
        raise Http404
    back = reverse("placements:gesuch", args=[hold.gesuch_id])
    form = GrundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.withdraw(
                actor=request.user,
                tenant=request.tenant,
                reservierung_id=hold.pk,
                reason=form.cleaned_data["reason"],
            )
        except DomainError as exc:
            _fail(request, exc)
        else:
            messages.success(request, "Anfrage zurückgezogen.")
        return redirect(back)
    return _form_page(
        request,
        form,
        "Anfrage zurückziehen",
        [(GESUCHE, reverse("placements:gesuche"))],
        "Zurückziehen",
    )


# --- live updates (server-sent events) ----------------------------------------------------------

# Each open stream holds one web thread, so a process serves only a few at a time
# (KOFFER_LIVE_STREAMS: none in make run's single-threaded web workers, many in its stream
# process, see koffer.shell.live); the page falls back to polling when it is told so (503),
# and every stream ends after a while so that threads rotate (the browser reconnects).
LIVE_STREAMS = threading.BoundedSemaphore(settings.KOFFER_LIVE_STREAMS)
LIVE_SECONDS = 25.0
LIVE_POLL = 1.0


def _events(form_id: uuid.UUID, since: int, deadline: float) -> Iterator[bytes]:
    try:
        yield b"retry: 2000\n\n"
        last = since
        while time.monotonic() < deadline:
            row = (
                Verfuegbarkeit.objects.filter(pk__gt=last, betreuungsform_id=form_id)
                .order_by("-pk")
                .values_list("pk", flat=True)
                .first()
            )
            if row is not None:
                last = row
                yield f"id: {last}\nevent: verfuegbarkeit\ndata: {json.dumps({'id': last})}\n\n".encode()
            else:
                yield b": ping\n\n"
            time.sleep(LIVE_POLL)
    finally:
        LIVE_STREAMS.release()


@passive  # the page opens it by itself: not the user's activity
@requires(access.is_requester)
@require_GET
def live(request: TenantRequest) -> HttpResponse | StreamingHttpResponse:
    try:
        form_id = uuid.UUID(request.GET.get("form", ""))
    except ValueError as exc:
        raise Http404 from exc
    if not Betreuungsform.objects.filter(pk=form_id).exists():
        raise Http404
    if not LIVE_STREAMS.acquire(blocking=False):
        response = HttpResponse(
            "Live-Aktualisierung ausgelastet", status=503, content_type="text/plain"
        )
        response["Retry-After"] = "15"
        allow_pages(request, response)
        return response
    raw_last = request.headers.get("Last-Event-ID") or request.GET.get("since") or ""
    since = int(raw_last) if raw_last.isdigit() else _latest_change()
    stream = StreamingHttpResponse(
        _events(form_id, since, time.monotonic() + LIVE_SECONDS), content_type="text/event-stream"
    )
    stream["Cache-Control"] = "no-cache"
    stream["X-Accel-Buffering"] = "no"
    allow_pages(request, stream)
    return stream


def _latest_change() -> int:
    return Verfuegbarkeit.objects.order_by("-pk").values_list("pk", flat=True).first() or 0
