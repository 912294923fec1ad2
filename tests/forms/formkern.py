"""Test data for the catalogue, drafts, submissions and their API: a small definition
(three steps, prefill, a conditional field, a Vorgang with Wiedervorlage) and an Akte
whose person has an address and a birth date."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Formular
from koffer.records import services as records
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.factories import records as record_factories


def text(de: str) -> dict[str, str]:
    return {"de": de}


def definition(schluessel: str = "wba-test") -> dict[str, Any]:
    return {
        "format": 1,
        "schluessel": schluessel,
        "titel": text("Weiterbewilligungsantrag (Test)"),
        "fachbereich": "sgb2",
        "vorgang": {"vorgangstyp": "antrag", "wiedervorlage_tage": 14},
        "schritte": [
            {
                "id": "person",
                "titel": text("Angaben zur Person"),
                "felder": [
                    {
                        "id": "nachname",
                        "typ": "text",
                        "label": text("Nachname"),
                        "pflicht": True,
                        "vorbelegung": "person.nachname",
                    },
                    {
                        "id": "vorname",
                        "typ": "text",
                        "label": text("Vorname"),
                        "vorbelegung": "person.vorname",
                    },
                    {
                        "id": "geburtsdatum",
                        "typ": "datum",
                        "label": text("Geburtsdatum"),
                        "vorbelegung": "person.geburtsdatum",
                    },
                    {
                        "id": "anschrift",
                        "typ": "anschrift",
                        "label": text("Anschrift"),
                        "vorbelegung": "person.anschrift",
                    },
                    {
                        "id": "telefon",
                        "typ": "text",
                        "label": text("Telefon"),
                        "vorbelegung": "person.telefon",
                    },
                    {
                        "id": "aktenzeichen",
                        "typ": "text",
                        "label": text("Aktenzeichen"),
                        "vorbelegung": "akte.aktenzeichen",
                    },
                ],
            },
            {
                "id": "haushalt",
                "titel": text("Haushalt"),
                "felder": [
                    {
                        "id": "mitglieder",
                        "typ": "tabelle",
                        "label": text("Mitglieder der Bedarfsgemeinschaft"),
                        "vorbelegung": "bg.mitglieder",
                        "spalten": [
                            {"id": "vorname", "typ": "text", "label": text("Vorname")},
                            {"id": "nachname", "typ": "text", "label": text("Nachname")},
                            {"id": "person", "typ": "person", "label": text("Person")},
                        ],
                    },
                    {
                        "id": "umgezogen",
                        "typ": "janein",
                        "label": text("Sind Sie umgezogen?"),
                        "pflicht": True,
                    },
                    {
                        "id": "umzug_am",
                        "typ": "datum",
                        "label": text("Umzug am"),
                        "pflicht": True,
                        "bedingung": {"feld": "umgezogen", "ist": True},
                    },
                ],
            },
            {
                "id": "einkommen",
                "titel": text("Einkommen"),
                "felder": [
                    {
                        "id": "lohn",
                        "typ": "geld",
                        "label": text("Monatlicher Lohn"),
                        "vorbelegung": "frueher",
                    },
                    {
                        "id": "bemerkung",
                        "typ": "mehrzeilig",
                        "label": text("Bemerkung"),
                    },
                ],
            },
        ],
    }


def ohne_feld(daten: dict[str, Any], feld_id: str) -> dict[str, Any]:
    """The definition without one field (a newer version)."""
    neu = copy.deepcopy(daten)
    for schritt in neu["schritte"]:
        schritt["felder"] = [f for f in schritt["felder"] if f["id"] != feld_id]
    return neu


@pytest.fixture
def admin_access(tenant: Mandant, admin_user: User) -> Access:
    return Access.for_user(admin_user.pk, tenant.pk)


@pytest.fixture
def formular(
    tenant: Mandant, plan: Aktenplaneinheit, admin_user: User, admin_access: Access
) -> Formular:
    """The test form, imported by the administration (``plan`` brings the Vorgangstypen)."""
    [ergebnis] = katalog.importieren(
        actor=admin_user, access=admin_access, tenant=tenant, daten=definition()
    )
    return ergebnis.formular


@pytest.fixture
def akte(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> Akte:
    akte = record_factories.akte(
        caseworker=team_caseworker,
        plan=plan,
        unit=team,
        family_name="Beispiel",
        given_names="Anna",
    )
    person = akte.subjects.get()
    records.change_person(
        actor=team_caseworker,
        person=person,
        birth_date=date(1980, 5, 17),
        street="Hauptstraße 12a",
        postal_code="12345",
        city="Musterstadt",
    )
    return akte


@pytest.fixture
def other_team_caseworker(tenant: Mandant, other_team: Organisationseinheit) -> User:
    """A caseworker of another team: may not add documents to the team's Akten."""
    return factories.user(tenant, role="sachbearbeitung", unit_=other_team)
