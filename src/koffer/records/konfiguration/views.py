"""Pages of the E-Akte configuration: the Aktenplan (read by everyone who reads Akten,
imported by its managers) and, for the Mandant's administration, Vorgangstypen and
Fristregeln, listed, created and changed. Thin: parse, call one service, render."""

from __future__ import annotations

import uuid
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


@require_perm(Perm.TENANCY_MANAGE)
def vorgang_typ_create(request: TenantRequest) -> HttpResponse:
    form = VorgangTypCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            typ = configuration.create_vorgang_typ(
                actor=request.user,
                tenant=request.tenant,
                module=data["module"],
                code=data["code"],
                label=data["label"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Vorgangstyp „{typ.label}“ angelegt.")
            return redirect("records:konfiguration")
    return _form_page(request, form, "Vorgangstyp anlegen", "Vorgangstyp anlegen")


@require_perm(Perm.TENANCY_MANAGE)
def vorgang_typ_change(request: TenantRequest, typ_id: uuid.UUID) -> HttpResponse:
    typ = VorgangTyp.objects.for_tenant(request.tenant).filter(pk=typ_id).first()
    if typ is None:
        raise Http404
    form = VorgangTypChangeForm(
        request.POST or None, initial={"label": typ.label, "is_active": typ.is_active}
    )
    if request.method == "POST" and form.is_valid():
        try:
            configuration.change_vorgang_typ(
                actor=request.user,
                typ=typ,
                label=form.cleaned_data["label"],
                is_active=form.cleaned_data["is_active"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Vorgangstyp „{typ.label}“ gespeichert.")
            return redirect("records:konfiguration")
    return _form_page(
        request,
        form,
        f"Vorgangstyp „{typ.label}“ ändern",
        "Änderung speichern",
        note=f"Code: {typ.code} · Fachverfahren: {dict(Module.choices).get(typ.module, typ.module)}",
    )


@require_perm(Perm.TENANCY_MANAGE)
def frist_regel_create(request: TenantRequest) -> HttpResponse:
    form = FristRegelCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            regel = configuration.create_frist_regel(
                actor=request.user,
                tenant=request.tenant,
                code=data["code"],
                label=data["label"],
                notification_days=data["notification_days"],
                months=data["months"],
                days=data["days"],
                shift_to_workday=data["shift_to_workday"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Fristregel „{regel.label}“ angelegt.")
            return redirect("records:konfiguration")
    return _form_page(request, form, "Fristregel anlegen", "Fristregel anlegen")


@require_perm(Perm.TENANCY_MANAGE)
def frist_regel_change(request: TenantRequest, regel_id: uuid.UUID) -> HttpResponse:
    regel = FristRegel.objects.for_tenant(request.tenant).filter(pk=regel_id).first()
    if regel is None:
        raise Http404
    initial = {
        "label": regel.label,
        "notification_days": regel.notification_days,
        "months": regel.months,
        "days": regel.days,
        "shift_to_workday": regel.shift_to_workday,
    }
    form = FristRegelChangeForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            configuration.change_frist_regel(
                actor=request.user,
                regel=regel,
                label=data["label"],
                notification_days=data["notification_days"],
                months=data["months"],
                days=data["days"],
                shift_to_workday=data["shift_to_workday"],
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, f"Fristregel „{regel.label}“ gespeichert.")
            return redirect("records:konfiguration")
    return _form_page(
        request,
        form,
        f"Fristregel „{regel.label}“ ändern",
        "Änderung speichern",
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
