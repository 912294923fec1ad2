from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koffer.accounts.models import User
from koffer.placements import services
from koffer.placements.models import Angebot, Betreuungsform, Einrichtung, Fachbereich, Region
from koffer.tenancy.models import Mandant
from tests import factories


@pytest.fixture
def catalogue(db: None) -> Fachbereich:
    services.load_default_catalogue()
    return Fachbereich.objects.get(code="jugendhilfe")


@pytest.fixture
def heim(catalogue: Fachbereich) -> Betreuungsform:
    return Betreuungsform.objects.get(fachbereich=catalogue, code="heim-34")


@pytest.fixture
def traeger(db: None) -> Mandant:
    return factories.mandant("Jugendhilfe Sonnenhof e. V.", kind=Mandant.Kind.TRAEGER)


@pytest.fixture
def provider_user(traeger: Mandant) -> User:
    return factories.user(traeger, role="platzverwaltung")


@pytest.fixture
def jugendamt(db: None) -> Mandant:
    return factories.mandant("Landkreis Test", kind=Mandant.Kind.KREIS)


@pytest.fixture
def jugendamt_user(jugendamt: Mandant) -> User:
    return factories.user(jugendamt, role="sachbearbeitung")


@pytest.fixture
def region(catalogue: Fachbereich) -> Region:
    return Region.objects.get(name="Musterstadt")


@pytest.fixture
def einrichtung(
    traeger: Mandant, provider_user: User, catalogue: Fachbereich, heim: Betreuungsform
) -> Einrichtung:
    return services.create_einrichtung(
        actor=provider_user,
        tenant=traeger,
        fachbereich=catalogue,
        formen=[heim],
        name="Wohngruppe Linde",
        street="Lindenweg 3",
        postcode="60311",
        city="Musterstadt",
        lat=50.12,
        lon=8.69,
        age_min=6,
        age_max=17,
    )


@pytest.fixture
def angebot(einrichtung: Einrichtung, provider_user: User, heim: Betreuungsform) -> Angebot:
    angebot = services.create_angebot(
        actor=provider_user, einrichtung=einrichtung, betreuungsform=heim, title="Regelgruppe"
    )
    services.set_entgelt(
        actor=provider_user,
        angebot=angebot,
        valid_from=date(2026, 1, 1),
        valid_to=None,
        leistungsentgelt=Decimal("150.00"),
        grundleistung=Decimal("20.50"),
        investitionsbetrag=Decimal("12.00"),
    )
    return angebot
