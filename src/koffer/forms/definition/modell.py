"""The typed form of a definition (format 1, ``docs/formulare-definition.schema.json``).

Everything here is immutable and built once by :func:`koffer.forms.definition.lesen`;
``roh`` keeps the JSON it was read from, so an export gives back what the admin wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

#: A human text per language, ``{"de": "Vorname"}``.
Text = Mapping[str, str]

#: Every field type of format 1 and the JSON value it takes in answers.
FELDTYPEN = (
    "text",
    "mehrzeilig",
    "zahl",
    "geld",
    "datum",
    "auswahl",
    "janein",
    "anschrift",
    "iban",
    "person",
    "tabelle",
    "datei",
    "unterschrift",
    "hinweis",
)
#: Column types a table may have.
SPALTENTYPEN = ("text", "zahl", "geld", "datum", "auswahl", "janein", "person")
#: Types compared by size (``groesser``, ``kleiner`` …).
VERGLEICHBAR = ("zahl", "geld", "datum")

#: Prefill sources and the field types each fits.
VORBELEGUNGEN: Mapping[str, frozenset[str]] = {
    "person.vorname": frozenset({"text"}),
    "person.nachname": frozenset({"text"}),
    "person.geburtsname": frozenset({"text"}),
    "person.geburtsdatum": frozenset({"datum"}),
    "person.geburtsort": frozenset({"text"}),
    "person.staatsangehoerigkeit": frozenset({"text"}),
    "person.anschrift": frozenset({"anschrift"}),
    "person.telefon": frozenset({"text"}),
    "person.email": frozenset({"text"}),
    "person.iban": frozenset({"iban"}),
    "person.bic": frozenset({"text"}),
    "person.kontoinhaber": frozenset({"text"}),
    "akte.aktenzeichen": frozenset({"text"}),
    "bg.nummer": frozenset({"text"}),
    "bg.mitglieder": frozenset({"tabelle"}),
    "frueher": frozenset(set(FELDTYPEN) - {"hinweis", "datei", "unterschrift"}),
}
#: Columns of a table that ``bg.mitglieder`` fills, per member.
MITGLIED_SPALTEN = ("vorname", "nachname", "geburtsdatum", "person")


@dataclass(frozen=True)
class Bedingung:
    """A condition compiled once: ``gilt(werte, heute)`` on normalised values (a field
    that is not shown is absent, i.e. empty); ``felder`` are the ids it reads."""

    roh: Mapping[str, Any]
    felder: frozenset[str]
    gilt: Callable[[Mapping[str, Any], date], bool] = field(compare=False, repr=False)


@dataclass(frozen=True)
class Option:
    wert: str
    label: Text


@dataclass(frozen=True)
class Feld:
    id: str
    typ: str
    label: Text
    schritt: str  # the step's id ("" for a table's column)
    hilfe: Text | None = None
    pflicht: bool = False
    bedingung: Bedingung | None = None
    vorbelegung: str | None = None
    druck: Mapping[str, Any] = field(default_factory=dict)
    min_laenge: int | None = None
    max_laenge: int | None = None
    muster: str | None = None
    muster_meldung: Text | None = None
    format: str | None = None
    min: str | None = None  # zahl/geld: a decimal as text; datum: ISO or "heute"
    max: str | None = None
    nachkommastellen: int = 0
    optionen: tuple[Option, ...] = ()
    mehrfach: bool = False
    darstellung: str = "radio"
    spalten: tuple[Feld, ...] = ()
    min_zeilen: int = 0
    max_zeilen: int = 20
    dateitypen: tuple[str, ...] = ("application/pdf", "image/jpeg", "image/png")
    max_mb: int = 20
    text: Text | None = None

    @property
    def hat_wert(self) -> bool:
        return self.typ != "hinweis"

    def option(self, wert: str) -> Option | None:
        return next((o for o in self.optionen if o.wert == wert), None)


@dataclass(frozen=True)
class Schritt:
    id: str
    titel: Text
    felder: tuple[Feld, ...]
    hilfe: Text | None = None
    bedingung: Bedingung | None = None


@dataclass(frozen=True)
class Regel:
    id: str
    dann: Bedingung
    felder: tuple[str, ...]
    meldung: Text
    wenn: Bedingung | None = None


@dataclass(frozen=True)
class Vorgangsangabe:
    """What a submission does in the E-Akte: open a Vorgang of ``vorgangstyp`` with a Frist
    per Fristregel code in ``fristen`` (from the day it came in) and set a Wiedervorlage
    ``wiedervorlage_tage`` days later."""

    vorgangstyp: str
    wiedervorlage_tage: int | None = None
    fristen: tuple[str, ...] = ()


@dataclass(frozen=True)
class Definition:
    schluessel: str
    titel: Text
    schritte: tuple[Schritt, ...]
    roh: Mapping[str, Any] = field(compare=False, repr=False)
    kurztitel: Text | None = None
    beschreibung: Text | None = None
    sprachen: tuple[str, ...] = ("de",)
    fachbereich: str | None = None
    vorgang: Vorgangsangabe | None = None
    regeln: tuple[Regel, ...] = ()
    druck: Mapping[str, Any] = field(default_factory=dict)
    #: every field with a value or not, by id, in the order they are checked (a field
    #: after every field its condition reads)
    felder: Mapping[str, Feld] = field(default_factory=dict, compare=False, repr=False)

    def schritt(self, schritt_id: str) -> Schritt | None:
        return next((s for s in self.schritte if s.id == schritt_id), None)

    def feld(self, feld_id: str) -> Feld | None:
        return self.felder.get(feld_id)


def text_de(text: Text | None, sprache: str = "de") -> str:
    """The text in ``sprache``, falling back to German."""
    if not text:
        return ""
    return text.get(sprache) or text.get("de", "")
