"""What the page and the API of „Hausbesuch anfragen“ share: for whom a request may be
(``fuer``: ``selbst``, a represented person's id, ``andere``) and the form's cleaned data
as the field's :class:`Angaben`."""

from __future__ import annotations

import uuid

from koffer.field.models import Besuchswunsch
from koffer.field.wuensche.services import Angaben
from koffer.portal.errors import NotFound
from koffer.portal.models import Buergerkonto
from koffer.records.models import Person

SELBST, ANDERE = "selbst", "andere"


def wahl(konto: Buergerkonto, personen: list[Person]) -> list[tuple[str, str]]:
    """Whom the citizen may ask for: itself, each represented person, another person."""
    gefunden = [(SELBST, "für mich selbst")]
    gefunden += [
        (str(p.pk), f"für {p.given_names} {p.family_name} (Vertretung)")
        for p in personen
        if p.pk != konto.person_id
    ]
    gefunden.append((ANDERE, "für eine angehörige oder andere Person, die ich nicht vertrete"))
    return gefunden


def person(konto: Buergerkonto, personen: list[Person], fuer: str) -> Person | None:
    """The person ``fuer`` names (None: the account itself unlinked, or another person);
    :class:`NotFound` for one the account may not act for."""
    if fuer == ANDERE:
        return None
    if fuer == SELBST:
        return next((p for p in personen if p.pk == konto.person_id), None)
    try:
        person_id = uuid.UUID(fuer)
    except ValueError as exc:
        raise NotFound("person_not_found", "Diese Person gibt es nicht.") from exc
    gefunden = next((p for p in personen if p.pk == person_id and p.pk != konto.person_id), None)
    if gefunden is None:
        raise NotFound("person_not_found", "Diese Person gibt es nicht.")
    return gefunden


def vorbelegt(konto: Buergerkonto, person: Person | None, fuer: str) -> dict[str, object]:
    """What the request starts with: the person's (or the unlinked account's) name and
    address, the person's phone; nothing for another person."""
    if fuer == ANDERE:
        return {}
    quelle: Person | Buergerkonto = person if person is not None else konto
    werte: dict[str, object] = {
        "family_name": quelle.family_name,
        "given_names": quelle.given_names,
        "street": quelle.street,
        "postal_code": quelle.postal_code,
        "city": quelle.city,
    }
    if person is not None and person.telefon:
        werte["telefon"] = person.telefon
    return werte


def angaben(data: dict[str, object], person: Person | None, fuer: str) -> Angaben:
    """The form's cleaned data for the field's service (a person's name from the E-Akte)."""
    return Angaben(
        fuer=Besuchswunsch.Fuer.ANGEHOERIGE if fuer == ANDERE else Besuchswunsch.Fuer.SELBST,
        family_name=person.family_name if person else str(data.get("family_name") or ""),
        given_names=person.given_names if person else str(data.get("given_names") or ""),
        street=str(data["street"]),
        postal_code=str(data["postal_code"]),
        city=str(data["city"]),
        telefon=str(data["telefon"]),
        beziehung=str(data.get("beziehung") or ""),
        thema=str(data["thema"]),
        anliegen=str(data.get("anliegen") or ""),
        wochentage=list(data.get("wochentage") or []),  # type: ignore[call-overload]
        tageszeit=str(data["tageszeit"]),
        ab=data.get("ab"),  # type: ignore[arg-type]
        bis=data.get("bis"),  # type: ignore[arg-type]
        barrieren=list(data.get("barrieren") or []),  # type: ignore[call-overload]
        barrieren_hinweis=str(data.get("barrieren_hinweis") or ""),
    )
