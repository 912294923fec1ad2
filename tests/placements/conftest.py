from __future__ import annotations

from datetime import date

import pytest

from koffer.accounts.models import User
from koffer.placements import katalog
from koffer.placements.models import (
    Angebot,
    Belegung,
    Betreuungsform,
    Einrichtung,
    Fachbereich,
    Region,
    Traegerprofil,
)
from koffer.tenancy.models import Mandant
from tests import factories
from tests.factories import placements as placement_factories


@pytest.fixture
def catalogue(db: None) -> Fachbereich:
    katalog.load_default_catalogue()
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
    return placement_factories.einrichtung(
        actor=provider_user, tenant=traeger, fachbereich=catalogue, formen=[heim]
    )


@pytest.fixture
def angebot(einrichtung: Einrichtung, provider_user: User, heim: Betreuungsform) -> Angebot:
    return placement_factories.angebot(actor=provider_user, einrichtung=einrichtung, form=heim)


# --- billing ----------------------------------------------------------------------------------


@pytest.fixture
def profil(traeger: Mandant) -> Traegerprofil:
    return placement_factories.traegerprofil(traeger)


@pytest.fixture
def rechnungsempfaenger(jugendamt: Mandant, jugendamt_user: User) -> Mandant:
    """The youth office with its Leitweg-ID and invoice address."""
    return placement_factories.rechnungsempfaenger(jugendamt, jugendamt_user)


@pytest.fixture
def make_belegung(angebot, provider_user, jugendamt, jugendamt_user, heim, region):
    def make(beginn: date, ende: date | None = None) -> Belegung:
        return placement_factories.belegung(
            angebot, provider_user, jugendamt, jugendamt_user, heim, region, beginn, ende
        )

    return make
