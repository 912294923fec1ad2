"""Every read of templates, text blocks and letterheads, scoped to one Mandant. None of
them holds personal data, so reads are not audited."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from koffer.outbox.models import Briefkopf, Textbaustein, Vorlage, VorlagenVersion
from koffer.tenancy.models import Mandant, Organisationseinheit


def briefkopf_fuer(unit: Organisationseinheit) -> Briefkopf | None:
    """The letterhead a letter of ``unit`` carries: the unit's own, else the nearest
    ancestor's, else the Mandant's default; ``None`` when there is none at all. One query."""
    chain = [part for part in unit.path.split("/") if part]
    if str(unit.pk) not in chain:
        chain.append(str(unit.pk))
    found = {
        (str(head.unit_id) if head.unit_id else ""): head
        for head in Briefkopf.objects.for_tenant(unit.tenant_id).filter(
            Q(unit_id__in=chain) | Q(unit__isnull=True)
        )
    }
    for unit_id in reversed(chain):
        if unit_id in found:
            return found[unit_id]
    return found.get("")


def briefkoepfe(tenant: Mandant) -> dict[uuid.UUID | None, Briefkopf]:
    """The Mandant's letterheads by unit id (``None``: the default)."""
    return {head.unit_id: head for head in Briefkopf.objects.for_tenant(tenant)}


def standard_briefkopf(tenant: Mandant) -> Briefkopf | None:
    return Briefkopf.objects.for_tenant(tenant).filter(unit__isnull=True).first()


def briefkopf_der_einheit(tenant: Mandant, unit: Organisationseinheit) -> Briefkopf | None:
    return Briefkopf.objects.for_tenant(tenant).filter(unit=unit).first()


def bausteine(tenant: Mandant) -> QuerySet[Textbaustein]:
    """Every text block, active ones first, by title."""
    return Textbaustein.objects.for_tenant(tenant).order_by("-is_active", "titel")


def aktive_bausteine(tenant_id: uuid.UUID) -> dict[str, str]:
    """Code -> text of the blocks a new version may use."""
    return dict(
        Textbaustein.objects.for_tenant(tenant_id)
        .filter(is_active=True)
        .values_list("code", "text")
    )


def baustein(tenant: Mandant, baustein_id: uuid.UUID) -> Textbaustein | None:
    return Textbaustein.objects.for_tenant(tenant).filter(pk=baustein_id).first()


def vorlagen(tenant: Mandant, *, nur_aktive: bool = False) -> QuerySet[Vorlage]:
    """The Mandant's templates by title, each with its current version."""
    rows = Vorlage.objects.for_tenant(tenant).select_related("aktuelle_version")
    if nur_aktive:
        rows = rows.filter(is_active=True)
    return rows.order_by("titel", "code")


def vorlage(tenant: Mandant, vorlage_id: uuid.UUID) -> Vorlage | None:
    return (
        Vorlage.objects.for_tenant(tenant)
        .select_related("aktuelle_version")
        .filter(pk=vorlage_id)
        .first()
    )


def versionen(vorlage: Vorlage) -> QuerySet[VorlagenVersion]:
    """A template's versions, newest first, with who published them."""
    return (
        VorlagenVersion.objects.for_tenant(vorlage.tenant_id)
        .filter(vorlage=vorlage)
        .select_related("created_by")
        .order_by("-nummer")
    )


def version(vorlage: Vorlage, nummer: int) -> VorlagenVersion | None:
    return versionen(vorlage).filter(nummer=nummer).first()
