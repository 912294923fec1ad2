"""Leitweg-ID and IBAN: form and ISO 7064 MOD 97-10 check digits (``koffer.identifiers``)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from koffer.identifiers import (
    check_digits,
    iban_problem,
    leitweg_id_problem,
    mod97,
    validate_iban,
    validate_leitweg_id,
)


@pytest.mark.parametrize(
    "leitweg_id",
    [
        "04011000-1234512345-06",  # the worked example of KoSIT's format specification
        "09999000-KREIS-21",
        "991-33333TEST-33",  # KoSIT's test Leitweg-ID
        "0401100012-97",  # no Feinadressierung: grob and check digits only
        "09999000-kreis-21",  # letters count the same in either case
    ],
)
def test_valid_leitweg_ids(leitweg_id):
    assert leitweg_id_problem(leitweg_id) is None
    validate_leitweg_id(leitweg_id)


def test_wrong_check_digit_names_the_expected_one():
    assert leitweg_id_problem("09999000-KREIS-42") == (
        "Die Prüfziffer der Leitweg-ID stimmt nicht; erwartet 21, eingetragen 42. "
        "Bitte die Leitweg-ID mit der Rechnungsstelle abgleichen."
    )
    with pytest.raises(ValidationError) as err:
        validate_leitweg_id("09999000-KREIS-42")
    assert err.value.code == "leitweg_id"


@pytest.mark.parametrize(
    "value",
    [
        "",
        "1-KREIS-21",  # Grobadressierung has 2 to 12 digits
        "1234567890123-21",
        "09999000-KREIS",  # no check digits
        "09999000-KREIS-2",
        "09999000--21",
        "09999000-KRE IS-21",
        "09999000-KREIS_A-21",
        "09999000-" + "A" * 31 + "-21",  # Feinadressierung has at most 30 characters
        " 09999000-KREIS-21",
    ],
)
def test_malformed_leitweg_ids_explain_the_form(value):
    problem = leitweg_id_problem(value)
    assert problem is not None and "ist keine Leitweg-ID" in problem
    assert "Grobadressierung" in problem


@pytest.mark.parametrize(
    "iban", ["DE02120300000000202051", "DE89370400440532013000", "GB82WEST12345698765432"]
)
def test_valid_ibans(iban):
    assert iban_problem(iban) is None
    validate_iban(iban)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ("DE89370400440532013001", "Die Prüfziffer der IBAN stimmt nicht; erwartet 62"),
        ("DE12370400440532013000", "erwartet 89, eingetragen 12"),
        ("DE8937040044053201300", "Eine IBAN aus DE hat 22 Stellen, eingetragen sind 21."),
        ("DE89 3704 0044 0532 0130 00", "ohne Leerzeichen"),
        ("de89370400440532013000", "ist keine IBAN"),
        ("89370400440532013000", "ist keine IBAN"),
        ("", "ist keine IBAN"),
    ],
)
def test_wrong_ibans(value, says):
    problem = iban_problem(value)
    assert problem is not None and says in problem
    with pytest.raises(ValidationError) as err:
        validate_iban(value)
    assert err.value.code == "iban"


def test_mod97_counts_letters_as_two_digits():
    assert mod97("A") == 10 and mod97("Z") == 35
    assert mod97("1A") == 110 % 97
    assert mod97("0401100012345123450 6".replace(" ", "")) == 1


@given(
    grob=st.from_regex(r"[0-9]{2,12}", fullmatch=True),
    fein=st.from_regex(r"[A-Z0-9]{0,30}", fullmatch=True),
)
def test_computed_check_digits_always_pass_and_every_other_fails(grob, fein):
    digits = check_digits(grob + fein)
    body = f"{grob}-{fein}" if fein else grob
    assert leitweg_id_problem(f"{body}-{digits}") is None
    wrong = f"{(int(digits) + 1) % 100:02d}"
    assert leitweg_id_problem(f"{body}-{wrong}") is not None
