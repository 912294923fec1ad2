"""A synthetic form of 6 steps and 150 fields with every field type, two tables and
conditions, and its answers: what ``forms_pdf`` prints. (The print helper's own copy; the
shared ``_forms_muster`` of the HTML benchmarks takes its place when both are merged.)"""

from __future__ import annotations

from datetime import date
from typing import Any

from koffer.forms.definition import Definition, lesen

HEUTE = date(2026, 12, 7)
SCHRITTE = 6
FELDER_JE_SCHRITT = 25
# The cycle of types a step's fields follow (tables and the signature are placed apart).
_TYPEN = (
    "text",
    "text",
    "zahl",
    "geld",
    "datum",
    "auswahl",
    "janein",
    "iban",
    "mehrzeilig",
    "person",
    "anschrift",
    "hinweis",
    "auswahl_mehrfach",
    "geld",
    "datei",
)
_BREITE = {"text": "halb", "zahl": "drittel", "geld": "drittel", "datum": "drittel", "iban": "halb"}


def _t(de: str) -> dict[str, str]:
    return {"de": de}


def _feld(schritt: int, nummer: int, typ: str) -> dict[str, Any]:
    feld_id = f"s{schritt}_f{nummer}"
    label = _t(f"Angabe {schritt}.{nummer} ({typ.replace('_', ' ')})")
    feld: dict[str, Any] = {"id": feld_id, "typ": typ, "label": label}
    if typ in _BREITE:
        feld["druck"] = {"breite": _BREITE[typ]}
    if typ == "auswahl_mehrfach":
        feld["typ"] = "auswahl"
        feld["mehrfach"] = True
    if feld["typ"] == "auswahl":
        feld["optionen"] = [{"wert": f"o{i}", "label": _t(f"Möglichkeit {i}")} for i in range(1, 5)]
    if typ == "hinweis":
        feld["text"] = _t(
            "Bitte beachten Sie: Angaben, die Sie nicht belegen können, kennzeichnen Sie bitte. "
            "Wir fragen bei Bedarf nach."
        )
    if typ == "text" and nummer % 4 == 1:
        feld["hilfe"] = _t("So, wie es in Ihrem Ausweis steht.")
        feld["pflicht"] = True
    return feld


def _tabelle(schritt: int) -> dict[str, Any]:
    return {
        "id": f"s{schritt}_tabelle",
        "typ": "tabelle",
        "label": _t(f"Einkünfte der Mitglieder (Tabelle {schritt})"),
        "spalten": [
            {"id": "name", "typ": "text", "label": _t("Name")},
            {
                "id": "art",
                "typ": "auswahl",
                "label": _t("Art"),
                "optionen": [
                    {"wert": "lohn", "label": _t("Lohn")},
                    {"wert": "rente", "label": _t("Rente")},
                ],
            },
            {"id": "seit", "typ": "datum", "label": _t("seit")},
            {"id": "betrag", "typ": "geld", "label": _t("Betrag")},
            {"id": "laufend", "typ": "janein", "label": _t("laufend")},
        ],
    }


def roh() -> dict[str, Any]:
    schritte = []
    for s in range(1, SCHRITTE + 1):
        felder = [_feld(s, n, _TYPEN[(n - 1) % len(_TYPEN)]) for n in range(1, FELDER_JE_SCHRITT)]
        if s in (2, 4):
            felder[-1] = _tabelle(s)
        if s == SCHRITTE:
            felder[-1] = {"id": "unterschrift", "typ": "unterschrift", "label": _t("Unterschrift")}
        # a field shown only for a yes in the step's first janein field
        felder.append(
            {
                "id": f"s{s}_wenn_ja",
                "typ": "text",
                "label": _t("Nur bei Ja: Erläuterung"),
                "bedingung": {"feld": f"s{s}_f7", "ist": True},
            }
        )
        schritte.append({"id": f"schritt{s}", "titel": _t(f"Abschnitt {s}"), "felder": felder})
    return {
        "format": 1,
        "schluessel": "bench-druck",
        "titel": _t("Synthetischer Antrag mit 150 Feldern"),
        "druck": {"kopf": "briefkopf", "hinweis": _t("Bitte in Druckbuchstaben ausfüllen.")},
        "schritte": schritte,
    }


def definition() -> Definition:
    return lesen(roh())


def _wert(feld: dict[str, Any], nummer: int) -> Any:
    typ = feld["typ"]
    if typ == "text":
        return f"Beispieltext {nummer} Müller-Lüdenscheid"
    if typ == "mehrzeilig":
        return "Erste Zeile der Erläuterung.\nZweite Zeile mit mehr Text, der umbricht, " * 2
    if typ == "zahl":
        return str(nummer)
    if typ == "geld":
        return f"{1000 + nummer * 13}.50"
    if typ == "datum":
        return f"2025-{1 + nummer % 12:02d}-{1 + nummer % 28:02d}"
    if typ == "auswahl":
        return ["o1", "o3"] if feld.get("mehrfach") else "o2"
    if typ == "janein":
        return True
    if typ == "iban":
        return "DE02120300000000202051"
    if typ == "person":
        return "Erika Mustermann"
    if typ == "anschrift":
        return {"strasse": "Hauptstraße", "hausnummer": "5a", "plz": "12345", "ort": "Musterstadt"}
    if typ == "datei":
        return [
            {"blob": "a" * 64, "name": "Nachweis.pdf", "typ": "application/pdf", "groesse": 2048}
        ]
    if typ == "tabelle":
        return [
            {
                "name": f"Person {i}",
                "art": "lohn",
                "seit": "2024-01-01",
                "betrag": "812.40",
                "laufend": i % 2 == 0,
            }
            for i in range(1, 7)
        ]
    if typ == "unterschrift":
        return {
            "art": "bildschirm",
            "bild": "b" * 64,
            "name": "Erika Mustermann",
            "zeit": "2026-12-07T09:30:00+01:00",
        }
    return None


def werte(variante: int = 0) -> dict[str, Any]:
    """The answers; ``variante`` changes every text, so that no two forms are alike."""
    antworten: dict[str, Any] = {}
    for nummer, (feld_id, feld) in enumerate(_felder().items(), start=variante):
        wert = _wert(feld, nummer)
        if wert is not None:
            antworten[feld_id] = wert
    return antworten


def _felder() -> dict[str, dict[str, Any]]:
    return {f["id"]: f for s in roh()["schritte"] for f in s["felder"]}
