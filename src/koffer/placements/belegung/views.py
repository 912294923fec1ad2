"""Pages of holds and occupancy: the provider's requests and Belegungen (confirm, decline,
end, absences) and the youth office withdrawing a request. Thin: parse, call one service
or selector, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.placements import access, events, selectors
from koffer.placements.abrechnung.abgerechnet import AbgerechneterMonat, abgerechnete_monate
from koffer.placements.belegung import services
from koffer.placements.belegung.forms import AbwesenheitForm, BeendenForm, GrundForm, ZusageForm
from koffer.placements.models import Abwesenheit, Reservierung
from koffer.placements.pages import GESUCHE, form_page
from koffer.shell.breadcrumbs import trail

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
        messages.error(request, exc.message)
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
    anfragen = reverse("placements:anfragen")
    return _close_hold(
        request,
        hold,
        services.decline,
        done="Abgesagt. Der Platz ist wieder frei.",
        back=anfragen,
        title="Anfrage absagen",
        crumb=(ANFRAGEN, anfragen),
        submit="Absagen",
    )


def _close_hold(
    request: TenantRequest,
    hold: Reservierung,
    close: Callable[..., Reservierung],
    *,
    done: str,
    back: str,
    title: str,
    crumb: tuple[str, str],
    submit: str,
) -> HttpResponse:
    """A request ended with a reason (declined by the provider, withdrawn by the youth
    office): the reason's form, then the service, then back where the user came from."""
    form = GrundForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            close(
                actor=request.user,
                tenant=request.tenant,
                reservierung_id=hold.pk,
                reason=form.cleaned_data["reason"],
                anbieter_id=hold.tenant_id,
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, done)
        return redirect(back)
    return form_page(request, form, title, [crumb], submit)


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
    return form_page(
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
    return form_page(
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
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Abwesenheit vom {item.von:%d.%m.%Y} bis {item.bis:%d.%m.%Y} gelöscht."
        )
        _warn_billed(request, abgerechnete_monate(belegung, (item.von, item.bis)))
    return redirect("placements:belegung_abwesenheiten", belegung.pk)


@requires(access.is_requester)
def anfrage_zurueckziehen(request: TenantRequest, reservierung_id: uuid.UUID) -> HttpResponse:
    hold = access.get_or_none(
        access.reservierungen(request.tenant).filter(jugendamt=request.tenant), reservierung_id
    )
    if hold is None:
        raise Http404
    return _close_hold(
        request,
        hold,
        services.withdraw,
        done="Anfrage zurückgezogen.",
        back=reverse("placements:gesuch", args=[hold.gesuch_id]),
        title="Anfrage zurückziehen",
        crumb=(GESUCHE, reverse("placements:gesuche")),
        submit="Zurückziehen",
    )
