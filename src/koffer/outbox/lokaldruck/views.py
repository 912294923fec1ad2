"""Pages of local printing: the administration's printers; on a letter's page printing it,
its prints and a retry; its PDF; the letters a person still has to print and their
Sammel-PDF for a mobile printer. Thin: selectors read, services write, access from
``outbox.access``."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.conf import settings
from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.outbox import access
from koffer.outbox.briefe import selectors as briefe
from koffer.outbox.briefe import services as brief_services
from koffer.outbox.errors import NotFound
from koffer.outbox.lokaldruck import selectors, services
from koffer.outbox.lokaldruck.forms import DruckenForm, DruckerForm
from koffer.outbox.models import Brief, Druckauftrag, Drucker
from koffer.records import selectors as records
from koffer.records.breadcrumbs import akte_trail
from koffer.records.dokumente.files import download_response
from koffer.shell.breadcrumbs import trail
from koffer.tenancy.models import Organisationseinheit

DRUCKER = "Postausgang: Drucker"
ZU_DRUCKEN = "Selbst zu drucken"


# --- the administration's printers -------------------------------------------------------------


def _units(request: TenantRequest) -> list[tuple[str, str]]:
    units = Organisationseinheit.objects.for_tenant(request.tenant).order_by("path")
    return [(str(u.pk), u.name) for u in units]


def _save(request: TenantRequest, form: DruckerForm, drucker: Drucker | None) -> Drucker | None:
    if not form.is_valid():
        return None
    data = form.cleaned_data
    unit = (
        Organisationseinheit.objects.for_tenant(request.tenant).filter(pk=data["unit"]).first()
        if data["unit"]
        else None
    )
    try:
        return services.save_drucker(
            actor=request.user,
            access=request.access,
            tenant=request.tenant,
            drucker=drucker,
            name=data["name"],
            uri=data["uri"],
            unit=unit,
            duplex=data["duplex"],
            is_active=data["is_active"],
        )
    except DomainError as exc:
        form.add_error(getattr(exc, "field", "") or None, exc.message)
        return None


@require_http_methods(["GET", "POST"])
@requires(access.configures_dispatch)
def drucker_liste(request: TenantRequest) -> HttpResponse:
    form = DruckerForm(request.POST or None, units=_units(request))
    if request.method == "POST" and _save(request, form, None) is not None:
        messages.success(request, "Der Drucker ist eingerichtet.")
        return redirect("outbox:drucker")
    return render(
        request,
        "outbox/drucker.html",
        {
            "page_title": DRUCKER,
            "breadcrumbs": trail((DRUCKER, None)),
            "drucker": list(selectors.alle_drucker(request.tenant.pk)),
            "form": form,
        },
    )


@require_http_methods(["GET", "POST"])
@requires(access.configures_dispatch)
def drucker_aendern(request: TenantRequest, drucker_id: uuid.UUID) -> HttpResponse:
    drucker = selectors.drucker_of(request.tenant.pk, drucker_id)
    if drucker is None:
        raise Http404
    initial = {
        "name": drucker.name,
        "uri": drucker.uri,
        "unit": str(drucker.unit_id or ""),
        "duplex": drucker.duplex,
        "is_active": drucker.is_active,
    }
    form = DruckerForm(request.POST or None, initial=initial, units=_units(request))
    if request.method == "POST" and _save(request, form, drucker) is not None:
        messages.success(request, "Der Drucker ist gespeichert.")
        return redirect("outbox:drucker")
    return render(
        request,
        "outbox/drucker_form.html",
        {
            "page_title": f"Drucker: {drucker.name}",
            "breadcrumbs": trail((DRUCKER, reverse("outbox:drucker")), (drucker.name, None)),
            "drucker": drucker,
            "form": form,
        },
    )


# --- a letter ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Abschnitt:
    """What the letter's page shows about printing it."""

    form: DruckenForm | None
    auftraege: list[Druckauftrag]
    keine_drucker: bool
    druck_laeuft: bool
    einziger: str = ""  # the only printer's name: the button says where it prints
    knopf: str = "Drucken"  # the button's words (on a Koffer „Auf dem Koffer-Drucker drucken“)


def abschnitt(request: TenantRequest, brief: Brief, *, can_write: bool) -> Abschnitt | None:
    """The print part of a released local letter's page (None for other letters)."""
    if brief.kanal != Brief.Kanal.LOKAL or brief.status not in services.PRINTABLE:
        return None
    rows = list(selectors.auftraege(brief)[:20])
    laeuft = any(a.status in (Druckauftrag.Status.WARTET, Druckauftrag.Status.LAEUFT) for a in rows)
    drucker = selectors.drucker_zur_wahl(request.access)
    form = None
    if can_write and drucker and not laeuft:
        printed = brief.status != Brief.Status.FREIGEGEBEN or any(
            a.status == Druckauftrag.Status.GEDRUCKT for a in rows
        )
        form = DruckenForm(drucker=drucker, schon_gedruckt=printed, prefix="druck")
    einziger = drucker[0][1] if len(drucker) == 1 else ""
    return Abschnitt(form, rows, not drucker, laeuft, einziger, selectors.druck_knopf(drucker))


def _own_brief(request: TenantRequest, brief_id: uuid.UUID) -> Brief:
    brief = briefe.brief(request.access, request.user.pk, brief_id)
    if brief is None:
        raise Http404
    return brief


@require_POST
@requires(access.writes)
def drucken(request: TenantRequest, brief_id: uuid.UUID) -> HttpResponse:
    brief = _own_brief(request, brief_id)
    choices = selectors.drucker_zur_wahl(request.access)
    form = DruckenForm(request.POST, drucker=choices, schon_gedruckt=True, prefix="druck")
    if not form.is_valid():
        messages.error(request, "Bitte wählen Sie einen Drucker.")
        return redirect("outbox:brief", brief_id=brief.pk)
    try:
        drucker = _gewaehlt(request, form.cleaned_data["drucker"])
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("outbox:brief", brief_id=brief.pk)
    assert drucker is not None  # one of the choices
    try:
        services.drucken(
            actor=request.user,
            access=request.access,
            ziel=brief,
            drucker=drucker,
            nochmals=form.cleaned_data["nochmals"],
            grund=form.cleaned_data["grund"],
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, f"Der Brief geht an {drucker.name}; der Stand steht unten.")
    return redirect("outbox:brief", brief_id=brief.pk)


@require_POST
@requires(access.writes)
def wiederholen(request: TenantRequest, auftrag_id: uuid.UUID) -> HttpResponse:
    found = selectors.auftrag(request.access, request.user.pk, auftrag_id)
    if found is None:
        raise Http404
    try:
        services.wiederholen(actor=request.user, access=request.access, auftrag=found)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Der Druck wird wiederholt.")
    return redirect("outbox:brief", brief_id=found.brief_id)


@require_GET
@requires(access.writes)
def pdf(request: TenantRequest, brief_id: uuid.UUID) -> FileResponse:
    """The filed PDF of a released letter, its read audited."""
    brief = _own_brief(request, brief_id)
    if brief.dokument is None or brief.dokument.current_version is None:
        raise Http404
    brief_services.record_read(actor=request.user, brief=brief, purpose="PDF heruntergeladen")
    return download_response(brief.dokument.current_version, as_pdf=True)


# --- letters to print --------------------------------------------------------------------------


@require_GET
@requires(access.writes)
def zu_drucken(request: TenantRequest) -> HttpResponse:
    rows = list(selectors.zu_drucken(request.access, request.user.pk)[: selectors.MAX_SAMMEL])
    return render(
        request,
        "outbox/zu_drucken.html",
        {
            "page_title": ZU_DRUCKEN,
            "breadcrumbs": trail((ZU_DRUCKEN, None)),
            "briefe": rows,
            "seiten": sum(b.seiten for b in rows),
            "max": selectors.MAX_SAMMEL,
        },
    )


@require_GET
@requires(access.writes)
def sammel_pdf(request: TenantRequest) -> HttpResponse:
    rows = list(selectors.zu_drucken(request.access, request.user.pk)[: selectors.MAX_SAMMEL])
    if not rows:
        raise Http404
    duplex = request.GET.get("duplex", "1") != "0"
    data = services.sammel_pdf(actor=request.user, briefe=rows, duplex=duplex)
    response = HttpResponse(data, content_type="application/pdf")
    name = f"selbst-drucken-{timezone.localdate():%Y-%m-%d}.pdf"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- another filed Dokument (a submitted form on the Koffer) -----------------------------------


def _gewaehlt(request: TenantRequest, wahl: str) -> Drucker | None:
    if wahl == "einstellung":
        return services.einstellungsdrucker(tenant=request.tenant)
    try:
        return selectors.drucker_of(request.tenant.pk, uuid.UUID(wahl))
    except ValueError:
        return None


@require_http_methods(["GET", "POST"])
@requires(access.writes)
def dokument_drucken(request: TenantRequest, dokument_id: uuid.UUID) -> HttpResponse:
    """A filed Dokument (a submitted form) printed as the Akte holds it: the printers,
    the button, its prints and their state."""
    dokument = records.dokument(records.Viewer.of(request), dokument_id)
    if dokument is None or not access.can_write_in(request.access, request.user.pk, dokument.akte):
        raise Http404
    drucker = selectors.drucker_zur_wahl(request.access)
    rows = list(selectors.dokument_auftraege(dokument)[:20])
    laeuft = any(a.status in (Druckauftrag.Status.WARTET, Druckauftrag.Status.LAEUFT) for a in rows)
    printed = any(a.status == Druckauftrag.Status.GEDRUCKT for a in rows)
    form = DruckenForm(
        request.POST or None, drucker=drucker, schon_gedruckt=printed, prefix="druck"
    )
    if request.method == "POST" and form.is_valid():
        try:
            gewaehlt = _gewaehlt(request, form.cleaned_data["drucker"])
            if gewaehlt is None:
                raise NotFound("not_found", "Diesen Drucker gibt es nicht.")
            services.drucken(
                actor=request.user,
                access=request.access,
                ziel=dokument,
                drucker=gewaehlt,
                nochmals=form.cleaned_data.get("nochmals", False),
                grund=form.cleaned_data.get("grund", ""),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(
                request, f"Das Dokument geht an {gewaehlt.name}; der Stand steht unten."
            )
        return redirect("outbox:dokument_drucken", dokument_id=dokument.pk)
    titel = f"Drucken: {dokument.title}"
    return render(
        request,
        "outbox/dokument_drucken.html",
        {
            "page_title": titel,
            "breadcrumbs": akte_trail(dokument.akte, (titel, None)),
            "dokument": dokument,
            "form": form if drucker and not laeuft else None,
            "knopf": selectors.druck_knopf(drucker),
            "keine_drucker": not drucker,
            "druck_laeuft": laeuft,
            "auftraege": rows,
            "koffer": settings.KOFFER_MODE == "koffer",
        },
    )
