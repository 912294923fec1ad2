"""The migration page for the Mandant's administration: upload the export, read the dry
run's report, start the import, watch its progress, read and download the rejected rows.
Thin: a form, one service or selector call each."""

from __future__ import annotations

import csv
import io
import uuid

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.formats import csv_text
from koffer.inbox import access
from koffer.inbox.migration import dateien, selectors, services
from koffer.inbox.migration.forms import ImportForm
from koffer.inbox.models import Importlauf
from koffer.shell.breadcrumbs import trail
from koffer.tenancy.models import Organisationseinheit

TITLE = "Migration aus dem Altsystem"
FORMAT_TITLE = "Format der Importdateien"
SHOWN_REJECTIONS = 200
HTMX_STOP_POLLING = 286
ARTEN = {
    dateien.PERSON: "Personen",
    dateien.BG: "Mitglieder von Bedarfsgemeinschaften",
    dateien.AKTE: "Akten",
}


def _units(request: TenantRequest) -> list[Organisationseinheit]:
    return list(Organisationseinheit.objects.for_tenant(request.tenant).order_by("path"))


@requires(access.migrates)
def migration_page(request: TenantRequest) -> HttpResponse:
    units = _units(request)
    form = ImportForm(units=units)
    if request.method == "POST":
        form = ImportForm(request.POST, request.FILES, units=units)
        if form.is_valid():
            chosen = {str(u.pk): u for u in units}.get(form.cleaned_data["einheit"] or "")
            uploads = [
                services.Upload(f.name, f.read())
                for n in ("personen", "bedarfsgemeinschaften", "akten")
                if (f := form.cleaned_data.get(n))
            ]
            try:
                lauf = services.check_import(
                    actor=request.user,
                    access=request.access,
                    tenant=request.tenant,
                    uploads=uploads,
                    default_unit=chosen,
                )
            except DomainError as exc:
                form.add_error(None, exc.message)
            else:
                return redirect("inbox:migration_lauf", lauf_id=lauf.pk)
    return render(
        request,
        "inbox/migration.html",
        {
            "page_title": TITLE,
            "breadcrumbs": trail((TITLE, None)),
            "form": form,
            "laeufe": selectors.laeufe(request.tenant),
        },
        status=400 if form.errors else 200,
    )


@require_GET
@requires(access.migrates)
def format_page(request: TenantRequest) -> HttpResponse:
    return render(
        request,
        "inbox/migration_format.html",
        {
            "page_title": FORMAT_TITLE,
            "breadcrumbs": trail((TITLE, reverse("inbox:migration")), (FORMAT_TITLE, None)),
            "dateien": [
                (dateien.FILE_NAMES[a], ARTEN[a], dateien.SPALTEN[a]) for a in dateien.ORDER
            ],
        },
    )


def _lauf_or_404(request: TenantRequest, lauf_id: uuid.UUID) -> Importlauf:
    found = selectors.lauf(request.tenant, lauf_id)
    if found is None:
        raise Http404
    return found


def _report(counts: dict[str, object]) -> list[tuple[str, dict[str, int]]]:
    je_art = counts.get("je_art") or {}
    assert isinstance(je_art, dict)
    return [(ARTEN[a], je_art[a]) for a in dateien.ORDER if a in je_art]


def _context(request: TenantRequest, lauf: Importlauf) -> dict[str, object]:
    finished = lauf.state == Importlauf.State.FERTIG
    probelauf = not finished and lauf.state == Importlauf.State.GEPRUEFT
    shown = selectors.ablehnungen(lauf, probelauf=not finished)
    rejected = list(shown[:SHOWN_REJECTIONS]) if probelauf or finished else []
    if rejected:
        services.record_rejections_read(
            actor=request.user, lauf=lauf, probelauf=probelauf, purpose="Seite"
        )
    return {
        "lauf": lauf,
        "finished": finished,
        "probelauf": probelauf,
        "report": _report(lauf.probelauf),
        "rejected": rejected,
        "rejected_more": max(
            0, (lauf.probelauf.get("abgelehnt", 0) if probelauf else lauf.rejected) - len(rejected)
        ),
    }


@require_GET
@requires(access.migrates)
def lauf_page(request: TenantRequest, lauf_id: uuid.UUID) -> HttpResponse:
    lauf = _lauf_or_404(request, lauf_id)
    title = f"Importlauf vom {lauf.created_at:%d.%m.%Y %H:%M}"
    return render(
        request,
        "inbox/migration_lauf.html",
        {
            "page_title": title,
            "breadcrumbs": trail((TITLE, reverse("inbox:migration")), (title, None)),
            "dateien": selectors.file_names(lauf),
            **_context(request, lauf),
        },
    )


@require_POST
@requires(access.migrates)
def lauf_start(request: TenantRequest, lauf_id: uuid.UUID) -> HttpResponse:
    lauf = _lauf_or_404(request, lauf_id)
    try:
        services.start_import(actor=request.user, access=request.access, lauf=lauf)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, "Der Import ist gestartet.")
    return redirect("inbox:migration_lauf", lauf_id=lauf.pk)


@require_GET
@requires(access.migrates)
def lauf_fortschritt(request: TenantRequest, lauf_id: uuid.UUID) -> HttpResponse:
    """The live part of the run's page, polled by htmx; 286 once it is finished."""
    lauf = _lauf_or_404(request, lauf_id)
    finished = lauf.state == Importlauf.State.FERTIG
    return render(
        request,
        "inbox/_migration_stand.html",
        {"lauf": lauf, "finished": finished, "live": True},
        status=HTMX_STOP_POLLING if finished else 200,
    )


@require_GET
@requires(access.migrates)
def ablehnungen_csv(request: TenantRequest, lauf_id: uuid.UUID) -> HttpResponse:
    """Every rejected row of the dry run (``?probelauf=1``) or of the import, as CSV for
    German Excel."""
    lauf = _lauf_or_404(request, lauf_id)
    probelauf = request.GET.get("probelauf") == "1"
    services.record_rejections_read(
        actor=request.user, lauf=lauf, probelauf=probelauf, purpose="CSV-Download"
    )
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(["datei", "zeile", "spalte", "wert", "grund"])
    for a in selectors.ablehnungen(lauf, probelauf=probelauf).iterator():
        writer.writerow([csv_text(a.datei), a.zeile, a.spalte, csv_text(a.wert), csv_text(a.grund)])
    response = HttpResponse("\ufeff" + out.getvalue(), content_type="text/csv; charset=utf-8")
    name = "probelauf" if probelauf else "import"
    response["Content-Disposition"] = f'attachment; filename="abgelehnt-{name}.csv"'
    return response
