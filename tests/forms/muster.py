"""A form definition with every field type (and a condition, a rule, a table with every
column type), with answers that fill it, for tests of how forms are shown and read; and
what a browser posts for a rendered step (also used by ``benchmarks/forms_html``)."""

from __future__ import annotations

from datetime import date
from typing import Any

from lxml import html as lhtml

from koffer.forms.definition import Definition, lesen

HEUTE = date(2026, 12, 7)
PERSONEN = [
    ("8f0c2a4e-0000-4000-8000-000000000001", "Erika Muster"),
    ("8f0c2a4e-0000-4000-8000-000000000002", "Max Muster"),
]
BLOB = "ab" * 32


def text(de: str) -> dict[str, str]:
    return {"de": de}


def auswahl(feld_id: str, label: str, *werte: str, **mehr: Any) -> dict[str, Any]:
    optionen = [{"wert": w, "label": text(w.capitalize())} for w in werte]
    return {"id": feld_id, "typ": "auswahl", "label": text(label), "optionen": optionen, **mehr}


def alle_typen_json() -> dict[str, Any]:
    return {
        "format": 1,
        "schluessel": "alle-typen",
        "titel": text("Antrag mit allen Feldtypen"),
        "schritte": [
            {
                "id": "person",
                "titel": text("Angaben zur Person"),
                "hilfe": text("Bitte füllen Sie alles aus, was Sie wissen."),
                "felder": [
                    {
                        "id": "einleitung",
                        "typ": "hinweis",
                        "label": text("Gut zu wissen"),
                        "text": text("Ihre Angaben bleiben beim Jobcenter."),
                    },
                    {
                        "id": "nachname",
                        "typ": "text",
                        "label": text("Nachname"),
                        "pflicht": True,
                        "vorbelegung": "person.nachname",
                        "hilfe": text("Wie im Ausweis"),
                        "max_laenge": 100,
                    },
                    {"id": "email", "typ": "text", "label": text("E-Mail"), "format": "email"},
                    {"id": "bemerkung", "typ": "mehrzeilig", "label": text("Bemerkung")},
                    {
                        "id": "kinderzahl",
                        "typ": "zahl",
                        "label": text("Zahl der Kinder"),
                        "min": 0,
                        "max": 20,
                    },
                    {"id": "miete", "typ": "geld", "label": text("Miete"), "pflicht": True},
                    {
                        "id": "geburtsdatum",
                        "typ": "datum",
                        "label": text("Geburtsdatum"),
                        "max": "heute",
                    },
                    auswahl(
                        "familienstand",
                        "Familienstand",
                        "ledig",
                        "verheiratet",
                        "geschieden",
                        pflicht=True,
                    ),
                    {
                        "id": "partner",
                        "typ": "text",
                        "label": text("Name des Ehepartners"),
                        "bedingung": {"feld": "familienstand", "gleich": "verheiratet"},
                    },
                    auswahl(
                        "staat",
                        "Staatsangehörigkeit",
                        "deutsch",
                        "polnisch",
                        "türkisch",
                        darstellung="liste",
                    ),
                    auswahl(
                        "kosten",
                        "Welche Kosten haben Sie?",
                        "miete",
                        "heizung",
                        "strom",
                        mehrfach=True,
                    ),
                    {"id": "arbeitet", "typ": "janein", "label": text("Arbeiten Sie?")},
                    {
                        "id": "wohnung",
                        "typ": "anschrift",
                        "label": text("Anschrift"),
                        "pflicht": True,
                        "vorbelegung": "person.anschrift",
                    },
                    {"id": "iban", "typ": "iban", "label": text("IBAN"), "vorbelegung": "frueher"},
                    {
                        "id": "antragsteller",
                        "typ": "person",
                        "label": text("Wer stellt den Antrag?"),
                    },
                ],
            },
            {
                "id": "einkommen",
                "titel": text("Einkommen"),
                "felder": [
                    {
                        "id": "einkuenfte",
                        "typ": "tabelle",
                        "label": text("Einkünfte"),
                        "max_zeilen": 4,
                        "spalten": [
                            {"id": "art", "typ": "text", "label": text("Art"), "pflicht": True},
                            {"id": "betrag", "typ": "geld", "label": text("Betrag")},
                            {"id": "stunden", "typ": "zahl", "label": text("Stunden")},
                            {"id": "seit", "typ": "datum", "label": text("Seit")},
                            auswahl("turnus", "Turnus", "monatlich", "einmalig"),
                            auswahl("bereiche", "Bereiche", "lohn", "rente", mehrfach=True),
                            {"id": "brutto", "typ": "janein", "label": text("Brutto?")},
                            {"id": "wer", "typ": "person", "label": text("Wer?")},
                        ],
                    },
                    {"id": "nachweise", "typ": "datei", "label": text("Nachweise")},
                    {"id": "beginn", "typ": "datum", "label": text("Beginn")},
                    {"id": "ende", "typ": "datum", "label": text("Ende")},
                    {
                        "id": "unterschrift",
                        "typ": "unterschrift",
                        "label": text("Unterschrift"),
                        "pflicht": True,
                    },
                ],
            },
        ],
        "regeln": [
            {
                "id": "ende_nach_beginn",
                "dann": {
                    "eine": [
                        {"nicht": {"feld": "ende", "ausgefuellt": True}},
                        {"feld": "ende", "groesser": {"feld": "beginn"}},
                    ]
                },
                "felder": ["ende"],
                "meldung": text("Das Ende muss nach dem Beginn liegen."),
            }
        ],
    }


def alle_typen() -> Definition:
    return lesen(alle_typen_json())


def antworten() -> dict[str, Any]:
    """Every field answered, in the shapes ``pruefen`` keeps (checked values)."""
    return {
        "nachname": "Muster",
        "email": "erika@example.de",
        "bemerkung": "Zwei Zeilen\nText",
        "kinderzahl": "2",
        "miete": "450.50",
        "geburtsdatum": "1980-03-01",
        "familienstand": "verheiratet",
        "partner": "Max Muster",
        "staat": "deutsch",
        "kosten": ["miete", "strom"],
        "arbeitet": True,
        "wohnung": {
            "strasse": "Hauptstraße",
            "hausnummer": "1a",
            "plz": "12345",
            "ort": "Musterstadt",
        },
        "iban": "DE89370400440532013000",
        "antragsteller": PERSONEN[0][0],
        "einkuenfte": [
            {
                "art": "Lohn",
                "betrag": "1200.00",
                "stunden": "20",
                "seit": "2025-01-01",
                "turnus": "monatlich",
                "bereiche": ["lohn"],
                "brutto": True,
                "wer": PERSONEN[1][0],
            },
            {"art": "Rente", "betrag": "300.00"},
        ],
        "nachweise": [
            {"blob": BLOB, "name": "lohn.pdf", "typ": "application/pdf", "groesse": 1000}
        ],
        "beginn": "2026-01-01",
        "ende": "2026-06-30",
        "unterschrift": {"art": "papier"},
    }


CONTROLS = "//input | //select | //textarea"


def html_baum(fragment: str) -> Any:
    """The rendered HTML of a step as an lxml tree (under one ``div``)."""
    return lhtml.fragment_fromstring(fragment, create_parent="div")


def post_aus_html(fragment: str) -> dict[str, list[str]]:
    """What a browser posts for a rendered step, no button pressed and no file chosen:
    every text and date as shown, checked boxes and radios, a select's chosen option (its
    first when none is marked)."""
    post: dict[str, list[str]] = {}
    for el in html_baum(fragment).xpath(CONTROLS):
        if el.tag == "select":
            gewaehlt = el.xpath("option[@selected]") or el.xpath("option")[:1]
            werte = [o.get("value") for o in gewaehlt]
        elif el.tag == "textarea":
            werte = [el.text or ""]
        elif el.get("type") in ("radio", "checkbox"):
            werte = [el.get("value")] if el.get("checked") is not None else []
        elif el.get("type") in ("file", "submit"):
            werte = []
        else:
            werte = [el.get("value") or ""]
        if werte:
            post.setdefault(el.get("name"), []).extend(werte)
    return post
