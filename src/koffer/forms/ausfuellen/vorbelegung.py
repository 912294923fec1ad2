"""Prefilling a draft from the E-Akte (``vorbelegung`` of a field, format 1): the Akte's
first person (name, birth, place of birth, nationality, address, telephone, e-mail and
bank account: IBAN, BIC, account holder), its Bedarfsgemeinschaft, and ``frueher``, the
answer the same field got in this Akte's last submission of the same form. A source
without data leaves the field empty. ``person.kontoinhaber`` is another holder the Akte
names; the Akte leaves it blank when the account is the person's own, as the forms ask
("only if the account is not in your name"), so the field stays empty then.

Every value has the form an answer takes (``koffer.forms.definition``): ISO dates, an
address as an object, a table as rows.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from koffer.forms.definition import Definition, Feld
from koffer.forms.definition.modell import MITGLIED_SPALTEN
from koffer.records import selectors as records
from koffer.records.models import Akte, BgMitglied, Person

# "Hauptstraße 12a" → street and number; a street without a number stays whole.
HAUSNUMMER = re.compile(
    r"^(?P<strasse>.*?\D)\s+(?P<nummer>\d+\s*[a-zA-Z]?(?:\s*[-/]\s*\d+\s*[a-zA-Z]?)?)$"
)


@dataclass
class Aktenlage:
    """What the Akte holds for prefilling, read once per draft."""

    akte: Akte
    person: Person | None
    mitglieder: list[BgMitglied]
    frueher: Mapping[str, Any] = field(default_factory=dict)


def anschrift(person: Person) -> dict[str, str] | None:
    if not (person.street or person.postal_code or person.city):
        return None
    strasse, nummer = person.street.strip(), ""
    teile = HAUSNUMMER.match(strasse)
    if teile is not None:
        strasse, nummer = teile["strasse"].strip(), teile["nummer"].replace(" ", "")
    return {
        "strasse": strasse,
        "hausnummer": nummer,
        "plz": person.postal_code.strip(),
        "ort": person.city.strip(),
    }


def _person(attr: Callable[[Person], Any]) -> Callable[[Aktenlage, Feld], Any]:
    return lambda lage, feld: attr(lage.person) if lage.person is not None else None


def _mitglieder(lage: Aktenlage, feld: Feld) -> list[dict[str, Any]] | None:
    spalten = {s.id for s in feld.spalten} & set(MITGLIED_SPALTEN)
    if not lage.mitglieder or not spalten:
        return None
    zeilen = []
    for m in lage.mitglieder:
        p = m.person
        alle = {
            "vorname": p.given_names,
            "nachname": p.family_name,
            "geburtsdatum": p.birth_date.isoformat() if p.birth_date else None,
            "person": str(p.pk),
        }
        zeilen.append({k: v for k, v in alle.items() if k in spalten and v})
    return zeilen


QUELLEN: dict[str, Callable[[Aktenlage, Feld], Any]] = {
    "person.vorname": _person(lambda p: p.given_names),
    "person.nachname": _person(lambda p: p.family_name),
    "person.geburtsname": _person(lambda p: p.birth_name),
    "person.geburtsdatum": _person(lambda p: p.birth_date.isoformat() if p.birth_date else None),
    "person.geburtsort": _person(lambda p: p.geburtsort),
    "person.staatsangehoerigkeit": _person(lambda p: p.staatsangehoerigkeit),
    "person.anschrift": _person(anschrift),
    "person.telefon": _person(lambda p: p.telefon),
    "person.email": _person(lambda p: p.email),
    "person.iban": _person(lambda p: p.iban),
    "person.bic": _person(lambda p: p.bic),
    "person.kontoinhaber": _person(lambda p: p.kontoinhaber),
    "akte.aktenzeichen": lambda lage, feld: lage.akte.aktenzeichen,
    "bg.nummer": lambda lage, feld: lage.akte.bg.bg_nummer if lage.akte.bg else None,
    "bg.mitglieder": _mitglieder,
    "frueher": lambda lage, feld: lage.frueher.get(feld.id),
}


def aktenlage(akte: Akte, frueher: Mapping[str, Any]) -> Aktenlage:
    mitglieder = list(records.bg_mitglieder(akte.bg_id, akte.tenant_id)) if akte.bg_id else []
    return Aktenlage(akte, records.first_subject(akte), mitglieder, frueher)


def vorbelegen(definition: Definition, lage: Aktenlage) -> tuple[dict[str, Any], dict[str, str]]:
    """The prefilled answers and, per field, the source it came from."""
    antworten: dict[str, Any] = {}
    vorbelegt: dict[str, str] = {}
    for feld in definition.felder.values():
        quelle = QUELLEN.get(feld.vorbelegung or "")
        if quelle is None:
            continue
        wert = quelle(lage, feld)
        if wert in (None, "", [], {}):
            continue
        antworten[feld.id] = wert
        vorbelegt[feld.id] = feld.vorbelegung or ""
    return antworten, vorbelegt


def personen(akte: Akte) -> frozenset[str]:
    """The ids a person field may name: the Akte's persons and its BG's members."""
    return frozenset(personennamen(akte))


def personennamen(akte: Akte) -> dict[str, str]:
    """The persons a person field may name, id → "Vorname Nachname (geb. TT.MM.JJJJ)", in
    the Akte's order: its persons, then its BG's other members (for the form's choice and
    its print)."""
    namen: dict[str, str] = {}
    for person in [s.person for s in records.akte_subjekte(akte)] + (
        [m.person for m in records.bg_mitglieder(akte.bg_id, akte.tenant_id)] if akte.bg_id else []
    ):
        name = f"{person.given_names} {person.family_name}".strip()
        if person.birth_date:
            name += f" (geb. {person.birth_date:%d.%m.%Y})"
        namen.setdefault(str(person.pk), name)
    return namen


def mit_namen(
    definition: Definition, werte: Mapping[str, Any], namen: Mapping[str, str]
) -> dict[str, Any]:
    """``werte`` with every person field's and person column's id replaced by the name (a
    printed form names people, not database keys)."""
    ergebnis = dict(werte)
    for feld in definition.felder.values():
        wert = ergebnis.get(feld.id)
        if feld.typ == "person" and isinstance(wert, str):
            ergebnis[feld.id] = namen.get(wert, wert)
        elif feld.typ == "tabelle" and isinstance(wert, list):
            spalten = [s.id for s in feld.spalten if s.typ == "person"]
            if spalten:
                ergebnis[feld.id] = [
                    {
                        k: (namen.get(v, v) if k in spalten and isinstance(v, str) else v)
                        for k, v in zeile.items()
                    }
                    for zeile in wert
                ]
    return ergebnis
