"""Pages of the dispatch: „Postausgang: Versand“ (batches, alarms) for the mail room and
those who send letters, a batch's letters, a letter's timeline, and the administration's
providers, cut-offs and alarms. Thin: selectors read, services write, access from
``outbox.access``."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.accounts.models import User
from koffer.errors import DomainError
from koffer.outbox import access
from koffer.outbox.errors import NotFound
from koffer.outbox.models import Druckdienst
from koffer.outbox.versand import ablage, selectors, services
from koffer.outbox.versand.forms import DruckdienstForm, RegelnForm
from koffer.shell.breadcrumbs import trail

PAGE_SIZE = 30
VERSAND = "Postausgang: Versand"
REGELN = "Postausgang: Druckdienste"


@require_GET
@requires(access.watches_dispatch)
def versand(request: TenantRequest) -> HttpResponse:
    page = Paginator(selectors.batches(request.tenant), PAGE_SIZE).get_page(
        request.GET.get("seite")
    )
    return render(
        request,
        "outbox/versand.html",
        {
            "page_title": VERSAND,
            "breadcrumbs": trail((VERSAND, None)),
            "page": page,
            "alarme": selectors.alarms(request.access, request.tenant),
            "nicht_abgerufen": selectors.nicht_abgerufen(request.access, request.tenant),
            "ueberfaellig": selectors.overdue_batches(request.tenant),
            "regeln": services.regeln(request.tenant.pk),
            "dienste": selectors.providers(request.tenant),
            "konfiguriert": access.configures_dispatch(request.access, request.tenant),
            "ablagefehler": selectors.drop_folder_failures(request.tenant),
            "liest_ein": access.handles_drop_folders(request.access, request.tenant),
        },
    )


@require_POST
@requires(access.handles_drop_folders)
def ablage_erneut(request: TenantRequest, ablagefehler_id: uuid.UUID) -> HttpResponse:
    """Read a refused file of a provider's drop folder again."""
    try:
        results = ablage.erneut_einlesen(
            actor=request.user,
            access=request.access,
            tenant=request.tenant,
            ablagefehler_id=ablagefehler_id,
        )
    except NotFound as exc:
        raise Http404(exc.message) from None  # another Mandant's entry, or one done
    except DomainError as exc:
        messages.error(request, exc.message)
        return redirect(f"{reverse('outbox:versand')}#ablage")
    failed = [r for r in results if r.fehler]
    if failed:
        messages.warning(
            request,
            f"{len(failed)} Datei(en) erneut nicht eingelesen, siehe unten: {failed[0].fehler[0]}",
        )
    else:
        messages.success(request, "Die Datei ist eingelesen.")
    return redirect(f"{reverse('outbox:versand')}#ablage")


@require_GET
@requires(access.watches_dispatch)
def stapel(request: TenantRequest, versandstapel_id: uuid.UUID) -> HttpResponse:
    found = selectors.batches(request.tenant).filter(pk=versandstapel_id).first()
    if found is None:
        raise Http404
    title = f"Versandstapel {found.nummer}"
    rows = selectors.batch_letters(found)
    sichtbar = rows.filter(brief__in=selectors.letters_in_reach(request.access, request.tenant))
    return render(
        request,
        "outbox/versandstapel.html",
        {
            "page_title": title,
            "breadcrumbs": trail((VERSAND, reverse("outbox:versand")), (title, None)),
            "stapel": found,
            "zeilen": sichtbar,
            "andere": found.briefe_anzahl - len(sichtbar),
        },
    )


@require_GET
@requires(access.reads_letter_status)
def brief(request: TenantRequest, brief_id: uuid.UUID) -> HttpResponse:
    found = selectors.letter(request.access, request.user.pk, request.tenant, brief_id)
    if found is None:
        raise Http404
    title = f"Versand: {found.betreff}"
    parent = (
        [(VERSAND, reverse("outbox:versand"))]
        if access.watches_dispatch(request.access, request.tenant)
        else []
    )
    return render(
        request,
        "outbox/brief_versand.html",
        {
            "page_title": title,
            "breadcrumbs": trail(*parent, (title, None)),
            "brief": found,
            "ereignisse": selectors.timeline(found),
            "zustellung": selectors.zustellung(found),
            "stapelbrief": selectors.current_batch(found),
            "ruecklaeufer": selectors.ruecklaeufer(request.access, request.user.pk, found),
        },
    )


def _konten(request: TenantRequest) -> list[tuple[str, str]]:
    users = User.objects.filter(
        is_machine=True,
        memberships__tenant_id=request.tenant.pk,
        memberships__role="druckdienst",
    ).distinct()
    return [(str(u.pk), u.username) for u in users.order_by("username")]


@requires(access.configures_dispatch)
def regeln(request: TenantRequest) -> HttpResponse:
    current = services.regeln(request.tenant.pk)
    initial = {"annahmeschluss": ", ".join(current.annahmeschluss)} | {
        f"alarm_{s}": current.alarm_stunden.get(s, services.DEFAULT_ALARM[s])
        for s in services.ALARM_STATUSES
    }
    konten = _konten(request)
    regeln_form = RegelnForm(initial=initial, prefix="regeln")
    dienst_form = DruckdienstForm(konten=konten, prefix="dienst")
    if request.method == "POST":
        teil = request.POST.get("teil")
        try:
            if teil == "regeln":
                regeln_form = RegelnForm(request.POST, prefix="regeln")
                if regeln_form.is_valid():
                    services.save_regeln(
                        actor=request.user,
                        access=request.access,
                        tenant=request.tenant,
                        annahmeschluss=regeln_form.schlusszeiten(),
                        alarm_stunden=regeln_form.alarme(),
                    )
                    messages.success(request, "Annahmeschluss und Alarme sind gespeichert.")
                    return redirect("outbox:versand_regeln")
            else:
                dienst_form = DruckdienstForm(request.POST, konten=konten, prefix="dienst")
                if dienst_form.is_valid():
                    data = dienst_form.cleaned_data
                    services.save_druckdienst(
                        actor=request.user,
                        access=request.access,
                        tenant=request.tenant,
                        konto=User.objects.get(pk=data["konto"]),
                        name=data["name"],
                        rang=data["rang"],
                        bestaetigung_minuten=data["bestaetigung_minuten"],
                        is_active=data["is_active"],
                        kanal=data["kanal"] or Druckdienst.Kanal.API,
                        ordner=data["ordner"],
                    )
                    messages.success(request, "Der Druckdienst ist gespeichert.")
                    return redirect("outbox:versand_regeln")
        except DomainError as exc:
            form = regeln_form if teil == "regeln" else dienst_form
            field = getattr(exc, "field", "")
            form.add_error(field if field in form.fields else None, exc.message)
    return render(
        request,
        "outbox/versand_regeln.html",
        {
            "page_title": REGELN,
            "breadcrumbs": trail((REGELN, None)),
            "regeln_form": regeln_form,
            "dienst_form": dienst_form,
            "dienste": selectors.providers(request.tenant),
        },
    )
