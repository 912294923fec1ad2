"""Pages of the Hausbesuch auf Anfrage: the citizen's „Hausbesuch anfragen“ (first for
whom — beside the account's requests, each open one with „Anfrage zurückziehen“ —, then
the request, prefilled), „Anfrage zurückziehen“ (asks once more, then withdraws) and the administration's „Portal: Hausbesuche“ (the
offer on or off, the team that plans). Thin: services write and check."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from koffer import errors
from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.portal import access
from koffer.portal.errors import NotFound, ZuVieleVersuche
from koffer.portal.hausbesuch import anfrage, selectors, services
from koffer.portal.hausbesuch.forms import AnfrageForm, AngebotForm
from koffer.portal.models import Buergerkonto
from koffer.portal.sitzung import buerger_erforderlich
from koffer.portal.views import seite
from koffer.records.models import Person
from koffer.shell.breadcrumbs import trail
from koffer.tenancy.models import Organisationseinheit

SELBST, ANDERE = anfrage.SELBST, anfrage.ANDERE


def _person(konto: Buergerkonto, personen: list[Person], fuer: str) -> Person | None:
    try:
        return anfrage.person(konto, personen, fuer)
    except NotFound as exc:
        raise Http404(exc.message) from exc


@buerger_erforderlich
@require_http_methods(["GET", "POST"])
def anfragen(request: HttpRequest, mandant: str) -> HttpResponse:
    konto: Buergerkonto = request.buerger  # type: ignore[attr-defined]
    if selectors.angebot(konto.tenant_id) is None:
        raise Http404(services.NICHT_ANGEBOTEN)
    personen = access.personen_des_kontos(konto)
    fuer = request.POST.get("fuer") or request.GET.get("fuer", "")
    kontext: dict[str, object] = {"page_title": "Hausbesuch anfragen"}
    if not fuer:
        return seite(
            request,
            "portal/hausbesuch/anfragen.html",
            {
                **kontext,
                "wahl": anfrage.wahl(konto, personen),
                "anfragen": selectors.anfragen_lesen(konto, "Hausbesuche im Portal"),
            },
        )
    person = _person(konto, personen, fuer)
    form = AnfrageForm(
        request.POST or None,
        initial=anfrage.vorbelegt(konto, person, fuer),
        mit_name=person is None,
        angehoerige=fuer == ANDERE,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.anfragen(
                actor=konto, angaben=anfrage.angaben(form.cleaned_data, person, fuer), person=person
            )
        except ZuVieleVersuche as exc:
            form.add_error(None, exc.message)
            status = exc.status
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = 400
        else:
            messages.success(
                request,
                "Ihre Anfrage ist eingegangen. Die Verwaltung ruft Sie an, um den Termin "
                "abzustimmen; den Stand sehen Sie hier auf Ihrer Startseite.",
            )
            return HttpResponseRedirect(reverse("portal:start", kwargs={"mandant": mandant}))
    elif request.method == "POST":
        status = 400
    return seite(
        request,
        "portal/hausbesuch/anfragen.html",
        {
            **kontext,
            "form": form,
            "fuer": fuer,
            "person": person,
            "angehoerige": fuer == ANDERE,
        },
        status=status,
    )


@buerger_erforderlich
@require_http_methods(["GET", "POST"])
def zurueckziehen(request: HttpRequest, mandant: str, wunsch_id: uuid.UUID) -> HttpResponse:
    """Asks once more (GET), then takes the request back (POST); another account's
    request is a 404, one a planner already decided is refused with the reason."""
    konto: Buergerkonto = request.buerger  # type: ignore[attr-defined]
    status, fehler = 200, ""
    if request.method == "POST":
        try:
            services.zurueckziehen(actor=konto, wunsch_id=wunsch_id)
        except errors.NotFound as exc:
            raise Http404(exc.message) from exc
        except DomainError as exc:
            fehler, status = exc.message, exc.status
        else:
            messages.success(
                request,
                "Ihre Anfrage ist zurückgezogen. Die Verwaltung plant dafür keinen Besuch.",
            )
            return HttpResponseRedirect(reverse("portal:start", kwargs={"mandant": mandant}))
    stand = selectors.anfrage_lesen(konto, wunsch_id, "Hausbesuch: Anfrage zurückziehen")
    if stand is None:
        raise Http404("Diese Anfrage gibt es nicht.")
    return seite(
        request,
        "portal/hausbesuch/zurueckziehen.html",
        {"page_title": "Anfrage zurückziehen", "stand": stand, "fehler": fehler},
        status=status,
    )


TITEL = "Portal: Hausbesuche"


@requires(lambda grants, tenant: access.verwaltet_hausbesuche(grants))
def angebot_verwaltung(request: TenantRequest) -> HttpResponse:
    einheiten = list(Organisationseinheit.objects.for_tenant(request.tenant.pk).order_by("path"))
    einstellung = selectors.einstellung(request.tenant.pk)
    form = AngebotForm(
        request.POST or None,
        initial={
            "aktiv": bool(einstellung and einstellung.hausbesuche_angeboten),
            "unit": str(einstellung.hausbesuche_unit_id or "") if einstellung else "",
        },
    )
    form.set_choices([(str(u.pk), u.name) for u in einheiten])
    if request.method == "POST" and form.is_valid():
        unit = next((u for u in einheiten if str(u.pk) == form.cleaned_data["unit"]), None)
        try:
            services.angebot_setzen(
                actor=request.user,
                access=request.access,
                aktiv=form.cleaned_data["aktiv"],
                unit=unit,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Das Angebot der Hausbesuche ist gespeichert.")
            return HttpResponseRedirect(request.path)
    return render(
        request,
        "portal/hausbesuch/angebot_verwaltung.html",
        {
            "page_title": TITEL,
            "breadcrumbs": trail((TITEL, None)),
            "form": form,
        },
        status=400 if form.errors else 200,
    )
