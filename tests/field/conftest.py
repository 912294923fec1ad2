"""The Koffer's test data: a field worker of a team, a Koffer registered for them and one
paired, made through the services like real data."""

from __future__ import annotations

import pytest
from django.test import Client

from koffer.accounts.models import User
from koffer.field.geraete import services
from koffer.field.models import Geraet
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.factories import records as record_factories


@pytest.fixture
def aussendienst(tenant: Mandant, team: Organisationseinheit) -> User:
    return factories.user(
        tenant, role="aussendienst", unit_=team, first_name="Frieda", last_name="Feld"
    )


@pytest.fixture
def angemeldet(aussendienst: User, tenant: Mandant) -> tuple[Geraet, str]:
    """A Koffer registered, not yet paired, with its pairing code."""
    return services.geraet_anlegen(actor=aussendienst, tenant_id=tenant.pk, name="Laptop 1")


@pytest.fixture
def gekoppelt(angemeldet: tuple[Geraet, str]) -> tuple[Geraet, str]:
    """A paired Koffer and its token."""
    return services.koppeln(code=angemeldet[1], client_ip="192.0.2.1")


def koffer_client(token: str) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture
def akte(team_caseworker: User, plan: Aktenplaneinheit, team: Organisationseinheit) -> Akte:
    return record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team)


@pytest.fixture
def kollegin(tenant: Mandant, team: Organisationseinheit) -> User:
    """A second field worker of the same team, with a paired Koffer of her own."""
    return factories.user(
        tenant, role="aussendienst", unit_=team, first_name="Karla", last_name="Kollegin"
    )


@pytest.fixture
def anderer_koffer(kollegin: User, tenant: Mandant) -> Geraet:
    _, code = services.geraet_anlegen(actor=kollegin, tenant_id=tenant.pk, name="Laptop 2")
    return services.koppeln(code=code)[0]
