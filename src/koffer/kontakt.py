"""How a person can be reached, as people type it: a telephone number and an e-mail
address. One rule for the E-Akte's persons (``records.Person``) and for the Formulare's
``format`` ``telefon`` and ``email``, so that a value kept in the Akte is always one a
form prefilled from it accepts.

This module sits below every app, beside ``koffer.identifiers``."""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# Digits with the separators people write (``+49 30 1234-56``, ``(030) 123 45 67``).
TELEFON = re.compile(r"^\+?[0-9 ()/\-]{6,25}$")
EMAIL_MAX = 254  # RFC 5321: the longest address that can be used as a path


def email_problem(value: str) -> str | None:
    """Why ``value`` (trimmed) is no e-mail address (German), or None."""
    if len(value) > EMAIL_MAX or not EMAIL.match(value):
        return (
            f"„{value[:60]}“ ist keine E-Mail-Adresse. Bitte in der Form name@example.de angeben."
        )
    return None


def telefon_problem(value: str) -> str | None:
    """Why ``value`` (trimmed) is no telephone number (German), or None."""
    if not TELEFON.match(value) or sum(char.isdigit() for char in value) < 3:
        return (
            f"„{value[:60]}“ ist keine Telefonnummer. Bitte nur Ziffern, Leerzeichen und "
            "+ - / ( ) verwenden, 6 bis 25 Zeichen, z. B. 030 1234567 oder +49 30 1234567."
        )
    return None


def validate_email(value: str) -> None:
    """Django field validator; blank values are the field's business (``blank=True``)."""
    problem = email_problem(value)
    if problem:
        raise ValidationError(problem, code="email")


def validate_telefon(value: str) -> None:
    """Django field validator for a telephone number."""
    problem = telefon_problem(value)
    if problem:
        raise ValidationError(problem, code="telefon")
