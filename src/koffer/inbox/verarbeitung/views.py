"""The page of the pipeline's rules, for the Mandant's administration: the threshold for
filing without a person, the separator sheet's code, the Wiedervorlage, and per kind of
document the Vorgang and Frist that filing opens. Thin: a form, one service call."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.formats import counted
from koffer.inbox import access
from koffer.inbox.verarbeitung import regeln, services
from koffer.inbox.verarbeitung.dokumentart import KINDS
from koffer.inbox.verarbeitung.forms import ArtregelForm, RegelnForm
from koffer.records.models import VorgangTyp
from koffer.shell.breadcrumbs import trail

TITLE = "Regeln der Posteingangsverarbeitung"


def _typen(request: TenantRequest) -> dict[str, VorgangTyp]:
    return {
        str(t.pk): t
        for t in VorgangTyp.objects.for_tenant(request.tenant)
        .filter(is_active=True)
        .order_by("module", "label")
    }


def _rows(request: TenantRequest, default_weeks: int) -> list[tuple[str, str, str]]:
    """Each kind with what filing it opens (the Mandant's rule, or the default) and how
    long its paper original is kept."""
    found = []
    kinds = sorted(KINDS, key=lambda code: KINDS[code])
    for held in regeln.stand(request.tenant.pk, kinds):
        rule, label = held.folge, KINDS[held.kind]
        weeks = held.aufbewahrung_wochen
        kept = (
            counted(weeks, "Woche", "Wochen")
            if weeks is not None
            else f"{counted(default_weeks, 'Woche', 'Wochen')} (allgemein)"
        )
        if rule is None:
            found.append((label, "nur Wiedervorlage", kept))
            continue
        frist = ""
        if rule.frist_months or rule.frist_days:
            frist = (
                f", Frist „{rule.frist_label}“: {counted(rule.frist_months, 'Monat', 'Monate')}, "
                f"{counted(rule.frist_days, 'Tag', 'Tage')}"
            )
        found.append(
            (
                label,
                f"Vorgang „{rule.vorgang_typ_code}“{frist}{'' if held.own else ' (Standard)'}",
                kept,
            )
        )
    return found


@requires(access.configures)
def regeln_page(request: TenantRequest) -> HttpResponse:
    current = regeln.regeln(request.tenant.pk)
    typen = _typen(request)
    choices = [(pk, f"{t.label} ({t.code}, {t.get_module_display()})") for pk, t in typen.items()]
    regeln_form = RegelnForm(
        initial={
            "auto_threshold": round(current.auto_threshold * 100),
            "separator_pattern": current.separator_pattern,
            "wiedervorlage_days": current.wiedervorlage_days,
            "aufbewahrung_wochen": current.aufbewahrung_wochen,
        },
        prefix="regeln",
    )
    art_form = ArtregelForm(typen=choices, prefix="art")
    if request.method == "POST":
        if request.POST.get("teil") == "regeln":
            regeln_form = RegelnForm(request.POST, prefix="regeln")
            if regeln_form.is_valid():
                data = regeln_form.cleaned_data
                services.save_regeln(
                    actor=request.user,
                    tenant_id=request.tenant.pk,
                    auto_threshold=data["auto_threshold"] / 100,
                    separator_pattern=data["separator_pattern"],
                    wiedervorlage_days=data["wiedervorlage_days"],
                    aufbewahrung_wochen=data["aufbewahrung_wochen"],
                )
                messages.success(request, "Die Regeln sind gespeichert.")
                return redirect("inbox:regeln")
        else:
            art_form = ArtregelForm(request.POST, typen=choices, prefix="art")
            if art_form.is_valid():
                data = art_form.cleaned_data
                try:
                    services.save_artregel(
                        actor=request.user,
                        tenant_id=request.tenant.pk,
                        kind=data["kind"],
                        vorgang_typ=typen.get(data["vorgang_typ"] or ""),
                        frist_label=data["frist_label"],
                        frist_months=data["frist_months"],
                        frist_days=data["frist_days"],
                        aufbewahrung_wochen=data["aufbewahrung_wochen"],
                    )
                except DomainError as exc:
                    art_form.add_error(None, exc.message)
                else:
                    messages.success(
                        request, f"Die Regel für „{KINDS[data['kind']]}“ ist gespeichert."
                    )
                    return redirect("inbox:regeln")
    invalid = bool(regeln_form.errors or art_form.errors)
    return render(
        request,
        "inbox/regeln.html",
        {
            "page_title": TITLE,
            "breadcrumbs": trail((TITLE, None)),
            "regeln_form": regeln_form,
            "art_form": art_form,
            "rows": _rows(request, current.aufbewahrung_wochen),
        },
        status=400 if invalid else 200,
    )
