"""Pages of the device registry: „Mein Koffer“ (register a Koffer, its pairing code shown
once, its checkouts with „zurückgeben“), „Akten in den Koffer nehmen“, and „Koffer:
Geräte“ for the administration (every Koffer, revoke with a reason). Thin: selectors
read, services write and ask ``field.access``."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.field import access
from koffer.field.geraete import selectors, services, texte
from koffer.field.geraete.forms import GeraetForm, MitnehmenForm, SperreForm
from koffer.field.models import Geraet
from koffer.shell.breadcrumbs import trail

MEIN_KOFFER = "Mein Koffer"
MITNEHMEN = "Akten in den Koffer nehmen"
GERAETE = "Koffer: Geräte"


def _mein_koffer_page(request: TenantRequest, form: GeraetForm) -> HttpResponse:
    geraete = list(selectors.meine_geraete(request.access, request.user.pk))
    ausleihen = list(selectors.ausleihen(request.access, request.user.pk).filter(user=request.user))
    return render(
        request,
        "field/geraete/mein_koffer.html",
        {
            "page_title": MEIN_KOFFER,
            "breadcrumbs": trail((MEIN_KOFFER, None)),
            "geraete": geraete,
            "ausleihen": [
                (row, texte.zeitpunkt(row.seit), texte.tag(row.bis)) for row in ausleihen
            ],
            "form": form,
            "kann_mitnehmen": any(g.gesperrt_am is None for g in geraete),
        },
    )


def _code_page(request: TenantRequest, geraet: Geraet, code: str) -> HttpResponse:
    assert geraet.kopplung_bis is not None
    return render(
        request,
        "field/geraete/kopplungscode.html",
        {
            "page_title": f"Kopplungscode für {geraet.name}",
            "breadcrumbs": trail((MEIN_KOFFER, reverse("field:mein_koffer")), (geraet.name, None)),
            "geraet": geraet,
            "code": code,
            "bis": texte.zeitpunkt(geraet.kopplung_bis),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(access.seite_mein_koffer)
def mein_koffer(request: TenantRequest) -> HttpResponse:
    form = GeraetForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            geraet, code = services.geraet_anlegen(
                actor=request.user,
                tenant_id=request.tenant.pk,
                name=form.cleaned_data["name"],
                access=request.access,
            )
        except DomainError as exc:
            form.add_error("name", exc.message)
        else:
            # Rendered, not redirected: the code exists only in this answer.
            return _code_page(request, geraet, code)
    return _mein_koffer_page(request, form)


def _eigenes(request: TenantRequest, geraet_id: uuid.UUID) -> Geraet:
    geraet = selectors.geraet(request.access, request.user.pk, geraet_id)
    if geraet is None or not access.bedient_geraet(request.access, request.user.pk, geraet):
        raise Http404
    return geraet


@require_POST
@requires(access.seite_mein_koffer)
def kopplungscode(request: TenantRequest, geraet_id: uuid.UUID) -> HttpResponse:
    geraet = _eigenes(request, geraet_id)
    try:
        code = services.neuer_kopplungscode(
            actor=request.user, geraet=geraet, access=request.access
        )
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("field:mein_koffer")
    return _code_page(request, geraet, code)


@require_POST
@requires(access.seite_mein_koffer)
def zurueckgeben(request: TenantRequest, ausleihe_id: uuid.UUID) -> HttpResponse:
    row = selectors.ausleihe(request.access, request.user.pk, ausleihe_id)
    if row is None:
        raise Http404
    try:
        services.zurueckgeben(actor=request.user, ausleihe=row, access=request.access)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Die Akte {row.akte.aktenzeichen} ist zurückgegeben.")
    return redirect("field:mein_koffer")


@require_http_methods(["GET", "POST"])
@requires(access.seite_mein_koffer)
def mitnehmen(request: TenantRequest) -> HttpResponse:
    geraete = [
        g for g in selectors.meine_geraete(request.access, request.user.pk) if g.gesperrt_am is None
    ]
    suche = (request.GET.get("q") or request.POST.get("q") or "").strip()[:100]
    gefunden = selectors.akten_suchen(request.access, request.user.pk, suche)
    form = MitnehmenForm(
        request.POST or None,
        # „Meine Hausbesuche“ hands over the day's Aktenzeichen not yet in the Koffer.
        initial={"aktenzeichen": (request.GET.get("aktenzeichen") or "")[:4000]},
        geraete=[(str(g.pk), g.name) for g in geraete],
        gefunden=[(str(a.pk), f"{a.aktenzeichen} – {a.title}") for a in gefunden],
    )
    if request.method == "POST" and form.is_valid() and _mitnehmen(request, form, geraete):
        return redirect("field:mein_koffer")
    return render(
        request,
        "field/geraete/mitnehmen.html",
        {
            "page_title": MITNEHMEN,
            "breadcrumbs": trail((MEIN_KOFFER, reverse("field:mein_koffer")), (MITNEHMEN, None)),
            "form": form,
            "suche": suche,
            "gesucht": len(suche) >= 2,
            "gefunden": gefunden,
            "keine_geraete": not geraete,
        },
    )


def _mitnehmen(request: TenantRequest, form: MitnehmenForm, geraete: list[Geraet]) -> bool:
    geraet = next((g for g in geraete if str(g.pk) == form.cleaned_data["geraet"]), None)
    if geraet is None:
        form.add_error("geraet", "Bitte wählen Sie einen Ihrer Koffer.")
        return False
    zeichen = form.zeichen()
    nach_zeichen = selectors.akten_nach_zeichen(request.access, request.user.pk, zeichen)
    unbekannt = [z for z in zeichen if z not in nach_zeichen]
    if unbekannt:
        form.add_error(
            "aktenzeichen",
            f"Diese Akten gibt es nicht, oder Sie dürfen sie nicht bearbeiten: {', '.join(unbekannt)}.",
        )
        return False
    ids = [uuid.UUID(i) for i in form.cleaned_data.get("akten") or []]
    akten = list(nach_zeichen.values()) + selectors.akten_zum_mitnehmen(
        request.access, request.user.pk, ids
    )
    try:
        rows = services.ausleihen(
            actor=request.user, geraet=geraet, akten=akten, access=request.access
        )
    except DomainError as exc:
        form.add_error(None, exc.message)
        return False
    bis = texte.tag(rows[0].bis)
    messages.success(
        request,
        f"{len(rows)} {'Akte ist' if len(rows) == 1 else 'Akten sind'} im Koffer "
        f"„{geraet.name}“ bis {bis}. Der Koffer holt sie bei der nächsten Verbindung ab.",
    )
    return True


@require_http_methods(["GET"])
@requires(access.seite_geraete)
def geraete(request: TenantRequest) -> HttpResponse:
    return render(
        request,
        "field/geraete/geraete.html",
        {
            "page_title": GERAETE,
            "breadcrumbs": trail((GERAETE, None)),
            "geraete": list(selectors.alle_geraete(request.access, request.user.pk)),
        },
    )


@require_http_methods(["GET", "POST"])
@requires(access.seite_sperren)
def sperren(request: TenantRequest, geraet_id: uuid.UUID) -> HttpResponse:
    geraet = selectors.geraet(request.access, request.user.pk, geraet_id)
    if geraet is None:
        raise Http404
    form = SperreForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.sperren(
                actor=request.user,
                geraet=geraet,
                grund=form.cleaned_data["grund"],
                access=request.access,
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(
                request,
                f"Der Koffer „{geraet.name}“ ist gesperrt. Er löscht seine Daten, sobald er "
                "sich das nächste Mal meldet.",
            )
            admin = access.verwaltet_geraete(request.access)
            return redirect("field:geraete" if admin else "field:mein_koffer")
    zurueck = (
        (GERAETE, reverse("field:geraete"))
        if access.verwaltet_geraete(request.access)
        else (MEIN_KOFFER, reverse("field:mein_koffer"))
    )
    return render(
        request,
        "field/geraete/sperren.html",
        {
            "page_title": f"Koffer „{geraet.name}“ sperren",
            "breadcrumbs": trail(zurueck, (f"{geraet.name} sperren", None)),
            "geraet": geraet,
            "offene": selectors.offene_ausleihen(geraet).count(),
            "zurueck_url": zurueck[1],
            "form": form,
        },
    )
