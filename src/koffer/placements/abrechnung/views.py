"""Pages of the billing: the provider's month (Leistungsnachweise, month-end run as a job,
invoices with their findings), the youth office's Rechnungseingang (check, approve,
reject) and the XML download for both. Thin: parse, call one service or selector, render.

Pages that take an object id look the object up among what the Mandant is a party of
before they look at the role, so another Mandant's id is a 404 (never a 403 that would
confirm it exists).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any, TypeVar
from urllib.parse import urlencode

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from koffer import formats
from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.jobs import selectors as job_selectors
from koffer.placements import access
from koffer.placements.abrechnung import downloads, positions, selectors
from koffer.placements.abrechnung import monatsabrechnung as month_end
from koffer.placements.abrechnung import pruefung as checking
from koffer.placements.abrechnung import services as billing
from koffer.placements.abrechnung.forms import (
    AblehnenForm,
    AnschriftForm,
    BerechnenForm,
    MonatForm,
)
from koffer.placements.models import (
    Belegung,
    Leistungsnachweis,
    Platz,
    Rechnung,
    Rechnungsanschrift,
)
from koffer.shell.breadcrumbs import trail

ABRECHNUNG = "Abrechnung"
RECHNUNGEN = "Rechnungen"
EINGANG = "Rechnungseingang"
PAGE_SIZE = 100

_Billed = TypeVar("_Billed", Rechnung, Leistungsnachweis)


def _is_provider_of(request: TenantRequest, obj: Rechnung | Leistungsnachweis) -> bool:
    return access.is_provider_of(request.access, request.tenant, obj)


def _is_payer_of(request: TenantRequest, obj: Rechnung | Leistungsnachweis) -> bool:
    return access.is_payer_of(request.access, request.tenant, obj)


def _of_a_party(request: TenantRequest, found: _Billed | None) -> _Billed:
    """``found`` if this Mandant is its provider or its payer, else 404 (also when missing)."""
    if found is None or not (_is_provider_of(request, found) or _is_payer_of(request, found)):
        raise Http404
    return found


def _as_provider(request: TenantRequest, obj: _Billed) -> _Billed:
    """What this Mandant bills (the provider's side), else 404."""
    if not _is_provider_of(request, obj):
        raise Http404
    return obj


def _as_payer(request: TenantRequest, obj: _Billed) -> _Billed:
    """What this Mandant pays (the youth office's side), else 404."""
    if not _is_payer_of(request, obj):
        raise Http404
    return obj


def _run(request: TenantRequest, act: Callable[[], object], done: str) -> None:
    """One service call from a button: its refusal, or ``done``, as the message shown."""
    try:
        act()
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, done)


def _default_monat() -> date:
    """The month that ended last."""
    return positions.month_bounds(
        positions.month_bounds(timezone.localdate())[0] - timedelta(days=1)
    )[0]


def _monat(request: TenantRequest, source: Any) -> tuple[date, MonatForm]:
    raw = source.get("monat")
    form = MonatForm({"monat": raw} if raw else None)
    if raw and form.is_valid():
        return positions.month_bounds(form.cleaned_data["monat"])[0], form
    monat = _default_monat()
    if not raw:
        form = MonatForm(initial={"monat": monat.isoformat()[:7]})
    return monat, form


def _month_url(monat: date, anchor: str = "", **extra: str) -> str:
    query = urlencode({"monat": monat.isoformat()[:7], **{k: v for k, v in extra.items() if v}})
    return f"{reverse('placements:abrechnung')}?{query}{'#' + anchor if anchor else ''}"


def _back(monat: date, anchor: str = "") -> HttpResponseRedirect:
    return redirect(_month_url(monat, anchor))


# --- provider: the month ------------------------------------------------------------------------


@requires(access.is_provider)
@require_GET
def abrechnung(request: TenantRequest) -> HttpResponse:
    monat, form = _monat(request, request.GET)
    status = request.GET.get("status", "")
    if status not in selectors.NACHWEIS_FILTERS:
        status = ""
    paginator = Paginator(selectors.belegungen_im_monat(request.tenant, monat, status), PAGE_SIZE)
    page = paginator.get_page(request.GET.get("seite"))
    job = month_end.running_month_end(request.tenant, monat)
    visible_job = (
        job_selectors.job_for(request.tenant, job.pk, user=request.user, access=request.access)
        if job is not None
        else None
    )
    label = formats.month_label(monat)
    first, last = positions.month_bounds(monat)
    return render(
        request,
        "placements/abrechnung_monat.html",
        {
            "page_title": f"Abrechnung {label}",
            "breadcrumbs": trail((ABRECHNUNG, None)),
            "monat": monat,
            "monat_param": monat.isoformat()[:7],
            "monat_label": label,
            "month_over": last <= timezone.localdate(),
            "prev_url": _month_url(first - timedelta(days=1)),
            "next_url": _month_url(last + timedelta(days=1)),
            "prev_label": formats.month_label(first - timedelta(days=1)),
            "next_label": formats.month_label(last + timedelta(days=1)),
            "form": form,
            "status": status,
            "filters": selectors.NACHWEIS_FILTERS,
            "status_label": selectors.NACHWEIS_FILTERS.get(status, ""),
            "query": urlencode({"monat": monat.isoformat()[:7], "status": status}),
            "page": page,
            "zeilen": selectors.zeilen(request.tenant, monat, list(page.object_list)),
            "vorhalte": selectors.vorhalte_zeilen(request.tenant, monat),
            "summary": selectors.uebersicht(request.tenant, monat),
            "job": visible_job,
            "other_job": job if visible_job is None else None,
            "may_retry": False,
        },
    )


@requires(access.is_provider)
@require_POST
def berechnen(request: TenantRequest) -> HttpResponse:
    """Compute (or recompute while a draft) one Nachweis from the month page."""
    form = BerechnenForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Bitte Monat und Belegung angeben.")
        return _back(_default_monat())
    monat = form.cleaned_data["monat"]
    try:
        if form.cleaned_data["belegung"]:
            belegung = (
                Belegung.objects.for_tenant(request.tenant)
                .filter(pk=form.cleaned_data["belegung"])
                .first()
            )
            if belegung is None:
                raise Http404
            anchor = f"b-{belegung.pk}"
            nachweis = billing.compute_nachweis(actor=request.user, belegung=belegung, monat=monat)
        else:
            platz = (
                Platz.objects.for_tenant(request.tenant)
                .filter(pk=form.cleaned_data["platz"])
                .first()
            )
            if platz is None:
                raise Http404
            anchor = f"p-{platz.pk}"
            nachweis = billing.compute_standby_nachweis(
                actor=request.user, platz=platz, monat=monat
            )
    except DomainError as exc:
        messages.error(request, exc.message)
        return _back(monat)
    messages.success(
        request,
        f"Leistungsnachweis berechnet: {formats.euro(nachweis.betrag)}. Bitte prüfen und bestätigen.",
    )
    return _back(monat, anchor)


@requires(access.is_provider)
@require_POST
def monatsabrechnung(request: TenantRequest) -> HttpResponse:
    monat, form = _monat(request, request.POST)
    if not form.is_valid():
        messages.error(request, "Bitte den Monat als JJJJ-MM angeben.")
        return _back(monat)
    try:
        month_end.start_month_end(actor=request.user, tenant=request.tenant, monat=monat)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(
            request,
            f"Die Monatsabrechnung {formats.month_label(monat)} läuft. Sie können die Seite "
            "verlassen; der Auftrag läuft weiter.",
        )
    return _back(monat, "monatsabrechnung")


@requires(access.is_provider)
@require_POST
def alle_versenden(request: TenantRequest) -> HttpResponse:
    monat, form = _monat(request, request.POST)
    if not form.is_valid():
        messages.error(request, "Bitte den Monat als JJJJ-MM angeben.")
        return _back(monat)
    sent, problems = billing.send_ready_rechnungen(
        actor=request.user, tenant=request.tenant, monat=monat
    )
    if sent:
        messages.success(request, f"{sent} geprüfte Rechnungen versendet.")
    elif not problems:
        messages.info(request, "Es gibt keine geprüften, noch nicht versendeten Rechnungen.")
    for problem in problems[:5]:
        messages.error(request, problem)
    return _back(monat)


@requires(access.is_provider)
@require_GET
def rechnungen(request: TenantRequest) -> HttpResponse:
    status = request.GET.get("status", "")
    if status not in Rechnung.Status.values:
        status = ""
    monat = None
    raw = request.GET.get("monat", "")
    if raw:
        form = MonatForm({"monat": raw})
        monat = form.cleaned_data["monat"] if form.is_valid() else None
    qs = selectors.rechnungen_des_traegers(request.tenant, status=status, monat=monat).order_by(
        "-issue_date", "-number"
    )
    page = Paginator(qs, PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(
        request,
        "placements/abrechnung_rechnungen.html",
        {
            "page_title": RECHNUNGEN,
            "breadcrumbs": trail(
                (ABRECHNUNG, reverse("placements:abrechnung")), (RECHNUNGEN, None)
            ),
            "page": page,
            "status": status,
            "monat_param": monat.isoformat()[:7] if monat else "",
            "stati": Rechnung.Status.choices,
            "query": urlencode({"status": status, "monat": monat.isoformat()[:7] if monat else ""}),
        },
    )


# --- one Nachweis ------------------------------------------------------------------------------


def _nachweis(request: TenantRequest, nachweis_id: uuid.UUID) -> Leistungsnachweis:
    return _of_a_party(request, selectors.nachweis_for(request.tenant, nachweis_id))


def _own_nachweis(request: TenantRequest, nachweis_id: uuid.UUID) -> Leistungsnachweis:
    return _as_provider(request, _nachweis(request, nachweis_id))


@requires(access.opens_billing)
@require_GET
def nachweis(request: TenantRequest, nachweis_id: uuid.UUID) -> HttpResponse:
    item = _nachweis(request, nachweis_id)
    _record_read(request, item, item, "Leistungsnachweis geöffnet")
    provider = _is_provider_of(request, item)
    title = f"Leistungsnachweis {formats.month_label(item.monat)}"
    crumbs = (
        [(ABRECHNUNG, _month_url(item.monat))]
        if provider
        else [(EINGANG, reverse("placements:abrechnung_eingang"))]
    )
    return render(
        request,
        "placements/abrechnung_nachweis.html",
        {
            "page_title": title,
            "breadcrumbs": trail(*crumbs, (title, None)),
            "nachweis": item,
            "provider": provider,
            "positionen": _positionen(item),
            "rechnung": selectors.rechnung_of(item),
            "korrektur": selectors.korrektur_of(item),
            "monat_param": item.monat.isoformat()[:7],
            "what": _subject(item),
        },
    )


@requires(access.opens_billing)
@require_POST
def nachweis_bestaetigen(request: TenantRequest, nachweis_id: uuid.UUID) -> HttpResponse:
    item = _own_nachweis(request, nachweis_id)
    _run(
        request,
        lambda: billing.confirm_nachweis(actor=request.user, nachweis=item),
        "Leistungsnachweis bestätigt. Jetzt kann die Rechnung erstellt werden.",
    )
    if request.POST.get("zurueck") == "monat":
        return _back(
            item.monat, f"{'b' if item.belegung_id else 'p'}-{item.belegung_id or item.platz_id}"
        )
    return redirect("placements:abrechnung_nachweis", item.pk)


@requires(access.opens_billing)
@require_POST
def nachweis_rechnung(request: TenantRequest, nachweis_id: uuid.UUID) -> HttpResponse:
    item = _own_nachweis(request, nachweis_id)
    try:
        rechnung = billing.create_rechnung(actor=request.user, nachweis=item)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("placements:abrechnung_nachweis", item.pk)
    if rechnung.status == Rechnung.Status.BEREIT:
        messages.success(
            request, f"Rechnung {rechnung.number} erstellt und geprüft: bereit zum Versand."
        )
    else:
        messages.error(
            request,
            f"Rechnung {rechnung.number} erstellt, aber sie verletzt Prüfregeln und kann so nicht "
            "versendet werden. Die Befunde stehen unten.",
        )
    return redirect("placements:abrechnung_rechnung", rechnung.pk)


@requires(access.opens_billing)
@require_POST
def nachweis_korrigieren(request: TenantRequest, nachweis_id: uuid.UUID) -> HttpResponse:
    """After a rejection: a new draft Nachweis from the corrected data replaces it."""
    item = _own_nachweis(request, nachweis_id)
    try:
        korrektur = billing.correct_nachweis(actor=request.user, nachweis=item)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("placements:abrechnung_nachweis", item.pk)
    messages.success(
        request,
        "Korrektur angelegt. Bitte prüfen; nach Änderungen an Belegung oder Abwesenheiten "
        "neu berechnen, dann bestätigen und die Rechnung neu erstellen.",
    )
    return redirect("placements:abrechnung_nachweis", korrektur.pk)


# --- one Rechnung (both parties) ------------------------------------------------------------------


def _rechnung(request: TenantRequest, rechnung_id: uuid.UUID) -> Rechnung:
    return _of_a_party(request, selectors.rechnung_for(request.tenant, rechnung_id))


def _download(
    request: TenantRequest,
    rechnung_id: uuid.UUID,
    respond: Callable[..., HttpResponse],
    purpose: str,
) -> HttpResponse:
    """A download from the invoice page; if it cannot be made, back to the page saying why."""
    item = _rechnung(request, rechnung_id)
    try:
        return respond(request, item, purpose=purpose)
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect("placements:abrechnung_rechnung", item.pk)


def _record_read(
    request: TenantRequest,
    obj: Rechnung | Leistungsnachweis,
    nachweis: Leistungsnachweis,
    purpose: str,
) -> None:
    billing.record_read(
        actor=request.user, tenant=request.tenant, obj=obj, nachweis=nachweis, purpose=purpose
    )


def _subject(item: Leistungsnachweis) -> str:
    if item.belegung is not None:
        return (
            f"{item.belegung.gesuch.pseudonym} – {item.belegung.einrichtung.name}, "
            f"{item.platz.label}"
        )
    return f"{item.platz.standby_label} – {item.platz.einrichtung.name}"


def _positionen(item: Leistungsnachweis) -> list[dict[str, Any]]:
    rows = []
    for position in item.positionen:
        ranges = [
            (date.fromisoformat(a), date.fromisoformat(b))
            for a, b in position.get("zeitraeume", [])
        ]
        rows.append(
            {
                "bezeichnung": position["bezeichnung"],
                "zeitraeume": formats.date_ranges(ranges),
                "tage": position["tage"],
                "tagessatz": formats.euro(Decimal(position["tagessatz"])),
                "anteil": formats.percent(Decimal(position["anteil"])),
                "preis": positions.euro_price(Decimal(position["preis"])),
                "betrag": formats.euro(Decimal(position["betrag"])),
            }
        )
    return rows


def _rechnung_page(
    request: TenantRequest,
    item: Rechnung,
    *,
    ablehnen_form: AblehnenForm | None = None,
    status: int = 200,
) -> HttpResponse:
    provider = _is_provider_of(request, item)
    errors = [f for f in item.findings if f.get("flag", "fatal") in ("", "fatal", "error")]
    warnings = [f for f in item.findings if f not in errors]
    pruefung = None
    if not provider and item.status in billing.SENT_STATES:
        try:
            pruefung = checking.check_rechnung(item)
        except DomainError as exc:
            messages.error(request, exc.message)
    crumbs = (
        [
            (ABRECHNUNG, _month_url(item.nachweis.monat)),
            (RECHNUNGEN, reverse("placements:abrechnung_rechnungen")),
        ]
        if provider
        else [(EINGANG, reverse("placements:abrechnung_eingang"))]
    )
    title = f"Rechnung {item.number}"
    return render(
        request,
        "placements/abrechnung_rechnung.html",
        {
            "page_title": title,
            "breadcrumbs": trail(*crumbs, (title, None)),
            "rechnung": item,
            "nachweis": item.nachweis,
            "what": _subject(item.nachweis),
            "fachbereich": item.nachweis.platz.einrichtung.fachbereich,
            "steuer": billing.stated_exemption(item),
            "positionen": _positionen(item.nachweis),
            "provider": provider,
            "errors": errors,
            "warnings": warnings,
            "pruefung": pruefung,
            "total": formats.euro(item.total),
            "may_send": provider and item.status == Rechnung.Status.BEREIT,
            "may_rebuild": provider and item.status == Rechnung.Status.UNGUELTIG,
            "may_decide": not provider and item.status == Rechnung.Status.VERSENDET,
            "may_correct": provider
            and item.status == Rechnung.Status.ABGELEHNT
            and item.nachweis.status != Leistungsnachweis.Status.ERSETZT,
            "korrektur": selectors.korrektur_of(item.nachweis),
            "ablehnen_form": ablehnen_form or AblehnenForm(),
        },
        status=status,
    )


@requires(access.opens_billing)
@require_GET
def rechnung(request: TenantRequest, rechnung_id: uuid.UUID) -> HttpResponse:
    item = _rechnung(request, rechnung_id)
    _record_read(request, item, item.nachweis, "Rechnung geöffnet")
    return _rechnung_page(request, item)


@requires(access.opens_billing)
@require_GET
def rechnung_xml(request: TenantRequest, rechnung_id: uuid.UUID) -> HttpResponse:
    return _download(request, rechnung_id, downloads.xml_response, "XRechnung heruntergeladen")


@requires(access.opens_billing)
@require_GET
def rechnung_pdf(request: TenantRequest, rechnung_id: uuid.UUID) -> HttpResponse:
    """The invoice as a readable PDF, for the provider and the youth office alike."""
    return _download(
        request, rechnung_id, downloads.pdf_response, "Rechnung als PDF heruntergeladen"
    )


@requires(access.opens_billing)
@require_POST
def rechnung_versenden(request: TenantRequest, rechnung_id: uuid.UUID) -> HttpResponse:
    item = _as_provider(request, _rechnung(request, rechnung_id))
    _run(
        request,
        lambda: billing.send_rechnung(actor=request.user, rechnung=item),
        f"Rechnung {item.number} an {item.jugendamt.name} versendet.",
    )
    return redirect("placements:abrechnung_rechnung", item.pk)


@requires(access.opens_billing)
@require_POST
def rechnung_neu(request: TenantRequest, rechnung_id: uuid.UUID) -> HttpResponse:
    """Build an invalid invoice again (same number) after the data was fixed."""
    item = _as_provider(request, _rechnung(request, rechnung_id))
    try:
        rebuilt = billing.create_rechnung(actor=request.user, nachweis=item.nachweis)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if rebuilt.status == Rechnung.Status.BEREIT:
            messages.success(
                request, f"Rechnung {rebuilt.number} neu erstellt und geprüft: bereit zum Versand."
            )
        else:
            messages.error(request, f"Rechnung {rebuilt.number} verletzt weiterhin Prüfregeln.")
    return redirect("placements:abrechnung_rechnung", item.pk)


@requires(access.opens_billing)
@require_POST
def rechnung_freigeben(request: TenantRequest, rechnung_id: uuid.UUID) -> HttpResponse:
    item = _as_payer(request, _rechnung(request, rechnung_id))
    _run(
        request,
        lambda: billing.approve_rechnung(actor=request.user, tenant=request.tenant, rechnung=item),
        f"Rechnung {item.number} freigegeben.",
    )
    return redirect("placements:abrechnung_rechnung", item.pk)


@requires(access.opens_billing)
@require_POST
def rechnung_ablehnen(request: TenantRequest, rechnung_id: uuid.UUID) -> HttpResponse:
    item = _as_payer(request, _rechnung(request, rechnung_id))
    form = AblehnenForm(request.POST)
    if not form.is_valid():
        return _rechnung_page(request, item, ablehnen_form=form, status=400)
    try:
        billing.reject_rechnung(
            actor=request.user,
            tenant=request.tenant,
            rechnung=item,
            reason=form.cleaned_data["reason"],
        )
    except DomainError as exc:
        if exc.code.startswith("reason"):
            form.add_error("reason", exc.message)
            return _rechnung_page(request, item, ablehnen_form=form, status=400)
        messages.error(request, exc.message)
    else:
        messages.success(
            request, f"Rechnung {item.number} abgelehnt; der Träger sieht die Begründung."
        )
    return redirect("placements:abrechnung_rechnung", item.pk)


# --- youth office ---------------------------------------------------------------------------------


@requires(access.is_requester)
@require_GET
def eingang(request: TenantRequest) -> HttpResponse:
    status = request.GET.get("status", Rechnung.Status.VERSENDET)
    if status not in (*billing.SENT_STATES, "alle"):
        status = Rechnung.Status.VERSENDET
    qs = selectors.rechnungseingang(request.tenant, status="" if status == "alle" else status)
    page = Paginator(qs.order_by("sent_at", "number"), PAGE_SIZE).get_page(request.GET.get("seite"))
    return render(
        request,
        "placements/abrechnung_eingang.html",
        {
            "page_title": EINGANG,
            "breadcrumbs": trail((EINGANG, None)),
            "page": page,
            "status": status,
            "stati": [
                (s.value, s.label) for s in Rechnung.Status if s.value in billing.SENT_STATES
            ],
            "counts": selectors.status_counts(selectors.rechnungseingang(request.tenant)),
            "query": urlencode({"status": status}),
            "anschrift": Rechnungsanschrift.objects.for_tenant(request.tenant).first(),
            "leitweg_id": request.tenant.leitweg_id,
        },
    )


@requires(access.is_requester)
def anschrift(request: TenantRequest) -> HttpResponse:
    current = Rechnungsanschrift.objects.for_tenant(request.tenant).first()
    initial = (
        {k: getattr(current, k) for k in ("bezeichnung", "street", "postcode", "city")}
        if current
        else {"bezeichnung": request.tenant.name}
    )
    form = AnschriftForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            billing.save_rechnungsanschrift(
                actor=request.user, tenant=request.tenant, **form.cleaned_data
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, "Rechnungsanschrift gespeichert. Neue Rechnungen tragen sie.")
            return redirect("placements:abrechnung_eingang")
    title = "Rechnungsanschrift"
    return render(
        request,
        "placements/form.html",
        {
            "form": form,
            "page_title": title,
            "submit_label": "Rechnungsanschrift speichern",
            "breadcrumbs": trail(
                (EINGANG, reverse("placements:abrechnung_eingang")), (title, None)
            ),
        },
        status=400 if form.is_bound and form.errors else 200,
    )
