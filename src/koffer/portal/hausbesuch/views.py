"""Pages of the Hausbesuch auf Anfrage: the citizen's „Hausbesuch anfragen“ (first for
whom, then the request, prefilled) and the administration's „Portal: Hausbesuche“ (the
offer on or off, the team that plans). Thin: services write and check."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.field.models import Besuchswunsch
from koffer.field.wuensche.services import Angaben
from koffer.portal import access
from koffer.portal.errors import ZuVieleVersuche
from koffer.portal.hausbesuch import selectors, services
from koffer.portal.hausbesuch.forms import AnfrageForm, AngebotForm
from koffer.portal.models import Buergerkonto
from koffer.portal.sitzung import buerger_erforderlich
from koffer.portal.views import seite
from koffer.records.models import Person
from koffer.shell.breadcrumbs import trail
from koffer.tenancy.models import Organisationseinheit

SELBST, ANDERE = "selbst", "andere"


def _wahl(konto: Buergerkonto, personen: list[Person]) -> list[tuple[str, str]]:
    """Whom the citizen may ask for: itself, each represented person, another person."""
    wahl = [(SELBST, "für mich selbst")]
    wahl += [
        (str(p.pk), f"für {p.given_names} {p.family_name} (Vertretung)")
        for p in personen
        if p.pk != konto.person_id
    ]
    wahl.append((ANDERE, "für eine angehörige oder andere Person, die ich nicht vertrete"))
    return wahl


def _person(konto: Buergerkonto, personen: list[Person], fuer: str) -> Person | None:
    """The person ``fuer`` names; 404 for one the account may not act for."""
    if fuer == ANDERE:
        return None
    if fuer == SELBST:
        return next((p for p in personen if p.pk == konto.person_id), None)
    try:
        person_id = uuid.UUID(fuer)
    except ValueError as exc:
        raise Http404("Diese Person gibt es nicht.") from exc
    person = next((p for p in personen if p.pk == person_id and p.pk != konto.person_id), None)
    if person is None:
        raise Http404("Diese Person gibt es nicht.")
    return person


def _vorbelegt(konto: Buergerkonto, person: Person | None, fuer: str) -> dict[str, object]:
    if fuer == ANDERE:
        return {}
    quelle: Person | Buergerkonto = person if person is not None else konto
    werte: dict[str, object] = {
        "family_name": quelle.family_name,
        "given_names": quelle.given_names,
        "street": quelle.street,
        "postal_code": quelle.postal_code,
        "city": quelle.city,
    }
    if person is not None and person.telefon:
        werte["telefon"] = person.telefon
    return werte


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
            request, "portal/hausbesuch/anfragen.html", {**kontext, "wahl": _wahl(konto, personen)}
        )
    person = _person(konto, personen, fuer)
    form = AnfrageForm(
        request.POST or None,
        initial=_vorbelegt(konto, person, fuer),
        mit_name=person is None,
        angehoerige=fuer == ANDERE,
    )
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            services.anfragen(
                actor=konto, angaben=_angaben(form.cleaned_data, person, fuer), person=person
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


def _angaben(data: dict[str, object], person: Person | None, fuer: str) -> Angaben:
    return Angaben(
        fuer=Besuchswunsch.Fuer.ANGEHOERIGE if fuer == ANDERE else Besuchswunsch.Fuer.SELBST,
        family_name=person.family_name if person else str(data.get("family_name") or ""),
        given_names=person.given_names if person else str(data.get("given_names") or ""),
        street=str(data["street"]),
        postal_code=str(data["postal_code"]),
        city=str(data["city"]),
        telefon=str(data["telefon"]),
        beziehung=str(data.get("beziehung") or ""),
        thema=str(data["thema"]),
        anliegen=str(data.get("anliegen") or ""),
        wochentage=list(data.get("wochentage") or []),  # type: ignore[call-overload]
        tageszeit=str(data["tageszeit"]),
        ab=data.get("ab"),  # type: ignore[arg-type]
        bis=data.get("bis"),  # type: ignore[arg-type]
        barrieren=list(data.get("barrieren") or []),  # type: ignore[call-overload]
        barrieren_hinweis=str(data.get("barrieren_hinweis") or ""),
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
