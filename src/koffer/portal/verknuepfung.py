"""Linking a BundID account to a person of the E-Akte: only on a sign-in at level "hoch",
and only when exactly one person of the Mandant has the same family name, given names
and birth date, names folded as the Posteingang folds them ("Müller" = "Mueller")."""

from __future__ import annotations

import re
from datetime import date

from koffer.records.models import Person
from koffer.records.suche.backends.folding import fold

# A birth date shared by more people than this is no evidence to sort through.
KANDIDATEN_HOECHSTENS = 200


def _buchstaben(name: str) -> str:
    return re.sub(r"[^a-z]", "", fold(name))


def eindeutige_person(
    tenant_id: object, *, family_name: str, given_names: str, birth_date: date | None
) -> Person | None:
    """The one person matching all three, or None (none, several, or data missing)."""
    familie, vornamen = _buchstaben(family_name), _buchstaben(given_names)
    if not familie or not vornamen or birth_date is None:
        return None
    kandidaten = list(
        Person.objects.for_tenant(tenant_id)
        .filter(birth_date=birth_date)
        .only("family_name", "given_names", "birth_date")[: KANDIDATEN_HOECHSTENS + 1]
    )
    if len(kandidaten) > KANDIDATEN_HOECHSTENS:
        return None
    treffer = [
        p
        for p in kandidaten
        if _buchstaben(p.family_name) == familie and _buchstaben(p.given_names) == vornamen
    ]
    return treffer[0] if len(treffer) == 1 else None


def passende_personen(
    tenant_id: object, *, family_name: str, given_names: str, birth_date: date | None
) -> list[Person]:
    """Every person matching name (folded) and birth date, for the office to choose from."""
    familie, vornamen = _buchstaben(family_name), _buchstaben(given_names)
    if not familie or birth_date is None:
        return []
    kandidaten = (
        Person.objects.for_tenant(tenant_id)
        .filter(birth_date=birth_date)
        .order_by("family_name", "given_names", "id")[:KANDIDATEN_HOECHSTENS]
    )
    return [
        p
        for p in kandidaten
        if _buchstaben(p.family_name) == familie
        and (not vornamen or _buchstaben(p.given_names) == vornamen)
    ]
