"""One letter as the typesetting sees it: plain frozen data, no models.

The body is typst markup written by an administrator; everything else is text that
reaches typst as JSON and is printed as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

Form = Literal["A", "B"]


@dataclass(frozen=True)
class Briefkopf:
    """The sender: authority and unit in the letterhead; address, phone, e-mail, opening
    hours and bank in the footer; ``logo_svg`` (SVG text) at the letterhead's right."""

    behoerde: str
    einheit: str = ""
    anschrift: tuple[str, ...] = ()
    telefon: str = ""
    email: str = ""
    oeffnungszeiten: tuple[str, ...] = ()
    bank: tuple[str, ...] = ()  # e.g. "IBAN DE…", "BIC …", the bank's name
    logo_svg: str | None = None


@dataclass(frozen=True)
class Anschrift:
    """The recipient. ``namen``: the lines naming them (Anrede and name, company,
    department, c/o); ``strasse``: street and number or "Postfach 12 34"; ``ort``:
    postcode and town ("12345 Musterstadt"), abroad as the country writes it; ``land``:
    empty in Germany, abroad the country in capitals ("FRANKREICH")."""

    namen: tuple[str, ...]
    strasse: str
    ort: str
    land: str = ""

    @property
    def zeilen(self) -> tuple[str, ...]:
        """The lines printed in the Anschriftzone, top down, blank ones left out."""
        lines = (*self.namen, self.strasse, self.ort, self.land)
        return tuple(line for line in lines if line.strip())


@dataclass(frozen=True)
class Briefsatz:
    """Everything one letter prints.

    ``body`` is typst markup (bold, lists, headings); values appear in it only as
    ``#wert("akte.aktenzeichen")``, read from ``werte``; text blocks are already expanded.
    ``info`` are the information block's rows (label, value), at most six: Datum,
    Aktenzeichen, Ansprechpartner, Telefon …; ``aktenzeichen`` also heads the pages
    after the first. ``antwortcode`` is the text of the reply code printed as a QR code
    (``records.antwortcode.encode``), None for none. ``titel`` is the PDF's title
    (default: the subject)."""

    form: Form
    briefkopf: Briefkopf
    ruecksendeangabe: str
    anschrift: Anschrift
    info: tuple[tuple[str, str], ...]
    betreff: str
    body: str
    werte: Mapping[str, str] = field(default_factory=dict)
    vermerk: tuple[str, ...] = ()
    anlagen: tuple[str, ...] = ()
    antwortcode: str | None = None
    aktenzeichen: str = ""
    titel: str = ""
