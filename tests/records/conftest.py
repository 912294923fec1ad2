from __future__ import annotations

import pytest

from koffer.accounts.models import User
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests.factories import records as record_factories


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
