"""Demo Platzbörse: the shipped catalogue (youth welfare, elder care, refugee housing),
facilities of both demo providers with rates and free places, one open request and one
running Belegung, and the year's ended Belegungen so that the statistics have something
to show. All fictional."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.utils import timezone

from koffer.accounts.models import User
from koffer.placements import katalog
from koffer.placements.abrechnung import services as billing
from koffer.placements.angebote import services as angebot_services
from koffer.placements.belegung import services as belegung_services
from koffer.placements.gesuche import services as gesuch_services
from koffer.placements.meldungen import services as meldungen
from koffer.placements.models import Belegung, Betreuungsform, Fachbereich, Merkmal, Platz, Region
from koffer.tenancy.models import Mandant

# (provider slug, Fachbereich, name, city, lat, lon, ages, forms, Merkmale, (title, form, rate, places, free))
FACILITIES = [
    (
        "sonnenhof",
        "jugendhilfe",
        "Wohngruppe Sonnenhof",
        "Musterstadt",
        50.118,
        8.672,
        (6, 17),
        ["heim-34", "inobhut-42"],
        ["trauma", "sprache-ar"],
        [
            ("Regelwohngruppe", "heim-34", "182.50", 8, 2),
            ("Inobhutnahme-Gruppe", "inobhut-42", "236.00", 4, 1),
        ],
    ),
    (
        "sonnenhof",
        "jugendhilfe",
        "Mutter-Kind-Haus Am See",
        "Am See",
        50.079,
        8.241,
        (0, 27),
        ["mvk-19"],
        ["sprache-uk"],
        [("Mutter/Vater-Kind-Wohnen", "mvk-19", "154.20", 6, 2)],
    ),
    (
        "diakonie-musterland",
        "jugendhilfe",
        "Jugendhaus Bergdorf",
        "Bergdorf",
        50.357,
        8.745,
        (12, 21),
        ["heim-34", "eingliederung-35a"],
        ["trauma", "sucht", "sprache-en"],
        [
            ("Intensivgruppe", "heim-34", "214.80", 6, 1),
            ("Gruppe nach § 35a", "eingliederung-35a", "241.10", 5, 2),
        ],
    ),
    (
        "diakonie-musterland",
        "pflege",
        "Seniorenzentrum Talheim",
        "Talheim",
        49.873,
        8.651,
        (60, 120),
        ["vollstationaer", "kurzzeit"],
        ["demenz", "einzelzimmer"],
        [
            ("Wohnbereich Lindenhof", "vollstationaer", "128.40", 20, 3),
            ("Kurzzeitpflege", "kurzzeit", "139.90", 4, 2),
        ],
    ),
    (
        "diakonie-musterland",
        "fluechtlinge",
        "Gemeinschaftsunterkunft Flusshafen",
        "Flusshafen",
        49.993,
        8.247,
        (0, 120),
        ["gemeinschaftsunterkunft"],
        ["familien", "sprache-ar", "sprache-uk"],
        [("Familienbereich", "gemeinschaftsunterkunft", "32.50", 30, 6)],
    ),
]

PROFILES = {
    "sonnenhof": (
        "Kinder- und Jugendhilfe Sonnenhof e. V.",
        "Sonnenweg 1",
        "60311",
        "Musterstadt",
        "VR 4711",
        "DE02120300000000202051",
    ),
    "diakonie-musterland": (
        "Diakonie Musterland gGmbH",
        "Kirchplatz 5",
        "64283",
        "Talheim",
        "HRB 1234",
        "DE02500105170137075030",
    ),
}


def _provider(slug: str) -> User:
    return User.objects.get(username="platz.sonnenhof" if slug == "sonnenhof" else "platz.diakonie")


def load(mandanten: dict[str, Mandant]) -> None:
    katalog.load_default_catalogue()
    lja = mandanten["landesjugendamt"]
    kreis = next(m for m in mandanten.values() if m.kind == Mandant.Kind.KREIS)
    today = timezone.localdate()
    # Places and rates since the start of last year: in January the demo still bills last
    # month (December) and places Belegungen that began in it.
    start = date(today.year - 1, 1, 1)
    for slug, (legal, street, plz, city, register, iban) in PROFILES.items():
        provider = _provider(slug)
        angebot_services.save_traegerprofil(
            actor=provider,
            tenant=mandanten[slug],
            legal_name=legal,
            street=street,
            postcode=plz,
            city=city,
            tax_number="014/123/45678" if slug == "sonnenhof" else "014/987/65432",
            vat_id="",
            iban=iban,
            bic="",
            contact_name=provider.get_full_name(),
            contact_phone="+49 6101 555-0",
            contact_email=f"abrechnung@{slug}.example",
            registereintrag=f"{register}, Amtsgericht Musterstadt",
        )
    angebote = {}
    for slug, fb_code, name, city, lat, lon, (amin, amax), forms, merkmale, offers in FACILITIES:
        tenant = mandanten[slug]
        provider = _provider(slug)
        fb = Fachbereich.objects.get(code=fb_code)
        einrichtung = angebot_services.create_einrichtung(
            actor=provider,
            tenant=tenant,
            fachbereich=fb,
            formen=Betreuungsform.objects.filter(fachbereich=fb, code__in=forms),
            merkmale=Merkmal.objects.filter(fachbereich=fb, code__in=merkmale),
            aufsicht=lja if fb.meldepflicht else None,
            name=name,
            street="Hauptstraße 12",
            postcode="60000",
            city=city,
            region="Landkreis Musterland",
            lat=lat,
            lon=lon,
            age_min=amin,
            age_max=amax,
            licence_number=f"BE-{city[:3].upper()}-2019-07" if fb.meldepflicht else "",
            licence_date=date(2019, 7, 1) if fb.meldepflicht else None,
        )
        for title, form_code, rate, count, free in offers:
            form = Betreuungsform.objects.get(fachbereich=fb, code=form_code)
            angebot = angebot_services.create_angebot(
                actor=provider, einrichtung=einrichtung, betreuungsform=form, title=title
            )
            angebot_services.set_entgelt(
                actor=provider,
                angebot=angebot,
                valid_from=start,
                valid_to=None,
                leistungsentgelt=Decimal(rate) - Decimal("30.00"),
                grundleistung=Decimal("22.00"),
                investitionsbetrag=Decimal("8.00"),
                absence_share=fb.absence_share_default,
            )
            angebot_services.add_plaetze(
                actor=provider, angebot=angebot, count=free, valid_from=start, frei_ab=today
            )
            angebot_services.add_plaetze(
                actor=provider, angebot=angebot, count=count - free, valid_from=start
            )
            angebote[title] = (angebot, provider)
    billing.save_rechnungsanschrift(
        actor=None,
        tenant=kreis,
        bezeichnung="Landkreis Musterland, Jugendamt",
        street="Kreishausplatz 1",
        postcode="60311",
        city="Musterstadt",
    )
    _history(kreis, angebote, today)
    _requests(kreis, angebote, today)
    _meldung(angebote, today)


# Youth-welfare offers whose free places had residents earlier this year.
HISTORY_OFFERS = (
    "Regelwohngruppe",
    "Inobhutnahme-Gruppe",
    "Mutter/Vater-Kind-Wohnen",
    "Intensivgruppe",
    "Gruppe nach § 35a",
)
ENDINGS = [
    Belegung.Endegrund.PLANMAESSIG,
    Belegung.Endegrund.PLANMAESSIG,
    Belegung.Endegrund.RUECKFUEHRUNG,
    Belegung.Endegrund.RUECKFUEHRUNG,
    Belegung.Endegrund.WECHSEL,
    Belegung.Endegrund.VOLLJAEHRIGKEIT,
    Belegung.Endegrund.ABBRUCH,
]


def _history(kreis: Mandant, angebote: dict[str, Any], today: date) -> None:
    """Placements of this year that have ended, one after another on each free place, all
    through the services (request, hold, confirmation, end with a reason), so that the
    statistics pages show begun and ended Belegungen, occupancy and costs by month. They
    end 45 days before today at the latest, before the running demo Belegung begins."""
    caseworker = User.objects.get(username="sb.jugendamt")
    region = Region.objects.get(name="Musterstadt")
    rng = random.Random(2026)
    last_day = today - timedelta(days=45)
    for title in HISTORY_OFFERS:
        angebot, provider = angebote[title]
        einrichtung = angebot.einrichtung
        places = list(
            Platz.objects.for_tenant(angebot.tenant_id).filter(angebot=angebot, frei_ab=today)
        )
        for platz in places:
            beginn = date(today.year, 1, 5) + timedelta(days=rng.randint(0, 20))
            while True:
                ende = beginn + timedelta(days=rng.randint(14, 90))
                if ende > last_day:
                    break
                gesuch = gesuch_services.create_gesuch(
                    actor=caseworker,
                    tenant=kreis,
                    betreuungsform=angebot.betreuungsform,
                    alter=rng.randint(max(einrichtung.age_min, 0), min(einrichtung.age_max, 17)),
                    geschlecht=rng.choice("wmwmwmwmwd"),  # one in ten divers
                    ab_datum=beginn,
                    region=region,
                )
                hold = belegung_services.reserve(actor=caseworker, gesuch=gesuch, platz=platz)
                belegung = belegung_services.confirm(
                    actor=provider, tenant=angebot.tenant, reservierung_id=hold.pk, beginn=beginn
                )
                belegung_services.end_belegung(
                    actor=provider,
                    tenant=angebot.tenant,
                    belegung=belegung,
                    ende=ende,
                    grund=rng.choice(ENDINGS),
                )
                beginn = ende + timedelta(days=rng.randint(3, 25))
            angebot_services.set_frei(actor=provider, platz=platz, frei_ab=today)


def _requests(kreis: Mandant, angebote: dict[str, Any], today: date) -> None:
    caseworker = User.objects.get(username="sb.jugendamt")
    region = Region.objects.get(name="Musterstadt")
    heim = Betreuungsform.objects.get(code="heim-34")
    trauma = Merkmal.objects.filter(code="trauma", fachbereich=heim.fachbereich)
    placed = gesuch_services.create_gesuch(
        actor=caseworker,
        tenant=kreis,
        betreuungsform=heim,
        alter=14,
        geschlecht="m",
        ab_datum=today - timedelta(days=40),
        region=region,
    )
    angebot, provider = angebote["Regelwohngruppe"]
    hold = belegung_services.reserve(
        actor=caseworker, gesuch=placed, angebot=angebot, now=timezone.now()
    )
    belegung = belegung_services.confirm(
        actor=provider,
        tenant=angebot.tenant,
        reservierung_id=hold.pk,
        beginn=today - timedelta(days=38),
    )
    # A weekend at home, recorded before billing so the invoice already knows it.
    away = today - timedelta(days=3)
    belegung_services.record_abwesenheit(
        actor=provider, belegung=belegung, von=away, bis=away, grund="Heimfahrt zum Wochenende"
    )
    # Last month is billed: a valid XRechnung waits in the youth office's Rechnungseingang.
    last_month = (today.replace(day=1) - timedelta(days=1)).replace(day=1)
    nachweis = billing.compute_nachweis(actor=provider, belegung=belegung, monat=last_month)
    billing.confirm_nachweis(actor=provider, nachweis=nachweis)
    rechnung = billing.create_rechnung(actor=provider, nachweis=nachweis)
    billing.send_rechnung(actor=provider, rechnung=rechnung)
    waiting = gesuch_services.create_gesuch(
        actor=caseworker,
        tenant=kreis,
        betreuungsform=heim,
        alter=11,
        geschlecht="w",
        ab_datum=today + timedelta(days=3),
        region=region,
        merkmale=trauma,
    )
    intensiv, _ = angebote["Intensivgruppe"]
    belegung_services.reserve(actor=caseworker, gesuch=waiting, angebot=intensiv)
    # The Kreis pays one Inobhutnahme place every day, occupied or not (Vorhalteplatz).
    inobhut, provider = angebote["Inobhutnahme-Gruppe"]
    angebot_services.add_plaetze(
        actor=provider,
        angebot=inobhut,
        count=1,
        valid_from=date(today.year, 1, 1),
        standby_jugendamt=kreis,
        label_prefix="Vorhalteplatz",
    )


def _meldung(angebote: dict[str, Any], today: date) -> None:
    angebot, provider = angebote["Regelwohngruppe"]
    meldungen.file_meldung(
        actor=provider,
        tenant=angebot.tenant,
        einrichtung=angebot.einrichtung,
        art="vorkommnis",
        ereignis_datum=today - timedelta(days=1),
        betreff="Wasserschaden im Gruppenhaus",
        inhalt=(
            "Nach einem Rohrbruch sind zwei Zimmer der Regelwohngruppe bis voraussichtlich "
            "Monatsende nicht bewohnbar. Die betroffenen Jugendlichen sind in der "
            "Inobhutnahme-Gruppe untergebracht; die Aufsicht ist durchgehend gewährleistet."
        ),
    )
