"""Pages of the Hausbesuche: planning a visit from an Akte, „Meine Hausbesuche“ (a day's
visits with what to take along, previous and next day), the route sheet, and moving,
cancelling or closing a visit. Thin: selectors read, services write, access from
``field.access``."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.field import access as rules
from koffer.field.besuche import files, selectors, services
from koffer.field.besuche.forms import AbsagenForm, PlanenForm, VerlegenForm
from koffer.field.models import Hausbesuch
from koffer.records import selectors as records
from koffer.records.breadcrumbs import akte_trail
from koffer.records.models import Akte, Wiedervorlage
from koffer.shell.breadcrumbs import trail

MEINE = "Meine Hausbesuche"


def _akte(request: TenantRequest, akte_id: uuid.UUID) -> Akte:
    akte = records.akte(records.Viewer.of(request), akte_id)
    if akte is None or not rules.plant_hausbesuche(request.access, request.user.pk, akte):
        raise Http404
    return akte


def _besuch(request: TenantRequest, besuch_id: uuid.UUID) -> Hausbesuch:
    besuch = selectors.besuch(request.access, request.user.pk, besuch_id)
    if besuch is None or not rules.aendert_besuch(request.access, request.user.pk, besuch):
        raise Http404
    return besuch


def _datum(request: TenantRequest) -> date:
    """The day asked for (``?datum=2026-12-07``), else today in Berlin."""
    try:
        return date.fromisoformat(request.GET.get("datum", ""))
    except ValueError:
        return timezone.localdate()


def _tag_url(datum: date) -> str:
    return f"{reverse('field:hausbesuche')}?{urlencode({'datum': datum.isoformat()})}"


def _zurueck(request: TenantRequest, besuch: Hausbesuch) -> str:
    """Back to where the change began: the field worker's day, else the Akte."""
    if besuch.aussendienst_id == request.user.pk:
        return _tag_url(besuch.datum)
    return reverse("records:akte_detail", args=[besuch.akte_id])


@require_http_methods(["GET", "POST"])
@requires(rules.plant_irgendwo)
def planen(request: TenantRequest, akte_id: uuid.UUID) -> HttpResponse:
    akte = _akte(request, akte_id)
    personen = list(rules.aussendienste(akte))
    vorgaenge = list(records.akte_vorgaenge(akte).exclude(status="done"))
    wiedervorlagen = selectors.uebernehmbare_wiedervorlagen(akte)
    form = PlanenForm(request.POST or None, initial=_vorbelegt(request, wiedervorlagen))
    form.set_choices(
        [(str(p.pk), p.get_full_name() or p.username) for p in personen],
        [(str(v.pk), v.title) for v in vorgaenge],
        selectors.formularauswahl(akte.tenant_id),
        [(str(w.pk), f"{w.due_date:%d.%m.%Y}: {w.note or 'ohne Vermerk'}") for w in wiedervorlagen],
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            besuch = services.planen(
                actor=request.user,
                access=request.access,
                akte=akte,
                aussendienst=next(p for p in personen if str(p.pk) == data["aussendienst"]),
                datum=data["datum"],
                uhrzeit=data["uhrzeit"],
                anlass=data["anlass"],
                formulare=data["formulare"],
                hinweise=data["hinweise"],
                vorgang=next((v for v in vorgaenge if str(v.pk) == data["vorgang"]), None),
                aus_wiedervorlage=next(
                    (w for w in wiedervorlagen if str(w.pk) == data.get("aus_wiedervorlage")),
                    None,
                ),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Hausbesuch am {besuch.datum:%d.%m.%Y} geplant; "
                f"{besuch.aussendienst.get_full_name()} hat eine Wiedervorlage für diesen Tag.",
            )
            return redirect("records:akte_detail", akte_id=akte.pk)
    return render(
        request,
        "field/besuche/planen.html",
        {
            "akte": akte,
            "form": form,
            "keine_aussendienste": not personen,
            "page_title": "Hausbesuch planen",
            "breadcrumbs": akte_trail(akte, ("Hausbesuch planen", None)),
        },
    )


def _vorbelegt(request: TenantRequest, wiedervorlagen: list[Wiedervorlage]) -> dict[str, object]:
    """Today, the Vorgang of the Akte page's link; with ``?wiedervorlage=`` (a caseworker's
    reminder turned into a visit) its day, if not past, and its note as the reason."""
    heute = timezone.localdate()
    initial: dict[str, object] = {"vorgang": request.GET.get("vorgang", ""), "datum": heute}
    wv = next((w for w in wiedervorlagen if str(w.pk) == request.GET.get("wiedervorlage")), None)
    if wv is not None:
        initial.update(
            aus_wiedervorlage=str(wv.pk),
            anlass=wv.note,
            datum=max(wv.due_date, heute),
            vorgang=str(wv.vorgang_id or ""),
        )
    return initial


@require_GET
@requires(rules.macht_hausbesuche)
def meine(request: TenantRequest) -> HttpResponse:
    datum = _datum(request)
    zeilen = selectors.tag(
        request.access, request.user.pk, aussendienst_id=request.user.pk, datum=datum
    )
    services.tag_gelesen(
        actor=request.user,
        tenant_id=request.tenant.pk,
        aussendienst_id=request.user.pk,
        datum=datum,
        akten=[(z.akte, z.person) for z in zeilen],
        zweck=MEINE,
    )
    heute = timezone.localdate()
    # The day's Akten not yet in the Koffer, handed to „Akten in den Koffer nehmen“.
    fehlen = [
        z.besuch.akte.aktenzeichen
        for z in zeilen
        if z.besuch.status == Hausbesuch.Status.GEPLANT and not z.im_koffer
    ]
    mitnehmen_url = (
        f"{reverse('field:mitnehmen')}?{urlencode({'aktenzeichen': ', '.join(fehlen)})}"
        if fehlen
        else ""
    )
    return render(
        request,
        "field/besuche/meine.html",
        {
            "zeilen": zeilen,
            "datum": datum,
            "heute": heute,
            "ist_heute": datum == heute,
            "geplant": sum(1 for z in zeilen if z.besuch.status != Hausbesuch.Status.ABGESAGT),
            "vorher_url": _tag_url(datum - timedelta(days=1)),
            "nachher_url": _tag_url(datum + timedelta(days=1)),
            "heute_url": _tag_url(heute),
            "pdf_url": f"{reverse('field:tourenplan')}?{urlencode({'datum': datum.isoformat()})}",
            "mitnehmen_url": mitnehmen_url,
            "fehlen": len(fehlen),
            "page_title": MEINE,
            "breadcrumbs": trail((MEINE, None)),
        },
    )


@require_GET
@requires(rules.macht_hausbesuche)
def tourenplan(request: TenantRequest) -> HttpResponse:
    return files.tourenplan_response(
        actor=request.user,
        access=request.access,
        tenant=request.tenant,
        aussendienst=request.user,
        datum=_datum(request),
    )


@require_POST
@requires(rules.sieht_besuche)
def erledigt(request: TenantRequest, besuch_id: uuid.UUID) -> HttpResponse:
    besuch = _besuch(request, besuch_id)
    try:
        services.erledigen(actor=request.user, access=request.access, besuch=besuch)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Hausbesuch bei {besuch.akte.aktenzeichen} erledigt.")
    return redirect(_zurueck(request, besuch))


@require_http_methods(["GET", "POST"])
@requires(rules.sieht_besuche)
def absagen(request: TenantRequest, besuch_id: uuid.UUID) -> HttpResponse:
    besuch = _besuch(request, besuch_id)
    form = AbsagenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.absagen(
                actor=request.user,
                access=request.access,
                besuch=besuch,
                grund=form.cleaned_data["grund"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Hausbesuch am {besuch.datum:%d.%m.%Y} abgesagt.")
            return redirect(_zurueck(request, besuch))
    return _aenderung(request, besuch, form, "Hausbesuch absagen", "Absagen")


@require_http_methods(["GET", "POST"])
@requires(rules.sieht_besuche)
def verlegen(request: TenantRequest, besuch_id: uuid.UUID) -> HttpResponse:
    besuch = _besuch(request, besuch_id)
    form = VerlegenForm(
        request.POST or None, initial={"datum": besuch.datum, "uhrzeit": besuch.uhrzeit}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.verlegen(
                actor=request.user,
                access=request.access,
                besuch=besuch,
                datum=form.cleaned_data["datum"],
                uhrzeit=form.cleaned_data["uhrzeit"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Hausbesuch auf den {besuch.datum:%d.%m.%Y} verlegt.")
            return redirect(_zurueck(request, besuch))
    return _aenderung(request, besuch, form, "Hausbesuch verlegen", "Verlegen")


def _aenderung(
    request: TenantRequest,
    besuch: Hausbesuch,
    form: AbsagenForm | VerlegenForm,
    title: str,
    button: str,
) -> HttpResponse:
    # The field worker comes from their day, a caseworker from the Akte.
    crumbs = (
        trail((MEINE, _tag_url(besuch.datum)), (title, None))
        if besuch.aussendienst_id == request.user.pk
        else akte_trail(besuch.akte, (title, None))
    )
    return render(
        request,
        "field/besuche/aenderung.html",
        {
            "besuch": besuch,
            "form": form,
            "button": button,
            "page_title": title,
            "breadcrumbs": crumbs,
        },
    )
