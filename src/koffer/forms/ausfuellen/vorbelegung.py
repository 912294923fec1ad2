"""Prefilling a draft from the E-Akte (``vorbelegung`` of a field, format 1): the Akte's
first person, its Bedarfsgemeinschaft, and ``frueher``, the answer the same field got in
this Akte's last submission of the same form. A source without data leaves the field
empty; koffer's records keep no telephone, e-mail, bank account, place of birth or
nationality yet, so those sources stay empty until they do.

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
    "person.anschrift": _person(anschrift),
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
    ids = {str(s.person_id) for s in records.akte_subjekte(akte)}
    if akte.bg_id:
        ids |= {str(m.person_id) for m in records.bg_mitglieder(akte.bg_id, akte.tenant_id)}
    return frozenset(ids)
