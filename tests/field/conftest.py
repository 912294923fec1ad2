"""The Koffer's test data: a field worker of a team, a Koffer registered for them and one
paired, made through the services like real data."""

from __future__ import annotations

import pytest
from django.test import Client

from koffer.accounts.models import User
from koffer.field.geraete import services
from koffer.field.models import Geraet
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories


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
