"""Identifiers that people type in: the Leitweg-ID and the IBAN (with check digits), and
the Jobcenter's Kundennummer (a fixed shape, no check digit).

Both are checked where they are entered (as Django field validators on the models that
store them, and in the services and API schemas that take them), so a typo is caught when
it is made and not first when an invoice goes out. Both use ISO 7064 MOD 97-10 with the
letters A–Z counted as 10–35.

This module sits below every app (like ``koffer.errors``): the Leitweg-ID lives on the
Mandant (``koffer.tenancy``), the IBAN on the provider's profile (``koffer.placements``),
and the invoice code (``koffer.placements.xrechnung``) uses the same check.

Leitweg-ID, after KoSIT's "Format-Spezifikation Leitweg-ID" 2.0: Grobadressierung (2–12
digits), optionally ``-`` Feinadressierung (1–30 letters or digits), ``-`` two check
digits. The check digits are MOD 97-10 over the ID without its hyphens: for
``04011000-1234512345-06``, ``04011000123451234506`` mod 97 must be 1.

Kundennummer of the Bundesagentur/Jobcenter (on every notice of a person in SGB II):
three digits, one capital letter, six digits, e.g. ``123D456789``. Stored in that
compact form (``normalise_kundennummer``); the Posteingang reads it from letters.

A person's bank account in the E-Akte (``records.Person``): the IBAN is typed as printed
(groups of four, small letters) and stored in the electronic form (``normalise_iban``);
the BIC (ISO 9362) has eight or eleven characters and no check digit, so only its shape
is checked.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

LEITWEG_ID = re.compile(r"^([0-9]{2,12})(?:-([A-Za-z0-9]{1,30}))?-([0-9]{2})$")

# IBAN lengths of the SEPA countries (SWIFT IBAN registry); other countries: 15–34.
IBAN_LENGTHS = {
    "AD": 24, "AT": 20, "BE": 16, "BG": 22, "CH": 21, "CY": 28, "CZ": 24, "DE": 22,
    "DK": 18, "EE": 20, "ES": 24, "FI": 18, "FR": 27, "GB": 22, "GI": 23, "GR": 27,
    "HR": 21, "HU": 28, "IE": 22, "IS": 26, "IT": 27, "LI": 21, "LT": 20, "LU": 20,
    "LV": 21, "MC": 27, "MT": 31, "NL": 18, "NO": 15, "PL": 28, "PT": 25, "RO": 24,
    "SE": 24, "SI": 19, "SK": 24, "SM": 27, "VA": 22,
}  # fmt: skip
KUNDENNUMMER = re.compile(r"^[0-9]{3}[A-Z][0-9]{6}$")
# Bank (4 letters), country (2 letters), location (2), optionally branch (3).
BIC = re.compile(r"^[A-Z]{4}[A-Z]{2}[A-Z0-9]{2}(?:[A-Z0-9]{3})?$")
_IBAN = re.compile(r"^([A-Z]{2})([0-9]{2})([A-Z0-9]{11,30})$")


def mod97(text: str) -> int:
    """``text`` (digits and letters, A=10 … Z=35) as a number, modulo 97."""
    remainder = 0
    for char in text.upper():
        value = int(char, 36)  # "0"–"9" -> 0–9, "A"–"Z" -> 10–35
        remainder = (remainder * (100 if value > 9 else 10) + value) % 97
    return remainder


def check_digits(text: str) -> str:
    """The two MOD 97-10 check digits that make ``text`` + digits ≡ 1 (mod 97)."""
    return f"{98 - mod97(text + '00'):02d}"


def leitweg_id_problem(value: str) -> str | None:
    """Why ``value`` is no Leitweg-ID (German, for the person who typed it), or None."""
    match = LEITWEG_ID.match(value)
    if match is None:
        return (
            f"„{value}“ ist keine Leitweg-ID. Sie hat die Form Grobadressierung (2 bis 12 "
            "Ziffern), optional Bindestrich und Feinadressierung (bis zu 30 Buchstaben oder "
            "Ziffern), dann Bindestrich und zwei Prüfziffern, z. B. 04011000-1234512345-06."
        )
    grob, fein, given = match.groups()
    expected = check_digits(grob + (fein or ""))
    if given != expected:
        return (
            f"Die Prüfziffer der Leitweg-ID stimmt nicht; erwartet {expected}, "
            f"eingetragen {given}. Bitte die Leitweg-ID mit der Rechnungsstelle abgleichen."
        )
    return None


def iban_problem(value: str) -> str | None:
    """Why ``value`` is no IBAN (German), or None. Expects the electronic form: capitals and
    digits without spaces, as it goes into the invoice (BT-84)."""
    if any(char.isspace() for char in value):
        return "Die IBAN bitte ohne Leerzeichen eingeben, z. B. DE02120300000000202051."
    match = _IBAN.match(value)
    if match is None:
        return (
            f"„{value}“ ist keine IBAN. Sie beginnt mit dem Ländercode (zwei Großbuchstaben) "
            "und zwei Prüfziffern, gefolgt von der Kontoangabe, z. B. DE02120300000000202051."
        )
    country, given, account = match.groups()
    length = IBAN_LENGTHS.get(country)
    if length is not None and len(value) != length:
        return f"Eine IBAN aus {country} hat {length} Stellen, eingetragen sind {len(value)}."
    expected = check_digits(account + country)
    if given != expected:
        return (
            f"Die Prüfziffer der IBAN stimmt nicht; erwartet {expected}, eingetragen {given}. "
            "Bitte die IBAN auf Tippfehler prüfen."
        )
    return None


def normalise_iban(value: str) -> str:
    """The electronic form: without spaces, in capitals (``de02 1203 0000 …`` ->
    ``DE021203…``). Whether it is one is :func:`iban_problem`'s answer."""
    return "".join(value.split()).upper()


def normalise_bic(value: str) -> str:
    """A BIC without spaces, in capitals."""
    return "".join(value.split()).upper()


def bic_problem(value: str) -> str | None:
    """Why ``value`` (normalised) is no BIC (German), or None."""
    if BIC.match(value):
        return None
    return (
        f"„{value}“ ist keine BIC. Sie hat 8 oder 11 Stellen: vier Buchstaben für die Bank, "
        "den Ländercode und zwei Zeichen für den Ort, z. B. COBADEFFXXX."
    )


def normalise_kundennummer(value: str) -> str:
    """The compact form: without spaces, the letter in capitals (``123 d 456789`` ->
    ``123D456789``). Whether it is one is :func:`kundennummer_problem`'s answer."""
    return "".join(value.split()).upper()


def kundennummer_problem(value: str) -> str | None:
    """Why ``value`` (compact form) is no Kundennummer (German), or None."""
    if KUNDENNUMMER.match(value):
        return None
    return (
        f"„{value}“ ist keine Kundennummer. Sie hat drei Ziffern, einen Buchstaben und "
        "sechs Ziffern, z. B. 123D456789."
    )


def validate_leitweg_id(value: str) -> None:
    """Django field validator; blank values are the field's business (``blank=True``)."""
    problem = leitweg_id_problem(value)
    if problem:
        raise ValidationError(problem, code="leitweg_id")


def validate_iban(value: str) -> None:
    """Django field validator for an IBAN in electronic form."""
    problem = iban_problem(value)
    if problem:
        raise ValidationError(problem, code="iban")


def validate_bic(value: str) -> None:
    """Django field validator for a BIC (normalised)."""
    problem = bic_problem(value)
    if problem:
        raise ValidationError(problem, code="bic")


def validate_kundennummer(value: str) -> None:
    """Django field validator for a Kundennummer in compact form."""
    problem = kundennummer_problem(value)
    if problem:
        raise ValidationError(problem, code="kundennummer")
