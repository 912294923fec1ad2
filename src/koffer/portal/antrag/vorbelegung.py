"""What the portal knows of a signed-in citizen for prefilling and filing: the account's
own data (from BundID or typed in), and, when the account is linked to a person, that
person, the one open Akte of the form's Fachbereich and its Bedarfsgemeinschaft (the
co-applicants as table rows), read as the Formulare's ``vorbelegung`` reads an Akte."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from koffer.forms.ausfuellen import vorbelegung
from koffer.forms.definition import Definition
from koffer.portal.models import Buergerkonto
from koffer.records import selectors as records
from koffer.records.models import Akte, Person


@dataclass(frozen=True)
class Lage:
    """The person prefilled from, the Akte a submission goes into (None: triage, and
    ``grund`` says why), the persons a person field may name."""

    person: Person
    akte: Akte | None
    grund: str
    namen: dict[str, str]

    @property
    def personen(self) -> frozenset[str]:
        return frozenset(self.namen)


def _aus_konto(konto: Buergerkonto) -> Person:
    """The account's data in the shape of a person (never saved)."""
    return Person(
        tenant_id=konto.tenant_id,
        family_name=konto.family_name,
        given_names=konto.given_names,
        birth_date=konto.birth_date,
        street=konto.street,
        postal_code=konto.postal_code,
        city=konto.city,
        email=konto.email,
    )


def lage(konto: Buergerkonto, definition: Definition, person_id: Any = None) -> Lage:
    """Where the citizen stands for this form; with ``person_id`` (a person the account
    acts for under a Vertretung, checked by the caller) where that person stands."""
    if person_id is not None and person_id != konto.person_id:
        vertreten = Person.objects.for_tenant(konto.tenant_id).filter(pk=person_id).first()
        if vertreten is None:
            return Lage(_aus_konto(konto), None, "Die vertretene Person gibt es nicht mehr.", {})
        return _aus_akte(konto, vertreten, definition, "der vertretenen Person")
    if konto.person_id is None:
        return Lage(
            _aus_konto(konto),
            None,
            "Das Bürgerkonto ist keiner Person zugeordnet.",
            {},
        )
    person = Person.objects.for_tenant(konto.tenant_id).filter(pk=konto.person_id).first()
    if person is None:
        return Lage(_aus_konto(konto), None, "Die Person des Bürgerkontos gibt es nicht mehr.", {})
    return _aus_akte(konto, person, definition, "des Bürgerkontos")


def _aus_akte(konto: Buergerkonto, person: Person, definition: Definition, wessen: str) -> Lage:
    akten = list(
        Akte.objects.for_tenant(konto.tenant_id)
        .filter(subjekte__person=person, status=Akte.Status.OPEN)
        .select_related("aktenplaneinheit", "bg")
        .order_by("opened_at", "id")
    )
    eigene = [a for a in akten if a.aktenplaneinheit.module == definition.fachbereich]
    passend = eigene if definition.fachbereich and eigene else akten
    if len(passend) != 1:
        grund = (
            f"Zur Person {wessen} gibt es keine offene Akte."
            if not passend
            else f"Zur Person {wessen} gibt es {len(passend)} offene Akten."
        )
        return Lage(person, None, grund, {})
    akte = passend[0]
    return Lage(person, akte, "", vorbelegung.personennamen(akte))


def vorbelegen(definition: Definition, gefunden: Lage) -> tuple[dict[str, Any], dict[str, str]]:
    """The prefilled answers and their sources, as ``forms`` prefills for an Akte; without
    an Akte only the person's own fields."""
    if gefunden.akte is None:
        lage_ = vorbelegung.Aktenlage(None, gefunden.person, [])  # type: ignore[arg-type]
        antworten: dict[str, Any] = {}
        vorbelegt: dict[str, str] = {}
        for feld in definition.felder.values():
            quelle = feld.vorbelegung or ""
            if not quelle.startswith("person."):
                continue
            lesen = vorbelegung.QUELLEN.get(quelle)
            wert = lesen(lage_, feld) if lesen is not None else None
            if wert in (None, "", [], {}):
                continue
            antworten[feld.id], vorbelegt[feld.id] = wert, quelle
        return antworten, vorbelegt
    mitglieder = (
        list(records.bg_mitglieder(gefunden.akte.bg_id, gefunden.akte.tenant_id))
        if gefunden.akte.bg_id
        else []
    )
    return vorbelegung.vorbelegen(
        definition, vorbelegung.Aktenlage(gefunden.akte, gefunden.person, mitglieder, {})
    )
