"""Writes to Mandanten and Organisationseinheiten. Each is one transaction with one audit event."""

from __future__ import annotations

from django.db import transaction
from uuid6 import uuid7

from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.tenancy.models import Mandant, Organisationseinheit


class UnitNameTaken(ValueError):
    """Two units below the same parent cannot share a name."""


def create_mandant(
    *, actor: Actor | None, slug: str, name: str, kind: str, leitweg_id: str = ""
) -> Mandant:
    """Create a Mandant with its root Organisationseinheit named like it.

    A Leitweg-ID with a wrong form or check digit raises ``ValidationError`` here, where it
    is entered, and not first when an invoice to this Mandant is checked."""
    Mandant._meta.get_field("leitweg_id").run_validators(leitweg_id)
    with transaction.atomic():
        mandant = Mandant.objects.create(slug=slug, name=name, kind=kind, leitweg_id=leitweg_id)
        audit.record(
            actor=actor,
            tenant_id=mandant.pk,
            action="tenancy.mandant.create",
            obj=mandant,
            changes={"name": name, "kind": kind, "slug": slug},
        )
        create_unit(
            actor=actor,
            tenant=mandant,
            parent=None,
            name=name,
            kind=Organisationseinheit.Kind.BEHOERDE,
        )
    return mandant


def create_unit(
    *,
    actor: Actor | None,
    tenant: Mandant,
    parent: Organisationseinheit | None,
    name: str,
    kind: str,
) -> Organisationseinheit:
    """Add an Organisationseinheit below ``parent`` (or as a root) in ``tenant``."""
    if parent is not None and parent.tenant_id != tenant.pk:
        raise ValueError("Übergeordnete Einheit gehört zu einem anderen Mandanten")
    siblings = Organisationseinheit.objects.for_tenant(tenant).filter(parent=parent, name=name)
    if siblings.exists():
        raise UnitNameTaken(f"Unter dieser Einheit gibt es bereits „{name}“.")
    unit_id = uuid7()
    path = f"{parent.path if parent else '/'}{unit_id}/"
    with transaction.atomic():
        unit = Organisationseinheit.objects.create(
            id=unit_id, tenant=tenant, parent=parent, name=name, kind=kind, path=path
        )
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="tenancy.unit.create",
            obj=unit,
            changes={"name": name, "kind": kind, "parent": str(parent.pk) if parent else None},
        )
    return unit
