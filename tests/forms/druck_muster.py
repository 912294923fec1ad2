"""A definition with every field type, conditions on a field and a step, fields side by
side, and answers for it: what the print tests typeset."""

from __future__ import annotations

from datetime import date
from typing import Any

from koffer.forms.definition import Definition, lesen

HEUTE = date(2026, 12, 7)
HOSTILE = '#import "@preview/x:1.0.0": * ] \\" $x$ #read("/etc/passwd") <l> @r *fett*'


def text(de: str) -> dict[str, str]:
    return {"de": de}


def option(wert: str, label: str) -> dict[str, Any]:
    return {"wert": wert, "label": text(label)}


def feld(feld_id: str, typ: str, label: str, **mehr: Any) -> dict[str, Any]:
    return {"id": feld_id, "typ": typ, "label": text(label), **mehr}


HALB = {"breite": "halb"}
DRITTEL = {"breite": "drittel"}


def roh() -> dict[str, Any]:
    return {
        "format": 1,
        "schluessel": "druckmuster",
        "titel": text("Antrag auf Musterleistung"),
        "beschreibung": text("Für Leistungen nach dem Musterleistungsgesetz"),
        "druck": {"kopf": "briefkopf", "hinweis": text("Bitte in Druckbuchstaben ausfüllen.")},
        "schritte": [
            {
                "id": "person",
                "titel": text("Angaben zur Person"),
                "hilfe": text("Bitte tragen Sie Ihre Daten ein."),
                "felder": [
                    {
                        "id": "einleitung",
                        "typ": "hinweis",
                        "label": text("Hinweis"),
                        "text": text("Ihre Angaben werden vertraulich behandelt."),
                    },
                    feld("vorname", "text", "Vorname", pflicht=True, druck=HALB),
                    feld("nachname", "text", "Nachname", pflicht=True, druck=HALB),
                    feld("geburtsdatum", "datum", "Geburtsdatum", druck=DRITTEL),
                    feld("kinderzahl", "zahl", "Anzahl der Kinder", druck=DRITTEL),
                    feld("person_id", "person", "Antragstellende Person", druck=DRITTEL),
                    {
                        "id": "familienstand",
                        "typ": "auswahl",
                        "label": text("Familienstand"),
                        "optionen": [
                            option("ledig", "ledig"),
                            option("verheiratet", "verheiratet"),
                            option("geschieden", "geschieden"),
                        ],
                    },
                    {
                        "id": "partner",
                        "typ": "text",
                        "label": text("Name der Ehepartnerin oder des Ehepartners"),
                        "bedingung": {"feld": "familienstand", "gleich": "verheiratet"},
                    },
                    {"id": "anschrift", "typ": "anschrift", "label": text("Anschrift")},
                    {
                        "id": "bemerkung",
                        "typ": "mehrzeilig",
                        "label": text("Bemerkungen"),
                        "max_laenge": 5000,
                        "druck": {"zeilen": 3},
                    },
                ],
            },
            {
                "id": "einkommen",
                "titel": text("Einkommen"),
                "felder": [
                    {"id": "hat_einkommen", "typ": "janein", "label": text("Haben Sie Einkommen?")},
                    {
                        "id": "arten",
                        "typ": "auswahl",
                        "label": text("Art des Einkommens"),
                        "mehrfach": True,
                        "optionen": [
                            option("lohn", "Lohn oder Gehalt"),
                            option("rente", "Rente"),
                            option("miete", "Mieteinnahmen"),
                        ],
                        "bedingung": {"feld": "hat_einkommen", "ist": True},
                    },
                    {
                        "id": "brutto",
                        "typ": "geld",
                        "label": text("Bruttoeinkommen monatlich"),
                        "druck": {"breite": "halb"},
                        "bedingung": {"feld": "hat_einkommen", "ist": True},
                    },
                    feld("iban", "iban", "IBAN", druck=HALB),
                    {
                        "id": "einkuenfte",
                        "typ": "tabelle",
                        "label": text("Einkünfte der Haushaltsmitglieder"),
                        "min_zeilen": 0,
                        "spalten": [
                            {"id": "name", "typ": "text", "label": text("Name")},
                            {"id": "seit", "typ": "datum", "label": text("seit")},
                            {"id": "betrag", "typ": "geld", "label": text("Betrag")},
                            {"id": "laufend", "typ": "janein", "label": text("laufend")},
                        ],
                    },
                ],
            },
            {
                "id": "mieter",
                "titel": text("Wohnkosten"),
                "bedingung": {"feld": "kinderzahl", "groesser": 0},
                "felder": [feld("miete", "geld", "Kaltmiete")],
            },
            {
                "id": "abschluss",
                "titel": text("Unterlagen und Unterschrift"),
                "felder": [
                    {"id": "nachweise", "typ": "datei", "label": text("Nachweise")},
                    feld("unterschrift", "unterschrift", "Unterschrift"),
                ],
            },
        ],
    }


def definition() -> Definition:
    return lesen(roh())


def werte() -> dict[str, Any]:
    return {
        "vorname": "Erika",
        "nachname": "Mustermann",
        "geburtsdatum": "1980-03-14",
        "kinderzahl": "2",
        "person_id": "Erika Mustermann",
        "familienstand": "ledig",
        "partner": "Verborgener Partnername",
        "anschrift": {
            "strasse": "Hauptstraße",
            "hausnummer": "5a",
            "plz": "12345",
            "ort": "Musterstadt",
        },
        "bemerkung": "Erste Zeile\nZweite Zeile",
        "hat_einkommen": True,
        "arten": ["lohn", "miete"],
        "brutto": "1234.50",
        "iban": "DE02120300000000202051",
        "einkuenfte": [
            {
                "name": "Erika Mustermann",
                "seit": "2024-01-01",
                "betrag": "1234.50",
                "laufend": True,
            },
            {"name": "Max Mustermann", "seit": "2025-06-15", "betrag": "450.00", "laufend": False},
        ],
        "miete": "600.00",
        "nachweise": [
            {
                "blob": "a" * 64,
                "name": "Lohnabrechnung.pdf",
                "typ": "application/pdf",
                "groesse": 123_456,
            },
        ],
        "unterschrift": {
            "art": "bildschirm",
            "bild": "b" * 64,
            "name": "Erika Mustermann",
            "zeit": "2026-12-07T13:05:00+00:00",
        },
    }
