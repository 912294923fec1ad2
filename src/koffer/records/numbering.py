"""Aktenzeichen patterns: which placeholders a pattern may name, how it is filled, and
the counter key per plan unit and year. The counting itself is
:func:`koffer.tenancy.counters.next_value`."""

from __future__ import annotations

import string
import uuid
from datetime import date
from typing import Any


class PatternError(ValueError):
    """The Aktenzeichen pattern names a field we do not know."""


ALLOWED_FIELDS = {"kennzeichen", "jahr", "lfd", "einheit"}


def validate_pattern(pattern: str) -> None:
    fields = {name for _, name, _, _ in string.Formatter().parse(pattern) if name}
    unknown = fields - ALLOWED_FIELDS
    if unknown:
        raise PatternError(f"Unbekannte Platzhalter im Muster: {', '.join(sorted(unknown))}")
    if "lfd" not in fields:
        raise PatternError("Das Muster braucht die laufende Nummer {lfd}.")


def format_aktenzeichen(
    pattern: str, *, kennzeichen: str, year: int, lfd: int, einheit: str = ""
) -> str:
    values: dict[str, Any] = {
        "kennzeichen": kennzeichen,
        "jahr": year,
        "lfd": lfd,
        "einheit": einheit,
    }
    return pattern.format(**values)


def aktenzeichen_key(aktenplaneinheit_id: uuid.UUID, on: date) -> str:
    return f"az:{aktenplaneinheit_id}:{on.year}"
