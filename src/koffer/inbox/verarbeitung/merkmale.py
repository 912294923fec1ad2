"""What a document's text says about whom it concerns: Aktenzeichen, BG-Nummern,
Kundennummern, court file numbers, persons (name, birth date, birth name) and the date of
the letter. Pure: no database, no clock except for two-digit years.

Why: the Posteingang suggests the Akte for each scanned document (``zuordnung``) and
files it; these are the clues it weighs.

Identifiers are read tolerantly and validated by shape. OCR mixes up O/0, l/I/1, S/5 and
B/8: inside the digit runs of an identifier those letters are read as digits, but only
when most of the run are real digits (a word never becomes a number). Candidates are only
candidates: an Aktenzeichen counts when an Akte with it exists (``zuordnung`` looks it up,
also in the spelling of the Aktenplan's patterns).

Shapes:
- Aktenzeichen (``records.numbering``, pattern per Aktenplaneinheit, by default
  ``{kennzeichen}-{jahr}-{lfd:05}``; the demo plan uses ``LA-{jahr}-{lfd:06}``,
  ``HzE-…``): a prefix, a year, a running number, joined by ``-`` or ``/``; and whatever
  follows "Aktenzeichen:", "Az.", "Ihr/Unser Zeichen", "Geschäftszeichen".
- BG-Nummer: koffer's own ``BG0000001``, the Bundesagentur's ``12345BG0000123`` or
  ``12345//0000123``, and whatever follows "BG-Nummer" / "Nummer der Bedarfsgemeinschaft".
- Kundennummer: ``123D456789`` (``koffer.identifiers``).
- Court file number of the social courts: ``S 12 AS 345/26``, ``S 4 SO 12/25 ER``,
  ``L 7 AS 1234/24 B ER``, ``B 4 AS 12/25 R`` (court, chamber, Sachgebiet, number/year,
  register marks).
- Dates: ``01.02.1980``, ``1.2.80``, ``01. Februar 1980``.

Limits: only the first ``MAX_CHARS`` characters are read. Names are found where letters
put them (salutation with Herr/Frau, "Name, Vorname:" fields, a sender block above a
postal code, "…, geb. <date>"), not anywhere in free prose; a name must start with a
capital letter.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, replace
from datetime import date

from koffer.identifiers import KUNDENNUMMER
from koffer.records.suche.backends.folding import fold

# Clues stand on the first pages (letterhead, reference line, salutation); beyond this a
# long file is not read (~3 ms per 1,000 characters).
MAX_CHARS = 100_000


@dataclass(frozen=True)
class PersonHinweis:
    """A person the text names. A birth name ("Jana Müller (geb. Schmidt)") yields a second
    hint with the birth name as family name."""

    family_name: str
    given_names: str
    birth_date: date | None


@dataclass(frozen=True)
class Merkmale:
    aktenzeichen: list[str]
    bg_nummern: list[str]
    kundennummern: list[str]
    gerichtsaktenzeichen: list[str]  # e.g. "S 12 AS 345/26"
    personen: list[PersonHinweis]
    letter_date: date | None


def extract(text: str) -> Merkmale:
    """Every clue in ``text`` (one document's text, all pages), each list without repeats,
    in order of appearance per shape (labelled values after the shaped ones)."""
    text = _normalise(text[:MAX_CHARS])
    today = date.today()
    courts = _unique(_court_numbers(text))
    return Merkmale(
        aktenzeichen=_unique(_aktenzeichen(text)),
        bg_nummern=_unique(_bg_nummern(text)),
        kundennummern=_unique(_kundennummern(text)),
        gerichtsaktenzeichen=courts,
        personen=_persons(text, today),
        letter_date=_letter_date(text, today),
    )


# --- Text and digits --------------------------------------------------------------------------

_DASHES = dict.fromkeys(map(ord, "‐‑‒–—―−"), "-")
_SPACES = dict.fromkeys(map(ord, "\u00a0\u2007\u202f\u2009\t"), " ")


def _normalise(text: str) -> str:
    text = unicodedata.normalize("NFC", text).translate(_DASHES).translate(_SPACES)
    return re.sub(r"[ ]{2,}", " ", text)


# Characters OCR reads for digits, and the digit each stands for.
_DIGIT_LOOKALIKES = str.maketrans("OolI|SsB", "00111558")
D = r"[0-9OolI|SsB]"  # a digit as OCR may have read it


def _digits(run: str, *, min_real: float = 0.5) -> str | None:
    """``run`` as digits, or None when too few of its characters are real digits."""
    real = sum(c.isdigit() for c in run)
    if real < len(run) * min_real:
        return None
    return run.translate(_DIGIT_LOOKALIKES)


def _unique(items: Iterator[str]) -> list[str]:
    return list(dict.fromkeys(items))


# --- Identifiers ------------------------------------------------------------------------------

_AKTENZEICHEN = re.compile(
    rf"(?<![\w./-])(?P<prefix>[^\W_][\w.]{{0,15}}?)(?P<s1> ?[-/] ?)(?P<jahr>{D}{{4}})"
    rf"(?P<s2> ?[-/] ?)(?P<lfd>{D}{{2,8}})(?![\w/-])"
)
_LABELLED_AZ = re.compile(
    r"(?:Aktenzeichen|Akten-Zeichen|Az\.|AZ:|Geschäftszeichen|Gz\.|Ihr Zeichen|Unser Zeichen|"
    r"Zeichen)\s*[:.]?\s*(?P<value>[^\W_][\w./-]{2,60})",
    re.IGNORECASE,
)


def _aktenzeichen(text: str) -> Iterator[str]:
    for m in _AKTENZEICHEN.finditer(text):
        jahr = _digits(m["jahr"], min_real=0.75)
        lfd = _digits(m["lfd"], min_real=0.2)  # zero padding read as "OOOO" is common
        prefix = m["prefix"].rstrip(".")
        if jahr is None or lfd is None or not 1900 <= int(jahr) <= 2099 or not prefix:
            continue
        yield f"{prefix}{m['s1'].strip()}{jahr}{m['s2'].strip()}{lfd}"
    yield from _labelled(_LABELLED_AZ, text, [_AKTENZEICHEN, _COURT])


def _labelled(label: re.Pattern[str], text: str, shapes: list[re.Pattern[str]]) -> Iterator[str]:
    """Values after a label that no shape read from there: an identifier in a spelling of
    its own (a number the specialist software gave). Must hold a digit."""
    shaped = {m.start() for shape in shapes for m in shape.finditer(text)}
    for m in label.finditer(text):
        value = m["value"].rstrip(".-/")
        if m.start("value") not in shaped and any(c.isdigit() for c in value):
            yield value


_BG_BA = re.compile(rf"(?<![\w/])(?P<dst>{D}{{5}}) ?(?P<sep>//|BG) ?(?P<nr>{D}{{7}})(?![\w/])")
_BG_KOFFER = re.compile(rf"(?<![\w/])(?<!\d )BG ?-? ?(?P<nr>{D}{{5,10}})(?![\w/])")
_LABELLED_BG = re.compile(
    r"(?:BG-Nummer|BG-Nr\.?|BG Nr\.?|Nummer der Bedarfsgemeinschaft|Bedarfsgemeinschaftsnummer|"
    r"Bedarfsgemeinschaft Nr\.?)\s*[:.]?\s*(?P<value>[^\W_][\w/-]{2,29})",
    re.IGNORECASE,
)


def _bg_nummern(text: str) -> Iterator[str]:
    for m in _BG_BA.finditer(text):
        dst, nr = _digits(m["dst"]), _digits(m["nr"])
        if dst is not None and nr is not None:
            yield f"{dst}{m['sep']}{nr}"
    for m in _BG_KOFFER.finditer(text):
        nr = _digits(m["nr"], min_real=0.2)  # "BG" says what follows; zeros read as "O"
        if nr is not None:
            yield f"BG{nr}"
    yield from _labelled(_LABELLED_BG, text, [_BG_BA, _BG_KOFFER])


_KUNDENNUMMER = re.compile(
    rf"(?<![\w/])(?P<a>{D}{{3}}) ?(?P<letter>[A-Z]) ?(?P<b>{D}{{6}})(?![\w/])"
)


def _kundennummern(text: str) -> Iterator[str]:
    for m in _KUNDENNUMMER.finditer(text):
        digits = _digits(m["a"] + m["b"], min_real=0.75)
        if digits is None:
            continue
        value = f"{digits[:3]}{m['letter']}{digits[3:]}"
        if KUNDENNUMMER.match(value):
            yield value


# Sachgebiete of the social courts' registers.
SACHGEBIETE = frozenset(
    re.findall(r"\w+", "AL AS AY BA BK EG KA KG KR KS LW P R RA SB SF SO U VE VG VH VJ VK VM VS")
)
_COURT = re.compile(
    r"(?P<court>[SL5B]) ?(?P<kammer>[0-9lI|O]{1,3}) ?(?P<sg>[A-Z]{1,2}) ?"
    r"(?P<nr>[0-9OolI|SB]{1,5}) ?/ ?(?P<jahr>[0-9OlI|]{2})"
    r"(?P<marks>(?: (?:B|ER|R|WA|NZB|KO|RG))*)(?![\w/])"
)


def _court_numbers(text: str) -> Iterator[str]:
    for m in _COURT.finditer(text):
        if m.start() > 0 and (text[m.start() - 1].isalnum() or text[m.start() - 1] in "/-"):
            continue
        kammer, nr, jahr = _digits(m["kammer"]), _digits(m["nr"]), _digits(m["jahr"])
        if kammer is None or nr is None or jahr is None or m["sg"] not in SACHGEBIETE:
            continue
        court = "S" if m["court"] == "5" else m["court"]
        yield f"{court} {int(kammer)} {m['sg']} {int(nr)}/{jahr}{m['marks']}"


# --- Dates ------------------------------------------------------------------------------------

MONTHS = {
    "januar": 1, "jan": 1, "jänner": 1, "februar": 2, "feb": 2, "märz": 3, "maerz": 3,
    "mär": 3, "mrz": 3, "april": 4, "apr": 4, "mai": 5, "juni": 6, "jun": 6, "juli": 7,
    "jul": 7, "august": 8, "aug": 8, "september": 9, "sep": 9, "sept": 9, "oktober": 10,
    "okt": 10, "november": 11, "nov": 11, "dezember": 12, "dez": 12,
}  # fmt: skip
_DATE = re.compile(
    r"(?<![\d.])(?P<d>[0-3]?\d)\. ?(?:(?P<m>[01]?\d)\. ?|(?P<mon>[A-Za-zäÄ]{3,9})\.? )"
    r"(?P<y>(?:19|20)\d\d|\d\d)(?![\d])"
)


def _date_at(m: re.Match[str], today: date) -> date | None:
    month = int(m["m"]) if m["m"] else MONTHS.get(m["mon"].lower())
    if month is None:
        return None
    year = int(m["y"])
    if year < 100:  # a two-digit year: this century unless that lies in the future
        year += 2000 if 2000 + year <= today.year else 1900
    try:
        return date(year, month, int(m["d"]))
    except ValueError:
        return None


def _dates(text: str, today: date) -> Iterator[tuple[int, int, date]]:
    for m in _DATE.finditer(text):
        found = _date_at(m, today)
        if found is not None:
            yield m.start(), m.end(), found


_LETTER_DATE_BEFORE = re.compile(
    r"(?:Datum|(?:^|\n) *[A-ZÄÖÜ][\w .()/-]{1,40}, *(?:den|am)?)\s*:?\s*$", re.IGNORECASE
)
_NOT_LETTER_DATE = re.compile(
    r"(?:geb\.?|geboren(?: am)?|Geburtsdatum:?|vom|bis|seit|ab|zum|\*)\s*$", re.IGNORECASE
)


def _letter_date(text: str, today: date) -> date | None:
    """ "Datum: …", "Musterstadt, den …", else a date alone on one of the first lines."""
    alone: date | None = None
    head = text[: _nth_line_end(text, 25)]
    for start, end, found in _dates(text, today):
        before = text[max(0, start - 50) : start]
        if _NOT_LETTER_DATE.search(before):
            continue
        if _LETTER_DATE_BEFORE.search(before):
            return found
        line_start = text.rfind("\n", 0, start) + 1
        line_end = text.find("\n", end)
        line = text[line_start : line_end if line_end >= 0 else len(text)]
        if alone is None and end <= len(head) and line.strip() == text[start:end].strip():
            alone = found
    return alone


def _nth_line_end(text: str, n: int) -> int:
    position = -1
    for _ in range(n):
        position = text.find("\n", position + 1)
        if position < 0:
            return len(text)
    return position


# --- Persons ----------------------------------------------------------------------------------

# A capitalised word (a lower-case start ends a name: "Deniz geb. am …").
_WORD = r"(?![a-zäöüßàáâãåçèéêëìíîïñòóôõùúûýÿıłśşšżźžćčğ])[^\W\d_](?:[^\W\d_]|')*(?:-[^\W\d_]+)?"
_NAME = rf"(?:(?:von|van|de|zu|von der|van der|de la) )?{_WORD}"
_NAMES = rf"{_WORD}(?: {_WORD}){{0,2}}"
_TITLE = r"(?:(?:Dr|Prof)\. (?:med\. )?)*"
_BIRTH = re.compile(r"^[ ,(]*(?:geb(?:oren)?\.?(?: am)?|Geburtsdatum:?|\*) ?(?=\d)", re.IGNORECASE)
_BIRTH_NAME = re.compile(rf"^[ ,]*\(?geb(?:oren|\.)? (?P<birth>{_WORD})\)?")

_PATTERNS = [
    # "Herr Özdemir, Ali" / "Frau Müller, Jana Maria"
    re.compile(rf"\b(?:Herrn?|Frau) {_TITLE}(?P<family>{_NAME}), (?P<given>{_NAMES})"),
    # "Name, Vorname: Mustermann, Max" / "Versicherte/r: Mustermann, Max"
    re.compile(
        r"(?:Name, Vorname|Name|Familienname, Vorname|Versicherte[rn]?|Versicherte/r|"
        r"Patient(?:in)?|Mieter(?:in)?|Arbeitnehmer(?:in)?|Kontoinhaber(?:in)?|Antragsteller(?:in)?|"
        r"Kläger(?:in)?|Widerspruchsführer(?:in)?|Mitarbeiter(?:in)?)"
        rf" ?: ?(?:(?:Herrn?|Frau) )?{_TITLE}(?P<family>{_NAME}), (?P<given>{_NAMES})"
    ),
    # "Frau Jana Müller" / "Herrn Dr. Max Mustermann" / "Max Mustermann, geb. 01.02.1980"
    re.compile(
        rf"\b(?:Herrn?|Frau) {_TITLE}(?P<given>{_NAMES}) (?P<family>{_NAME})\b(?!,? (?![Gg]eb){_WORD})"
    ),
    re.compile(
        rf"(?:^|\n|: )(?P<given>{_NAMES}) (?P<family>{_NAME})(?=,? ?\(?(?:geb|geboren|Geburtsdatum|\*))",
    ),
    # "Sehr geehrte Frau Müller"
    re.compile(rf"\b(?:Herrn?|Frau) {_TITLE}(?P<family>{_NAME})(?=[,.;:\n]| *$)"),
]
_FIELD_FAMILY = re.compile(
    rf"(?:Familienname|Nachname|Name)\s*:\s*(?P<v>{_NAME})\s*(?:\n|$|  |Vorname)"
)
_FIELD_GIVEN = re.compile(rf"Vornamen?\s*:\s*(?P<v>{_NAMES})\s*(?:\n|$|Geb)")
_FIELD_BIRTH = re.compile(
    r"(?:Geburtsdatum|geboren am|geb\. am|geb\.)\s*:?\s*(?=\d)", re.IGNORECASE
)
_SALUTATION = re.compile(r"^(?:(?:Herrn?|Frau|Dr\.|Prof\.) )+")
_SENDER = re.compile(
    rf"(?:^|\n)(?:(?:Herrn?|Frau) )?(?P<given>{_NAMES}) (?P<family>{_NAME}) *\n"
    r"(?:[^\n]{0,60}\n)?\d{5} [^\W\d_]"
)
# Words that make a line an institution or a phrase, not a person.
NOT_NAMES = frozenset(
    fold(w)
    for w in re.findall(
        r"\w+",
        "Jobcenter Landkreis Kreis Stadt Gemeinde Amt Gericht Sozialgericht Landessozialgericht "
        "Bundessozialgericht Bank Sparkasse Volksbank GmbH AG KG eG Praxis Postfach Team Agentur "
        "Arbeit Bundesagentur Krankenkasse AOK BKK IKK Techniker Kasse Versicherung Rechtsanwalt "
        "Rechtsanwältin Kanzlei Hausverwaltung Verwaltung Wohnungsbau Genossenschaft Immobilien "
        "Damen Herren Sehr geehrte geehrter Mit freundlichen Grüßen Kammer Vorsitzende Richter "
        "Richterin Geschäftsstelle Absender Empfänger Betreff Widerspruch Antrag Bescheid "
        "Leistungen Straße Str Weg Platz Allee Familie Kind Mutter Vater Arzt Ärztin",
    )
)


def _persons(text: str, today: date) -> list[PersonHinweis]:
    found: list[PersonHinweis] = []
    for pattern in [*_PATTERNS, _SENDER]:
        for m in pattern.finditer(text):
            family = m["family"]
            given = _SALUTATION.sub("", m.groupdict().get("given") or "")
            if _not_a_name(family, given):
                continue
            rest = text[m.end() : m.end() + 100]
            birth_name = _BIRTH_NAME.match(rest)
            if birth_name and (
                not birth_name["birth"][0].isupper() or _not_a_name(birth_name["birth"], "")
            ):
                birth_name = None
            born = _birth_date_after(rest[birth_name.end() :] if birth_name else rest, today)
            found.append(PersonHinweis(family, given, born))
            if birth_name:
                found.append(PersonHinweis(birth_name["birth"], given, born))
    found.extend(_form_person(text, today))
    return _merged(found, _loose_birth_date(text, today))


def _not_a_name(family: str, given: str) -> bool:
    words = f"{given} {family}".replace("-", " ").split()
    return any(fold(w.rstrip(".")) in NOT_NAMES for w in words) or len(family) < 2


def _birth_date_after(rest: str, today: date) -> date | None:
    marker = _BIRTH.match(rest)
    if marker is None:
        return None
    m = _DATE.match(rest, marker.end())
    return _date_at(m, today) if m else None


def _form_person(text: str, today: date) -> Iterator[PersonHinweis]:
    """Form fields on separate lines: "Name: Mustermann", "Vorname: Max"."""
    family, given = _FIELD_FAMILY.search(text), _FIELD_GIVEN.search(text)
    if family and given and not _not_a_name(family["v"], given["v"]):
        yield PersonHinweis(family["v"], given["v"], None)


def _loose_birth_date(text: str, today: date) -> date | None:
    """The one labelled birth date of the text, if there is exactly one."""
    dates = set()
    for marker in _FIELD_BIRTH.finditer(text):
        m = _DATE.match(text, marker.end())
        found = _date_at(m, today) if m else None
        if found:
            dates.add(found)
    return dates.pop() if len(dates) == 1 else None


def _merged(found: list[PersonHinweis], loose_birth: date | None) -> list[PersonHinweis]:
    """One hint per person: the same family name with the same or no given names is the
    same person ("Frau Müller" and "Jana Müller"); a birth date found once counts for all."""
    out: list[PersonHinweis] = []
    for hint in found:
        for i, known in enumerate(out):
            if fold(known.family_name) != fold(hint.family_name):
                continue
            a, b = fold(known.given_names).split(), fold(hint.given_names).split()
            if a and b and a[0] != b[0]:
                continue
            out[i] = PersonHinweis(
                known.family_name,
                known.given_names
                if len(known.given_names) >= len(hint.given_names)
                else hint.given_names,
                known.birth_date or hint.birth_date,
            )
            break
        else:
            out.append(hint)
    if loose_birth is not None:
        # A form's "Geburtsdatum" belongs to the one person the form names.
        without = [i for i, h in enumerate(out) if h.birth_date is None and h.given_names]
        if len(without) == 1 and all(h.birth_date is None for h in out):
            out[without[0]] = replace(out[without[0]], birth_date=loose_birth)
    return out
