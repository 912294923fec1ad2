from __future__ import annotations

import pytest

from koffer.accounts.models import User
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.factories import records as record_factories


@pytest.fixture
def plan(tenant: Mandant) -> Aktenplaneinheit:
    return record_factories.leistungsplan(tenant)


@pytest.fixture
def team(tenant: Mandant) -> Organisationseinheit:
    return factories.unit(tenant, "Leistungsteam 1")


@pytest.fixture
def other_team(tenant: Mandant) -> Organisationseinheit:
    return factories.unit(tenant, "Leistungsteam 2")


@pytest.fixture
def team_caseworker(tenant: Mandant, team: Organisationseinheit) -> User:
    return factories.user(tenant, role="sachbearbeitung", unit_=team)


@pytest.fixture
def akte(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> Akte:
    return record_factories.akte(
        caseworker=team_caseworker,
        plan=plan,
        unit=team,
        title="Leistungsakte Beispiel",
        family_name="Beispiel",
    )
