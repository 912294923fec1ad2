"""Which open Akte a document belongs to, judged from its clues (``merkmale``): a selector
over the E-Akte of ONE Mandant; it writes nothing.

Evidence and its weight (a confidence in 0..1; ``FILING_THRESHOLD`` is where the
orchestration may file without asking):

- an Aktenzeichen of an open Akte in the text (also read through the Aktenplan's patterns,
  so "LA-2O26-OOO123" counts as LA-2026-000123): very high;
- a BG-Nummer (koffer's ``BG0000001``; the Bundesagentur's ``12345//0000123`` and
  ``12345BG0000123`` are one number): high when the BG has one open Akte;
- a Kundennummer of a person: high when the person belongs to one open Akte (as its
  subject or as a member of its BG);
- name and birth date of a person of exactly one open Akte: high (exact name), a little
  less for a birth name or one OCR slip in the name;
- a name alone: low, never above ``NAME_ONLY_CAP``;
- the court file number in a document already filed in an open Akte (one full-text phrase
  query): high, and the Vorgang when those documents lie in one.

Two pieces of identifying evidence pointing to different Akten lower the confidence of
both, with a reason. Several Akten fitting the same evidence share it (the same person in
two Akten is never a confident suggestion).

Cost: a fixed number of indexed lookups whatever the size of the Mandant (Akte by
Aktenzeichen, BG by number, person by Kundennummer, by birth date and by folded family
name (``records_person_folded_idx``), links by person id, Akten by id and by BG); names
are compared in Python only for the persons those lookups return (capped). Lookups by an
id that is not the second column of a tenant index go through ``suche.services.scoped``,
so that SQLite without statistics does not walk the Mandant's tenant index instead.
Birth names are compared only among the persons found by birth date or family name (no
index on the folded birth name): "Jana Schmidt" without a birth date does not find
Jana Müller, née Schmidt.

Reasons are German and quote the text's clues and Aktenzeichen only: never the name,
title or contents of a restricted Akte.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from string import Formatter

from koffer.formats import german_date
from koffer.inbox.verarbeitung.merkmale import Merkmale, PersonHinweis
from koffer.records import numbering
from koffer.records.models import (
    Akte,
    Aktenplaneinheit,
    AkteSubjekt,
    Bedarfsgemeinschaft,
    BgMitglied,
    Dokument,
    Person,
)
from koffer.records.suche.backends import get_backend
from koffer.records.suche.backends.folding import fold
from koffer.records.suche.backends.query import parse
from koffer.records.suche.services import FoldedName, scoped

FILING_THRESHOLD = 0.9
NAME_ONLY_CAP = 0.5
CONFLICT_FACTOR = 0.7
PERSON_CAP = 200  # persons per lookup compared in Python; beyond, a name says nothing

AKTENZEICHEN = 0.97
BG_NUMMER = 0.92
KUNDENNUMMER = 0.92
NAME_BIRTH = 0.9
NAME_BIRTH_LOOSE = 0.82  # birth name, or one OCR slip in the name
COURT_NUMBER = 0.85
SHARED = 0.5  # evidence that fits several open Akten, each
NAME_ONLY = 0.4
NAME_OTHER_BIRTH = 0.1
IDENTIFYING = 0.75  # evidence at least this strong points at one Akte


@dataclass(frozen=True)
class Vorschlag:
    akte_id: uuid.UUID
    vorgang_id: uuid.UUID | None
    confidence: float
    reasons: list[str]  # German, e.g. "BG-Nummer 12345//0000123 steht im Text"


@dataclass
class _Beweis:
    """One piece of evidence and the Akten it points to."""

    reason: str
    weight: float
    akten: set[uuid.UUID]
    name_only: bool = False
    vorgang_id: uuid.UUID | None = None


@dataclass
class _Akte:
    pk: uuid.UUID
    aktenzeichen: str
    evidence: list[_Beweis] = field(default_factory=list)


def suggest(tenant_id: uuid.UUID, merkmale: Merkmale, *, limit: int = 3) -> list[Vorschlag]:
    """The open Akten of the Mandant that the clues point to, best first."""
    evidence: list[_Beweis] = []
    evidence += _by_aktenzeichen(tenant_id, merkmale.aktenzeichen)
    bg_evidence, bg_ids = _bg_lookup(tenant_id, merkmale.bg_nummern)
    people = _people(tenant_id, merkmale)
    links = _links(tenant_id, {p for found in people for p in found.persons}, set(bg_ids))
    evidence += _court_numbers(tenant_id, merkmale.gerichtsaktenzeichen)
    akten = _open_akten(tenant_id, evidence, links)
    for beweis in evidence:
        beweis.akten &= akten.keys()
    for number, bg_id in bg_evidence:
        evidence.append(
            _shared(f"BG-Nummer {number} steht im Text", BG_NUMMER, links.of_bg(bg_id, akten))
        )
    for found in people:
        evidence.append(found.beweis(links, akten))
    for beweis in evidence:
        for akte_id in beweis.akten:
            akten[akte_id].evidence.append(beweis)
    ranked = sorted(
        (_judged(akte, evidence, akten) for akte in akten.values() if akte.evidence),
        key=lambda v: (-v.confidence, str(v.akte_id)),
    )
    return ranked[:limit]


# --- Aktenzeichen -----------------------------------------------------------------------------


def _by_aktenzeichen(tenant_id: uuid.UUID, candidates: list[str]) -> list[_Beweis]:
    if not candidates:
        return []
    spellings = {c: c for c in candidates}
    plans = Aktenplaneinheit.objects.for_tenant(tenant_id).values_list(
        "kennzeichen", "aktenzeichen_pattern"
    )
    for kennzeichen, pattern in plans:
        shape = _pattern_regex(pattern, kennzeichen)
        for candidate in candidates:
            m = shape.fullmatch(candidate)
            if m:
                spellings.setdefault(_pattern_filled(pattern, kennzeichen, m), candidate)
    found = (
        Akte.objects.for_tenant(tenant_id)
        .filter(aktenzeichen__in=list(spellings))
        .values_list("pk", "aktenzeichen")
    )
    return [_Beweis(f"Aktenzeichen {az} steht im Text", AKTENZEICHEN, {pk}) for pk, az in found]


# OCR's confusions, both ways, for the literal parts of a pattern.
_CONFUSED = {"0": "0Oo", "O": "0Oo", "o": "0Oo", "1": "1lI|", "l": "1lI|", "I": "1lI|"}
_CONFUSED |= {"5": "5Ss", "S": "5Ss", "s": "5Ss", "8": "8B", "B": "8B"}


def _pattern_regex(pattern: str, kennzeichen: str) -> re.Pattern[str]:
    """An Aktenzeichen pattern as a regex over what OCR might read (numbers are already
    digits in the candidates; literal letters may have been read as digits or in another
    case)."""
    parts = []
    for literal, name, _spec, _conversion in Formatter().parse(pattern):
        parts.append(_tolerant(literal))
        if name == "kennzeichen":
            parts.append(_tolerant(kennzeichen))
        elif name == "jahr":
            parts.append(r"(?P<jahr>\d{4})")
        elif name == "lfd":
            parts.append(r"(?P<lfd>\d+)")
    return re.compile("".join(parts), re.IGNORECASE)


def _tolerant(literal: str) -> str:
    return "".join(
        f"[{re.escape(_CONFUSED[c])}]" if c in _CONFUSED else re.escape(c) for c in literal
    )


def _pattern_filled(pattern: str, kennzeichen: str, m: re.Match[str]) -> str:
    groups = m.groupdict()
    return numbering.format_aktenzeichen(
        pattern, kennzeichen=kennzeichen, year=int(groups.get("jahr") or 0), lfd=int(m["lfd"])
    )


# --- BG-Nummer --------------------------------------------------------------------------------


def _bg_spellings(number: str) -> list[str]:
    """The Bundesagentur writes one number two ways: 12345//0000123 and 12345BG0000123."""
    m = re.fullmatch(r"(\d{5})(?://|BG)(\d{7})", number)
    if m is None:
        return [number, number.upper()]
    return [f"{m[1]}//{m[2]}", f"{m[1]}BG{m[2]}"]


def _bg_lookup(
    tenant_id: uuid.UUID, numbers: list[str]
) -> tuple[list[tuple[str, uuid.UUID]], dict[uuid.UUID, str]]:
    """(number as in the text, BG id) per BG found, and BG id -> number."""
    if not numbers:
        return [], {}
    spelled = {s: n for n in numbers for s in _bg_spellings(n)}
    rows = Bedarfsgemeinschaft.objects.for_tenant(tenant_id).filter(bg_nummer__in=list(spelled))
    found = [(spelled[number], pk) for pk, number in rows.values_list("pk", "bg_nummer")]
    return found, {pk: number for number, pk in found}


# --- Persons ----------------------------------------------------------------------------------


@dataclass
class _Links:
    """Which Akten and BGs the persons found belong to."""

    subject_of: dict[uuid.UUID, set[uuid.UUID]]  # person -> Akten
    member_of: dict[uuid.UUID, set[uuid.UUID]]  # person -> BGs
    bgs: set[uuid.UUID]  # every BG to look at (the persons' and the numbers')
    akten_of_bg: dict[uuid.UUID, set[uuid.UUID]] = field(default_factory=dict)

    def of_person(self, person_id: uuid.UUID, akten: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        mine = set(self.subject_of.get(person_id, ()))
        for bg in self.member_of.get(person_id, ()):
            mine |= self.akten_of_bg.get(bg, set())
        return mine & set(akten)

    def of_bg(self, bg_id: uuid.UUID, akten: Iterable[uuid.UUID]) -> set[uuid.UUID]:
        return self.akten_of_bg.get(bg_id, set()) & set(akten)


def _links(tenant_id: uuid.UUID, ids: set[uuid.UUID], bg_ids: set[uuid.UUID]) -> _Links:
    """Persons' Akten (as subject) and BGs (as member); the BGs of numbers in the text
    (``bg_ids``) are looked at alike."""
    if not ids:
        return _Links({}, {}, bg_ids)
    subject_of: dict[uuid.UUID, set[uuid.UUID]] = {}
    for person_id, akte_id in (
        scoped(AkteSubjekt, tenant_id).filter(person_id__in=ids).values_list("person_id", "akte_id")
    ):
        subject_of.setdefault(person_id, set()).add(akte_id)
    member_of: dict[uuid.UUID, set[uuid.UUID]] = {}
    for person_id, bg_id in (
        scoped(BgMitglied, tenant_id).filter(person_id__in=ids).values_list("person_id", "bg_id")
    ):
        member_of.setdefault(person_id, set()).add(bg_id)
    bgs = {bg for found in member_of.values() for bg in found} | bg_ids
    return _Links(subject_of, member_of, bgs)


def _open_akten(
    tenant_id: uuid.UUID, evidence: list[_Beweis], links: _Links
) -> dict[uuid.UUID, _Akte]:
    """The open Akten any evidence or link names, in two lookups (by id, by BG)."""
    ids = {a for b in evidence for a in b.akten} | {
        a for found in links.subject_of.values() for a in found
    }
    fields = ("pk", "aktenzeichen", "bg_id")
    rows = []
    if ids:
        rows += list(
            scoped(Akte, tenant_id).filter(pk__in=ids, status=Akte.Status.OPEN).values_list(*fields)
        )
    if links.bgs:
        rows += list(
            scoped(Akte, tenant_id)
            .filter(bg_id__in=links.bgs, status=Akte.Status.OPEN)
            .values_list(*fields)
        )
    akten = {}
    for pk, az, bg_id in rows:
        akten[pk] = _Akte(pk, az)
        if bg_id is not None:
            links.akten_of_bg.setdefault(bg_id, set()).add(pk)
    return akten


@dataclass
class _Found:
    """Persons found for one clue (a Kundennummer or a person named in the text)."""

    clue: str  # German, as it appears in reasons
    weight: float
    persons: set[uuid.UUID]
    name_only: bool = False

    def beweis(self, links: _Links, akten: dict[uuid.UUID, _Akte]) -> _Beweis:
        target: set[uuid.UUID] = set()
        for person_id in self.persons:
            target |= links.of_person(person_id, akten)
        beweis = _shared(self.clue, self.weight, target)
        beweis.name_only = self.name_only
        return beweis


def _people(tenant_id: uuid.UUID, merkmale: Merkmale) -> list[_Found]:
    found: list[_Found] = []
    if merkmale.kundennummern:
        by_number: dict[str, set[uuid.UUID]] = {}
        for pk, number in (
            Person.objects.for_tenant(tenant_id)
            .filter(kundennummer__in=merkmale.kundennummern)
            .values_list("pk", "kundennummer")[:PERSON_CAP]
        ):
            by_number.setdefault(number, set()).add(pk)
        found += [
            _Found(f"Kundennummer {number} steht im Text", KUNDENNUMMER, persons)
            for number, persons in by_number.items()
        ]
    hints = merkmale.personen
    if not hints:
        return found
    born = [h for h in hints if h.birth_date]
    candidates: list[Person] = []
    if born:
        candidates += (
            Person.objects.for_tenant(tenant_id)
            .filter(birth_date__in={h.birth_date for h in born})
            .only("family_name", "given_names", "birth_name", "birth_date")[:PERSON_CAP]
        )
    families = {fold(h.family_name) for h in hints}
    named = list(
        Person.objects.for_tenant(tenant_id)
        .alias(folded=FoldedName("family_name"))
        .filter(folded__in=families)
        .only("family_name", "given_names", "birth_name", "birth_date")[: PERSON_CAP + 1]
    )
    if len(named) <= PERSON_CAP:
        candidates += named
    for hint in hints:
        found += _matches(hint, candidates)
    return found


def _matches(hint: PersonHinweis, candidates: list[Person]) -> list[_Found]:
    """Evidence for one named person: by name and birth date, else by name alone."""
    said = _said(hint)
    exact: set[uuid.UUID] = set()
    loose: set[uuid.UUID] = set()
    name_only: set[uuid.UUID] = set()
    other_birth: set[uuid.UUID] = set()
    for person in {p.pk: p for p in candidates}.values():
        family = _family_match(hint.family_name, person)
        given = _given_match(hint.given_names, person.given_names)
        if family is None or given is None:
            continue
        if hint.birth_date and person.birth_date == hint.birth_date:
            (exact if family == "exact" and given == "exact" else loose).add(person.pk)
        elif family == "exact" and given == "exact":
            if hint.birth_date and person.birth_date:
                other_birth.add(person.pk)
            else:
                name_only.add(person.pk)
    if exact:
        return [_Found(f"{said} passt zu einer Person der Akte", NAME_BIRTH, exact)]
    if loose:
        return [
            _Found(
                f"{said} passt in ähnlicher Schreibweise oder als Geburtsname",
                NAME_BIRTH_LOOSE,
                loose,
            )
        ]
    out = []
    name = _name(hint)
    if name_only:
        out.append(
            _Found(
                f"der Name {name} passt, die Person der Akte hat kein Geburtsdatum"
                if hint.birth_date
                else f"nur der Name {name} passt (kein Geburtsdatum im Text)",
                NAME_ONLY,
                name_only,
                name_only=True,
            )
        )
    if other_birth:
        out.append(
            _Found(
                f"der Name {name} passt, das Geburtsdatum {german_date(hint.birth_date)} nicht"
                if hint.birth_date
                else "",
                NAME_OTHER_BIRTH,
                other_birth,
                name_only=True,
            )
        )
    return out


def _name(hint: PersonHinweis) -> str:
    return " ".join(p for p in (hint.given_names, hint.family_name) if p)


def _said(hint: PersonHinweis) -> str:
    """The person as the text names them, for a reason that goes on ("…, passt")."""
    if hint.birth_date:
        return f"{_name(hint)}, geb. {german_date(hint.birth_date)},"
    return _name(hint)


def _letters(name: str) -> str:
    return re.sub(r"[^a-z]", "", fold(name))


def _family_match(family: str, person: Person) -> str | None:
    """ "exact" (folded, so Mueller = Müller), "loose" (birth name, one OCR slip) or None."""
    wanted = _letters(family)
    stored = _letters(person.family_name)
    if wanted == stored:
        return "exact"
    birth = _letters(person.birth_name)
    if wanted and (wanted == birth or _close(wanted, stored) or (birth and _close(wanted, birth))):
        return "loose"
    return None


def _given_match(given: str, stored: str) -> str | None:
    """The first given name: "exact", "loose" (missing in the text, one slip) or None."""
    wanted, have = (
        _letters(given.split()[0]) if given.split() else "",
        _letters(stored.split()[0]) if stored.split() else "",
    )
    if not wanted:
        return "loose"
    if wanted == have:
        return "exact"
    return "loose" if _close(wanted, have) else None


def _close(a: str, b: str) -> bool:
    """At most one edit apart (two for names of eight letters or more: "rn" read for "m")."""
    allowed = 2 if min(len(a), len(b)) >= 8 else 1
    if min(len(a), len(b)) < 4 or abs(len(a) - len(b)) > allowed:
        return False
    return _distance(a, b, allowed) <= allowed


def _distance(a: str, b: str, cap: int) -> int:
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        if min(current) > cap:
            return cap + 1
        previous = current
    return previous[-1]


# --- Court file numbers -----------------------------------------------------------------------


def _court_numbers(tenant_id: uuid.UUID, numbers: list[str]) -> list[_Beweis]:
    """Documents already filed in open Akten that carry the court file number (one
    full-text phrase query each, at most three numbers)."""
    evidence = []
    backend = get_backend()
    for number in numbers[:3]:
        query = parse(f'"{number}"')
        if query.is_empty:
            continue
        documents = Dokument.objects.for_tenant(tenant_id).filter(akte__status=Akte.Status.OPEN)
        found = backend.matches(
            tenant_id=tenant_id,
            query=query,
            documents=documents,
            drive="index",
            ranked=False,
            limit=20,
        )
        if not found.dokument_ids:
            continue
        rows = set(
            scoped(Dokument, tenant_id)
            .filter(pk__in=found.dokument_ids)
            .values_list("akte_id", "vorgang_id")
        )
        akten = {akte for akte, _ in rows}
        vorgaenge = {v for _, v in rows}
        beweis = _shared(
            f"Gerichtsaktenzeichen {number} steht in einem Dokument der Akte", COURT_NUMBER, akten
        )
        if len(akten) == 1 and len(vorgaenge) == 1:
            beweis.vorgang_id = vorgaenge.pop()
        evidence.append(beweis)
    return evidence


# --- Judging ----------------------------------------------------------------------------------


def _shared(reason: str, weight: float, akten: set[uuid.UUID]) -> _Beweis:
    """Evidence pointing to several Akten counts for each only a little."""
    if len(akten) > 1:
        shared = SHARED if weight >= SHARED else weight / 2
        return _Beweis(f"{reason} (passt auf {len(akten)} offene Akten)", shared, akten)
    return _Beweis(reason, weight, akten)


def _judged(akte: _Akte, evidence: list[_Beweis], akten: dict[uuid.UUID, _Akte]) -> Vorschlag:
    strong = [b for b in akte.evidence if not b.name_only]
    weak = [b for b in akte.evidence if b.name_only]
    if strong:
        confidence = _noisy_or([b.weight for b in strong] + [b.weight / 2 for b in weak])
    else:
        confidence = min(NAME_ONLY_CAP, _noisy_or([b.weight for b in weak]))
    reasons = [b.reason for b in sorted(akte.evidence, key=lambda b: -b.weight)]
    against = [
        b for b in evidence if b.weight >= IDENTIFYING and b.akten and akte.pk not in b.akten
    ]
    if against and any(b.weight >= IDENTIFYING for b in strong):
        confidence *= CONFLICT_FACTOR
        reasons.append(
            "Widersprüchlich: "
            + "; ".join(
                f"für die Akte {_named(b.akten, akten)} spricht: {b.reason}" for b in against
            )
        )
    vorgaenge = {b.vorgang_id for b in akte.evidence if b.vorgang_id}
    return Vorschlag(
        akte_id=akte.pk,
        vorgang_id=vorgaenge.pop() if len(vorgaenge) == 1 else None,
        confidence=round(min(confidence, 0.99), 3),
        reasons=reasons,
    )


def _named(ids: set[uuid.UUID], akten: dict[uuid.UUID, _Akte]) -> str:
    return ", ".join(sorted(akten[pk].aktenzeichen for pk in ids))


def _noisy_or(weights: list[float]) -> float:
    missing = 1.0
    for weight in weights:
        missing *= 1 - weight
    return 1 - missing
