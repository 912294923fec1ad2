"""The letters of the Posteingang corpus: what a Jobcenter receives, set as pages
(:mod:`benchmarks._inbox_satz`), with the identifiers a real letter of that kind carries.

Every name, address, number and institution is made up. Kinds (codes as in
``koffer.inbox.verarbeitung.dokumentart``): Lohnabrechnung, Mietbescheinigung (the
Jobcenter's form, filled in by the landlord), Arbeitsunfähigkeitsbescheinigung,
Widerspruch (by the person, sometimes by hand, or by a lawyer), letter of the
Sozialgericht, Weiterbewilligungsantrag (the Jobcenter's form, often filled in by hand),
Kontoauszug, and sonstiges (a change of circumstances, a reply form, a cover letter for
papers sent later, or a circular that concerns nobody).
"""

from __future__ import annotations

import random
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from benchmarks._inbox_satz import PAGE_W, Box, Element, Qr, Rule, Satz, Text, width_mm
from koffer.formats import MONTH_NAMES, euro, german_date, month_label

KINDS = (
    "lohnabrechnung",
    "mietbescheinigung",
    "arbeitsunfaehigkeit",
    "widerspruch",
    "gerichtsschreiben",
    "antrag",
    "kontoauszug",
    "sonstiges",
)

JOBCENTER = (
    "Jobcenter Landkreis Musterland",
    "Leistungsabteilung",
    "Am Markt 5",
    "12345 Musterstadt",
)
STREETS = (
    "Hauptstraße",
    "Bahnhofstraße",
    "Lindenweg",
    "Am Mühlbach",
    "Goethestraße",
    "Schulstraße",
    "Gartenstraße",
    "Birkenallee",
    "Kirchplatz",
    "Friedhofsweg",
    "Rosenstraße",
    "Am Sportplatz",
)
CITIES = (
    ("12345", "Musterstadt"),
    ("12347", "Musterstadt"),
    ("12389", "Beispielhausen"),
    ("12391", "Neudorf"),
    ("12402", "Altenburg am See"),
    ("12410", "Kleinfelde"),
)


@dataclass(frozen=True)
class Persona:
    """A person as the records know them (or as a letter prints them)."""

    family_name: str
    given_names: str
    birth_date: date | None
    birth_name: str = ""
    street: str = ""
    postal_code: str = ""
    city: str = ""

    @property
    def name(self) -> str:
        return f"{self.given_names} {self.family_name}"


@dataclass(frozen=True)
class Fall:
    """An open Akte a letter may refer to: its persons (the first applies), BG and
    Vorgänge. ``variante`` says what makes it hard to match: "" none, "gleicher_name"
    (another Akte's person has the same name, another birth date), "geburtsname" (the
    person's family name changed, some senders still use the birth name), "umlaut"
    (the name has ä/ö/ü/ß or ae/oe/ue/ss, letters spell it the other way)."""

    akte_id: uuid.UUID
    aktenzeichen: str
    bg_nummer: str | None
    kundennummer: str
    persons: tuple[Persona, ...]
    vorgang_ids: tuple[uuid.UUID, ...] = ()
    variante: str = ""
    seeded: bool = False


@dataclass(frozen=True)
class Bezug:
    """Whom a letter is about and which identifiers it prints."""

    person: Persona  # as printed (spelling variants applied)
    fall: Fall | None  # None: a person the Jobcenter does not know
    geburt: bool = False
    bg: bool = False
    az: bool = False
    kdnr: bool = False
    notiz: bool = False  # the person wrote the BG-Nummer on top by hand
    antwortcode: str | None = None
    anonym: bool = False  # a circular: no person at all


@dataclass
class Schreiben:
    """One letter being written: the layout, and what it printed."""

    rng: random.Random
    bezug: Bezug
    on: date
    hand: bool
    satz: Satz
    merkmale: set[str] = field(default_factory=set)
    absender: str = ""
    gerichtsaktenzeichen: str | None = None

    @property
    def fall(self) -> Fall | None:
        return self.bezug.fall

    @property
    def p(self) -> Persona:
        return self.bezug.person

    def fill(self) -> str:
        """The font filled-in fields of a form are written in."""
        return "hand" if self.hand else "sans"

    def mark(self, *names: str) -> None:
        self.merkmale.update(names)


@dataclass(frozen=True)
class Brief:
    kind: str
    pages: list[list[Element]]
    absender: str
    datum: date
    personen: tuple[Persona, ...]
    merkmale: tuple[str, ...]
    gerichtsaktenzeichen: str | None
    handschrift: bool
    antwortcode: str | None


def write(kind: str, *, rng: random.Random, bezug: Bezug, on: date, hand: bool) -> Brief:
    """The letter of ``kind`` about ``bezug`` dated ``on``."""
    s = Schreiben(rng=rng, bezug=bezug, on=on, hand=hand, satz=Satz(rng))
    WRITERS[kind](s)
    if bezug.notiz and bezug.fall is not None and bezug.fall.bg_nummer:
        _note_on_top(s, f"BG-Nr. {bezug.fall.bg_nummer}")
    if bezug.antwortcode:
        s.mark("antwortcode")
    s.satz.footers()
    printed = () if bezug.anonym else (bezug.person,)
    return Brief(
        kind=kind,
        pages=s.satz.pages,
        absender=s.absender,
        datum=on,
        personen=printed,
        merkmale=tuple(sorted(s.merkmale)),
        gerichtsaktenzeichen=s.gerichtsaktenzeichen,
        handschrift=hand or "handnotiz" in s.merkmale,
        antwortcode=bezug.antwortcode,
    )


# --- Pieces every letter uses ----------------------------------------------------------------


def _note_on_top(s: Schreiben, text: str) -> None:
    """What the Jobcenter asks for: the BG-Nummer written on every paper sent in."""
    s.satz.pages[0].extend(_hand_words(s, 100.0, 3.0, text, 14.0))
    s.mark("bg_nummer", "handnotiz")


def _hand_words(s: Schreiben, x: float, y: float, text: str, size: float) -> list[Element]:
    scratch = Satz(s.rng)
    scratch.hand(x, y, text, size)
    return scratch.pages[0]


def _sender_line(s: Schreiben, text: str) -> None:
    s.satz.text(20, 47, text, "sans", 7)
    s.satz.add(Rule(20, 51, 105, 51, 0.15))


def _address(s: Schreiben, lines: tuple[str, ...], *, font: str = "sans", y: float = 55) -> None:
    size = 13.0 if font == "hand" else 10.5
    step = 6.2 if font == "hand" else 4.6
    for n, line in enumerate(lines):
        s.satz.text(20, y + n * step, line, font, size)


def _to_jobcenter(s: Schreiben, *, font: str = "sans") -> None:
    _address(s, JOBCENTER, font=font)


def _person_address(p: Persona) -> tuple[str, ...]:
    return (p.name, p.street, f"{p.postal_code} {p.city}")


def _info(s: Schreiben, rows: list[tuple[str, str]], *, y: float = 50, x: float = 125) -> None:
    """The information block beside the address window (labels small, values normal)."""
    for label, value in rows:
        s.satz.text(x, y, label, "sans", 7.5)
        s.satz.text(x + 32, y - 0.5, value, "sans", 9.5)
        y += 4.8


def _ids_rows(s: Schreiben, *, kdnr_label: str = "Kundennummer") -> list[tuple[str, str]]:
    """The Jobcenter identifiers the sender took from its last letter."""
    f, b = s.fall, s.bezug
    rows: list[tuple[str, str]] = []
    if f is None:
        return rows
    if b.bg and f.bg_nummer:
        rows.append(("BG-Nummer", f.bg_nummer))
        s.mark("bg_nummer")
    if b.az:
        rows.append(("Aktenzeichen", f.aktenzeichen))
        s.mark("aktenzeichen")
    if b.kdnr:
        rows.append((kdnr_label, f.kundennummer))
        s.mark("kundennummer")
    return rows


def _birth(s: Schreiben) -> str | None:
    """The birth date as printed, when the letter prints it."""
    if s.bezug.geburt and s.p.birth_date is not None:
        s.mark("name_geburtsdatum")
        return german_date(s.p.birth_date)
    s.mark("name")
    return None


def _subject(s: Schreiben, text: str, *, font: str = "sans-bold", size: float = 11) -> None:
    s.satz.y = max(s.satz.y, 100.0)
    if font == "hand":
        s.satz.line(text, font="hand", size=14)
    else:
        s.satz.para(text, font=font, size=size, after=4)


def _letterhead(s: Schreiben, name: str, lines: tuple[str, ...], *, font: str = "sans") -> None:
    bold = "serif-bold" if font == "serif" else "sans-bold"
    s.satz.text(20, 14, name, bold, 15)
    for n, line in enumerate(lines):
        s.satz.text(20, 22 + n * 3.8, line, font, 8.5)
    s.satz.add(Rule(20, 22 + len(lines) * 3.8 + 1.5, 190, 22 + len(lines) * 3.8 + 1.5, 0.4))
    s.absender = name


def _place_date(s: Schreiben, city: str, *, font: str = "sans", y: float = 92) -> None:
    text = f"{city}, {german_date(s.on)}"
    if font == "hand":
        s.satz.hand(120, y, text, 13)
    else:
        s.satz.right(190, y, text, "sans", 10)


def _signature(s: Schreiben, name: str, *, role: str = "", typed: bool = True) -> None:
    s.satz.need(26)
    s.satz.line(
        "Mit freundlichen Grüßen", font="hand" if s.hand else "sans", size=13 if s.hand else 10.5
    )
    s.satz.gap(2)
    names = [n for n in name.split() if not n.endswith(".")]
    s.satz.hand(27, s.satz.y, f"{names[0][0]}. {names[-1]}", 17)
    s.satz.y += 10
    if typed:
        s.satz.line(name)
    if role:
        s.satz.line(role, size=9)


def _checkbox(s: Schreiben, x: float, y: float, label: str, ticked: bool) -> None:
    s.satz.add(Box(x, y, 3.5, 3.5, 0.3))
    if ticked:
        s.satz.add(Rule(x + 0.3, y + 0.3, x + 3.2, y + 3.2, 0.5))
        s.satz.add(Rule(x + 3.2, y + 0.3, x + 0.3, y + 3.2, 0.5))
    s.satz.text(x + 5.5, y - 0.2, label, "sans", 9.5)


def _field(s: Schreiben, x: float, y: float, w: float, label: str, value: str) -> None:
    """A form field: a small label, a line, the entry on it (typed or by hand)."""
    s.satz.text(x, y, label, "sans", 7)
    s.satz.add(Rule(x, y + 9, x + w, y + 9, 0.25))
    if value:
        font = s.fill()
        s.satz.text(
            x + 1.5, y + (2.8 if font == "hand" else 4.0), value, font, 13 if font == "hand" else 10
        )


def _form_header(s: Schreiben, title: str, subtitle: str) -> None:
    """A Jobcenter form: its header, and the reply code when koffer printed it."""
    s.satz.text(20, 14, JOBCENTER[0], "sans-bold", 11)
    s.satz.text(20, 20, "Am Markt 5 · 12345 Musterstadt · Telefon 01234 567-0", "sans", 8)
    if s.bezug.antwortcode:
        s.satz.add(Qr(160, 5, 32, s.bezug.antwortcode))
    s.satz.text(20, 32, title, "sans-bold", 14)
    s.satz.text(20, 39, subtitle, "sans", 9)
    s.satz.add(Rule(20, 44, 190, 44, 0.5))
    s.absender = s.p.name if not s.bezug.anonym else JOBCENTER[0]


def _money(rng: random.Random, low: int, high: int) -> Decimal:
    return Decimal(rng.randrange(low * 100, high * 100)) / 100


# --- The kinds -------------------------------------------------------------------------------

EMPLOYERS = (
    ("Bäckerei Schulte GmbH", "Mühlenweg 3", "12345 Musterstadt", "Verkäuferin/Verkäufer"),
    (
        "Logistikzentrum Nord GmbH & Co. KG",
        "Industriestraße 40",
        "12389 Beispielhausen",
        "Lagerhelfer/in",
    ),
    ("Pflegedienst Lebensfreude gGmbH", "Lindenplatz 1", "12345 Musterstadt", "Pflegehelfer/in"),
    (
        "Gebäudereinigung Blitzblank GmbH",
        "Gewerbering 12",
        "12402 Altenburg am See",
        "Reinigungskraft",
    ),
    ("Frischmarkt Möller KG", "Marktstraße 8", "12391 Neudorf", "Kassierer/in"),
    ("ProPersonal Zeitarbeit GmbH", "Bahnhofsplatz 2", "12345 Musterstadt", "Produktionshelfer/in"),
    ("Hotel zur Post", "Postgasse 5", "12410 Kleinfelde", "Servicekraft"),
)


def lohnabrechnung(s: Schreiben) -> None:
    name, street, city, job = s.rng.choice(EMPLOYERS)
    months = s.rng.choice((1, 1, 1, 2, 3))
    first = date(s.on.year, s.on.month, 1)
    hourly = _money(s.rng, 12, 17)
    personnel = f"{s.rng.randrange(1, 9999):05d}"
    for n in range(months):
        if n:
            s.satz.new_page()
        month = first
        for _ in range(months - n):
            month = (month - timedelta(days=1)).replace(day=1)
        _payslip(s, name, street, city, job, month, hourly, personnel)


def _payslip(
    s: Schreiben,
    employer: str,
    street: str,
    city: str,
    job: str,
    month: date,
    hourly: Decimal,
    personnel: str,
) -> None:
    _letterhead(s, employer, (f"{street} · {city}", "Personalabteilung · Lohnbuchhaltung"))
    _sender_line(s, f"{employer} · {street} · {city}")
    _address(s, _person_address(s.p))
    rows = [("Personal-Nr.", personnel), ("Abrechnung", month_label(month))]
    birth = _birth(s)
    if birth:
        rows.append(("Geburtsdatum", birth))
    rows += [("Steuerklasse", s.rng.choice(("I", "II", "III", "IV", "V"))), ("Tätigkeit", job)]
    _info(s, rows)
    s.satz.y = 96
    s.satz.line(f"Verdienstabrechnung {month_label(month)}", font="sans-bold", size=12)
    s.satz.gap(2)
    hours = Decimal(s.rng.randrange(40, 160))
    gross = (hours * hourly).quantize(Decimal("0.01"))
    extra = _money(s.rng, 0, 120) if s.rng.random() < 0.5 else Decimal(0)
    total = gross + extra
    tax = (total * Decimal("0.06")).quantize(Decimal("0.01")) if total > 1200 else Decimal(0)
    kv = (total * Decimal("0.0875")).quantize(Decimal("0.01"))
    rv = (total * Decimal("0.093")).quantize(Decimal("0.01"))
    av = (total * Decimal("0.013")).quantize(Decimal("0.01"))
    pv = (total * Decimal("0.018")).quantize(Decimal("0.01"))
    net = total - tax - kv - rv - av - pv
    table = [
        ("Lohnart", "Bezeichnung", "Betrag", "sans-bold"),
        ("1000", f"Stundenlohn {hours} Std. à {euro(hourly)}", euro(gross), "sans"),
    ]
    if extra:
        table.append(("1210", "Zuschlag Sonn-/Feiertag", euro(extra), "sans"))
    table += [
        ("", "Gesamtbrutto", euro(total), "sans-bold"),
        ("", "Lohnsteuer", euro(tax), "sans"),
        ("", "Solidaritätszuschlag", euro(0), "sans"),
        ("", "Krankenversicherung", euro(kv), "sans"),
        ("", "Rentenversicherung", euro(rv), "sans"),
        ("", "Arbeitslosenversicherung", euro(av), "sans"),
        ("", "Pflegeversicherung", euro(pv), "sans"),
        ("", "Nettoverdienst", euro(net), "sans-bold"),
        ("", "Auszahlungsbetrag", euro(net), "sans-bold"),
    ]
    for code, label, amount, font in table:
        s.satz.text(25, s.satz.y, code, font, 10)
        s.satz.text(45, s.satz.y, label, font, 10)
        s.satz.right(185, s.satz.y, amount, font, 10)
        s.satz.y += 5.6
        if label in {"Bezeichnung", "Gesamtbrutto", "Pflegeversicherung"}:
            s.satz.add(Rule(25, s.satz.y - 1.2, 185, s.satz.y - 1.2, 0.2))
    s.satz.gap(4)
    s.satz.para(
        f"Der Auszahlungsbetrag wird am {german_date(month.replace(day=28))} auf Ihr Konto "
        f"überwiesen. Urlaubsanspruch {s.rng.randrange(10, 28)} Tage, davon genommen "
        f"{s.rng.randrange(0, 10)} Tage.",
        size=9,
    )


LANDLORDS = (
    ("Wohnungsbaugenossenschaft Musterland eG", "Genossenschaftsweg 1, 12345 Musterstadt"),
    ("Hausverwaltung Krämer & Söhne", "Kirchgasse 14, 12389 Beispielhausen"),
    ("Immobilien Becker GbR", "Am Stadtpark 9, 12345 Musterstadt"),
    ("Gerhard Lange", "Feldweg 22, 12391 Neudorf"),
)


def mietbescheinigung(s: Schreiben) -> None:
    _form_header(s, "Mietbescheinigung", "zur Vorlage beim Jobcenter – vom Vermieter auszufüllen")
    landlord, landlord_address = s.rng.choice(LANDLORDS)
    s.absender = landlord
    birth = _birth(s)
    rows = _ids_rows(s)
    y = 50.0
    for label, value in rows:
        _field(s, 20, y, 80, label, value)
        y += 12
    _field(
        s,
        20,
        y,
        80,
        "Name, Vorname der Mieterin / des Mieters",
        f"{s.p.family_name}, {s.p.given_names}",
    )
    _field(s, 110, y, 80, "Geburtsdatum", birth or "")
    y += 12
    _field(s, 20, y, 170, "Anschrift der Wohnung", f"{s.p.street}, {s.p.postal_code} {s.p.city}")
    y += 14
    area = Decimal(s.rng.randrange(350, 950)) / 10
    rent = _money(s.rng, 280, 620)
    costs = _money(s.rng, 60, 180)
    heat = _money(s.rng, 40, 130)
    begin = date(s.rng.randrange(2008, s.on.year), s.rng.randrange(1, 13), 1)
    _field(s, 20, y, 50, "Wohnfläche", f"{str(area).replace('.', ',')} m²")
    _field(s, 80, y, 40, "Zimmer", str(s.rng.randrange(1, 5)))
    _field(s, 130, y, 60, "Mietbeginn", german_date(begin))
    y += 16
    s.satz.text(20, y, "Monatliche Miete", "sans-bold", 10.5)
    y += 7
    for item, amount in (
        ("Grundmiete (Kaltmiete)", rent),
        ("Vorauszahlung Betriebskosten", costs),
        ("Vorauszahlung Heizkosten", heat),
        ("Gesamtmiete", rent + costs + heat),
    ):
        s.satz.text(25, y, item, "sans", 10)
        s.satz.right(150, y + (-1 if s.hand else 0), euro(amount), s.fill(), 12 if s.hand else 10)
        s.satz.add(Rule(110, y + 5.5, 152, y + 5.5, 0.2))
        y += 8
    y += 4
    s.satz.text(20, y, "Warmwasser wird bereitet über", "sans", 10)
    central = s.rng.random() < 0.6
    _checkbox(s, 80, y + 0.5, "die Heizung (zentral)", central)
    _checkbox(s, 130, y + 0.5, "Durchlauferhitzer/Boiler", not central)
    y += 12
    _field(
        s,
        20,
        y,
        170,
        "Vermieterin / Vermieter (Name, Anschrift)",
        f"{landlord}, {landlord_address}",
    )
    y += 14
    iban = "DE" + "".join(str(s.rng.randrange(10)) for _ in range(20))
    _field(
        s,
        20,
        y,
        170,
        "Die Miete ist zu zahlen auf das Konto (IBAN)",
        " ".join(iban[i : i + 4] for i in range(0, 22, 4)),
    )
    s.satz.y = y + 16
    s.satz.para(
        "Ich versichere, dass die Angaben richtig und vollständig sind. Mir ist bekannt, dass "
        "das Jobcenter die Angaben überprüfen kann.",
        size=9,
    )
    s.satz.y += 12
    s.satz.hand(25, s.satz.y, f"{s.p.city or 'Musterstadt'}, {german_date(s.on)}", 13)
    s.satz.hand(120, s.satz.y, s.rng.choice(("Lange", "Krämer", "Becker", "Albers", "Nowak")), 17)
    s.satz.y += 9
    s.satz.add(Rule(20, s.satz.y, 90, s.satz.y, 0.2), Rule(115, s.satz.y, 190, s.satz.y, 0.2))
    s.satz.text(20, s.satz.y + 1.5, "Ort, Datum", "sans", 7)
    s.satz.text(115, s.satz.y + 1.5, "Unterschrift Vermieter/in, Stempel", "sans", 7)


DOCTORS = (
    (
        "Dr. med. Ulrike Brandt",
        "Fachärztin für Allgemeinmedizin",
        "Praxis am Markt, Markt 2, 12345 Musterstadt",
    ),
    (
        "Dr. med. Peter Vogt",
        "Facharzt für Innere Medizin",
        "Bahnhofstraße 17, 12389 Beispielhausen",
    ),
    (
        "Gemeinschaftspraxis Dr. Yıldız und Dr. Hansen",
        "Orthopädie",
        "Lindenweg 3, 12402 Altenburg am See",
    ),
)
INSURERS = ("AOK Musterland", "Techniker Krankenkasse", "BARMER", "DAK-Gesundheit", "IKK classic")


def arbeitsunfaehigkeit(s: Schreiben) -> None:
    doctor, field_, address = s.rng.choice(DOCTORS)
    s.absender = doctor
    insurer = s.rng.choice(INSURERS)
    satz = s.satz
    satz.add(Box(15, 12, 180, 128, 0.4))
    satz.text(20, 15, insurer, "sans-bold", 11)
    satz.text(130, 15, "Arbeitsunfähigkeits-", "sans-bold", 12)
    satz.text(130, 21, "bescheinigung", "sans-bold", 12)
    satz.text(130, 28, "Ausfertigung zur Vorlage beim Jobcenter", "sans", 7.5)
    birth = _birth(s) or ""
    satz.text(20, 24, "Name, Vorname des Versicherten", "sans", 7)
    satz.text(20, 28, f"{s.p.family_name}, {s.p.given_names}", "mono", 10)
    satz.text(95, 24, "geb. am", "sans", 7)
    satz.text(95, 28, birth, "mono", 10)
    satz.text(20, 34, f"{s.p.street}", "mono", 10)
    satz.text(20, 39, f"{s.p.postal_code} {s.p.city}", "mono", 10)
    satz.text(20, 46, "Kostenträgerkennung", "sans", 7)
    satz.text(20, 50, f"10{s.rng.randrange(1000000, 9999999)}", "mono", 10)
    satz.text(60, 46, "Versicherten-Nr.", "sans", 7)
    letter = s.p.family_name[:1].upper() if s.p.family_name[:1].isalpha() else "A"
    satz.text(60, 50, f"{letter}{s.rng.randrange(100000000, 999999999)}", "mono", 10)
    satz.text(20, 56, "Betriebsstätten-Nr.", "sans", 7)
    satz.text(20, 60, f"{s.rng.randrange(100000000, 999999999)}", "mono", 10)
    satz.text(60, 56, "Arzt-Nr.", "sans", 7)
    satz.text(60, 60, f"{s.rng.randrange(100000000, 999999999)}", "mono", 10)
    first = s.rng.random() < 0.7
    satz.y = 70
    _checkbox(s, 20, 70, "Erstbescheinigung", first)
    _checkbox(s, 70, 70, "Folgebescheinigung", not first)
    _checkbox(s, 125, 70, "Arbeitsunfall, Arbeitsunfallfolgen", False)
    since = s.on - timedelta(days=s.rng.randrange(0, 4))
    until = since + timedelta(days=s.rng.randrange(3, 21))
    for n, (label, value) in enumerate(
        (
            ("arbeitsunfähig seit", german_date(since)),
            ("voraussichtlich arbeitsunfähig bis einschließlich", german_date(until)),
            ("festgestellt am", german_date(s.on)),
        )
    ):
        satz.text(20, 82 + n * 9, label, "sans", 9)
        satz.text(110, 82 + n * 9, value, "mono", 11)
    satz.text(20, 112, "AU-begründende Diagnose(n) (ICD-10)", "sans", 7)
    satz.text(
        20, 116, s.rng.choice(("J06.9 G", "M54.5 G", "K52.9 G", "F43.2 G", "S93.4 G")), "mono", 10
    )
    satz.add(Box(125, 104, 65, 32, 0.3))
    satz.text(127, 106, doctor, "sans-bold", 7.5)
    satz.text(127, 110, field_, "sans", 7.5)
    satz.text(127, 114, address, "sans", 6.5)
    satz.hand(135, 123, doctor.split()[-1], 16)
    satz.text(127, 131, "Vertragsarztstempel / Unterschrift des Arztes", "sans", 6)


# Reasons of an objection: as the person writes them, and as their lawyer does.
REASONS = (
    (
        "Die Kosten der Unterkunft wurden nicht in voller Höhe berücksichtigt. Meine tatsächliche "
        "Miete beträgt {miete}, anerkannt wurden nur {anerkannt}. Eine Aufforderung zur Senkung "
        "der Kosten habe ich nie erhalten.",
        "Die Kosten der Unterkunft wurden nicht in voller Höhe berücksichtigt. Die tatsächliche "
        "Miete beträgt {miete}, anerkannt wurden nur {anerkannt}. Eine Kostensenkungsaufforderung "
        "ist nie ergangen.",
    ),
    (
        "Das Einkommen aus meiner Beschäftigung wurde zu hoch angerechnet. Sie haben den "
        "Bruttolohn statt des Nettolohns zugrunde gelegt und den Freibetrag nicht abgezogen.",
        "Das Erwerbseinkommen wurde zu hoch angerechnet: Zugrunde gelegt wurde der Bruttolohn "
        "statt des Nettolohns, der Freibetrag nach § 11b SGB II fehlt.",
    ),
    (
        "Der Mehrbedarf für Alleinerziehende wurde nicht gewährt, obwohl meine Tochter seit "
        "Jahren bei mir lebt und ich sie allein erziehe.",
        "Der Mehrbedarf für Alleinerziehende nach § 21 Abs. 3 SGB II wurde nicht gewährt, obwohl "
        "die Tochter unserer Mandantin seit Jahren allein von ihr erzogen wird.",
    ),
    (
        "Die Rückforderung von {anerkannt} ist nicht nachvollziehbar. Ich habe alle Änderungen "
        "rechtzeitig mitgeteilt und die Nachweise persönlich abgegeben.",
        "Die Rückforderung von {anerkannt} ist nicht nachvollziehbar. Alle Änderungen wurden "
        "rechtzeitig mitgeteilt und belegt; Vertrauensschutz nach § 45 SGB X besteht.",
    ),
    (
        "Die Heizkostennachzahlung laut Abrechnung des Vermieters wurde nicht übernommen, obwohl "
        "sie im Monat der Fälligkeit zum Bedarf gehört.",
        "Die Heizkostennachzahlung aus der Abrechnung des Vermieters wurde nicht übernommen, "
        "obwohl sie im Monat ihrer Fälligkeit zum Bedarf gehört.",
    ),
    (
        "Die Leistungsminderung ist rechtswidrig. Ich konnte den Termin wegen Krankheit nicht "
        "wahrnehmen; die Arbeitsunfähigkeitsbescheinigung habe ich am selben Tag eingereicht.",
        "Die Leistungsminderung ist rechtswidrig. Für das Versäumen des Termins lag ein wichtiger "
        "Grund vor; die Arbeitsunfähigkeitsbescheinigung wurde am selben Tag eingereicht.",
    ),
)
# name, specialism, address, who signs
LAWYERS = (
    (
        "Rechtsanwältin Dr. Sabine Roth",
        "Fachanwältin für Sozialrecht",
        "Schlossallee 4 · 12345 Musterstadt",
        "Dr. Sabine Roth",
    ),
    (
        "Kanzlei Hartmann & Aydın",
        "Rechtsanwälte · Sozialrecht · Familienrecht",
        "Domplatz 7 · 12389 Beispielhausen",
        "Cem Aydın",
    ),
)


def widerspruch(s: Schreiben) -> None:
    bescheid = s.on - timedelta(days=s.rng.randrange(5, 28))
    reasons = s.rng.sample(REASONS, k=s.rng.choice((1, 2, 2, 3)))
    values = {"miete": euro(_money(s.rng, 450, 700)), "anerkannt": euro(_money(s.rng, 300, 440))}
    if not s.hand and s.rng.random() < 0.3:
        _widerspruch_by_lawyer(s, bescheid, reasons, values)
        return
    font = "hand" if s.hand else "sans"
    s.absender = s.p.name
    top = 14.0
    for n, line in enumerate(_person_address(s.p)):
        s.satz.text(20, top + n * (6.5 if s.hand else 4.6), line, font, 13 if s.hand else 10.5)
    _to_jobcenter(s, font=font)
    _place_date(s, s.p.city or "Musterstadt", font=font)
    s.satz.y = 102
    _subject(
        s,
        f"Widerspruch gegen den Bescheid vom {german_date(bescheid)}",
        font="hand" if s.hand else "sans-bold",
    )
    birth = _birth(s)
    ids = [f"{label}: {value}" for label, value in _ids_rows(s)]
    if birth:
        ids.append(f"geb. am {birth}")
    for row in ids:
        s.satz.line(row, font=font, size=13 if s.hand else 10.5)
    s.satz.gap(4)
    size = 13.0 if s.hand else 10.5
    s.satz.para("Sehr geehrte Damen und Herren,", font=font, size=size)
    s.satz.para(
        f"hiermit lege ich gegen Ihren Bescheid vom {german_date(bescheid)} fristgerecht "
        "Widerspruch ein.",
        font=font,
        size=size,
    )
    s.satz.para("Begründung:", font=font, size=size, after=1)
    for reason, _ in reasons:
        s.satz.para(reason.format(**values), font=font, size=size)
    s.satz.para(
        "Ich bitte Sie, den Bescheid aufzuheben und mir einen neuen Bescheid zu erteilen. "
        "Bitte bestätigen Sie mir den Eingang dieses Widerspruchs.",
        font=font,
        size=size,
    )
    _signature(s, s.p.name, typed=not s.hand)


def _widerspruch_by_lawyer(
    s: Schreiben, bescheid: date, reasons: list[tuple[str, str]], values: dict[str, str]
) -> None:
    name, title, address, signer = s.rng.choice(LAWYERS)
    _letterhead(s, name, (title, address, "Telefon 01234 98765 · kanzlei@example.org"))
    _sender_line(s, f"{name} · {address}")
    _to_jobcenter(s)
    rows = [("Unser Zeichen", f"{s.rng.randrange(10, 999)}/{s.on:%y} SR")]
    rows += _ids_rows(s)
    _info(s, rows)
    _place_date(s, address.split()[-1])
    s.satz.y = 102
    birth = _birth(s)
    about = f"{s.p.name}" + (f", geb. {birth}" if birth else "")
    _subject(s, f"Widerspruch gegen den Bescheid vom {german_date(bescheid)} – {about}")
    s.satz.para("Sehr geehrte Damen und Herren,")
    s.satz.para(
        f"wir zeigen an, dass wir {s.p.name} vertreten; eine Vollmacht liegt bei. Namens und in "
        f"Vollmacht unserer Mandantschaft legen wir gegen den Bescheid vom "
        f"{german_date(bescheid)} Widerspruch ein."
    )
    for _, reason in reasons:
        s.satz.para(reason.format(**values))
    s.satz.para(
        "Wir beantragen, den Bescheid aufzuheben, die Kosten des Widerspruchsverfahrens zu "
        "erstatten und die Hinzuziehung eines Bevollmächtigten für notwendig zu erklären. "
        "Zugleich beantragen wir Akteneinsicht nach § 25 SGB X."
    )
    _signature(s, signer, role="Rechtsanwältin" if "Sabine" in signer else "Rechtsanwalt")


COURTS = (
    ("Sozialgericht Musterstadt", "Justizzentrum, Gerichtsstraße 1, 12345 Musterstadt", "S"),
    ("Sozialgericht Beispielhausen", "Schlossplatz 3, 12389 Beispielhausen", "S"),
    ("Landessozialgericht Musterland", "Justizallee 10, 12300 Landeshauptstadt", "L"),
)


def gerichtsschreiben(s: Schreiben) -> None:
    court, address, prefix = s.rng.choice(COURTS)
    chamber = s.rng.randrange(1, 40)
    suffix = s.rng.choice(("", "", "", " ER"))
    number = f"{prefix} {chamber} AS {s.rng.randrange(1, 2000)}/{s.on:%y}{suffix}"
    s.gerichtsaktenzeichen = number
    s.mark("gerichtsaktenzeichen")
    s.satz.text(20, 14, court, "serif-bold", 15)
    s.satz.text(20, 22, address, "serif", 8.5)
    s.satz.add(Rule(20, 27, 190, 27, 0.4))
    s.absender = court
    _sender_line(s, f"{court}, {address}")
    _to_jobcenter(s)
    rows = [("Aktenzeichen", number), ("(bitte stets angeben)", "")]
    if s.fall is not None and s.bezug.az:
        rows.append(("Ihr Zeichen", s.fall.aktenzeichen))
        s.mark("aktenzeichen")
    if s.fall is not None and s.bezug.bg and s.fall.bg_nummer:
        rows.append(("BG-Nummer", s.fall.bg_nummer))
        s.mark("bg_nummer")
    rows.append(("Datum", german_date(s.on)))
    _info(s, rows)
    s.satz.y = 100
    s.satz.line("In dem Rechtsstreit", font="serif", size=11)
    s.satz.line(
        f"{s.p.name}, {s.p.street}, {s.p.postal_code} {s.p.city}", font="serif-bold", size=11
    )
    s.mark("name")
    s.satz.line(
        "– Kläger/in –" if not suffix else "– Antragsteller/in –", x=80, font="serif", size=10
    )
    s.satz.line("gegen", x=90, font="serif", size=11)
    s.satz.line("Jobcenter Landkreis Musterland", font="serif-bold", size=11)
    s.satz.line("– Beklagter –" if not suffix else "– Antragsgegner –", x=80, font="serif", size=10)
    s.satz.gap(4)
    s.satz.para("Sehr geehrte Damen und Herren,", font="serif", size=11)
    received = s.on - timedelta(days=s.rng.randrange(3, 15))
    body = s.rng.choice(
        (
            f"anliegend wird die Klageschrift vom {german_date(received)} mit der Bitte um "
            "Stellungnahme binnen eines Monats übersandt. Die Verwaltungsakte und die "
            "Widerspruchsakte werden vollständig und paginiert erbeten.",
            "in vorbezeichneter Sache wird um Mitteilung gebeten, ob der Rechtsstreit durch "
            "Anerkenntnis oder Vergleich erledigt werden kann. Die Kammer weist darauf hin, "
            "dass die Kosten der Unterkunft nach Aktenlage nicht vollständig berücksichtigt "
            "sein dürften.",
            f"der Termin zur mündlichen Verhandlung wird bestimmt auf den "
            f"{german_date(s.on + timedelta(days=s.rng.randrange(20, 60)))}, 10:30 Uhr, "
            "Sitzungssaal 2. Das persönliche Erscheinen eines Vertreters mit Kenntnis der "
            "Sach- und Rechtslage wird angeordnet.",
        )
    )
    s.satz.para(body, font="serif", size=11)
    if s.rng.random() < 0.5:
        s.satz.para(
            "Es wird gebeten, die Stellungnahme in zweifacher Ausfertigung einzureichen oder "
            "über das besondere elektronische Behördenpostfach zu übermitteln. Fristverlängerung "
            "kann nur aus wichtigem Grund gewährt werden. "
            + "Auf § 106a SGG wird hingewiesen. "
            * s.rng.randrange(1, 3),
            font="serif",
            size=11,
        )
    s.satz.gap(4)
    s.satz.line("Auf Anordnung", font="serif", size=11)
    clerk = s.rng.choice(("Schulze", "Kowalski", "Brandt", "Demir"))
    s.satz.hand(25, s.satz.y + 1, clerk, 15)
    s.satz.y += 9
    s.satz.line(
        f"{clerk}, Justizbeschäftigte/r als Urkundsbeamtin/-beamter der Geschäftsstelle",
        font="serif",
        size=9,
    )
    s.satz.line(
        "Dieses Schreiben wurde maschinell erstellt und ist ohne Unterschrift gültig.",
        font="serif",
        size=8,
    )


# The questions of the WBA form, and what somebody who ticked "ja" writes below.
WBA_TOPICS = (
    (
        "Anschrift oder Wohnung (Umzug, Miete, Nebenkosten)",
        "Die Miete wurde erhöht, das Schreiben des Vermieters liegt bei.",
    ),
    (
        "Personen in der Bedarfsgemeinschaft (Ein- oder Auszug, Geburt)",
        "Mein Sohn ist im letzten Monat ausgezogen.",
    ),
    (
        "Einkommen (Arbeit, Rente, Unterhalt, Kindergeld)",
        "Seit dem 1. arbeite ich 15 Stunden in der Woche, Lohnabrechnung folgt.",
    ),
    ("Vermögen (Konten, Fahrzeuge, Versicherungen)", "Ich habe ein Sparbuch aufgelöst."),
    ("Kranken- und Pflegeversicherung", "Ich bin jetzt bei einer anderen Krankenkasse."),
    (
        "Arbeitsunfähigkeit, Schwangerschaft, Schule oder Ausbildung",
        "Meine Tochter beginnt eine Ausbildung.",
    ),
)


def antrag(s: Schreiben) -> None:
    _form_header(
        s,
        "Weiterbewilligungsantrag (WBA)",
        "Antrag auf Weiterbewilligung der Leistungen zur Sicherung des Lebensunterhalts nach dem SGB II",
    )
    birth = _birth(s)
    y = 50.0
    rows = _ids_rows(s)
    for n, (label, value) in enumerate(rows):
        _field(s, 20 + (n % 2) * 90, y + (n // 2) * 12, 80, label, value)
    y += 12 * ((len(rows) + 1) // 2)
    _field(s, 20, y, 80, "Familienname", s.p.family_name)
    _field(s, 110, y, 80, "Vorname", s.p.given_names)
    y += 12
    _field(s, 20, y, 80, "Geburtsdatum", birth or "")
    _field(
        s,
        110,
        y,
        80,
        "Telefon (freiwillig)",
        f"0{s.rng.randrange(150, 179)} {s.rng.randrange(1000000, 9999999)}"
        if s.rng.random() < 0.5
        else "",
    )
    y += 12
    _field(s, 20, y, 170, "Anschrift", f"{s.p.street}, {s.p.postal_code} {s.p.city}")
    y += 16
    start = (s.on.replace(day=1) + timedelta(days=62)).replace(day=1)
    s.satz.text(
        20, y, f"Ich beantrage die Weiterbewilligung ab {german_date(start)}.", "sans-bold", 10.5
    )
    y += 9
    s.satz.text(20, y, "Haben sich seit der letzten Antragstellung Änderungen ergeben?", "sans", 10)
    y += 7
    changes = []
    for topic, explained in WBA_TOPICS:
        changed = s.rng.random() < 0.2
        if changed:
            changes.append(explained)
        s.satz.text(25, y, topic, "sans", 9.5)
        _checkbox(s, 160, y + 0.4, "ja", changed)
        _checkbox(s, 175, y + 0.4, "nein", not changed)
        y += 7.5
    s.satz.y = y + 4
    s.satz.para(
        "Wenn Sie „ja“ angekreuzt haben, fügen Sie bitte die Nachweise bei und erläutern Sie die "
        "Änderung hier oder auf einem gesonderten Blatt:",
        size=9,
    )
    if changes:
        s.satz.para(" ".join(changes), font=s.fill(), size=12 if s.hand else 10)
    s.satz.new_page()
    s.satz.y = 25
    s.satz.line("Erklärung", font="sans-bold", size=11)
    s.satz.para(
        "Ich versichere, dass die Angaben richtig und vollständig sind. Änderungen, die während "
        "des Leistungsbezugs eintreten, teile ich unverzüglich und unaufgefordert mit (§ 60 SGB I). "
        "Mir ist bekannt, dass zu Unrecht erhaltene Leistungen zu erstatten sind und dass "
        "falsche Angaben als Ordnungswidrigkeit oder Straftat verfolgt werden können.",
        size=10,
    )
    s.satz.para(
        "Datenschutz: Ihre Daten werden nach §§ 67a ff. SGB X erhoben und nur für die "
        "Leistungsgewährung verwendet. Weitere Hinweise finden Sie im Merkblatt Bürgergeld.",
        size=9,
    )
    s.satz.gap(10)
    y = s.satz.y
    s.satz.hand(25, y, f"{s.p.city or 'Musterstadt'}, {german_date(s.on)}", 13)
    s.satz.hand(120, y, s.p.family_name, 18)
    s.satz.add(Rule(20, y + 9, 90, y + 9, 0.2), Rule(115, y + 9, 190, y + 9, 0.2))
    s.satz.text(20, y + 10.5, "Ort, Datum", "sans", 7)
    s.satz.text(115, y + 10.5, "Unterschrift der antragstellenden Person", "sans", 7)
    if s.rng.random() < 0.5:
        s.satz.new_page()
        s.satz.y = 25
        s.satz.line("Anlage: Einkommenserklärung (Anlage EK)", font="sans-bold", size=11)
        s.satz.gap(3)
        for label in (
            "Arbeitgeber",
            "Beschäftigt seit",
            "Wöchentliche Arbeitszeit",
            "Bruttoverdienst monatlich",
        ):
            _field(s, 20, s.satz.y, 170, label, "")
            s.satz.y += 13
        s.satz.para("Bitte fügen Sie die Lohnabrechnungen der letzten sechs Monate bei.", size=9)


BANKS = (
    ("Sparkasse Musterland", "SPMUDE21XXX"),
    ("Volksbank Mittelland eG", "GENODEF1VMT"),
    ("Postbank", "PBNKDEFFXXX"),
)
BOOKINGS = (
    ("Gutschrift", "Jobcenter Landkreis Musterland Leistungen SGB II {monat}", 400, 1100, 1),
    ("Lastschrift", "Stadtwerke Musterstadt Abschlag Strom Vertragskonto {n}", 40, 95, -1),
    ("Dauerauftrag", "Miete {monat} Wohnung {strasse}", 350, 650, -1),
    ("Kartenzahlung", "REWE Markt Musterstadt", 5, 80, -1),
    ("Kartenzahlung", "ALDI Nord Filiale {n}", 5, 60, -1),
    ("Gutschrift", "Familienkasse Kindergeld {monat}", 255, 256, 1),
    ("Lastschrift", "Telekom Deutschland Mobilfunk Kd-Nr. {n}", 10, 40, -1),
    ("Bargeldauszahlung", "Geldautomat Hauptstraße", 20, 100, -1),
    ("Gutschrift", "Lohn/Gehalt {monat} {arbeitgeber}", 200, 900, 1),
    ("Lastschrift", "Rundfunk ARD ZDF DRadio Beitragsnummer {n}", 18, 19, -1),
)


def kontoauszug(s: Schreiben) -> None:
    bank, bic = s.rng.choice(BANKS)
    pages = s.rng.choice((1, 1, 2, 3))
    iban = "DE" + "".join(str(s.rng.randrange(10)) for _ in range(20))
    balance = _money(s.rng, -200, 900)
    number = s.on.month
    month = MONTH_NAMES[(s.on.month - 2) % 12]
    employer = s.rng.choice(EMPLOYERS)[0]
    day = s.on - timedelta(days=30)
    for page in range(pages):
        if page:
            s.satz.new_page()
        s.satz.text(20, 12, bank, "sans-bold", 14)
        s.satz.text(140, 12, f"Kontoauszug {number}/{s.on.year}", "sans-bold", 10)
        s.satz.text(140, 17, f"Blatt {page + 1} von {pages}", "sans", 9)
        if page == 0:
            s.absender = bank
            _sender_line(s, f"{bank} · Postfach 1100 · 12345 Musterstadt")
            _address(s, _person_address(s.p))
            s.mark("name")
            _info(
                s,
                [
                    ("Kontoinhaber", s.p.name),
                    ("IBAN", iban),
                    ("BIC", bic),
                    ("Girokonto", "Privatgirokonto Klassik"),
                ],
            )
            s.satz.y = 98
        else:
            s.satz.y = 28
            s.satz.text(20, 22, f"Kontoinhaber {s.p.name} · IBAN {iban}", "sans", 8)
        s.satz.text(20, s.satz.y, "Buchung", "mono", 9)
        s.satz.text(42, s.satz.y, "Wert", "mono", 9)
        s.satz.text(64, s.satz.y, "Vorgang", "mono", 9)
        s.satz.right(190, s.satz.y, "Betrag EUR", "mono", 9)
        s.satz.add(Rule(20, s.satz.y + 4.5, 190, s.satz.y + 4.5, 0.3))
        s.satz.y += 7
        if page == 0:
            s.satz.text(64, s.satz.y, f"Alter Kontostand vom {german_date(day)}", "mono", 9)
            s.satz.right(190, s.satz.y, _signed(balance), "mono", 9)
            s.satz.y += 6
        for _ in range(s.rng.randrange(8, 16) if pages > 1 else s.rng.randrange(5, 12)):
            if s.satz.y > 255:
                break
            day += timedelta(days=s.rng.randrange(0, 3))
            kind, text, low, high, sign = s.rng.choice(BOOKINGS)
            amount = _money(s.rng, low, high) * sign
            balance += amount
            detail = text.format(
                monat=month,
                n=s.rng.randrange(100000, 999999),
                strasse=s.p.street,
                arbeitgeber=employer,
            )
            s.satz.text(20, s.satz.y, f"{day:%d.%m.}", "mono", 9)
            s.satz.text(42, s.satz.y, f"{day:%d.%m.}", "mono", 9)
            s.satz.text(64, s.satz.y, kind, "mono", 9)
            s.satz.right(190, s.satz.y, _signed(amount), "mono", 9)
            s.satz.text(64, s.satz.y + 4, detail[:58], "mono", 8)
            s.satz.y += 10
        if page == pages - 1:
            s.satz.add(Rule(20, s.satz.y, 190, s.satz.y, 0.3))
            s.satz.y += 2
            s.satz.text(64, s.satz.y, f"Neuer Kontostand vom {german_date(day)}", "mono", 9)
            s.satz.right(190, s.satz.y, _signed(balance), "mono", 9)
        s.satz.text(
            20, 280, f"{bank} · BIC {bic} · Dieser Auszug gilt als Rechnungsabschluss.", "sans", 7
        )


def _signed(amount: Decimal) -> str:
    text = euro(abs(amount)).replace(" €", "")
    return f"{text} {'H' if amount >= 0 else 'S'}"


def sonstiges(s: Schreiben) -> None:
    if s.bezug.anonym:
        _circular(s)
    elif s.bezug.antwortcode:
        _reply_form(s)
    else:
        s.rng.choice((_change_notice, _cover_letter))(s)


def _personal_letter(s: Schreiben, subject: str, paragraphs: list[str]) -> None:
    font = "hand" if s.hand else "sans"
    size = 13.0 if s.hand else 10.5
    s.absender = s.p.name
    for n, line in enumerate(_person_address(s.p)):
        s.satz.text(20, 14 + n * (6.5 if s.hand else 4.6), line, font, size)
    _to_jobcenter(s, font=font)
    _place_date(s, s.p.city or "Musterstadt", font=font)
    s.satz.y = 102
    _subject(s, subject, font="hand" if s.hand else "sans-bold")
    birth = _birth(s)
    rows = [f"{label}: {value}" for label, value in _ids_rows(s)]
    if birth:
        rows.append(f"geb. {birth}")
    for row in rows:
        s.satz.line(row, font=font, size=size)
    s.satz.gap(4)
    s.satz.para("Sehr geehrte Damen und Herren,", font=font, size=size)
    for text in paragraphs:
        s.satz.para(text, font=font, size=size)
    _signature(s, s.p.name, typed=not s.hand)


def _change_notice(s: Schreiben) -> None:
    when = german_date((s.on + timedelta(days=20)).replace(day=1))
    _personal_letter(
        s,
        "Veränderungsmitteilung",
        [
            s.rng.choice(
                (
                    f"hiermit teile ich Ihnen mit, dass ich ab dem {when} eine Teilzeitbeschäftigung "
                    "bei der Firma Frischmarkt Möller KG aufnehme. Der Arbeitsvertrag liegt bei.",
                    f"hiermit teile ich mit, dass ich zum {when} in eine neue Wohnung umziehe. Die "
                    "Zusicherung zu den Aufwendungen der neuen Unterkunft habe ich beantragt.",
                    f"meine Tochter ist zum {when} in eine eigene Wohnung gezogen und gehört ab dann "
                    "nicht mehr zur Bedarfsgemeinschaft.",
                )
            ),
            "Bitte berücksichtigen Sie die Änderung bei der Berechnung meiner Leistungen.",
        ],
    )


def _cover_letter(s: Schreiben) -> None:
    asked = german_date(s.on - timedelta(days=s.rng.randrange(7, 21)))
    _personal_letter(
        s,
        "Nachreichung von Unterlagen",
        [
            f"wie mit Ihrem Schreiben vom {asked} angefordert, übersende ich Ihnen anbei die "
            "fehlenden Unterlagen: "
            + ", ".join(
                s.rng.sample(
                    [
                        "Kontoauszüge der letzten drei Monate",
                        "Mietvertrag",
                        "Nebenkostenabrechnung",
                        "Lohnabrechnungen",
                        "Schulbescheinigung meines Sohnes",
                        "Bescheid der Familienkasse",
                    ],
                    k=3,
                )
            )
            + ".",
            "Sollten noch Unterlagen fehlen, bitte ich um kurze Nachricht.",
        ],
    )


def _reply_form(s: Schreiben) -> None:
    _form_header(s, "Rückmeldebogen", "zu unserem Schreiben – bitte ausgefüllt zurücksenden")
    asked = german_date(s.on - timedelta(days=s.rng.randrange(7, 21)))
    birth = _birth(s)
    y = 50.0
    rows = _ids_rows(s)
    for n, (label, value) in enumerate(rows):
        _field(s, 20 + (n % 2) * 90, y, 80, label, value)
    y += 12 if rows else 0
    _field(s, 20, y, 80, "Name, Vorname", f"{s.p.family_name}, {s.p.given_names}")
    _field(s, 110, y, 80, "Geburtsdatum", birth or "")
    y += 16
    s.satz.y = y
    s.satz.para(
        f"Mit Schreiben vom {asked} haben wir Sie gebeten, uns die folgenden Fragen zu "
        "beantworten. Bitte kreuzen Sie an und senden Sie diesen Bogen im beiliegenden Umschlag "
        "zurück. Der Code oben rechts ordnet Ihre Antwort Ihrer Akte zu.",
        size=10,
    )
    y = s.satz.y + 2
    for question in (
        "Ich nehme den Termin zur Beratung wahr.",
        "Ich bitte um einen anderen Termin.",
        "Die angeforderten Nachweise liegen bei.",
        "Die Nachweise reiche ich bis zum Monatsende nach.",
    ):
        _checkbox(s, 22, y, question, s.rng.random() < 0.4)
        y += 8
    s.satz.y = y + 4
    s.satz.text(20, s.satz.y, "Bemerkungen:", "sans", 9)
    s.satz.y += 6
    s.satz.para(
        s.rng.choice(
            (
                "Ich bin bis zum 20. krankgeschrieben, AU liegt bei.",
                "Bitte rufen Sie mich vormittags an.",
                "Kontoauszüge von Oktober kommen mit der Post.",
            )
        ),
        font="hand",
        size=13,
    )
    s.mark("handnotiz")
    s.satz.gap(8)
    y = s.satz.y
    s.satz.hand(25, y, german_date(s.on), 13)
    s.satz.hand(120, y, s.p.family_name, 18)
    s.satz.add(Rule(20, y + 9, 90, y + 9, 0.2), Rule(115, y + 9, 190, y + 9, 0.2))
    s.satz.text(20, y + 10.5, "Datum", "sans", 7)
    s.satz.text(115, y + 10.5, "Unterschrift", "sans", 7)


def _circular(s: Schreiben) -> None:
    sender = s.rng.choice(
        (
            "Stadtwerke Musterstadt GmbH",
            "Bildungswerk Musterland e.V.",
            "Verlag für Verwaltungsvorschriften",
        )
    )
    _letterhead(s, sender, ("Kundenservice · Postfach 4711 · 12345 Musterstadt",))
    _sender_line(s, f"{sender} · Postfach 4711 · 12345 Musterstadt")
    _to_jobcenter(s)
    _place_date(s, "Musterstadt")
    s.satz.y = 102
    _subject(
        s,
        s.rng.choice(
            (
                "Informationen zur Preisanpassung zum 1. Januar",
                "Unser Seminarprogramm für das erste Halbjahr",
                "Neuauflage: Kommentar zum SGB II",
            )
        ),
    )
    s.satz.para("Sehr geehrte Damen und Herren,")
    s.satz.para(
        "wir möchten Sie heute über Neuerungen informieren, die für Ihre Einrichtung von "
        "Interesse sein können. Bitte leiten Sie dieses Schreiben an die zuständige Stelle weiter. "
        "Ausführliche Informationen finden Sie auf unserer Internetseite."
    )
    s.satz.para(
        "Für Rückfragen steht Ihnen unser Kundenservice montags bis freitags von 8 bis 18 Uhr "
        "zur Verfügung."
    )
    _signature(s, "Kundenservice Team", typed=False)


WRITERS: dict[str, Callable[[Schreiben], None]] = {
    "lohnabrechnung": lohnabrechnung,
    "mietbescheinigung": mietbescheinigung,
    "arbeitsunfaehigkeit": arbeitsunfaehigkeit,
    "widerspruch": widerspruch,
    "gerichtsschreiben": gerichtsschreiben,
    "antrag": antrag,
    "kontoauszug": kontoauszug,
    "sonstiges": sonstiges,
}


def separator() -> list[Element]:
    """A Trennblatt: a big QR code ``KOFFER-TRENNBLATT`` and the word printed large."""
    word = "Trennblatt"
    return [
        Qr(PAGE_W / 2 - 40, 60, 80, "KOFFER-TRENNBLATT"),
        _centred(160, word, "sans-bold", 40),
        _centred(182, "Dieses Blatt trennt zwei Dokumente eines Stapels.", "sans", 12),
        _centred(190, "Es wird beim Posteingang erkannt und nicht abgelegt.", "sans", 12),
    ]


def _centred(y: float, text: str, font: str, size: float) -> Element:
    return Text(PAGE_W / 2 - width_mm(text, font, size) / 2, y, text, font, size)
