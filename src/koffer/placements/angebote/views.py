"""Provider pages: facilities, offers, day rates, places and when they are free. Thin:
parse, call one service or selector, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.placements import access, selectors
from koffer.placements.angebote import services
from koffer.placements.angebote.forms import (
    AngebotForm,
    EinrichtungBearbeitenForm,
    EinrichtungForm,
    EntgeltForm,
    EntgeltWechselForm,
    FreiForm,
    PlaetzeForm,
    PlaetzeFreiForm,
    RundungForm,
)
from koffer.placements.models import Angebot, Platz
from koffer.placements.pages import form_page
from koffer.shell.breadcrumbs import trail

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
    return form_page(request, form, "Neue Einrichtung", crumbs, "Einrichtung anlegen")


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
    return form_page(request, form, "Einrichtung bearbeiten", crumbs, "Änderungen speichern")


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
    return form_page(request, form, "Neues Angebot", crumbs, "Angebot anlegen")


def _angebot_crumbs(angebot: Angebot) -> Sequence[tuple[str, str | None]]:
    return [
        (EINRICHTUNGEN, reverse("placements:einrichtungen")),
        (
            angebot.einrichtung.name,
            reverse("placements:einrichtung", args=[angebot.einrichtung_id]),
        ),
    ]


def _angebot_section(angebot: Angebot) -> str:
    """The Angebot's part of its Einrichtung's page."""
    return (
        reverse("placements:einrichtung", args=[angebot.einrichtung_id]) + f"#angebot-{angebot.pk}"
    )


def _angebot_form(
    request: TenantRequest,
    angebot: Angebot,
    form: Any,
    save: Callable[[], str],
    *,
    title: str,
    submit: str,
    back: str,
) -> HttpResponse:
    """A form page of one Angebot: a valid post runs ``save`` (one service call), whose
    text is the success message, and goes ``back``; a refusal shows on the form."""
    if request.method == "POST" and form.is_valid():
        try:
            done = save()
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect(back)
    return form_page(request, form, title, _angebot_crumbs(angebot), submit)


@requires(access.is_provider)
def angebot_rundung(request: TenantRequest, angebot_id: uuid.UUID) -> HttpResponse:
    """How the Angebot's absence days are priced (rounded per day or per invoice line),
    as its contract says; Leistungsnachweise computed from now on follow it."""
    angebot = _own_angebot(request, angebot_id)
    form = RundungForm(request.POST or None, initial={"absence_rounding": angebot.absence_rounding})

    def save() -> str:
        services.set_absence_rounding(
            actor=request.user,
            angebot=angebot,
            absence_rounding=form.cleaned_data["absence_rounding"],
        )
        return (
            "Preis der Abwesenheitstage gespeichert; er gilt für Leistungsnachweise, "
            "die ab jetzt berechnet werden."
        )

    return _angebot_form(
        request,
        angebot,
        form,
        save,
        title=f"Abwesenheitstage für {angebot.title}",
        submit="Speichern",
        back=_angebot_section(angebot),
    )


@requires(access.is_provider)
def entgelt_neu(request: TenantRequest, angebot_id: uuid.UUID) -> HttpResponse:
    angebot = _own_angebot(request, angebot_id)
    form = EntgeltForm(request.POST or None, absence_share=services.absence_share_default(angebot))

    def save() -> str:
        services.set_entgelt(actor=request.user, angebot=angebot, **form.cleaned_data)
        return "Entgelt gespeichert."

    return _angebot_form(
        request,
        angebot,
        form,
        save,
        title=f"Entgelt für {angebot.title}",
        submit="Entgelt speichern",
        back=reverse("placements:einrichtung", args=[angebot.einrichtung_id]),
    )


@requires(access.is_provider)
def entgelt_wechsel(request: TenantRequest, angebot_id: uuid.UUID) -> HttpResponse:
    """A new day rate from a date: the rate in force ends the day before."""
    angebot = _own_angebot(request, angebot_id)
    form = EntgeltWechselForm(
        request.POST or None, absence_share=services.absence_share_default(angebot)
    )

    def save() -> str:
        entgelt = services.change_entgelt(actor=request.user, angebot=angebot, **form.cleaned_data)
        return (
            f"Neuer Tagessatz {entgelt.tagessatz} € ab {entgelt.valid_from:%d.%m.%Y} "
            "gespeichert; das bisherige Entgelt endet am Vortag."
        )

    return _angebot_form(
        request,
        angebot,
        form,
        save,
        title=f"Neuer Tagessatz für {angebot.title}",
        submit="Neuen Tagessatz speichern",
        back=_angebot_section(angebot),
    )


@requires(access.is_provider)
def plaetze_neu(request: TenantRequest, angebot_id: uuid.UUID) -> HttpResponse:
    angebot = _own_angebot(request, angebot_id)
    form = PlaetzeForm(request.POST or None, initial={"valid_from": selectors.today()})

    def save() -> str:
        services.add_plaetze(actor=request.user, angebot=angebot, **form.cleaned_data)
        return "Plätze angelegt."

    return _angebot_form(
        request,
        angebot,
        form,
        save,
        title=f"Plätze für {angebot.title}",
        submit="Plätze anlegen",
        back=reverse("placements:einrichtung", args=[angebot.einrichtung_id]),
    )


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
    back = _angebot_section(angebot)
    if not form.is_valid():
        messages.error(request, "Bitte gültige Daten angeben (TT.MM.JJJJ).")
        return redirect(back)
    try:
        changed = services.set_frei_many(
            actor=request.user, angebot=angebot, frei_ab=form.frei_ab()
        )
    except DomainError as exc:
        messages.error(request, exc.message)
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
            messages.error(request, exc.message)
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
