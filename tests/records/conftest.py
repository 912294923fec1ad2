from __future__ import annotations

import pytest

from koffer.accounts.models import User
from koffer.records import defaults, services
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories


@pytest.fixture
def plan(tenant: Mandant) -> Aktenplaneinheit:
    defaults.install(actor=None, tenant=tenant)
    root = services.create_aktenplaneinheit(
        actor=None,
        tenant=tenant,
        parent=None,
        kennzeichen="50",
        title="Soziale Sicherung",
        module="sgb2",
    )
    return services.create_aktenplaneinheit(
        actor=None,
        tenant=tenant,
        parent=root,
        kennzeichen="50.2",
        title="Leistungsakten",
        module="sgb2",
        retention_years=10,
        aktenzeichen_pattern="LA-{jahr}-{lfd:05}",
    )


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
    return services.open_akte_for_person(
        actor=team_caseworker,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=team,
        title="Leistungsakte Beispiel",
        family_name="Beispiel",
        given_names="Anna",
        bg_nummer="neu",
        caseworker=team_caseworker,
    )
