"""Pages of the Besuchswünsche: „Hausbesuche: Anfragen“ (the open requests from the
citizens' portal), one request with the Akten it may go into and the planning form, and
declining a request with a reason. Thin: selectors read, services write, access from
``field.access``."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.field import access as rules
from koffer.field.besuche import selectors as besuche
from koffer.field.models import Besuchswunsch
from koffer.field.wuensche import selectors, services
from koffer.field.wuensche.forms import AblehnenForm, PlanenForm
from koffer.records.models import Akte
from koffer.shell.breadcrumbs import trail

TITEL = "Hausbesuche: Anfragen"
OHNE_AKTE = "Bitte wählen Sie die Akte, zu der der Hausbesuch gehört."


def _wunsch(request: TenantRequest, wunsch_id: uuid.UUID) -> Besuchswunsch:
    found = selectors.wunsch(request.access, request.user.pk, wunsch_id)
    if found is None:
        raise Http404
    return found


def _liste_url() -> str:
    return reverse("field:besuchswuensche")


@require_GET
@requires(rules.plant_wuensche)
def liste(request: TenantRequest) -> HttpResponse:
    offene = selectors.offene(request.access, request.user.pk)
    services.gelesen(actor=request.user, tenant_id=request.tenant.pk, wuensche=offene, zweck=TITEL)
    return render(
        request,
        "field/wuensche/liste.html",
        {
            "offene": [(w, selectors.wochentage_text(w)) for w in offene],
            "page_title": TITEL,
            "breadcrumbs": trail((TITEL, None)),
        },
    )


def _anlass(wunsch: Besuchswunsch) -> str:
    text = wunsch.get_thema_display()
    if wunsch.anliegen:
        text = f"{text}: {wunsch.anliegen}"
    return text[:300]


def _hinweise(wunsch: Besuchswunsch) -> str:
    barrieren = dict(Besuchswunsch.Barriere.choices)
    teile = [barrieren[b] for b in wunsch.barrieren if b in barrieren]
    if wunsch.barrieren_hinweis:
        teile.append(wunsch.barrieren_hinweis)
    teile.append(f"Rückruf: {wunsch.telefon}")
    return ". ".join(teile)[:500]


@require_http_methods(["GET", "POST"])
@requires(rules.plant_wuensche)
def anfrage(request: TenantRequest, wunsch_id: uuid.UUID) -> HttpResponse:
    wunsch = _wunsch(request, wunsch_id)
    suche = request.GET.get("suche", "")[:100]
    treffer = (
        selectors.passende_akten(request.access, request.user.pk, wunsch, suche)
        if wunsch.status == Besuchswunsch.Status.OFFEN
        else []
    )
    personen = list(rules.aussendienste_der_einheit(wunsch.tenant_id, wunsch.unit.path))
    heute = timezone.localdate()
    form = PlanenForm(
        request.POST or None,
        initial={
            "datum": max(wunsch.ab or heute, heute),
            "anlass": _anlass(wunsch),
            "hinweise": _hinweise(wunsch),
        },
    )
    form.set_choices(
        [(str(p.pk), p.get_full_name() or p.username) for p in personen],
        besuche.formularauswahl(wunsch.tenant_id),
    )
    gewaehlt = request.POST.get("akte", "")
    if request.method == "POST" and form.is_valid():
        akte = _akte(request, wunsch, gewaehlt)
        if akte is None:
            form.add_error(None, OHNE_AKTE)
        else:
            data = form.cleaned_data
            try:
                besuch = services.planen(
                    actor=request.user,
                    access=request.access,
                    wunsch=wunsch,
                    akte=akte,
                    aussendienst=next(p for p in personen if str(p.pk) == data["aussendienst"]),
                    datum=data["datum"],
                    uhrzeit=data["uhrzeit"],
                    anlass=data["anlass"],
                    hinweise=data["hinweise"],
                    formulare=data["formulare"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(
                    request,
                    f"Hausbesuch am {besuch.datum:%d.%m.%Y} für {wunsch.name} geplant; "
                    "die anfragende Person sieht den Termin im Portal.",
                )
                return redirect(_liste_url())
    elif request.method == "POST" and not gewaehlt:
        form.add_error(None, OHNE_AKTE)
    if request.method == "GET":
        services.gelesen(
            actor=request.user, tenant_id=request.tenant.pk, wuensche=[wunsch], zweck=TITEL
        )
    return render(
        request,
        "field/wuensche/anfrage.html",
        {
            "wunsch": wunsch,
            "wochentage": selectors.wochentage_text(wunsch),
            "barrieren": [
                label for code, label in Besuchswunsch.Barriere.choices if code in wunsch.barrieren
            ],
            "treffer": treffer,
            "suche": suche,
            "gewaehlt": gewaehlt,
            "form": form,
            "keine_aussendienste": not personen,
            "page_title": f"Anfrage von {wunsch.anfragende}",
            "breadcrumbs": trail((TITEL, _liste_url()), ("Anfrage", None)),
        },
        status=400 if request.method == "POST" else 200,
    )


def _akte(request: TenantRequest, wunsch: Besuchswunsch, roh: str) -> Akte | None:
    try:
        akte_id = uuid.UUID(roh)
    except ValueError:
        return None
    return selectors.akte_fuer(request.access, request.user.pk, wunsch, akte_id)


@require_http_methods(["GET", "POST"])
@requires(rules.plant_wuensche)
def ablehnen(request: TenantRequest, wunsch_id: uuid.UUID) -> HttpResponse:
    wunsch = _wunsch(request, wunsch_id)
    form = AblehnenForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.ablehnen(
                actor=request.user,
                access=request.access,
                wunsch=wunsch,
                grund=form.cleaned_data["grund"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Die Anfrage von {wunsch.anfragende} ist abgelehnt.")
            return redirect(_liste_url())
    return render(
        request,
        "field/wuensche/ablehnen.html",
        {
            "wunsch": wunsch,
            "form": form,
            "page_title": "Anfrage ablehnen",
            "breadcrumbs": trail(
                (TITEL, _liste_url()),
                ("Anfrage", reverse("field:besuchswunsch", args=[wunsch.pk])),
                ("Ablehnen", None),
            ),
        },
        status=400 if form.errors else 200,
    )
