"""Factories that go through the services, so test data is audited like real data."""

from __future__ import annotations

import itertools
from typing import Any

from koffer.accounts import services as accounts
from koffer.accounts.models import ApiToken, User
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

PASSWORD = "Richtig-geheim-42"
_seq = itertools.count(1)


def mandant(name: str | None = None, kind: str = Mandant.Kind.KREIS) -> Mandant:
    n = next(_seq)
    return tenancy.create_mandant(
        actor=None, slug=f"mandant-{n}", name=name or f"Mandant {n}", kind=kind
    )


def root_unit(tenant: Mandant) -> Organisationseinheit:
    return Organisationseinheit.objects.for_tenant(tenant).get(parent=None)


def unit(
    tenant: Mandant, name: str | None = None, parent: Organisationseinheit | None = None
) -> Organisationseinheit:
    return tenancy.create_unit(
        actor=None,
        tenant=tenant,
        parent=parent or root_unit(tenant),
        name=name or f"Team {next(_seq)}",
        kind="team",
    )


def user(
    tenant: Mandant,
    role: str = "sachbearbeitung",
    unit_: Organisationseinheit | None = None,
    **kwargs: Any,
) -> User:
    n = next(_seq)
    machine = kwargs.pop("is_machine", False)
    return accounts.create_user(
        actor=None,
        tenant=tenant,
        username=kwargs.pop("username", f"person{n}"),
        first_name=kwargs.pop("first_name", "Erika"),
        last_name=kwargs.pop("last_name", f"Muster{n}"),
        email=kwargs.pop("email", None if machine else f"person{n}@example.org"),
        password=None if machine else kwargs.pop("password", PASSWORD),
        unit=unit_ or root_unit(tenant),
        role=role,
        is_machine=machine,
        must_change_password=kwargs.pop("must_change_password", False),
    )


def add_role(
    user: User, tenant: Mandant, role: str, unit_: Organisationseinheit | None = None
) -> None:
    accounts.add_membership(actor=None, user=user, unit=unit_ or root_unit(tenant), role=role)


def api_token(
    tenant: Mandant,
    permissions: list[str],
    *,
    role: str = "fachverfahren",
    units: list[Organisationseinheit] | None = None,
    name: str = "Schlüssel",
) -> tuple[ApiToken, str]:
    """A new machine account with ``role`` and one API token for it, scoped to
    ``permissions`` in ``units`` (default: the root unit). Returns the token and its secret."""
    machine = user(tenant, role=role, is_machine=True)
    return accounts.create_api_token(
        actor=None,
        tenant=tenant,
        user=machine,
        name=name,
        permissions=permissions,
        units=units if units is not None else [root_unit(tenant)],
    )
