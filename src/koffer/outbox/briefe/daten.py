"""The values a letter's placeholders take (``vorlagen.sprache.KATALOG``), read from the
Akte, its Vorgang, the addressee, the Bedarfsgemeinschaft, the caseworker and the
letterhead. Every value is plain text; it reaches typst as JSON, never as markup.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from koffer import formats
from koffer.accounts.models import User
from koffer.records import selectors as records
from koffer.records.models import Akte, Person, Vorgang


@dataclass(frozen=True)
class Kopf:
    """What the placeholders need of the letterhead."""

    behoerde: str
    telefon: str
    oeffnungszeiten: str


def datum(d: date | None) -> str:
    return d.strftime("%d.%m.%Y") if d is not None else ""


def name(person: Person | None) -> str:
    if person is None:
        return ""
    return " ".join(p for p in (person.given_names, person.family_name) if p)


def anschrift(person: Person | None) -> dict[str, Any]:
    """A person's address as a letter stores it (``outbox.satz.Anschrift``'s parts)."""
    if person is None:
        return {"namen": [], "strasse": "", "ort": "", "land": ""}
    return {
        "namen": [name(person)] if name(person) else [],
        "strasse": person.street,
        "ort": f"{person.postal_code} {person.city}".strip(),
        "land": "",
    }


def betrag(value: str) -> Decimal | None:
    """An amount as the writer types it: ``1.234,56`` or ``1234.56``; None if it is none."""
    text = value.strip().replace("€", "").replace("EUR", "").strip()
    if not text:
        return None
    if "," in text:
        text = text.replace(".", "").replace(",", ".")
    try:
        amount = Decimal(text)
    except InvalidOperation:
        return None
    return amount.quantize(Decimal("0.01")) if amount.is_finite() else None


def euro(amount: Decimal) -> str:
    """``1.234,56 €``."""
    whole, cents = f"{amount:.2f}".split(".")
    sign = "-" if whole.startswith("-") else ""
    digits = whole.lstrip("-")
    groups: list[str] = []
    while digits:
        groups.insert(0, digits[-3:])
        digits = digits[:-3]
    return f"{sign}{'.'.join(groups) or '0'},{cents} €"


def werte(
    *,
    akte: Akte,
    vorgang: Vorgang | None,
    person: Person | None,
    caseworker: User | None,
    kopf: Kopf,
    briefdatum: date,
    eingaben: dict[str, str],
    needed: set[str] | None = None,
) -> dict[str, str]:
    """Every placeholder's value for one letter; ``eingabe.<key>`` for the writer's
    fields. ``needed``: the keys the letter uses (None: all), so that values costing a
    query are read only for letters that print them."""
    # The members only where a text names them: one query less for every other letter.
    members = (
        [name(m.person) for m in records.bg_mitglieder(akte.bg_id, akte.tenant_id)]
        if akte.bg_id and (needed is None or "bg.mitglieder" in needed)
        else []
    )
    values = {
        "person.name": name(person),
        "person.vorname": person.given_names if person else "",
        "person.familienname": person.family_name if person else "",
        "person.geburtsdatum": datum(person.birth_date) if person else "",
        "person.kundennummer": person.kundennummer if person else "",
        "person.anschrift": ", ".join(
            x for x in (person.street, f"{person.postal_code} {person.city}".strip()) if x
        )
        if person
        else "",
        "person.geburtsort": person.geburtsort if person else "",
        "person.staatsangehoerigkeit": person.staatsangehoerigkeit if person else "",
        "person.telefon": person.telefon if person else "",
        "person.email": person.email if person else "",
        "person.iban": formats.iban(person.iban) if person else "",
        "person.bic": person.bic if person else "",
        "person.kontoinhaber": (person.kontoinhaber or name(person))
        if person and person.iban
        else "",
        "akte.aktenzeichen": akte.aktenzeichen,
        "akte.titel": akte.title,
        "vorgang.titel": vorgang.title if vorgang else "",
        "vorgang.typ": vorgang.typ.label if vorgang else "",
        "vorgang.eroeffnet": datum(vorgang.opened_at.date()) if vorgang else "",
        "bg.nummer": akte.bg.bg_nummer
        if akte.bg_id and akte.bg and (needed is None or "bg.nummer" in needed)
        else "",
        "bg.mitglieder": ", ".join(members),
        "sachbearbeitung.name": caseworker.get_full_name() if caseworker else "",
        "sachbearbeitung.email": (caseworker.email or "") if caseworker else "",
        "brief.datum": datum(briefdatum),
        "behoerde.name": kopf.behoerde,
        "behoerde.telefon": kopf.telefon,
        "behoerde.oeffnungszeiten": kopf.oeffnungszeiten,
    }
    for key, value in eingaben.items():
        values[f"eingabe.{key}"] = value
    # An empty value is no value: the check names the placeholder, instead of a letter
    # with a gap where the date or the amount should be.
    return {key: value for key, value in values.items() if value.strip()}


_PLATZHALTER = re.compile(r"\{\{\s*([a-z][a-z0-9_.]*)\s*\}\}")
_AUFRUF = re.compile(r'#wert\("([a-z][a-z0-9_.]*)"\)')


def benutzt(text_satz: str, betreff: str) -> set[str]:
    """The placeholder keys a letter's body and subject use."""
    return set(_AUFRUF.findall(text_satz)) | set(_PLATZHALTER.findall(betreff))


def fuelle(text: str, values: dict[str, str]) -> str:
    """A one-line text (the Betreff) with its placeholders filled in as plain text."""
    return _PLATZHALTER.sub(lambda m: values.get(m.group(1), ""), text)
