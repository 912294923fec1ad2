"""Pages of the § 47 SGB VIII notifications.

Providers: their notifications, a form for a new one (the yearly occupancy report shows
its figures for confirmation first), the detail with status and receipt. The
Landesjugendamt: the inbox sorted by deadline with overdue ones marked, the detail with
acknowledge, Rückfrage and close. One detail page serves both parties; anything the
Mandant is no party of answers 404.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from django import forms
from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koffer.accounts.access import require_perm, requires
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.errors import DomainError
from koffer.placements import access
from koffer.placements.errors import Conflict
from koffer.placements.meldungen import downloads, selectors
from koffer.placements.meldungen import forms as meldung_forms
from koffer.placements.meldungen import services as meldungen
from koffer.placements.meldungen.forms import (
    JahresmeldungForm,
    MeldungForm,
)
from koffer.placements.models import Meldung
from koffer.shell.breadcrumbs import trail

PAGE_SIZE = 50
LIST_TITLE = "Meldungen nach § 47 SGB VIII"
INBOX_TITLE = "Posteingang Meldungen"


def _sicht_or_404(request: TenantRequest, meldung_id: uuid.UUID) -> access.Sicht:
    sicht = access.meldung_sicht(request.access, request.tenant, meldung_id)
    if sicht is None:
        raise Http404
    return sicht


# --- forms ---------------------------------------------------------------------------------


# --- lists ---------------------------------------------------------------------------------


def _filters(request: TenantRequest, default_status: str) -> dict[str, str]:
    art = request.GET.get("art", "")
    status = request.GET.get("status", default_status)
    return {
        "art": art if art in Meldung.Art.values else "",
        "status": status if status in {"offen", "alle", *Meldung.Status.values} else default_status,
    }


def _page(request: TenantRequest, qs: QuerySet[Meldung]) -> Page:
    return Paginator(qs, PAGE_SIZE).get_page(request.GET.get("seite"))


def _query(filters: dict[str, str]) -> str:
    return "&".join(f"{k}={v}" for k, v in filters.items() if v)


def _list_context(filters: dict[str, str]) -> dict[str, Any]:
    return {
        "filters": filters,
        "query": _query(filters),
        "arten": Meldung.Art.choices,
        "stati": Meldung.Status.choices,
        "today": timezone.localdate(),
    }


@requires(access.is_provider)
@require_GET
def meldungen_list(request: TenantRequest) -> HttpResponse:
    filters = _filters(request, "alle")
    qs = selectors.filtered(
        selectors.filed(request.tenant).select_related("einrichtung"),
        art=filters["art"],
        status=filters["status"],
    ).order_by("-eingereicht_at", "-pk")
    return render(
        request,
        "placements/meldungen_list.html",
        {
            **_list_context(filters),
            "page": _page(request, qs),
            "page_title": LIST_TITLE,
            "breadcrumbs": trail((LIST_TITLE, None)),
        },
    )


@require_perm(Perm.MELDUNGEN_REVIEW)
@require_GET
def meldungen_inbox(request: TenantRequest) -> HttpResponse:
    """Sorted by deadline, the overdue ones first and marked."""
    filters = _filters(request, "offen")
    today = timezone.localdate()
    received = selectors.received(request.tenant)
    qs = selectors.filtered(
        received.select_related("einrichtung", "tenant"),
        art=filters["art"],
        status=filters["status"],
    ).order_by("frist", "eingereicht_at", "pk")
    page = _page(request, qs)
    rows = [{"meldung": m, "overdue": meldungen.is_overdue(m, today)} for m in page]
    return render(
        request,
        "placements/meldungen_inbox.html",
        {
            **_list_context(filters),
            "page": page,
            "rows": rows,
            "open_count": received.filter(status__in=meldungen.OPEN_AT_LJA).count(),
            "overdue_count": received.filter(
                status__in=meldungen.OPEN_AT_LJA, frist__lt=today
            ).count(),
            "page_title": INBOX_TITLE,
            "breadcrumbs": trail((INBOX_TITLE, None)),
        },
    )


# --- filing --------------------------------------------------------------------------------


def _form_page(
    request: TenantRequest, form: forms.Form, *, jahresmeldung: bool, status: int = 200
) -> HttpResponse:
    title = "Jährliche Belegungsmeldung" if jahresmeldung else "Neue Meldung"
    return render(
        request,
        "placements/meldungen_form.html",
        {
            "form": form,
            "jahresmeldung": jahresmeldung,
            "has_einrichtungen": selectors.meldepflichtige_einrichtungen(request.tenant).exists(),
            "page_title": title,
            "breadcrumbs": trail((LIST_TITLE, reverse("placements:meldungen_list")), (title, None)),
        },
        status=status,
    )


def _confirm_page(
    request: TenantRequest,
    form: forms.Form,
    eingabe: meldungen.Eingabe,
    *,
    warning: str = "",
    status: int = 200,
) -> HttpResponse:
    year = eingabe.ereignis_datum.year
    daten = meldungen.prefill_jahresmeldung(eingabe.einrichtung, year)
    title = f"Jahresmeldung {year} prüfen"
    return render(
        request,
        "placements/meldungen_confirm.html",
        {
            "form": form,
            "eingabe": eingabe,
            "daten": daten,
            "zeitraum": meldungen.zeitraum(daten),
            "tabelle": meldungen.jahres_tabelle(daten),
            "stand": meldungen.daten_stand(daten),
            "warning": warning,
            "page_title": title,
            "breadcrumbs": trail((LIST_TITLE, reverse("placements:meldungen_list")), (title, None)),
        },
        status=status,
    )


def _values(form: forms.Form) -> dict[str, Any]:
    data = form.cleaned_data
    if isinstance(form, JahresmeldungForm):
        year = int(data["jahr"])
        return {
            "einrichtung": data["einrichtung"],
            "art": Meldung.Art.JAHRESMELDUNG,
            "ereignis_datum": date(year, 12, 31),
            "betreff": f"Jährliche Belegungsmeldung {year}",
            "inhalt": data["bemerkung"].strip()
            or f"Die Belegungszahlen des Jahres {year} stehen in der Tabelle dieser Meldung.",
        }
    return {key: data[key] for key in ("einrichtung", "art", "ereignis_datum", "betreff", "inhalt")}


@requires(access.is_provider)
@require_http_methods(["GET", "POST"])
def meldungen_neu(request: TenantRequest) -> HttpResponse:
    """Step one: the form. A Jahresmeldung shows its figures first (step two); filing
    recomputes them and refuses figures that changed in between."""
    einrichtungen = selectors.meldepflichtige_einrichtungen(request.tenant)
    source = request.POST if request.method == "POST" else request.GET
    jahresmeldung = source.get("formular") == "jahresmeldung"
    form: forms.Form
    if request.method == "GET":
        form = (
            JahresmeldungForm(einrichtungen=einrichtungen)
            if jahresmeldung
            else MeldungForm(
                einrichtungen=einrichtungen, initial={"art": request.GET.get("art", "")}
            )
        )
        return _form_page(request, form, jahresmeldung=jahresmeldung)
    form_class = JahresmeldungForm if jahresmeldung else MeldungForm
    form = form_class(request.POST, einrichtungen=einrichtungen)
    if not form.is_valid():
        return _form_page(request, form, jahresmeldung=jahresmeldung, status=400)
    values = _values(form)
    step = request.POST.get("schritt", "")
    try:
        eingabe = meldungen.check_meldung(tenant=request.tenant, **values)
        if eingabe.art == Meldung.Art.JAHRESMELDUNG:
            meldungen.check_jahresmeldung_free(
                request.tenant, eingabe.einrichtung, eingabe.ereignis_datum.year
            )
            if step == "aendern":
                return _form_page(request, form, jahresmeldung=jahresmeldung)
            if step != "einreichen":
                return _confirm_page(request, form, eingabe)
        meldung = meldungen.file_meldung(
            actor=request.user,
            tenant=request.tenant,
            stand=request.POST.get("stand", "") if step == "einreichen" else None,
            **values,
        )
    except Conflict as exc:
        if exc.code == "zahlen_geaendert":
            return _confirm_page(request, form, eingabe, warning=exc.message, status=409)
        form.add_error(None, exc.message)
        return _form_page(request, form, jahresmeldung=jahresmeldung, status=409)
    except DomainError as exc:
        form.add_error(None, exc.message)
        return _form_page(request, form, jahresmeldung=jahresmeldung, status=400)
    messages.success(
        request,
        f"Die Meldung {meldung.number} ist beim {meldung.jugendamt.name} eingegangen. "
        "Die Eingangsbestätigung steht zum Herunterladen bereit.",
    )
    return redirect("placements:meldungen_detail", meldung_id=meldung.pk)


# --- detail and answers --------------------------------------------------------------------


def _detail(
    request: TenantRequest,
    sicht: access.Sicht,
    *,
    action_forms: dict[str, forms.Form] | None = None,
    status: int = 200,
) -> HttpResponse:
    meldung = sicht.meldung
    if sicht.is_receiver:
        crumbs = trail((INBOX_TITLE, reverse("placements:meldungen_inbox")), (meldung.number, None))
    else:
        crumbs = trail((LIST_TITLE, reverse("placements:meldungen_list")), (meldung.number, None))
    events = selectors.verlauf(request.tenant, meldung)
    jahresmeldung = meldung.art == Meldung.Art.JAHRESMELDUNG and bool(meldung.daten)
    return render(
        request,
        "placements/meldungen_detail.html",
        {
            "meldung": meldung,
            "sicht": sicht,
            "overdue": meldungen.is_overdue(meldung),
            "tabelle": meldungen.jahres_tabelle(meldung.daten) if jahresmeldung else None,
            "zeitraum": meldungen.zeitraum(meldung.daten) if jahresmeldung else "",
            "inhalt_sha256": meldungen.hash_groups(meldungen.inhalt_sha256(meldung)),
            "quittung_sha256": meldungen.hash_groups(meldung.quittung_sha256),
            "verlauf": [
                {"event": e, "label": selectors.VERLAUF_LABELS.get(e.action, e.action)}
                for e in events
            ],
            "open": meldung.status != Meldung.Status.ABGESCHLOSSEN,
            **(action_forms or meldung_forms.action_forms()),
            "page_title": f"Meldung {meldung.number}",
            "breadcrumbs": crumbs,
        },
        status=status,
    )


@requires(access.opens_meldungen)
@require_GET
def meldungen_detail(request: TenantRequest, meldung_id: uuid.UUID) -> HttpResponse:
    sicht = _sicht_or_404(request, meldung_id)
    meldungen.record_read(
        actor=request.user,
        tenant=request.tenant,
        meldung=sicht.meldung,
        purpose="Meldung angesehen",
    )
    return _detail(request, sicht)


@requires(access.opens_meldungen)
@require_GET
def meldungen_quittung(request: TenantRequest, meldung_id: uuid.UUID) -> HttpResponseBase:
    sicht = _sicht_or_404(request, meldung_id)
    return downloads.receipt_response(request, sicht.meldung)


# The Landesjugendamt's answers by their form's prefix: the service, what the user is told.
_ANSWERS: dict[str, tuple[Callable[..., Meldung], str]] = {
    "bestaetigen": (meldungen.acknowledge, "Der Eingang der Meldung ist bestätigt."),
    "rueckfrage": (meldungen.ask_back, "Die Rückfrage ist an den Träger gegangen."),
    "abschliessen": (meldungen.close, "Die Meldung ist abgeschlossen."),
}


def _answer(request: TenantRequest, meldung_id: uuid.UUID, name: str) -> HttpResponse:
    sicht = _sicht_or_404(request, meldung_id)
    if not sicht.is_receiver:
        raise Http404
    action_forms = meldung_forms.action_forms(request.POST, failed=name)
    form = action_forms[f"{name}_form"]
    if not form.is_valid():
        return _detail(request, sicht, action_forms=action_forms, status=400)
    answer, done = _ANSWERS[name]
    try:
        answer(
            actor=request.user, tenant=request.tenant, meldung=sicht.meldung, **form.cleaned_data
        )
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)
    return redirect("placements:meldungen_detail", meldung_id=sicht.meldung.pk)


@requires(access.opens_meldungen)
@require_POST
def meldungen_bestaetigen(request: TenantRequest, meldung_id: uuid.UUID) -> HttpResponse:
    return _answer(request, meldung_id, "bestaetigen")


@requires(access.opens_meldungen)
@require_POST
def meldungen_rueckfrage(request: TenantRequest, meldung_id: uuid.UUID) -> HttpResponse:
    return _answer(request, meldung_id, "rueckfrage")


@requires(access.opens_meldungen)
@require_POST
def meldungen_abschliessen(request: TenantRequest, meldung_id: uuid.UUID) -> HttpResponse:
    return _answer(request, meldung_id, "abschliessen")
