"""Aktenzeichen patterns: which placeholders a pattern may name, how it is filled, and
the counter key per plan unit and year. The counting itself is
:func:`koffer.tenancy.counters.next_value`.

On a Koffer (``KOFFER_MODE=koffer``) the office's gap-free counters are not at hand: an
Akte or BG made there gets a provisional number in a visible form
(:func:`vorlaeufig`, ``KOFFER-<Koffer>-0001``) and its real one from the office on sync.
:func:`im_koffer` is the one place that decides by mode."""

from __future__ import annotations

import string
import uuid
from collections.abc import Callable
from datetime import date
from typing import Any

from django.conf import settings

from koffer.tenancy import counters


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


# The Koffer's short name in provisional numbers, registered by the Koffer's app (the
# E-Akte knows no app above it); without one the numbers read ``KOFFER-0001``.
_KENNUNG: list[Callable[[uuid.UUID], str]] = []


def register_koffer_kennung(kennung: Callable[[uuid.UUID], str]) -> None:
    _KENNUNG[:] = [kennung]


def im_koffer() -> bool:
    """This installation is a Koffer: human numbers drawn here are provisional."""
    return getattr(settings, "KOFFER_MODE", "buero") == "koffer"


PREFIX = "KOFFER-"


def vorlaeufig(tenant_id: uuid.UUID, art: str = "") -> str:
    """A provisional number on a Koffer (call inside the creating transaction):
    ``KOFFER-<Koffer>-0001`` for an Akte, ``KOFFER-<Koffer>-BG-0001`` for a BG (``art``);
    counted on the Koffer, never colliding with the office's numbers, replaced on sync."""
    lfd = counters.next_value(tenant_id, f"koffer:{art or 'akte'}")
    kurz = _KENNUNG[0](tenant_id) if _KENNUNG else ""
    teile = [p for p in (kurz, art.upper()) if p]
    return PREFIX + "".join(f"{t}-" for t in teile) + f"{lfd:04d}"


def ist_vorlaeufig(nummer: str) -> bool:
    return nummer.startswith(PREFIX)
