"""Pages of the E-Akte configuration: the Aktenplan (read by everyone who reads Akten,
imported by its managers) and, for the Mandant's administration, Vorgangstypen and
Fristregeln, listed, created and changed. Thin: parse, call one service, render."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from koffer.accounts.access import require_perm, requires
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.errors import DomainError
from koffer.records import access, selectors
from koffer.records.forms import (
    AktenplanImportForm,
    FristRegelChangeForm,
    FristRegelCreateForm,
    VorgangTypChangeForm,
    VorgangTypCreateForm,
)
from koffer.records.konfiguration import aktenplan
from koffer.records.konfiguration import services as configuration
from koffer.records.models import FristRegel, Module, VorgangTyp
from koffer.shell.breadcrumbs import trail

TITLE = "Vorgangstypen und Fristregeln"

Configured = VorgangTyp | FristRegel


def _crumbs(*last: tuple[str, str | None]) -> Any:
    return trail((TITLE, reverse("records:konfiguration")), *last)


def _form_page(
    request: TenantRequest, form: forms.Form, title: str, submit: str, note: str = ""
) -> HttpResponse:
    return render(
        request,
        "records/konfiguration_form.html",
        {
            "form": form,
            "page_title": title,
            "submit_label": submit,
            "note": note,
            "breadcrumbs": _crumbs((title, None)),
        },
        status=400 if form.errors else 200,
    )


@require_perm(Perm.TENANCY_MANAGE)
def konfiguration(request: TenantRequest) -> HttpResponse:
    modules = dict(Module.choices)
    typen = [
        (t, modules.get(t.module, t.module)) for t in selectors.all_vorgang_typen(request.tenant.pk)
    ]
    return render(
        request,
        "records/konfiguration.html",
        {
            "typen": typen,
            "regeln": list(selectors.frist_regeln(request.tenant.pk)),
            "page_title": TITLE,
            "breadcrumbs": trail((TITLE, None)),
        },
    )


def _saved(
    request: TenantRequest, form: forms.Form, save: Callable[[], str]
) -> HttpResponse | None:
    """On a valid POST: ``save`` (one service call that returns what to tell the user),
    then back to the configuration; a refusal is shown on the form. None: show the form."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        done = save()
    except DomainError as exc:
        form.add_error(None, exc.message)
        return None
    messages.success(request, done)
    return redirect("records:konfiguration")


def _create_page(
    request: TenantRequest, form: forms.Form, create: Callable[..., Configured], what: str
) -> HttpResponse:
    """Create a ``what`` (Vorgangstyp, Fristregel) from ``form`` with the service ``create``."""

    def save() -> str:
        made = create(actor=request.user, tenant=request.tenant, **form.cleaned_data)
        return f"{what} „{made.label}“ angelegt."

    return _saved(request, form, save) or _form_page(
        request, form, f"{what} anlegen", f"{what} anlegen"
    )


def _change_page(
    request: TenantRequest,
    form: forms.Form,
    change: Callable[[], object],
    item: Configured,
    what: str,
    note: str,
) -> HttpResponse:
    """Change ``item`` from ``form`` with ``change``, one service call."""

    def save() -> str:
        change()
        return f"{what} „{item.label}“ gespeichert."

    return _saved(request, form, save) or _form_page(
        request, form, f"{what} „{item.label}“ ändern", "Änderung speichern", note=note
    )


@require_perm(Perm.TENANCY_MANAGE)
def vorgang_typ_create(request: TenantRequest) -> HttpResponse:
    form = VorgangTypCreateForm(request.POST or None)
    return _create_page(request, form, configuration.create_vorgang_typ, "Vorgangstyp")


@require_perm(Perm.TENANCY_MANAGE)
def vorgang_typ_change(request: TenantRequest, typ_id: uuid.UUID) -> HttpResponse:
    typ = selectors.vorgang_typ(request.tenant.pk, typ_id)
    if typ is None:
        raise Http404
    form = VorgangTypChangeForm(
        request.POST or None, initial={"label": typ.label, "is_active": typ.is_active}
    )
    return _change_page(
        request,
        form,
        lambda: configuration.change_vorgang_typ(actor=request.user, typ=typ, **form.cleaned_data),
        typ,
        "Vorgangstyp",
        note=f"Code: {typ.code} · Fachverfahren: {dict(Module.choices).get(typ.module, typ.module)}",
    )


@require_perm(Perm.TENANCY_MANAGE)
def frist_regel_create(request: TenantRequest) -> HttpResponse:
    form = FristRegelCreateForm(request.POST or None)
    return _create_page(request, form, configuration.create_frist_regel, "Fristregel")


@require_perm(Perm.TENANCY_MANAGE)
def frist_regel_change(request: TenantRequest, regel_id: uuid.UUID) -> HttpResponse:
    regel = selectors.frist_regel(request.tenant.pk, regel_id)
    if regel is None:
        raise Http404
    form = FristRegelChangeForm(request.POST or None, initial=configuration.rule_state(regel))
    return _change_page(
        request,
        form,
        lambda: configuration.change_frist_regel(
            actor=request.user, regel=regel, **form.cleaned_data
        ),
        regel,
        "Fristregel",
        note=f"Code: {regel.code}. Schon berechnete Fristen behalten ihr Datum.",
    )


# --- Aktenplan ---------------------------------------------------------------------------------

_reads_aktenplan = requires(lambda access_, tenant: access.can_view_aktenplan(access_))


@_reads_aktenplan
def aktenplan_page(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    can_manage = access.can_manage_aktenplan(request.access)
    form = AktenplanImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        if not can_manage:
            raise Http404
        if form.is_valid():
            text = aktenplan.decode_csv(form.cleaned_data["file"].read())
            try:
                result = aktenplan.import_csv(actor=request.user, tenant=tenant, text=text)
            except aktenplan.AktenplanImportError as exc:
                for error in exc.errors[:20]:
                    form.add_error("file", error)
            else:
                messages.success(
                    request,
                    f"{result.created} Einheiten angelegt, {result.skipped} waren schon vorhanden.",
                )
                return redirect("records:aktenplan")
    return render(
        request,
        "records/aktenplan.html",
        {
            "nodes": list(selectors.aktenplan(tenant.pk)),
            "form": form,
            "can_manage": can_manage,
            "page_title": "Aktenplan",
            "breadcrumbs": trail(("Aktenplan", None)),
        },
        status=400 if form.errors else 200,
    )


@_reads_aktenplan
def aktenplan_export(request: TenantRequest) -> HttpResponse:
    body = "\ufeff" + aktenplan.export_csv(selectors.aktenplan(request.tenant.pk))
    response = HttpResponse(body, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="aktenplan.csv"'
    return response
