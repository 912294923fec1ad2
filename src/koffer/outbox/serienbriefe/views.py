"""Pages of serial letters: start one (template, which Akten, the values every letter
shares), follow its progress, and see for which Akten no letter could be made, and why."""

from __future__ import annotations

import uuid
from functools import reduce
from operator import or_

from django.db.models import Q
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.accounts.roles import Perm
from koffer.errors import DomainError
from koffer.jobs import selectors as jobs
from koffer.outbox import access
from koffer.outbox.briefe import selectors as briefe
from koffer.outbox.serienbriefe import selectors, services
from koffer.outbox.serienbriefe.forms import SerienbriefForm
from koffer.records import selectors as records
from koffer.shell.breadcrumbs import trail
from koffer.tenancy.models import Organisationseinheit

LISTE = "Serienbriefe"


def _einheiten(request: TenantRequest) -> list[Organisationseinheit]:
    paths = request.access.unit_paths_with(Perm.OUTBOX_SEND)
    condition = reduce(or_, (Q(path__under=p) for p in paths), Q(pk__in=[]))
    return list(
        Organisationseinheit.objects.for_tenant(request.tenant).filter(condition).order_by("path")
    )


@require_GET
@requires(access.writes)
def liste(request: TenantRequest) -> HttpResponse:
    rows = list(selectors.eigene(request.tenant.pk, request.user)[:100])
    return render(
        request,
        "outbox/serienbriefe.html",
        {"serien": rows, "page_title": LISTE, "breadcrumbs": trail((LISTE, None))},
    )


@require_http_methods(["GET", "POST"])
@requires(access.writes)
def neu(request: TenantRequest) -> HttpResponse:
    vorlagen = list(briefe.vorlagen_zum_schreiben(request.tenant.pk))
    chosen = next(
        (v for v in vorlagen if str(v.pk) == (request.POST or request.GET).get("vorlage")),
        vorlagen[0] if vorlagen else None,
    )
    einheiten = _einheiten(request)
    plaene = list(records.aktenplan(request.tenant.pk).filter(is_active=True))
    form = SerienbriefForm(
        request.POST if request.method == "POST" and "starten" in request.POST else None,
        initial={"vorlage": str(chosen.pk) if chosen else ""},
        vorlagen=[(str(v.pk), v.titel) for v in vorlagen],
        einheiten=[(str(u.pk), u.name) for u in einheiten],
        plaene=[(str(p.pk), str(p)) for p in plaene],
        felder=chosen.aktuelle_version.felder if chosen and chosen.aktuelle_version else [],
    )
    if form.is_bound and form.is_valid() and chosen is not None:
        data = form.cleaned_data
        unit = next((u for u in einheiten if str(u.pk) == data.get("einheit")), None)
        plan = next((p for p in plaene if str(p.pk) == data.get("plan")), None)
        auswahl = services.Auswahl(
            aktenzeichen=tuple(data.get("liste", [])) if data["art"] == "liste" else (),
            unit_path=unit.path if unit is not None and data["art"] == "einheit" else "",
            plan_id=plan.pk if plan is not None else None,
        )
        akten, unknown = services.resolve(
            actor=request.user, access=request.access, tenant_id=request.tenant.pk, auswahl=auswahl
        )
        if unknown:
            shown = ", ".join(unknown[:20]) + (" …" if len(unknown) > 20 else "")
            form.add_error(
                "aktenzeichen",
                f"{len(unknown)} Aktenzeichen gibt es nicht, die Akte ist geschlossen oder Sie "
                f"dürfen in ihr nicht schreiben: {shown}",
            )
        else:
            words = (
                f"{len(akten)} Aktenzeichen aus einer Liste"
                if data["art"] == "liste"
                else f"offene Akten von {unit}" + (f", {plan}" if plan else "")
            )
            try:
                serie = services.starten(
                    actor=request.user,
                    access=request.access,
                    tenant=request.tenant,
                    vorlage=chosen,
                    akten=akten,
                    auswahl=words,
                    eingaben=form.eingaben(),
                    kanal=data["kanal"],
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("outbox:serienbrief", serie_id=serie.pk)
    return render(
        request,
        "outbox/serienbrief_neu.html",
        {
            "form": form,
            "chosen": chosen,
            "keine_vorlagen": not vorlagen,
            "page_title": "Neuer Serienbrief",
            "breadcrumbs": trail((LISTE, reverse("outbox:serienbriefe")), ("Neu", None)),
        },
    )


@require_GET
@requires(access.writes)
def detail(request: TenantRequest, serie_id: uuid.UUID) -> HttpResponse:
    serie = selectors.eigener(request.tenant.pk, request.user, serie_id)
    if serie is None:
        raise Http404
    job = (
        jobs.job_for(request.tenant, serie.job_id, user=request.user, access=request.access)
        if serie.job_id
        else None
    )
    return render(
        request,
        "outbox/serienbrief.html",
        {
            "serie": serie,
            "job": job,
            "may_retry": job is not None and job.status == "failed",
            "fehler": list(selectors.fehler(serie)[:1000]),
            "page_title": serie.titel,
            "breadcrumbs": trail((LISTE, reverse("outbox:serienbriefe")), (serie.titel, None)),
        },
    )
