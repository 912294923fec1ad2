"""Reads the catalogue's pages need beyond :mod:`.selectors`: the list with each form's
open drafts and submissions counted in the same query, a form's versions with who
imported them, and the letterhead an administrator's empty form carries."""

from __future__ import annotations

import uuid

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery
from django.db.models.fields.json import KeyTextTransform
from django.db.models.functions import Coalesce

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.forms.models import Einreichung, Entwurf, Formular, Formularversion
from koffer.outbox.briefe.setzen import satzkopf
from koffer.outbox.satz import Briefkopf
from koffer.outbox.vorlagen.selectors import briefkopf_fuer, standard_briefkopf
from koffer.tenancy.models import Mandant, Organisationseinheit


def _anzahl(model: type[Entwurf] | type[Einreichung], **filter_: object) -> Coalesce:
    """How many rows of ``model`` belong to the outer form (any of its versions)."""
    zeilen = (
        model.objects.filter(
            tenant_id=OuterRef("tenant_id"), formularversion__formular=OuterRef("pk"), **filter_
        )
        .order_by()
        .values("formularversion__formular")
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(zeilen, output_field=IntegerField()), 0)


def katalog_liste(tenant_id: uuid.UUID) -> QuerySet[Formular]:
    """Every form of the Mandant, active or not, by title: its current version (without
    the definition JSON: the list needs none of it but the Fachbereich), open drafts and
    submissions counted. One query."""
    return (
        Formular.objects.for_tenant(tenant_id)
        .select_related("aktuelle_version")
        .defer("aktuelle_version__definition")
        .annotate(
            fachbereich=KeyTextTransform("fachbereich", "aktuelle_version__definition"),
            offene_entwuerfe=_anzahl(Entwurf, status=Entwurf.Status.OFFEN),
            einreichungen=_anzahl(Einreichung),
        )
        .order_by("titel", "schluessel")
    )


def versionen(formular: Formular) -> QuerySet[Formularversion]:
    """The form's versions, newest first, with who imported each."""
    return (
        Formularversion.objects.for_tenant(formular.tenant_id)
        .filter(formular=formular)
        .select_related("created_by")
        .defer("definition")
        .order_by("-nummer")
    )


def briefkopf_der_verwaltung(access: Access, tenant: Mandant) -> Briefkopf:
    """The letterhead of the unit where the administrator manages the Mandant (the
    nearest one up the tree that has one), else the Mandant's default."""
    unit_ids = [g.unit_id for g in access.grants if Perm.TENANCY_MANAGE in g.role.permissions]
    unit = (
        Organisationseinheit.objects.for_tenant(tenant).filter(pk__in=unit_ids).first()
        if unit_ids
        else None
    )
    kopf = briefkopf_fuer(unit) if unit is not None else standard_briefkopf(tenant)
    return satzkopf(kopf, tenant.name)
