from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from koffer.accounts.models import User
from koffer.placements import services
from koffer.placements.abrechnung import services as billing
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


# --- billing ----------------------------------------------------------------------------------


@pytest.fixture
def profil(traeger: Mandant) -> Traegerprofil:
    # Straight to the model: services.save_traegerprofil calls full_clean(), whose unique
    # checks query without the Mandant and fail under KOFFER_STRICT_TENANCY.
    return Traegerprofil.objects.create(
        tenant=traeger,
        legal_name="Jugendhilfe Sonnenhof e. V.",
        street="Lindenweg 3",
        postcode="60311",
        city="Musterstadt",
        tax_number="045/123/45678",
        vat_id="",
        registereintrag="VR 4711, Amtsgericht Musterstadt",
        iban="DE02120300000000202051",
        bic="",
        contact_name="Petra Schulz",
        contact_phone="+49 6101 555-20",
        contact_email="rechnung@sonnenhof.example",
    )


@pytest.fixture
def rechnungsempfaenger(jugendamt: Mandant, jugendamt_user: User) -> Mandant:
    """The youth office with its Leitweg-ID and invoice address."""
    jugendamt.leitweg_id = "09999000-KREIS-42"
    jugendamt.save(update_fields=["leitweg_id"])
    billing.save_rechnungsanschrift(
        actor=jugendamt_user,
        tenant=jugendamt,
        bezeichnung="Landkreis Test, Jugendamt",
        street="Kreishausplatz 1",
        postcode="60000",
        city="Kreisstadt",
    )
    return jugendamt


def _belegung(
    angebot: Angebot,
    provider_user: User,
    jugendamt: Mandant,
    jugendamt_user: User,
    heim: Betreuungsform,
    region: Region,
    beginn: date,
    ende: date | None = None,
) -> Belegung:
    platz = services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=1,
        valid_from=date(2026, 1, 1),
        frei_ab=date(2026, 1, 1),
    )[0]
    gesuch = services.create_gesuch(
        actor=jugendamt_user,
        tenant=jugendamt,
        betreuungsform=heim,
        alter=12,
        geschlecht="w",
        ab_datum=beginn,
        region=region,
    )
    hold = services.reserve(actor=jugendamt_user, gesuch=gesuch, platz=platz)
    belegung = services.confirm(
        actor=provider_user,
        tenant=angebot.einrichtung.tenant,
        reservierung_id=hold.pk,
        beginn=beginn,
    )
    if ende is not None:
        belegung = services.end_belegung(
            actor=provider_user,
            tenant=angebot.einrichtung.tenant,
            belegung=belegung,
            ende=ende,
            grund="planmaessig",
        )
    return belegung


@pytest.fixture
def make_belegung(angebot, provider_user, jugendamt, jugendamt_user, heim, region):
    def make(beginn: date, ende: date | None = None) -> Belegung:
        return _belegung(
            angebot, provider_user, jugendamt, jugendamt_user, heim, region, beginn, ende
        )

    return make
