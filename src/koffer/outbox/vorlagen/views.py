"""Pages of templates, text blocks and letterheads, for the Mandant's administration. Thin:
selectors read, services write (and check access again), a service's :class:`Invalid`
is shown beside the field it names, with the admin's input kept."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django import forms
from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.errors import DomainError
from koffer.outbox import access
from koffer.outbox.errors import Invalid
from koffer.outbox.models import Briefkopf, Textbaustein, Vorlage
from koffer.outbox.vorlagen import selectors, services, sprache
from koffer.outbox.vorlagen.forms import (
    BausteinForm,
    BriefkopfForm,
    VersionForm,
    VorlageForm,
    felder_text,
)
from koffer.records.models import Module
from koffer.shell.breadcrumbs import trail
from koffer.tenancy import selectors as tenancy
from koffer.tenancy.models import Organisationseinheit

VORLAGEN = "Briefvorlagen"
BAUSTEINE = "Textbausteine"
BRIEFKOEPFE = "Briefköpfe"
METHODS = ["GET", "POST"]
T = TypeVar("T")


def _show(form: forms.Form, exc: DomainError) -> None:
    field = getattr(exc, "field", "") if isinstance(exc, Invalid) else ""
    form.add_error(field if field in form.fields else None, exc.message)


def _written(
    request: TenantRequest, form: forms.Form, write: Callable[[dict[str, Any]], T]
) -> T | None:
    """A posted, valid form written by ``write`` (given who acts); its result, or None
    with the service's refusal shown beside the field it names (the input kept)."""
    if request.method != "POST" or not form.is_valid():
        return None
    try:
        return write({"actor": request.user, "access": request.access, "tenant": request.tenant})
    except DomainError as exc:
        _show(form, exc)
        return None


def _page(
    request: TenantRequest,
    template: str,
    title: str,
    crumbs: list[tuple[str, str | None]],
    **context: Any,
) -> HttpResponse:
    invalid = any(isinstance(v, forms.Form) and v.is_bound and v.errors for v in context.values())
    return render(
        request,
        f"outbox/{template}",
        {"page_title": title, "breadcrumbs": trail(*crumbs, (title, None)), **context},
        status=400 if invalid else 200,
    )


def _vorlagen_crumb() -> tuple[str, str]:
    return (VORLAGEN, reverse("outbox:vorlagen"))


def _vorlage(request: TenantRequest, vorlage_id: uuid.UUID) -> Vorlage:
    found = selectors.vorlage(request.tenant, vorlage_id)
    if found is None:
        raise Http404
    return found


# --- Templates ----------------------------------------------------------------------------


@require_http_methods(["GET"])
@requires(access.manages_templates)
def vorlagen(request: TenantRequest) -> HttpResponse:
    return _page(
        request,
        "vorlagen.html",
        VORLAGEN,
        [],
        vorlagen=[(v, _fachbereich(v)) for v in selectors.vorlagen(request.tenant)],
    )


def _fachbereich(row: Vorlage) -> str:
    return str(dict(Module.choices).get(row.module, "alle Fachbereiche"))


@require_http_methods(METHODS)
@requires(access.manages_templates)
def vorlage_neu(request: TenantRequest) -> HttpResponse:
    form = VorlageForm(request.POST or None, initial={"form": "B", "vier_augen": "nie"})
    made = _written(
        request,
        form,
        lambda who: services.create_vorlage(
            **who,
            code=form.cleaned_data["code"],
            einstellungen=form.einstellungen(),
        ),
    )
    if made is not None:
        messages.success(request, f"Die Vorlage „{made.titel}“ ist angelegt.")
        return redirect("outbox:vorlage_version_neu", vorlage_id=made.pk)
    return _page(request, "vorlage_form.html", "Neue Briefvorlage", [_vorlagen_crumb()], form=form)


@require_http_methods(["GET"])
@requires(access.manages_templates)
def vorlage(request: TenantRequest, vorlage_id: uuid.UUID) -> HttpResponse:
    row = _vorlage(request, vorlage_id)
    return _page(
        request,
        "vorlage.html",
        f"Vorlage „{row.titel}“",
        [_vorlagen_crumb()],
        vorlage=row,
        versionen=selectors.versionen(row),
        vier_augen=_vier_augen_text(row),
        fachbereich=_fachbereich(row),
    )


def _vier_augen_text(row: Vorlage) -> str:
    modus = services.vier_augen_modus(row)
    if modus == services.VierAugen.AB_BETRAG:
        return f"ab {row.vier_augen_ab} EUR".replace(".", ",")
    return dict(services.VierAugen.CHOICES)[modus]


@require_http_methods(METHODS)
@requires(access.manages_templates)
def vorlage_einstellungen(request: TenantRequest, vorlage_id: uuid.UUID) -> HttpResponse:
    row = _vorlage(request, vorlage_id)
    initial = {
        "titel": row.titel,
        "art": row.art,
        "module": row.module,
        "form": row.form,
        "vier_augen": services.vier_augen_modus(row),
        "vier_augen_ab": row.vier_augen_ab,
        "is_active": row.is_active,
    }
    form = VorlageForm(request.POST or None, initial=initial, fixed_code=True)
    made = _written(
        request,
        form,
        lambda who: services.change_vorlage(
            **who,
            vorlage=row,
            einstellungen=form.einstellungen(),
        ),
    )
    if made is not None:
        messages.success(request, "Die Einstellungen sind gespeichert.")
        return redirect("outbox:vorlage", vorlage_id=row.pk)
    return _page(
        request,
        "vorlage_form.html",
        f"Einstellungen der Vorlage „{row.titel}“",
        [_vorlagen_crumb(), (row.titel, reverse("outbox:vorlage", args=[row.pk]))],
        form=form,
    )


@require_http_methods(METHODS)
@requires(access.manages_templates)
def vorlage_version_neu(request: TenantRequest, vorlage_id: uuid.UUID) -> HttpResponse:
    row = _vorlage(request, vorlage_id)
    current = row.aktuelle_version
    initial = {}
    if current is not None:
        initial = {
            "betreff": current.betreff,
            "text": current.text,
            "felder": felder_text(current.felder),
            "anlagen": "\n".join(current.anlagen),
        }
    form = VersionForm(request.POST or None, initial=initial)
    made = _written(
        request,
        form,
        lambda who: services.publish_version(
            **who,
            vorlage=row,
            entwurf=form.entwurf(),
        ),
    )
    if made is not None:
        messages.success(request, f"Version {made.nummer} ist veröffentlicht.")
        return redirect("outbox:vorlage", vorlage_id=row.pk)
    return _page(
        request,
        "vorlage_version_form.html",
        f"Neue Version der Vorlage „{row.titel}“",
        [_vorlagen_crumb(), (row.titel, reverse("outbox:vorlage", args=[row.pk]))],
        form=form,
        vorlage=row,
        katalog=sorted(sprache.KATALOG.items()),
        bausteine=[b for b in selectors.bausteine(request.tenant) if b.is_active],
    )


@require_http_methods(["GET"])
@requires(access.manages_templates)
def vorlage_version(request: TenantRequest, vorlage_id: uuid.UUID, number: int) -> HttpResponse:
    row = _vorlage(request, vorlage_id)
    version = selectors.version(row, number)
    if version is None:
        raise Http404
    return _page(
        request,
        "vorlage_version.html",
        f"Vorlage „{row.titel}“, Version {version.nummer}",
        [_vorlagen_crumb(), (row.titel, reverse("outbox:vorlage", args=[row.pk]))],
        vorlage=row,
        version=version,
    )


# --- Text blocks --------------------------------------------------------------------------


def _bausteine_crumb() -> tuple[str, str]:
    return (BAUSTEINE, reverse("outbox:bausteine"))


def _baustein(request: TenantRequest, baustein_id: uuid.UUID) -> Textbaustein:
    found = selectors.baustein(request.tenant, baustein_id)
    if found is None:
        raise Http404
    return found


@require_http_methods(["GET"])
@requires(access.manages_templates)
def bausteine(request: TenantRequest) -> HttpResponse:
    return _page(
        request,
        "bausteine.html",
        BAUSTEINE,
        [_vorlagen_crumb()],
        bausteine=selectors.bausteine(request.tenant),
    )


@require_http_methods(METHODS)
@requires(access.manages_templates)
def baustein_neu(request: TenantRequest) -> HttpResponse:
    form = BausteinForm(request.POST or None)
    made = _written(
        request,
        form,
        lambda who: services.create_baustein(
            **who,
            code=form.cleaned_data["code"],
            titel=form.cleaned_data["titel"],
            text=form.cleaned_data["text"],
        ),
    )
    if made is not None:
        messages.success(request, f"Der Textbaustein „{made.titel}“ ist angelegt.")
        return redirect("outbox:bausteine")
    return _page(
        request,
        "baustein_form.html",
        "Neuer Textbaustein",
        [_vorlagen_crumb(), _bausteine_crumb()],
        form=form,
        katalog=sorted(sprache.KATALOG.items()),
    )


@require_http_methods(METHODS)
@requires(access.manages_templates)
def baustein(request: TenantRequest, baustein_id: uuid.UUID) -> HttpResponse:
    block = _baustein(request, baustein_id)
    form = BausteinForm(
        request.POST or None, initial={"titel": block.titel, "text": block.text}, fixed_code=True
    )
    made = _written(
        request,
        form,
        lambda who: services.change_baustein(
            **who,
            baustein=block,
            titel=form.cleaned_data["titel"],
            text=form.cleaned_data["text"],
        ),
    )
    if made is not None:
        messages.success(request, f"Der Textbaustein „{block.code}“ ist gespeichert.")
        return redirect("outbox:bausteine")
    return _page(
        request,
        "baustein_form.html",
        f"Textbaustein „{block.code}“",
        [_vorlagen_crumb(), _bausteine_crumb()],
        form=form,
        baustein=block,
        katalog=sorted(sprache.KATALOG.items()),
    )


@require_POST
@requires(access.manages_templates)
def baustein_deaktivieren(request: TenantRequest, baustein_id: uuid.UUID) -> HttpResponse:
    block = _baustein(request, baustein_id)
    services.deactivate_baustein(
        actor=request.user, access=request.access, tenant=request.tenant, baustein=block
    )
    messages.success(
        request,
        f"Der Textbaustein „{block.code}“ ist deaktiviert: neue Versionen können ihn nicht "
        "mehr verwenden, veröffentlichte behalten ihre Kopie.",
    )
    return redirect("outbox:bausteine")


# --- Letterheads --------------------------------------------------------------------------


@require_http_methods(["GET"])
@requires(access.manages_templates)
def briefkoepfe(request: TenantRequest) -> HttpResponse:
    heads = selectors.briefkoepfe(request.tenant)
    units = [
        (unit, heads.get(unit.pk)) for unit in tenancy.units_of(request.tenant).order_by("path")
    ]
    return _page(
        request,
        "briefkoepfe.html",
        BRIEFKOEPFE,
        [_vorlagen_crumb()],
        standard=heads.get(None),
        units=units,
    )


def _briefkopf_page(
    request: TenantRequest, unit: Organisationseinheit | None, head: Briefkopf | None
) -> HttpResponse:
    initial = {}
    if head is not None:
        initial = {
            k: getattr(head, k)
            for k in (
                "behoerde",
                "abteilung",
                "anschrift",
                "ruecksendeangabe",
                "telefon",
                "email",
                "internet",
                "oeffnungszeiten",
                "bankverbindung",
            )
        }
    elif unit is not None:
        standard = selectors.briefkopf_fuer(unit)
        initial = {"behoerde": standard.behoerde if standard else request.tenant.name}
        initial["abteilung"] = unit.name
    else:
        initial = {"behoerde": request.tenant.name}
    form = BriefkopfForm(request.POST or None, request.FILES or None, initial=initial)
    made = _written(
        request,
        form,
        lambda who: services.save_briefkopf(
            **who,
            unit=unit,
            angaben=form.angaben(),
        ),
    )
    if made is not None:
        messages.success(request, "Der Briefkopf ist gespeichert.")
        return redirect("outbox:briefkoepfe")
    title = (
        f"Briefkopf von „{unit.name}“" if unit is not None else "Briefkopf des Mandanten (Standard)"
    )
    return _page(
        request,
        "briefkopf_form.html",
        title,
        [_vorlagen_crumb(), (BRIEFKOEPFE, reverse("outbox:briefkoepfe"))],
        form=form,
        head=head,
        unit=unit,
    )


@require_http_methods(METHODS)
@requires(access.manages_templates)
def briefkopf_standard(request: TenantRequest) -> HttpResponse:
    return _briefkopf_page(request, None, selectors.standard_briefkopf(request.tenant))


@require_http_methods(METHODS)
@requires(access.manages_templates)
def briefkopf_einheit(request: TenantRequest, unit_id: uuid.UUID) -> HttpResponse:
    unit = tenancy.unit_by_id(request.tenant, unit_id)
    if unit is None:
        raise Http404
    return _briefkopf_page(request, unit, selectors.briefkopf_der_einheit(request.tenant, unit))
