"""Reads of Mandanten and Organisationseinheiten."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet

from koffer.tenancy.models import Mandant, Organisationseinheit


def units_of(tenant: Mandant) -> QuerySet[Organisationseinheit]:
    return Organisationseinheit.objects.for_tenant(tenant).order_by("path")


def unit_and_below(unit: Organisationseinheit) -> QuerySet[Organisationseinheit]:
    return Organisationseinheit.objects.for_tenant(unit.tenant_id).filter(path__under=unit.path)


def mandant_by_id(mandant_id: uuid.UUID) -> Mandant | None:
    return Mandant.objects.filter(pk=mandant_id, is_active=True).first()


def unit_by_id(tenant: Mandant, unit_id: uuid.UUID) -> Organisationseinheit | None:
    return Organisationseinheit.objects.for_tenant(tenant).filter(pk=unit_id).first()
