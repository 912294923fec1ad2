"""Pages of the paper originals: a batch's register, one document's original (keep it,
or a legal hold), the destruction lists (the mail room makes them, the provider confirms
them) and the protocol PDF. Thin: selectors read, services write, access from
``inbox.access``."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.inbox import access
from koffer.inbox.klaerung import selectors as klaerung
from koffer.inbox.lieferung import selectors as lieferung
from koffer.inbox.models import Stapel, Vernichtungseintrag, Vernichtungsliste
from koffer.inbox.originale import download, selectors, services
from koffer.inbox.originale.forms import (
    LIFT_PREFIXES,
    AufbewahrenForm,
    AufhebenForm,
    BestaetigungForm,
    FreigabeForm,
)
from koffer.shell.breadcrumbs import Crumb, trail

PAGE_SIZE = 50
LISTEN = "Vernichtungslisten"


def _stapel(request: TenantRequest, stapel_id: uuid.UUID) -> Stapel:
    stapel = lieferung.stapel(request.access, request.user.pk, request.tenant, stapel_id)
    if stapel is None:
        raise Http404
    return stapel


def _stapel_trail(request: TenantRequest, stapel: Stapel, title: str) -> list[Crumb]:
    if access.processes(request.access, request.tenant):
        parent = ("Posteingang", reverse("inbox:stapel_list"))
    else:
        parent = ("Scan-Einlieferungen", reverse("inbox:einlieferungen"))
    return trail(
        parent,
        (f"Scan-Stapel {stapel.batch_id}", reverse("inbox:stapel_detail", args=[stapel.pk])),
        (title, None),
    )


@require_GET
@requires(access.sees_batches)
def register(request: TenantRequest, stapel_id: uuid.UUID) -> HttpResponse:
    stapel = _stapel(request, stapel_id)
    title = f"Papieroriginale von Stapel {stapel.batch_id}"
    mail_room = access.processes(request.access, request.tenant)
    start, why = selectors.base_day(stapel, selectors.freigabe(stapel))
    return render(
        request,
        "inbox/originale_stapel.html",
        {
            "page_title": title,
            "breadcrumbs": _stapel_trail(request, stapel, title),
            "stapel": stapel,
            "zeilen": selectors.register(stapel),
            "start": start,
            "why": why,
            "freigabe": selectors.freigabe(stapel),
            "freigabe_form": FreigabeForm() if mail_room and not stapel.quality_passed else None,
            "sorts": access.sorts_post(request.access, request.tenant),
        },
    )


@require_POST
@requires(access.processes)
def freigeben(request: TenantRequest, stapel_id: uuid.UUID) -> HttpResponse:
    stapel = _stapel(request, stapel_id)
    form = FreigabeForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Bitte geben Sie den Grund der Freigabe an.")
    else:
        try:
            services.release_originals(
                actor=request.user, stapel=stapel, reason=form.cleaned_data["grund"]
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Die Originale des Stapels sind zur Vernichtung freigegeben.")
    return redirect("inbox:originale", stapel_id=stapel.pk)


@require_http_methods(["GET", "POST"])
@requires(access.sorts_post)
def original(request: TenantRequest, eingang_id: uuid.UUID) -> HttpResponse:
    """One document's paper original: when it may be destroyed, the form to keep it, and
    for each mark that holds a form to end it."""
    doc = klaerung.dokument(request.access, request.tenant, eingang_id)
    if doc is None:
        raise Http404
    aktion = request.POST.get("aktion", "") if request.method == "POST" else ""
    form = AufbewahrenForm(request.POST if aktion == "aufbewahren" else None)
    lifts = {
        prefix: AufhebenForm(request.POST if aktion == prefix else None, prefix=prefix)
        for prefix in LIFT_PREFIXES
    }
    sent = form if aktion == "aufbewahren" else lifts.get(aktion)
    if sent is not None and sent.is_valid():
        try:
            if sent is form:
                services.keep_original(
                    actor=request.user,
                    doc=doc,
                    reason=form.cleaned_data["grund"],
                    sperre=form.cleaned_data["rechtliche_sperre"],
                )
                done = "Das Original wird aufbewahrt."
            else:
                sperre = LIFT_PREFIXES[aktion]
                services.lift_keep(
                    actor=request.user, doc=doc, reason=sent.cleaned_data["grund"], sperre=sperre
                )
                done = "Die Sperre ist aufgehoben." if sperre else "Die Aufbewahrung ist beendet."
        except DomainError as exc:
            sent.add_error(None, exc.message)
        else:
            messages.success(request, done)
            return redirect("inbox:original", eingang_id=doc.pk)
    title = f"Papieroriginal: {doc.datei.name}, {doc.pages_label}"
    return render(
        request,
        "inbox/original.html",
        {
            "page_title": title,
            "breadcrumbs": _stapel_trail(request, doc.stapel, title),
            "doc": doc,
            "zeile": selectors.zeile(doc),
            "form": form,
            "ende_aufbewahren": lifts["ende-aufbewahren"],
            "ende_sperre": lifts["ende-sperre"],
        },
        status=400 if sent is not None and sent.errors else 200,
    )


@require_http_methods(["GET", "POST"])
@requires(access.sees_batches)
def listen(request: TenantRequest) -> HttpResponse:
    mail_room = access.processes(request.access, request.tenant)
    if request.method == "POST":
        if not mail_room:
            raise Http404
        try:
            made = services.create_lists(
                actor=request.user,
                tenant=request.tenant,
                due=selectors.due_for_mail_room(request.access, request.tenant),
            )
        except DomainError as exc:
            messages.error(request, exc.message)
        else:
            if made:
                labels = ", ".join(v.label for v in made)
                messages.success(request, f"Erstellt: {labels}.")
            else:
                messages.info(request, "Es ist kein Original zur Vernichtung fällig.")
        return redirect("inbox:vernichtungslisten")
    page = Paginator(
        selectors.listen(request.access, request.user.pk, request.tenant), PAGE_SIZE
    ).get_page(request.GET.get("seite"))
    return render(
        request,
        "inbox/vernichtungslisten.html",
        {
            "page_title": LISTEN,
            "breadcrumbs": trail((LISTEN, None)),
            "page": page,
            "mail_room": mail_room,
            "faellig": len(selectors.due_for_mail_room(request.access, request.tenant))
            if mail_room
            else None,
            "overdue_days": selectors.OVERDUE_DAYS,
        },
    )


def _liste(request: TenantRequest, liste_id: uuid.UUID) -> Vernichtungsliste:
    liste = selectors.liste(request.access, request.user.pk, request.tenant, liste_id)
    if liste is None:
        raise Http404
    return liste


@require_http_methods(["GET", "POST"])
@requires(access.sees_batches)
def liste(request: TenantRequest, liste_id: uuid.UUID) -> HttpResponse:
    found = _liste(request, liste_id)
    confirms = found.provider_id == request.user.pk and access.delivers(
        request.access, request.tenant
    )
    entries = selectors.eintraege(found)
    form = BestaetigungForm(request.POST or None) if confirms else None
    if request.method == "POST":
        if form is None:
            raise Http404
        if form.is_valid():
            chosen = set(request.POST.getlist("nicht_vernichtet"))
            reason = form.cleaned_data["grund"]
            not_destroyed = {e.pk: reason for e in entries if str(e.pk) in chosen}
            try:
                services.confirm(
                    actor=request.user,
                    liste=found,
                    destroyed_by=form.cleaned_data["vernichtet_von"],
                    destroyed_at=form.cleaned_data["vernichtet_am"],
                    not_destroyed=not_destroyed,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                messages.success(request, f"Die Vernichtung nach {found.label} ist bestätigt.")
                return redirect("inbox:vernichtungsliste", liste_id=found.pk)
    title = f"Vernichtungsliste {found.label}"
    return render(
        request,
        "inbox/vernichtungsliste.html",
        {
            "page_title": title,
            "breadcrumbs": trail((LISTEN, reverse("inbox:vernichtungslisten")), (title, None)),
            "liste": found,
            "eintraege": entries,
            "form": form if found.state == Vernichtungsliste.State.OFFEN else None,
            "offen": Vernichtungseintrag.State.OFFEN,
        },
        status=400 if form is not None and form.errors else 200,
    )


@require_GET
@requires(access.sees_batches)
def protokoll(request: TenantRequest, liste_id: uuid.UUID) -> HttpResponse:
    found = _liste(request, liste_id)
    if found.state != Vernichtungsliste.State.BESTAETIGT:
        raise Http404
    return download.protocol_response(found)
