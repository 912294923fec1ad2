from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from koffer.accounts.models import User
from koffer.records import services
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.factories import records as record_factories

OpenAkte = Callable[..., Akte]


@pytest.fixture
def plan(tenant: Mandant) -> Aktenplaneinheit:
    return record_factories.leistungsplan(tenant)


@pytest.fixture
def team(tenant: Mandant) -> Organisationseinheit:
    return factories.unit(tenant, "Leistungsteam 1")


@pytest.fixture
def caseworker(tenant: Mandant, team: Organisationseinheit) -> User:
    return factories.user(tenant, role="sachbearbeitung", unit_=team)


@pytest.fixture
def open_akte(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, caseworker: User
) -> OpenAkte:
    """An Akte about one new person (family, given, born, Kundennummer, birth name) and
    their new BG ("neu": the next number, "": none, else that number)."""

    def make(
        family: str,
        given: str,
        born: date | None = None,
        *,
        kundennummer: str = "",
        birth_name: str = "",
        bg_nummer: str = "neu",
        access_level: str | None = None,
    ) -> Akte:
        person = services.create_person(
            actor=caseworker,
            tenant=tenant,
            family_name=family,
            given_names=given,
            birth_date=born,
            birth_name=birth_name,
            kundennummer=kundennummer,
        )
        bg = (
            services.create_bedarfsgemeinschaft(
                actor=caseworker,
                tenant=tenant,
                members=[(person, "antragsteller")],
                bg_nummer="" if bg_nummer == "neu" else bg_nummer,
            )
            if bg_nummer
            else None
        )
        return services.create_akte(
            actor=None if access_level else caseworker,
            tenant=tenant,
            aktenplaneinheit=plan,
            unit=team,
            title=f"Leistungsakte {family}",
            subjects=[person],
            bg=bg,
            caseworker=caseworker,
            access_level=access_level,
        )

    return make
