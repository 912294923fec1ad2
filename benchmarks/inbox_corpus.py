"""A test corpus for the Posteingang: scan batches of German letters with ground truth.

``python -m benchmarks.inbox_corpus OUT_DIR --seed N --documents N`` writes one batch
folder for eyeballing (the Akten are only planned, not stored). From code:

- :func:`seed_akten` opens Akten with persons, Bedarfsgemeinschaften and Vorgänge in a
  Mandant through the records services (audited like real data, gap-free Aktenzeichen):
  the letters refer to them. Some are near-duplicates on purpose: the same name with
  another birth date, a family name changed since birth (some senders use the birth name),
  names with ä/ö/ü/ß that letters spell ae/oe/ue/ss (or the other way round).
- :func:`write_batch` writes a delivery folder as a scan provider sends it: the scanned
  files (image-only PDF, multi-page TIFF, G4 when bilevel), ``lieferschein.json`` as
  :mod:`koffer.inbox` describes it, and ``wahrheit.json``, the ground truth: per document
  its file and pages, the separator sheets before it, its kind, the Akte it belongs to (or
  none: not assignable from what it says), the persons and identifiers printed, the exact
  text printed per page, the reply code and the degradations applied.

With ``image_only=False`` the PDF files are born digital instead (typeset by typst, a real
text layer, vector QR codes, no degradation), for measuring the path without OCR.

Letters (``benchmarks._inbox_briefe``) are the kinds a Jobcenter receives, one to three
pages each; some are filled in or written by hand, some answer a letter of koffer and carry
its reply QR code, some concern nobody the Jobcenter knows. Scans are degraded as real
ones are: 150 to 300 dpi, grey (JPEG artefacts) or bilevel, skewed up to ±3°, noise and
specks, a little blur, now and then low contrast or a page upside down.

Everything follows from the ``random.Random`` passed in: the same seed gives the same
bytes. Limits: no colour scans, no folded or torn paper, no stamps across text, no
barcodes other than QR; handwriting is a script font, not real handwriting.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import json
import random
import sys
import time
import unicodedata
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from PIL import Image, ImageChops, ImageDraw

from benchmarks._german_words import FAMILY_NAMES, GIVEN_NAMES
from benchmarks._inbox_briefe import (
    CITIES,
    KINDS,
    STREETS,
    Bezug,
    Brief,
    Fall,
    Persona,
    separator,
    write,
)
from benchmarks._inbox_satz import (
    PAGE_H,
    PAGE_W,
    Box,
    Element,
    Qr,
    Rule,
    Text,
    font,
    font_file,
    handwriting_font,
    page_text,
)

__all__ = [
    "KINDS",
    "SCAN_DATE",
    "SEPARATOR",
    "Fall",
    "Persona",
    "Wahrheit",
    "load_wahrheit",
    "plan_faelle",
    "seed_akten",
    "write_batch",
]

SEPARATOR = "KOFFER-TRENNBLATT"
SCAN_DATE = date(2026, 11, 25)  # fixed, so that a seed gives the same batch on every day
DIENSTSTELLE = "36201"  # the BA's office number in front of every BG-Nummer
UNASSIGNABLE_SHARE = 0.12
UPSIDE_DOWN_SHARE = 0.08
# kind: (weight, birth date printed, BG-Nummer, Aktenzeichen, Kundennummer, BG-Nr. noted by
# hand on top, reply code (only on the Jobcenter's own forms), handwritten)
KIND_PROFILES: dict[str, tuple[float, float, float, float, float, float, float, float]] = {
    "lohnabrechnung": (0.15, 0.8, 0, 0, 0, 0.4, 0, 0),
    "mietbescheinigung": (0.10, 0.8, 0.7, 0, 0.3, 0, 0.3, 0.3),
    "arbeitsunfaehigkeit": (0.10, 1, 0, 0, 0, 0.3, 0, 0),
    "widerspruch": (0.14, 0.6, 0.6, 0.3, 0.3, 0, 0, 0.4),
    "gerichtsschreiben": (0.08, 0, 0.3, 1, 0, 0, 0, 0),
    "antrag": (0.14, 1, 0.9, 0, 0.7, 0, 0.5, 0.5),
    "kontoauszug": (0.14, 0, 0, 0, 0, 0.7, 0, 0),
    "sonstiges": (0.15, 0.5, 0.6, 0.1, 0.3, 0, 0.3, 0.4),
}
# Each names one Akte (the Kundennummer once Person has its field, issue 15 item 2).
IDENTIFYING = {"antwortcode", "aktenzeichen", "bg_nummer", "kundennummer"}


def default_antwortcode(fall: Fall) -> str:
    """The reply code koffer prints on its letters. TODO(lead): ``records.antwortcode.encode``
    once it is on main (pass it to :func:`write_batch` as ``antwortcode``)."""
    return f"KOFFER:A1:{fall.akte_id}"


@dataclass(frozen=True)
class Wahrheit:
    """The ground truth of one document of a batch."""

    datei: str
    seiten: tuple[int, ...]  # 0-based page indexes in ``datei``
    trennblaetter: tuple[int, ...]  # the separator sheet(s) right in front of it
    art: str  # kind code
    aktenzeichen: str | None  # where it belongs; None: not assignable from what it says
    akte_id: str | None
    gemeint: str | None  # the Akte of the person it is about, even when it says too little
    personen: tuple[Persona, ...]  # as printed (spelling variants applied)
    # What it prints that points to an Akte: antwortcode, aktenzeichen, bg_nummer,
    # kundennummer, name_geburtsdatum or only name, gerichtsaktenzeichen; handnotiz when
    # the person wrote the BG-Nummer (or remarks) on it by hand.
    merkmale: tuple[str, ...]
    gerichtsaktenzeichen: str | None
    antwortcode: str | None  # the reply code's payload
    handschrift: bool
    degradationen: tuple[str, ...]  # per page: "S<page>:<what>"
    texte: tuple[str, ...]  # the exact text printed, per page
    absender: str
    datum: date

    @property
    def text(self) -> str:
        return "\n\n".join(self.texte)


@dataclass(frozen=True)
class Profil:
    """How one file was scanned."""

    tiff: bool
    dpi: int
    bilevel: bool
    jpeg_quality: int  # grey pages only


# --- The people letters refer to ----------------------------------------------------------


def fold(name: str) -> str:
    """A name as matching compares it: lower case, ä/ö/ü/ß as ae/oe/ue/ss, no accents."""
    text = name.lower().replace("ä", "ae").replace("ö", "oe").replace("ü", "ue").replace("ß", "ss")
    decomposed = unicodedata.normalize("NFKD", text.replace("ı", "i"))
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _spelled_otherwise(name: str) -> str:
    """Müller → Mueller, Weiß → Weiss; Mueller → Müller (as the pool spells it)."""
    if fold(name) != name.lower():
        return fold(name).capitalize() if name[:1].isupper() else fold(name)
    for candidate in FAMILY_NAMES:
        if fold(candidate) == name.lower() and candidate != name:
            return candidate
    return name


_UMLAUT_NAMES = [n for n in FAMILY_NAMES if any(c in n for c in "äöüß")]


def _birth(rng: random.Random) -> date:
    """An adult's birth date (1958 to 2004)."""
    return date(1958, 1, 1) + timedelta(days=rng.randrange(47 * 365))


def _address(rng: random.Random) -> tuple[str, str, str]:
    postal_code, city = rng.choice(CITIES)
    return f"{rng.choice(STREETS)} {rng.randrange(1, 80)}", postal_code, city


def _variants(rng: random.Random, count: int) -> list[str]:
    """What makes each Akte hard to match, each kind at least once from four Akten on;
    never the first with a name taken from an earlier one."""
    shares = {"gleicher_name": 0.12, "geburtsname": 0.1, "umlaut": 0.13}
    variants = [v for v, share in shares.items() for _ in range(max(1, round(count * share)))]
    variants = (variants + [""] * count)[:count] if count >= 4 else [""] * count
    rng.shuffle(variants)
    if variants and variants[0] == "gleicher_name":
        plain = variants.index("") if "" in variants else 1
        variants[0], variants[plain] = variants[plain], variants[0]
    return variants


def plan_faelle(rng: random.Random, count: int, *, year: int = SCAN_DATE.year) -> list[Fall]:
    """``count`` Akten as :func:`seed_akten` would open them in a new Mandant (Aktenzeichen
    ``LA-<year>-000001`` on), not stored; about one in eight shares its person's name with
    an earlier one, one in ten has a changed family name, one in eight an umlaut name."""
    faelle: list[Fall] = []
    bg_numbers = rng.sample(range(1, 9_999_999), count)
    for i, variante in enumerate(_variants(rng, count)):
        street, postal_code, city = _address(rng)
        given = rng.choice(GIVEN_NAMES)
        family = rng.choice(FAMILY_NAMES)
        birth_name = ""
        birth = _birth(rng)
        if variante == "gleicher_name":
            twin = rng.choice(faelle).persons[0]
            family, given = twin.family_name, twin.given_names
            while birth == twin.birth_date:
                birth = _birth(rng)
        elif variante == "geburtsname":
            birth_name = rng.choice([n for n in FAMILY_NAMES if fold(n) != fold(family)])
        elif variante == "umlaut":
            family = rng.choice(_UMLAUT_NAMES)
            if rng.random() < 0.3:
                family = fold(family).capitalize()  # stored as Mueller, written as Müller
        main = Persona(family, given, birth, birth_name, street, postal_code, city)
        persons = [main]
        if rng.random() < 0.35:
            persons.append(
                Persona(family, rng.choice(GIVEN_NAMES), _birth(rng), "", street, postal_code, city)
            )
        faelle.append(
            Fall(
                akte_id=uuid.UUID(int=rng.getrandbits(128), version=4),
                aktenzeichen=f"LA-{year}-{i + 1:06d}",
                bg_nummer=f"{DIENSTSTELLE}//{bg_numbers[i]:07d}",
                kundennummer=f"{rng.randrange(100, 999)}D{rng.randrange(100000, 999999)}",
                persons=tuple(persons),
                variante=variante,
            )
        )
    return faelle


def seed_akten(
    tenant: Any,
    *,
    rng: random.Random,
    count: int,
    plan: Any = None,
    unit: Any = None,
    caseworker: Any = None,
) -> list[Fall]:
    """Open ``count`` Akten in ``tenant`` (as :func:`plan_faelle` plans them) through the
    records services, each with its persons, a Bedarfsgemeinschaft with a BG-Nummer and one
    or two open Vorgänge; returns them with their real ids and Aktenzeichen.

    ``plan`` defaults to the Mandant's Leistungsakten unit (Kennzeichen 50.2.1, created
    with the default Vorgangstypen when missing), ``unit`` to its root unit. Needs Django
    set up and a migrated database."""
    from benchmarks.data import leistungsakten_plan
    from koffer.records import defaults, services
    from koffer.records.models import Aktenplaneinheit, BgMitglied, Person, VorgangTyp
    from koffer.tenancy.models import Organisationseinheit

    defaults.install(actor=None, tenant=tenant)
    if plan is None:
        plan = Aktenplaneinheit.objects.for_tenant(tenant).filter(kennzeichen="50.2.1").first()
        plan = plan or leistungsakten_plan(tenant)
    unit = unit or Organisationseinheit.objects.for_tenant(tenant).get(parent=None)
    typen = list(VorgangTyp.objects.for_tenant(tenant).filter(module=plan.module, is_active=True))
    # The Kundennummer gets its field on Person with the identifier step (issue 15).
    has_kundennummer = any(f.name == "kundennummer" for f in Person._meta.get_fields())
    seeded: list[Fall] = []
    for fall in plan_faelle(rng, count):
        persons = []
        for persona in fall.persons:
            person = services.create_person(
                actor=None,
                tenant=tenant,
                family_name=persona.family_name,
                given_names=persona.given_names,
                birth_date=persona.birth_date,
                birth_name=persona.birth_name,
                street=persona.street,
                postal_code=persona.postal_code,
                city=persona.city,
            )
            persons.append(person)
        if has_kundennummer:
            Person.objects.for_tenant(tenant).filter(pk=persons[0].pk).update(
                kundennummer=fall.kundennummer
            )
        roles = [BgMitglied.Rolle.ANTRAGSTELLER, BgMitglied.Rolle.PARTNER]
        bg = services.create_bedarfsgemeinschaft(
            actor=None,
            tenant=tenant,
            members=list(zip(persons, roles, strict=False)),
            bg_nummer=fall.bg_nummer or "",
        )
        main = fall.persons[0]
        akte = services.create_akte(
            actor=None,
            tenant=tenant,
            aktenplaneinheit=plan,
            unit=unit,
            title=f"Leistungsakte {main.family_name}, {main.given_names}",
            subjects=persons,
            bg=bg,
            caseworker=caseworker,
        )
        vorgaenge = [
            services.create_vorgang(actor=None, akte=akte, typ=typ, title=typ.label).pk
            for typ in rng.sample(typen, k=min(len(typen), rng.choice((1, 1, 2))))
        ]
        seeded.append(
            replace(
                fall,
                akte_id=akte.pk,
                aktenzeichen=akte.aktenzeichen,
                vorgang_ids=tuple(vorgaenge),
                seeded=True,
            )
        )
    return seeded


# --- Whom each letter is about --------------------------------------------------------------


def _stranger(rng: random.Random, people: Sequence[Fall]) -> Persona:
    """Somebody without an Akte here; half the time with a family name the Akten know."""
    known = {
        (fold(p.family_name), fold(p.given_names), p.birth_date) for f in people for p in f.persons
    }
    while True:
        family = rng.choice(FAMILY_NAMES)
        if people and rng.random() < 0.5:
            family = rng.choice(people).persons[0].family_name
        street, postal_code, city = _address(rng)
        person = Persona(
            family, rng.choice(GIVEN_NAMES), _birth(rng), "", street, postal_code, city
        )
        if (fold(person.family_name), fold(person.given_names), person.birth_date) not in known:
            return person


def _as_printed(rng: random.Random, fall: Fall, person: Persona, kind: str) -> Persona:
    """The name the sender uses: an old employer or the bank may still know the birth
    name; about half the senders spell an umlaut name the other way."""
    if fall.variante == "umlaut" and rng.random() < 0.6:
        return replace(person, family_name=_spelled_otherwise(person.family_name))
    old_senders = {"lohnabrechnung", "arbeitsunfaehigkeit", "kontoauszug", "gerichtsschreiben"}
    if person.birth_name and kind in old_senders and rng.random() < 0.7:
        return replace(person, family_name=person.birth_name)
    return person


def _bezug(
    rng: random.Random, kind: str, people: Sequence[Fall], antwortcode: Callable[[Fall], str]
) -> Bezug:
    _, geburt, bg, az, kdnr, notiz, reply, _ = KIND_PROFILES[kind]
    if not people or rng.random() < UNASSIGNABLE_SHARE:
        if kind == "sonstiges" and rng.random() < 0.5:
            return Bezug(person=_stranger(rng, people), fall=None, anonym=True)
        return Bezug(person=_stranger(rng, people), fall=None, geburt=rng.random() < geburt)
    fall = rng.choice(people)
    person = fall.persons[1] if len(fall.persons) > 1 and rng.random() < 0.25 else fall.persons[0]
    code = antwortcode(fall) if reply and rng.random() < reply else None
    return Bezug(
        person=_as_printed(rng, fall, person, kind),
        fall=fall,
        geburt=rng.random() < geburt,
        bg=rng.random() < bg,
        az=rng.random() < az,
        kdnr=rng.random() < kdnr,
        notiz=rng.random() < notiz,
        antwortcode=code,
    )


def _assignable(brief: Brief, bezug: Bezug, people: Sequence[Fall]) -> bool:
    """Whether what the letter prints names its Akte: a number of the Jobcenter, the reply
    code, or a name with a birth date that only one Akte's person has."""
    if bezug.fall is None:
        return False
    if IDENTIFYING & set(brief.merkmale):
        return True
    if "name_geburtsdatum" not in brief.merkmale:
        return False
    p = bezug.person
    matches = {
        f.akte_id
        for f in people
        for q in f.persons
        if q.birth_date == p.birth_date
        and fold(q.given_names) == fold(p.given_names)
        and fold(p.family_name) in {fold(q.family_name), fold(q.birth_name)}
    }
    return matches == {bezug.fall.akte_id}


# --- Pages as a scanner sees them ----------------------------------------------------------


@functools.cache
def _qr_modules(payload: str) -> Image.Image:
    import segno

    qr = segno.make(payload, error="m", micro=False)
    rows = [[255 if dark else 0 for dark in row] for row in qr.matrix]  # a mask: dark modules
    image = Image.new("L", (len(rows), len(rows)))
    image.putdata([v for row in rows for v in row])
    return image


def _draw(elements: list[Element], dpi: int, paper: int) -> Image.Image:
    k = dpi / 25.4
    image = Image.new("L", (round(PAGE_W * k), round(PAGE_H * k)), paper)
    draw = ImageDraw.Draw(image)
    for e in elements:
        if isinstance(e, Text):
            draw.text(
                (e.x * k, e.y * k), e.text, fill=e.ink, font=font(e.font, round(e.size * dpi / 72))
            )
        elif isinstance(e, Rule):
            draw.line(
                [(e.x1 * k, e.y1 * k), (e.x2 * k, e.y2 * k)],
                fill=0,
                width=max(1, round(e.width * k)),
            )
        elif isinstance(e, Box):
            box = (e.x * k, e.y * k, (e.x + e.w) * k, (e.y + e.h) * k)
            draw.rectangle(box, outline=0, width=max(1, round(e.width * k)))
        elif isinstance(e, Qr):
            modules = _qr_modules(e.payload)
            n = modules.width + 8  # four modules of quiet zone each side
            px = max(1, int(e.size * k / n))
            mask = modules.resize(
                (modules.width * px, modules.width * px), Image.Resampling.NEAREST
            )
            image.paste(0, (round(e.x * k) + 4 * px, round(e.y * k) + 4 * px), mask)
    return image


@dataclass
class Scanner:
    """Turns set pages into scanned page images, with what a real scanner does to them."""

    rng: random.Random

    def __post_init__(self) -> None:
        self.noise = Image.frombytes("L", (512, 512), self.rng.randbytes(512 * 512))

    def scan(
        self, elements: list[Element], profile: Profil, *, upside_down: bool = False
    ) -> tuple[Image.Image, list[str]]:
        rng = self.rng
        done: list[str] = []
        paper = rng.randrange(236, 252)
        image = _draw(elements, profile.dpi, paper)
        if rng.random() < 0.07:
            low, high = rng.randrange(80, 120), rng.randrange(205, 225)
            image = image.point(lambda v: low + v * (high - low) // 255)
            paper = low + paper * (high - low) // 255
            done.append("kontrast_schwach")
        angle = rng.uniform(-3, 3)
        # Bilinear is what a skewed sheet under a scanner's optics looks like; a bilevel
        # scan loses the grey steps anyway, so there the cheap nearest neighbour does.
        resample = Image.Resampling.NEAREST if profile.bilevel else Image.Resampling.BILINEAR
        image = image.rotate(angle, resample, fillcolor=paper)
        done.append(f"schraeg:{angle:+.1f}")
        if rng.random() < 0.35:
            # Optics worse than the resolution: down to 55-75 % and back up.
            factor = rng.uniform(0.55, 0.75)
            small = image.resize(
                (round(image.width * factor), round(image.height * factor)),
                Image.Resampling.BILINEAR,
            )
            image = small.resize(image.size, Image.Resampling.BILINEAR)
            done.append(f"unscharf:{factor:.2f}")
        amplitude, specks = rng.randrange(3, 12), rng.randrange(20, 400)
        image = self._noise(image, amplitude=amplitude)
        self._specks(image, specks, profile.dpi)
        done += [f"rauschen:{amplitude}", f"flecken:{specks}"]
        if upside_down:
            image = image.transpose(Image.Transpose.ROTATE_180)
            done.append("kopfueber")
        if profile.bilevel:
            threshold = (paper + min(paper, 110)) // 2
            image = image.point([255 if v > threshold else 0 for v in range(256)], "1")
        return image, done

    def _noise(self, image: Image.Image, *, amplitude: int) -> Image.Image:
        tile = self.noise.point(lambda v: 128 + (v - 128) * amplitude // 128)
        field = Image.new("L", image.size)
        ox, oy = self.rng.randrange(512), self.rng.randrange(512)
        for y in range(-oy, image.height, 512):
            for x in range(-ox, image.width, 512):
                field.paste(tile, (x, y))
        return ImageChops.add(image, field, 1.0, -128)

    def _specks(self, image: Image.Image, count: int, dpi: int) -> None:
        draw = ImageDraw.Draw(image)
        w, h = image.size
        for _ in range(count):
            x, y = self.rng.randrange(w), self.rng.randrange(h)
            r = self.rng.uniform(0.3, 1.6) * dpi / 200
            draw.ellipse((x - r, y - r, x + r, y + r), fill=self.rng.randrange(0, 120))


def _encode_pdf(pages: list[Image.Image], profile: Profil) -> bytes:
    import img2pdf

    parts = []
    for page in pages:
        out = io.BytesIO()
        if page.mode == "1":
            page.save(out, "TIFF", compression="group4", dpi=(profile.dpi, profile.dpi))
        else:
            page.save(out, "JPEG", quality=profile.jpeg_quality, dpi=(profile.dpi, profile.dpi))
        parts.append(out.getvalue())
    # img2pdf's own writer: pikepdf's would give every PDF another random /ID.
    return bytes(img2pdf.convert(parts, nodate=True, engine=img2pdf.Engine.internal))


def _encode_tiff(pages: list[Image.Image], profile: Profil) -> bytes:
    out = io.BytesIO()
    options: dict[str, Any] = (
        {"compression": "group4"}
        if profile.bilevel
        else {
            "compression": "jpeg",
            "quality": profile.jpeg_quality,
        }
    )
    pages[0].save(
        out,
        "TIFF",
        save_all=True,
        append_images=pages[1:],
        dpi=(profile.dpi, profile.dpi),
        **options,
    )
    return out.getvalue()


def _profile(rng: random.Random, tiff_share: float) -> Profil:
    tiff = rng.random() < tiff_share
    return Profil(
        tiff=tiff,
        dpi=rng.choices((150, 200, 300), weights=(0.25, 0.5, 0.25))[0],
        bilevel=rng.random() < (0.75 if tiff else 0.25),
        jpeg_quality=rng.randrange(25, 85),
    )


# --- The batch ----------------------------------------------------------------------------


def _split(rng: random.Random, documents: int, files: int) -> list[int]:
    """How many documents each file holds: at least one each, the rest spread at random."""
    if not 1 <= files <= documents:
        raise ValueError("Es braucht mindestens eine Datei und höchstens so viele wie Dokumente.")
    sizes = [1] * files
    for _ in range(documents - files):
        sizes[rng.randrange(files)] += 1
    return sizes


def _kinds(rng: random.Random, documents: int) -> list[str]:
    """Every kind at least once when there are enough documents; the rest by weight."""
    weights = [KIND_PROFILES[k][0] for k in KINDS]
    kinds = list(KINDS)[:documents] + rng.choices(
        KINDS, weights=weights, k=max(0, documents - len(KINDS))
    )
    rng.shuffle(kinds)
    return kinds


def write_batch(
    folder: Path,
    *,
    people: Sequence[Fall],
    rng: random.Random,
    documents: int,
    files: int,
    image_only: bool = True,
    tiff_share: float = 0.2,
    scan_date: date = SCAN_DATE,
    batch_id: str | None = None,
    antwortcode: Callable[[Fall], str] = default_antwortcode,
) -> list[Wahrheit]:
    """Write a batch of ``documents`` letters in ``files`` files into ``folder``, with
    ``lieferschein.json`` and ``wahrheit.json``; returns the ground truth.

    Files holding several documents have a Trennblatt between each two; a file with one
    document has none. ``people`` are the Akten the letters refer to (:func:`seed_akten`,
    or :func:`plan_faelle` without a database). ``image_only=False``: the PDF files are
    born digital (a real text layer, typeset by typst, no degradation), the TIFF files
    stay scans."""
    folder.mkdir(parents=True, exist_ok=True)
    scanner = Scanner(rng)
    queue = iter(_kinds(rng, documents))
    truths: list[Wahrheit] = []
    declared: list[dict[str, Any]] = []
    files_truth: list[dict[str, Any]] = []
    for number, size in enumerate(_split(rng, documents, files), start=1):
        profile = _profile(rng, tiff_share)
        datei = Datei(
            name=f"{number:04d}.{'tif' if profile.tiff else 'pdf'}",
            profile=profile,
            scanner=None if not image_only and not profile.tiff else scanner,
        )
        for position in range(size):
            before = (datei.add(separator()).page,) if position else ()
            kind = next(queue)
            truths.append(
                _document(rng, datei, kind, people, antwortcode, scan_date, before=before)
            )
        data = datei.encode()
        (folder / datei.name).write_bytes(data)
        declared.append(
            {"name": datei.name, "seiten": datei.count, "sha256": hashlib.sha256(data).hexdigest()}
        )
        files_truth.append(datei.described())
    stapel_id = batch_id or f"KORPUS-{scan_date:%Y%m%d}-{rng.randrange(10000):04d}"
    note = {
        "version": 1,
        "stapel_id": stapel_id,
        "scan_datum": scan_date.isoformat(),
        "operator": rng.choice(("M. Muster", "B. Scanner", "K. Öztürk")),
        "scanner": rng.choice(("Fujitsu fi-7600 Nr. 3", "Kodak i4250 Nr. 1", "Canon DR-G2140")),
        "qualitaetspruefung": {"ergebnis": "bestanden", "bemerkung": "Stichprobe 10 %"},
        "dateien": declared,
    }
    _write_json(folder / "lieferschein.json", note)
    ground = {
        "version": 1,
        "stapel_id": stapel_id,
        "handschrift_schrift": handwriting_font(),
        "dateien": files_truth,
        "dokumente": [_jsonable(t) for t in truths],
    }
    _write_json(folder / "wahrheit.json", ground)
    return truths


def _write_json(path: Path, data: dict[str, Any]) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2), encoding="utf-8")


@dataclass(frozen=True)
class Added:
    page: int  # 0-based in its file
    degradations: list[str]


@dataclass
class Datei:
    """One file of a batch being written: scanned page images, or (``scanner`` None) the
    layouts of a born-digital PDF."""

    name: str
    profile: Profil
    scanner: Scanner | None
    images: list[Image.Image] = field(default_factory=list)
    layouts: list[list[Element]] = field(default_factory=list)
    separators: list[int] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.images) + len(self.layouts)

    def add(self, elements: list[Element], *, upside_down: bool = False) -> Added:
        page = self.count
        if any(isinstance(e, Qr) and e.payload == SEPARATOR for e in elements):
            self.separators.append(page)
        if self.scanner is None:
            self.layouts.append(elements)
            return Added(page, [])
        image, done = self.scanner.scan(elements, self.profile, upside_down=upside_down)
        self.images.append(image)
        return Added(page, done)

    def encode(self) -> bytes:
        if self.scanner is None:
            return typeset_pdf(self.layouts)
        if self.profile.tiff:
            return _encode_tiff(self.images, self.profile)
        return _encode_pdf(self.images, self.profile)

    def described(self) -> dict[str, Any]:
        scanned = self.scanner is not None
        return {
            "name": self.name,
            "seiten": self.count,
            "trennblaetter": self.separators,
            "format": "tiff" if self.profile.tiff else "pdf",
            "textebene": not scanned,
            "dpi": self.profile.dpi if scanned else None,
            "bitonal": self.profile.bilevel if scanned else None,
            "jpeg_qualitaet": (
                self.profile.jpeg_quality if scanned and not self.profile.bilevel else None
            ),
        }


def _document(
    rng: random.Random,
    datei: Datei,
    kind: str,
    people: Sequence[Fall],
    antwortcode: Callable[[Fall], str],
    scan_date: date,
    *,
    before: tuple[int, ...],
) -> Wahrheit:
    """Write one letter, add its pages to ``datei``, and say what it is."""
    bezug = _bezug(rng, kind, people, antwortcode)
    hand = rng.random() < KIND_PROFILES[kind][7]
    brief = write(
        kind, rng=rng, bezug=bezug, on=scan_date - timedelta(days=rng.randrange(1, 12)), hand=hand
    )
    flipped = rng.randrange(len(brief.pages)) if rng.random() < UPSIDE_DOWN_SHARE else -1
    pages: list[int] = []
    degradations: list[str] = []
    if datei.scanner is not None:
        profile = datei.profile
        degradations = [
            f"dpi:{profile.dpi}",
            "bitonal" if profile.bilevel else f"jpeg:{profile.jpeg_quality}",
        ]
    for n, layout in enumerate(brief.pages):
        added = datei.add(layout, upside_down=n == flipped)
        pages.append(added.page)
        degradations += [f"S{added.page}:{d}" for d in added.degradations]
    assignable = _assignable(brief, bezug, people)
    fall = bezug.fall
    return Wahrheit(
        datei=datei.name,
        seiten=tuple(pages),
        trennblaetter=before,
        art=kind,
        aktenzeichen=fall.aktenzeichen if fall and assignable else None,
        akte_id=str(fall.akte_id) if fall and assignable else None,
        gemeint=fall.aktenzeichen if fall else None,
        personen=brief.personen,
        merkmale=brief.merkmale,
        gerichtsaktenzeichen=brief.gerichtsaktenzeichen,
        antwortcode=brief.antwortcode,
        handschrift=brief.handschrift,
        degradationen=tuple(degradations),
        texte=tuple(page_text(p) for p in brief.pages),
        absender=brief.absender,
        datum=brief.datum,
    )


# --- Born-digital PDFs ---------------------------------------------------------------------

# The layout placed element by element; data only as JSON (``sys.inputs.data``), so no
# letter text is read as markup. Text boxes start at the ascender, as Pillow draws them.
_TYPST_SOURCE = """
#let d = json(bytes(sys.inputs.data))
#set document(date: none)
#set page(width: 210mm, height: 297mm, margin: 0mm)
#set text(lang: "de", top-edge: "ascender")
#for (i, page) in d.pages.enumerate() {
  if i > 0 { pagebreak() }
  for e in page {
    if e.k == "t" {
      place(top + left, dx: e.x * 1mm, dy: e.y * 1mm, text(
        font: d.fonts.at(e.f), size: e.s * 1pt, weight: e.w, fill: luma(e.ink), e.text))
    } else if e.k == "r" {
      place(top + left, line(start: (e.x1 * 1mm, e.y1 * 1mm), end: (e.x2 * 1mm, e.y2 * 1mm),
        stroke: e.w * 1mm))
    } else if e.k == "b" {
      place(top + left, dx: e.x * 1mm, dy: e.y * 1mm,
        rect(width: e.bw * 1mm, height: e.bh * 1mm, stroke: e.w * 1mm))
    } else {
      for (row, col, run) in e.runs {
        place(top + left, dx: (e.x + col * e.m) * 1mm, dy: (e.y + row * e.m) * 1mm,
          rect(width: run * e.m * 1mm, height: e.m * 1mm + 0.05mm, fill: black, stroke: none))
      }
    }
  }
}
"""
_TYPST_FONTS = {
    "sans": ["Liberation Sans", "DejaVu Sans"],
    "sans-bold": ["Liberation Sans", "DejaVu Sans"],
    "serif": ["Liberation Serif", "DejaVu Serif"],
    "serif-bold": ["Liberation Serif", "DejaVu Serif"],
    "mono": ["Liberation Mono", "DejaVu Sans Mono"],
    "hand": ["Z003", "DejaVu Sans"],
}


@functools.cache
def _typst_compiler() -> Any:
    import typst

    folders = sorted({str(Path(f).parent) for k in _TYPST_FONTS if (f := font_file(k))})
    return typst.Compiler(font_paths=folders, ignore_system_fonts=True)


def typeset_pdf(pages: list[list[Element]]) -> bytes:
    """A born-digital PDF of ``pages``: real text, the fonts embedded, QR codes as vectors."""
    data = {"fonts": _TYPST_FONTS, "pages": [[_typst_element(e) for e in p] for p in pages]}
    result = _typst_compiler().compile(
        input=_TYPST_SOURCE.encode(), sys_inputs={"data": json.dumps(data, ensure_ascii=False)}
    )
    assert isinstance(result, bytes)
    return result


def _typst_element(e: Element) -> dict[str, Any]:
    if isinstance(e, Text):
        weight = "bold" if e.font.endswith("-bold") else "regular"
        return {
            "k": "t",
            "x": e.x,
            "y": e.y,
            "text": e.text,
            "f": e.font,
            "s": e.size,
            "w": weight,
            "ink": e.ink,
        }
    if isinstance(e, Rule):
        return {"k": "r", "x1": e.x1, "y1": e.y1, "x2": e.x2, "y2": e.y2, "w": e.width}
    if isinstance(e, Box):
        return {"k": "b", "x": e.x, "y": e.y, "bw": e.w, "bh": e.h, "w": e.width}
    modules = _qr_modules(e.payload)
    m = e.size / (modules.width + 8)
    return {"k": "q", "x": e.x + 4 * m, "y": e.y + 4 * m, "m": m, "runs": _runs(modules)}


def _runs(modules: Image.Image) -> list[tuple[int, int, int]]:
    """The dark modules of a QR code as horizontal runs (row, first column, length)."""
    runs: list[tuple[int, int, int]] = []
    for row in range(modules.height):
        col = 0
        while col < modules.width:
            if modules.getpixel((col, row)):
                start = col
                while col < modules.width and modules.getpixel((col, row)):
                    col += 1
                runs.append((row, start, col - start))
            else:
                col += 1
    return runs


def _jsonable(truth: Wahrheit) -> dict[str, Any]:
    data = asdict(truth)
    data["datum"] = truth.datum.isoformat()
    data["personen"] = [
        {**asdict(p), "birth_date": p.birth_date.isoformat() if p.birth_date else None}
        for p in truth.personen
    ]
    return data


def load_wahrheit(folder: Path) -> list[Wahrheit]:
    """The ground truth :func:`write_batch` wrote into ``folder``."""
    data = json.loads((folder / "wahrheit.json").read_text(encoding="utf-8"))
    truths = []
    for d in data["dokumente"]:
        persons = tuple(
            Persona(
                **{
                    **p,
                    "birth_date": date.fromisoformat(p["birth_date"]) if p["birth_date"] else None,
                }
            )
            for p in d["personen"]
        )
        fields = {k: tuple(v) if isinstance(v, list) else v for k, v in d.items()}
        truths.append(
            Wahrheit(**{**fields, "personen": persons, "datum": date.fromisoformat(d["datum"])})
        )
    return truths


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.inbox_corpus",
        description="Schreibt einen Scan-Stapel des Posteingangs-Korpus (Dateien, "
        "lieferschein.json, wahrheit.json) zum Ansehen; die Akten werden nur geplant, "
        "nicht gespeichert (die Wahrheit nennt die Aktenzeichen, die ein neuer Mandant "
        "vergäbe).",
    )
    parser.add_argument("out_dir", type=Path, help="Zielordner des Stapels")
    parser.add_argument(
        "--seed", type=int, default=1, help="Zufallsstartwert (gleich → gleiche Bytes)"
    )
    parser.add_argument("--documents", type=int, default=12, help="Zahl der Dokumente")
    parser.add_argument(
        "--files",
        type=int,
        default=None,
        help="Zahl der Dateien (Standard: ein Drittel der Dokumente)",
    )
    parser.add_argument("--akten", type=int, default=40, help="Zahl der geplanten Akten")
    parser.add_argument("--tiff-share", type=float, default=0.2, help="Anteil der TIFF-Dateien")
    parser.add_argument(
        "--textebene",
        action="store_true",
        help="PDF-Dateien digital erzeugt, mit Textebene (TIFF-Dateien bleiben Scans)",
    )
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    people = plan_faelle(rng, args.akten)
    files = args.files or max(1, args.documents // 3)
    started, cpu = time.monotonic(), time.process_time()
    truths = write_batch(
        args.out_dir,
        people=people,
        rng=rng,
        documents=args.documents,
        files=files,
        tiff_share=args.tiff_share,
        image_only=not args.textebene,
    )
    seconds, cpu = time.monotonic() - started, time.process_time() - cpu
    pages = sum(len(t.seiten) + len(t.trennblaetter) for t in truths)
    print(
        f"{len(truths)} Dokumente, {pages} Seiten in {files} Dateien nach {args.out_dir}: "
        f"{seconds:.1f} s ({seconds / max(1, pages):.2f} s je Seite, "
        f"CPU {cpu / max(1, pages):.2f} s je Seite)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
