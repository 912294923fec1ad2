"""Placements test data, made through the services so it is audited like real data."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from koffer.accounts.models import User
from koffer.placements.abrechnung import services as billing
from koffer.placements.angebote import services as angebot_services
from koffer.placements.belegung import services as belegung_services
from koffer.placements.gesuche import services as gesuch_services
from koffer.placements.meldungen import services as meldungen
from koffer.placements.models import (
    Angebot,
    Belegung,
    Betreuungsform,
    Einrichtung,
    Fachbereich,
    Meldung,
    Region,
    Traegerprofil,
)
from koffer.tenancy.models import Mandant


def einrichtung(
    *,
    actor: User,
    tenant: Mandant,
    fachbereich: Fachbereich,
    formen: list[Betreuungsform],
    **overrides: Any,
) -> Einrichtung:
    values: dict[str, Any] = {
        "name": "Wohngruppe Linde",
        "street": "Lindenweg 3",
        "postcode": "60311",
        "city": "Musterstadt",
        "lat": 50.12,
        "lon": 8.69,
        "age_min": 6,
        "age_max": 17,
    }
    values.update(overrides)
    return angebot_services.create_einrichtung(
        actor=actor, tenant=tenant, fachbereich=fachbereich, formen=formen, **values
    )


def angebot(
    *, actor: User, einrichtung: Einrichtung, form: Betreuungsform, title: str = "Regelgruppe"
) -> Angebot:
    """An offer with one open Entgelt from 1 January 2026: Tagessatz 182.50."""
    item = angebot_services.create_angebot(
        actor=actor, einrichtung=einrichtung, betreuungsform=form, title=title
    )
    angebot_services.set_entgelt(
        actor=actor,
        angebot=item,
        valid_from=date(2026, 1, 1),
        valid_to=None,
        leistungsentgelt=Decimal("150.00"),
        grundleistung=Decimal("20.50"),
        investitionsbetrag=Decimal("12.00"),
    )
    return item


def traegerprofil(tenant: Mandant) -> Traegerprofil:
    # Straight to the model: angebot_services.save_traegerprofil calls full_clean(), whose unique
    # checks query without the Mandant and fail under KOFFER_STRICT_TENANCY.
    return Traegerprofil.objects.create(
        tenant=tenant,
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


def rechnungsempfaenger(jugendamt: Mandant, actor: User) -> Mandant:
    """The youth office with its Leitweg-ID and invoice address."""
    jugendamt.leitweg_id = "09999000-KREIS-21"
    jugendamt.save(update_fields=["leitweg_id"])
    billing.save_rechnungsanschrift(
        actor=actor,
        tenant=jugendamt,
        bezeichnung="Landkreis Test, Jugendamt",
        street="Kreishausplatz 1",
        postcode="60000",
        city="Kreisstadt",
    )
    return jugendamt


def belegung(
    angebot: Angebot,
    provider_user: User,
    jugendamt: Mandant,
    jugendamt_user: User,
    heim: Betreuungsform,
    region: Region,
    beginn: date,
    ende: date | None = None,
    *,
    alter: int = 12,
    kostenzusage: str = "",
) -> Belegung:
    """A new place, a request for it, a hold and its confirmation: a Belegung from
    ``beginn`` (ended on ``ende`` if given)."""
    platz = angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=1,
        valid_from=date(2026, 1, 1),
        frei_ab=date(2026, 1, 1),
    )[0]
    gesuch = gesuch_services.create_gesuch(
        actor=jugendamt_user,
        tenant=jugendamt,
        betreuungsform=heim,
        alter=alter,
        geschlecht="w",
        ab_datum=beginn,
        region=region,
        kostenzusage=kostenzusage,
    )
    hold = belegung_services.reserve(actor=jugendamt_user, gesuch=gesuch, platz=platz)
    item = belegung_services.confirm(
        actor=provider_user,
        tenant=angebot.einrichtung.tenant,
        reservierung_id=hold.pk,
        beginn=beginn,
    )
    if ende is not None:
        item = belegung_services.end_belegung(
            actor=provider_user,
            tenant=angebot.einrichtung.tenant,
            belegung=item,
            ende=ende,
            grund="planmaessig",
        )
    return item


def meldung(
    *, actor: User, tenant: Mandant, einrichtung: Any, ereignis_datum: date, **overrides: Any
) -> Meldung:
    """A filed § 47 incident report (a kitchen fire, nobody hurt)."""
    values: dict[str, Any] = {
        "art": Meldung.Art.VORKOMMNIS,
        "ereignis_datum": ereignis_datum,
        "betreff": "Brand in der Küche, keine Verletzten",
        "inhalt": "Am Abend brannte ein Topf. Die Feuerwehr war da.",
    }
    values.update(overrides)
    return meldungen.file_meldung(actor=actor, tenant=tenant, einrichtung=einrichtung, **values)
