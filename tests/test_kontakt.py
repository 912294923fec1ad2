"""Telephone, e-mail and BIC as people type them (koffer.kontakt, koffer.identifiers): one
rule for the E-Akte's persons and the Formulare's formats, answered in German."""

from __future__ import annotations

import pytest

from koffer import identifiers, kontakt


@pytest.mark.parametrize(
    "value", ["030 1234567", "+49 30 1234-567", "(030) 123 45 67", "0171/1234567"]
)
def test_telephone_numbers_as_people_write_them(value: str) -> None:
    assert kontakt.telefon_problem(value) is None


@pytest.mark.parametrize("value", ["12345", "030 abc", "-- -- --", "0" * 26, "+49 (0) 30 x"])
def test_no_telephone_number(value: str) -> None:
    problem = kontakt.telefon_problem(value)
    assert problem is not None and "keine Telefonnummer" in problem


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("anna.beispiel@example.org", True),
        ("a@b.de", True),
        ("anna@example", False),
        ("anna beispiel@example.org", False),
        ("@example.org", False),
        ("a" * 250 + "@b.de", False),
    ],
)
def test_email_addresses(value: str, ok: bool) -> None:
    problem = kontakt.email_problem(value)
    assert (problem is None) == ok
    if not ok:
        assert problem is not None and "keine E-Mail-Adresse" in problem


def test_iban_and_bic_are_normalised_and_checked() -> None:
    iban = identifiers.normalise_iban(" de89 3704 0044 0532 0130 00 ")
    assert iban == "DE89370400440532013000" and identifiers.iban_problem(iban) is None
    assert identifiers.normalise_bic("cobade ffxxx") == "COBADEFFXXX"
    assert identifiers.bic_problem("COBADEFF") is None
    assert identifiers.bic_problem("COBADEFFXXX") is None
    for wrong in ("COBADEF", "COBADEFFXX", "1OBADEFF", "COBA1EFF"):
        problem = identifiers.bic_problem(wrong)
        assert problem is not None and "keine BIC" in problem, wrong
