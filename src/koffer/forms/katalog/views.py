"""Pages of the catalogue, for the Mandant's administration (``access.verwaltet_katalog``):
the list, the import with its findings by JSON path, a form's versions with a preview of
every step (a trial input is checked, never saved), the empty form as PDF, the JSON
export and (de)activation. Thin: selectors read, services write and ask access again."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from koffer.accounts.access import Access, requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.forms import access
from koffer.forms.darstellung import antworten_aus_post, navigation_html, schritt_html
from koffer.forms.definition import Definition, pruefen, schema, text_de
from koffer.forms.druck import formular_pdf
from koffer.forms.errors import Ungueltig
from koffer.forms.katalog import selectors, selectors_seiten, services
from koffer.forms.katalog.forms import ImportForm
from koffer.forms.models import Formular, Formularversion
from koffer.records.models import Module
from koffer.shell.breadcrumbs import trail
from koffer.tenancy.models import Mandant

KATALOG = "Formularkatalog"
FACHBEREICHE = dict(Module.choices)


def verwaltet(acc: Access, tenant: Mandant) -> bool:
    return access.verwaltet_katalog(acc)


def _page(
    request: TenantRequest,
    template: str,
    title: str,
    crumbs: list[tuple[str, str | None]],
    *,
    status: int = 200,
    **context: Any,
) -> HttpResponse:
    return render(
        request,
        f"forms/katalog/{template}",
        {"page_title": title, "breadcrumbs": trail(*crumbs, (title, None)), **context},
        status=status,
    )


def _katalog_crumb() -> tuple[str, str]:
    return (KATALOG, reverse("forms:katalog"))


def _formular_crumb(row: Formular) -> tuple[str, str]:
    return (row.titel, reverse("forms:formular", args=[row.schluessel]))


def _formular(request: TenantRequest, schluessel: str) -> Formular:
    row = selectors.formular(request.tenant.pk, schluessel)
    if row is None:
        raise Http404
    return row


def _version(row: Formular, nummer: int) -> Formularversion:
    found = selectors.version(row, nummer)
    if found is None:
        raise Http404
    return found


def _json_datei(daten: Any, dateiname: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(daten, ensure_ascii=False, indent=2) + "\n",
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{dateiname}"'
    return response


def fachbereich_text(code: str | None) -> str:
    return str(FACHBEREICHE.get(code or "", "alle Fachbereiche"))


# --- The list, import and export ------------------------------------------------------------


@require_http_methods(["GET"])
@requires(verwaltet)
def katalog(request: TenantRequest) -> HttpResponse:
    rows = list(selectors_seiten.katalog_liste(request.tenant.pk))
    return _page(
        request,
        "katalog.html",
        KATALOG,
        [],
        formulare=[(row, fachbereich_text(row.fachbereich)) for row in rows],  # type: ignore[attr-defined]
    )


@require_http_methods(["GET"])
@requires(verwaltet)
def katalog_export(request: TenantRequest) -> HttpResponse:
    daten = services.exportieren(actor=request.user, access=request.access, tenant=request.tenant)
    return _json_datei(daten, f"formularkatalog-{timezone.localdate():%Y-%m-%d}.json")


@require_http_methods(["GET"])
@requires(verwaltet)
def schema_datei(request: TenantRequest) -> HttpResponse:
    return _json_datei(schema(), "formulardefinition-format-1.schema.json")


@require_http_methods(["GET", "POST"])
@requires(verwaltet)
def importieren(request: TenantRequest) -> HttpResponse:
    """Import a definition or a list; ``?von=<schluessel>`` opens a form's current
    definition in the text area to change it there (importing it makes the next version)."""
    von = request.GET.get("von", "") if request.method == "GET" else ""
    initial = {"text": _zum_bearbeiten(request, von)} if von else None
    form = ImportForm(request.POST or None, request.FILES or None, initial=initial)
    befunde: list[tuple[str, str]] = []
    meldung = ""
    if request.method == "POST" and form.is_valid():
        try:
            ergebnis = services.importieren(
                actor=request.user, access=request.access, tenant=request.tenant, daten=form.daten
            )
        except Ungueltig as fehler:
            meldung = fehler.message.split(":", 1)[0]
            befunde = [(pfad, m) for pfad, liste in fehler.fehler.items() for m in liste]
        except DomainError as fehler:
            meldung = fehler.message
        else:
            _gemeldet(request, ergebnis)
            return redirect("forms:katalog")
    invalid = request.method == "POST"
    return _page(
        request,
        "import.html",
        "Formulare importieren",
        [_katalog_crumb()],
        status=400 if invalid else 200,
        form=form,
        befunde=befunde,
        meldung=meldung,
    )


def _zum_bearbeiten(request: TenantRequest, schluessel: str) -> str:
    row = _formular(request, schluessel)
    daten = services.exportieren(
        actor=request.user, access=request.access, tenant=request.tenant, schluessel=row.schluessel
    )
    if not daten:
        raise Http404
    return json.dumps(daten[0], ensure_ascii=False, indent=2)


def _gemeldet(request: TenantRequest, ergebnis: list[services.Importiert]) -> None:
    neu = [f"„{e.formular.titel}“ (Version {e.version.nummer})" for e in ergebnis if e.neu]
    gleich = [f"„{e.formular.titel}“" for e in ergebnis if not e.neu]
    teile = []
    if neu:
        teile.append("Neue Version: " + ", ".join(neu) + ".")
    if gleich:
        teile.append("Unverändert (keine neue Version): " + ", ".join(gleich) + ".")
    messages.success(request, "Import abgeschlossen. " + " ".join(teile))


# --- One form ---------------------------------------------------------------------------------


@require_http_methods(["GET"])
@requires(verwaltet)
def formular(request: TenantRequest, schluessel: str) -> HttpResponse:
    row = _formular(request, schluessel)
    version = row.aktuelle_version
    definition = selectors.definition(version) if version is not None else None
    return _page(
        request,
        "formular.html",
        f"Formular „{row.titel}“",
        [_katalog_crumb()],
        formular=row,
        versionen=list(selectors_seiten.versionen(row)),
        definition=definition,
        fachbereich=fachbereich_text(definition.fachbereich if definition else None),
        beschreibung=text_de(definition.beschreibung) if definition else "",
    )


@require_http_methods(["GET"])
@requires(verwaltet)
def formular_export(request: TenantRequest, schluessel: str) -> HttpResponse:
    row = _formular(request, schluessel)
    daten = services.exportieren(
        actor=request.user, access=request.access, tenant=request.tenant, schluessel=schluessel
    )
    if not daten:
        raise Http404
    nummer = row.aktuelle_version.nummer if row.aktuelle_version else 0
    return _json_datei(daten[0], f"formular-{row.schluessel}-version-{nummer}.json")


@require_http_methods(["GET", "POST"])
@requires(verwaltet)
def vorschau(
    request: TenantRequest, schluessel: str, nummer: int, schritt: str | None = None
) -> HttpResponse:
    """A step of a version (its first without ``schritt``) as the caseworker sees it."""
    row = _formular(request, schluessel)
    version = _version(row, nummer)
    definition = selectors.definition(version)
    schritt = schritt or definition.schritte[0].id
    if definition.schritt(schritt) is None:
        raise Http404
    heute = timezone.localdate()
    antworten: dict[str, Any] = {}
    fehler: dict[str, list[str]] = {}
    geprueft = request.method == "POST"
    if geprueft:
        antworten = antworten_aus_post(definition, schritt, request.POST)
        fehler = pruefen(definition, antworten, schritt=schritt, heute=heute, streng=False).fehler
    return _page(
        request,
        "vorschau.html",
        f"Vorschau: {row.titel}, Version {version.nummer}",
        [_katalog_crumb(), _formular_crumb(row)],
        formular=row,
        version=version,
        navigation=_navigation(row, version, definition, schritt),
        schritt_html=schritt_html(
            definition,
            schritt,
            antworten=antworten,
            fehler=fehler,
            vorbelegt={},
            personen=[],
            heute=heute,
        ),
        geprueft=geprueft,
        fehlerfrei=geprueft and not fehler,
        weiter=_weiter(definition, schritt),
        schritt=schritt,
    )


def _navigation(
    row: Formular, version: Formularversion, definition: Definition, schritt: str
) -> str:
    """Every step, linked: the preview shows steps whatever their conditions say."""
    return navigation_html(
        definition,
        schritt,
        frozenset(s.id for s in definition.schritte),
        adresse=lambda s: reverse("forms:vorschau", args=[row.schluessel, version.nummer, s]),
    )


def _weiter(definition: Definition, schritt: str) -> str | None:
    ids = [s.id for s in definition.schritte]
    stelle = ids.index(schritt)
    return ids[stelle + 1] if stelle + 1 < len(ids) else None


@require_http_methods(["GET"])
@requires(verwaltet)
def leer_pdf(request: TenantRequest, schluessel: str, nummer: int) -> HttpResponse:
    row = _formular(request, schluessel)
    version = _version(row, nummer)
    definition = selectors.definition(version)
    pdf = formular_pdf(
        definition,
        None,
        briefkopf=selectors_seiten.briefkopf_der_verwaltung(request.access, request.tenant),
        kopfzeilen=(("Formular", f"{row.titel} (Version {version.nummer})"),),
        heute=timezone.localdate(),
    )
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="formular-{row.schluessel}-version-{version.nummer}-leer.pdf"'
    )
    return response


@require_http_methods(["GET", "POST"])
@requires(verwaltet)
def status(request: TenantRequest, schluessel: str) -> HttpResponse:
    """Deactivate an active form, activate an inactive one: GET asks, POST does."""
    row = _formular(request, schluessel)
    if request.method == "POST":
        who: dict[str, Any] = {
            "actor": request.user,
            "access": request.access,
            "tenant": request.tenant,
        }
        try:
            if row.is_active:
                services.deaktivieren(**who, formular=row)
                messages.success(
                    request,
                    f"„{row.titel}“ ist deaktiviert: neue Entwürfe sind nicht mehr möglich, "
                    "begonnene Entwürfe und Einreichungen bleiben.",
                )
            else:
                services.aktivieren(**who, formular=row)
                messages.success(request, f"„{row.titel}“ ist wieder aktiv.")
        except DomainError as fehler:
            messages.error(request, fehler.message)
        return redirect("forms:formular", schluessel=row.schluessel)
    titel = f"„{row.titel}“ {'deaktivieren' if row.is_active else 'aktivieren'}"
    return _page(
        request, "status.html", titel, [_katalog_crumb(), _formular_crumb(row)], formular=row
    )
