from __future__ import annotations

from collections.abc import Callable
from datetime import date

import pytest

from koffer.accounts.models import User
from koffer.records import services
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit

OpenAkte = Callable[..., Akte]


@pytest.fixture
def open_akte(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
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
            actor=team_caseworker,
            tenant=tenant,
            family_name=family,
            given_names=given,
            birth_date=born,
            birth_name=birth_name,
            kundennummer=kundennummer,
        )
        bg = (
            services.create_bedarfsgemeinschaft(
                actor=team_caseworker,
                tenant=tenant,
                members=[(person, "antragsteller")],
                bg_nummer="" if bg_nummer == "neu" else bg_nummer,
            )
            if bg_nummer
            else None
        )
        return services.create_akte(
            actor=None if access_level else team_caseworker,
            tenant=tenant,
            aktenplaneinheit=plan,
            unit=team,
            title=f"Leistungsakte {family}",
            subjects=[person],
            bg=bg,
            caseworker=team_caseworker,
            access_level=access_level,
        )

    return make
