"""The synthetic form the Formulare benchmarks measure: 6 steps of 25 fields (150), every
field type, two tables, conditions (a field shown and one hidden per step, a step shown
only after an answer) and three cross-field rules, with answers as a person types them
(German amounts and dates, an IBAN in groups), every shown field answered.

Shared by ``forms_html``, ``forms_validate`` (and, after the merge, ``forms_pdf``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from koffer.forms.definition import Definition, lesen

HEUTE = date(2026, 12, 7)
SCHRITTE = 6
FELDER_JE_SCHRITT = 25
PERSONEN = [
    (f"0190f3a2-7c41-7000-8000-00000000000{i}", n)
    for i, n in enumerate(
        ("Erika Mustermann", "Max Mustermann", "Lena Mustermann", "Paul Mustermann"), 1
    )
]
BLOB = "5f" * 32
#: The field types of the slots 1..24 of every step (slot 0: the step's Ja/Nein question
#: that the conditions read).
MUSTER = (
    "text",
    "text",
    "datum",
    "zahl",
    "geld",
    "auswahl",
    "liste",
    "mehrfach",
    "janein",
    "mehrzeilig",
    "anschrift",
    "iban",
    "person",
    "email",
    "plz",
    "geld",
    "text",
    "datum",
    "hinweis",
    "geld",
    "janein",
    "text",
    "zahl",  # hidden: shown only when the step's question is answered „Nein“
    "auswahl",
)
#: Slots replaced in some steps: (step, slot) → type.
BESONDERE = {(3, 10): "tabelle_einkommen", (4, 10): "tabelle_kosten", (5, 19): "datei"}
BESONDERE[(6, 24)] = "unterschrift"
TITEL = (
    "Angaben zur Person",
    "Wohnsituation",
    "Einkommen",
    "Kosten der Unterkunft",
    "Vermögen und Nachweise",
    "Erklärungen und Unterschrift",
)
BEGRIFFE = {
    "text": "Angabe",
    "datum": "Datum",
    "zahl": "Anzahl",
    "geld": "Betrag",
    "auswahl": "Art",
    "liste": "Kategorie",
    "mehrfach": "Zutreffendes",
    "janein": "Trifft zu",
    "mehrzeilig": "Erläuterung",
    "anschrift": "Anschrift",
    "iban": "IBAN",
    "person": "Person",
    "email": "E-Mail-Adresse",
    "plz": "Postleitzahl",
    "hinweis": "Hinweis",
}
HILFE = "Bitte geben Sie die Angabe so an, wie sie in Ihren Unterlagen steht (z. B. Bescheid)."


@dataclass
class Uhr:
    """Wall and CPU time of each call in ms (this process's CPU time, which other load on
    the machine moves less than wall time)."""

    wand: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)

    def __call__(self, aufruf: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        began, cpu = time.perf_counter(), time.process_time()
        ergebnis = aufruf(*args, **kwargs)
        self.cpu.append((time.process_time() - cpu) * 1000)
        self.wand.append((time.perf_counter() - began) * 1000)
        return ergebnis


def t(de: str) -> dict[str, str]:
    return {"de": de}


def _optionen(*werte: str) -> list[dict[str, Any]]:
    return [{"wert": w, "label": t(w.replace("_", " ").capitalize())} for w in werte]


def _frage(schritt: int) -> str:
    return f"frage_{schritt}"


def _feld(schritt: int, slot: int, typ: str) -> dict[str, Any]:
    feld_id = f"{typ}_{schritt}_{slot}"
    label = t(f"{BEGRIFFE.get(typ, typ.capitalize())} {schritt}.{slot}")
    feld: dict[str, Any] = {"id": feld_id, "typ": typ, "label": label}
    if slot % 3 == 0:
        feld["hilfe"] = t(HILFE)
    if slot % 7 == 1:
        feld["pflicht"] = True
    if slot % 5 == 4:
        feld["bedingung"] = {"feld": _frage(schritt), "ist": True}
    if slot == 22:
        feld["bedingung"] = {"feld": _frage(schritt), "ist": False}
    art = {
        "liste": {"typ": "auswahl", "darstellung": "liste"},
        "mehrfach": {"typ": "auswahl", "mehrfach": True},
        "email": {"typ": "text", "format": "email"},
        "plz": {"typ": "text", "format": "plz"},
    }.get(typ, {})
    feld.update(art)
    if feld["typ"] == "auswahl":
        feld["optionen"] = _optionen("keine", "teilweise", "vollstaendig", "unbekannt")
    if typ == "datum":
        feld["max"] = "heute"
    if typ == "geld":
        feld["max"] = 100000
    if typ == "hinweis":
        feld["text"] = t("Änderungen müssen Sie uns sofort mitteilen (§ 60 SGB I). " * 2)
    if typ == "text":
        feld["max_laenge"] = 200
    return feld


def _tabelle(feld_id: str) -> dict[str, Any]:
    if feld_id == "tabelle_einkommen":
        spalten = [
            {"id": "art", "typ": "text", "label": t("Art des Einkommens"), "pflicht": True},
            {"id": "betrag", "typ": "geld", "label": t("Betrag brutto"), "pflicht": True},
            {
                "id": "turnus",
                "typ": "auswahl",
                "label": t("Turnus"),
                "optionen": _optionen("monatlich", "einmalig", "jaehrlich"),
            },
            {"id": "seit", "typ": "datum", "label": t("Seit")},
            {"id": "befristet", "typ": "janein", "label": t("Befristet")},
            {"id": "person", "typ": "person", "label": t("Wer bezieht es?")},
        ]
        label = "Einkommen aller Personen der Bedarfsgemeinschaft"
    else:
        spalten = [
            {
                "id": "art",
                "typ": "auswahl",
                "label": t("Kostenart"),
                "optionen": _optionen("miete", "nebenkosten", "heizung", "warmwasser"),
            },
            {"id": "betrag", "typ": "geld", "label": t("Betrag monatlich"), "pflicht": True},
            {"id": "faellig", "typ": "datum", "label": t("Fällig ab")},
            {"id": "anteil", "typ": "zahl", "label": t("Anteil in %"), "nachkommastellen": 1},
        ]
        label = "Kosten der Unterkunft und Heizung"
    return {
        "id": feld_id,
        "typ": "tabelle",
        "label": t(label),
        "hilfe": t(HILFE),
        "max_zeilen": 20,
        "spalten": spalten,
    }


def definition_json() -> dict[str, Any]:
    schritte = []
    for schritt in range(1, SCHRITTE + 1):
        felder: list[dict[str, Any]] = [
            {
                "id": _frage(schritt),
                "typ": "janein",
                "label": t(f"Frage {schritt}"),
                "pflicht": True,
            }
        ]
        for slot, typ in enumerate(MUSTER, 1):
            besonders = BESONDERE.get((schritt, slot))
            if besonders and besonders.startswith("tabelle"):
                felder.append(_tabelle(besonders))
            elif besonders == "datei":
                felder.append({"id": "nachweise", "typ": "datei", "label": t("Nachweise")})
            elif besonders == "unterschrift":
                felder.append(
                    {"id": "unterschrift", "typ": "unterschrift", "label": t("Unterschrift")}
                )
            else:
                felder.append(_feld(schritt, slot, typ))
        eintrag: dict[str, Any] = {
            "id": f"schritt_{schritt}",
            "titel": t(TITEL[schritt - 1]),
            "felder": felder,
        }
        if schritt == 5:
            eintrag["bedingung"] = {"feld": _frage(1), "ist": True}
        schritte.append(eintrag)
    return {
        "format": 1,
        "schluessel": "benchmark-150",
        "titel": t("Weiterbewilligungsantrag (Benchmark)"),
        "schritte": schritte,
        "regeln": [
            {
                "id": "ende_nach_beginn",
                "dann": {"feld": "datum_2_18", "groesser_gleich": {"feld": "datum_2_3"}},
                "felder": ["datum_2_18"],
                "meldung": t("Das Ende darf nicht vor dem Beginn liegen."),
            },
            {
                "id": "kinder_hoechstens",
                "dann": {"feld": "zahl_1_4", "kleiner_gleich": 20},
                "felder": ["zahl_1_4"],
                "meldung": t("Bitte prüfen Sie die Zahl."),
            },
            {
                "id": "erlaeuterung_noetig",
                "wenn": {"feld": "janein_2_9", "ist": True},
                "dann": {"feld": "mehrzeilig_2_10", "ausgefuellt": True},
                "felder": ["mehrzeilig_2_10"],
                "meldung": t("Bitte erläutern Sie Ihre Angabe."),
            },
        ],
    }


def definition() -> Definition:
    return lesen(definition_json())


def _wert(typ: str, schritt: int, slot: int) -> Any:
    n = schritt * 100 + slot
    if typ == "datum":
        return (date(2026, 1, 1) + timedelta(days=slot * 9)).strftime("%d.%m.%Y")
    return {
        "text": f"Beispielangabe {n}",
        "zahl": str(slot % 10),
        "geld": f"{n // 10}.{n % 1000:03d},{slot:02d}",
        "auswahl": "teilweise",
        "liste": "vollstaendig",
        "mehrfach": ["keine", "unbekannt"],
        "janein": "ja",
        "mehrzeilig": "Ich wohne seit März bei meiner Schwester.\nDie Miete teilen wir uns. " * 2,
        "anschrift": {
            "strasse": "Lindenstraße",
            "hausnummer": f"{slot}a",
            "plz": "12345",
            "ort": "Musterstadt",
        },
        "iban": "DE89 3704 0044 0532 0130 00",
        "person": PERSONEN[slot % len(PERSONEN)][0],
        "email": f"erika.mustermann{n}@example.de",
        "plz": f"{10000 + n}",
    }[typ]


def _zeilen(feld_id: str) -> list[dict[str, Any]]:
    if feld_id == "tabelle_einkommen":
        return [
            {
                "art": ("Lohn", "Rente", "Kindergeld", "Unterhalt")[i % 4],
                "betrag": f"{300 + i * 125},{i * 7 % 100:02d}",
                "turnus": "monatlich",
                "seit": f"0{1 + i % 9}.01.2025",
                "befristet": "nein" if i % 2 else "ja",
                "person": PERSONEN[i % len(PERSONEN)][0],
            }
            for i in range(8)
        ]
    return [
        {
            "art": ("miete", "nebenkosten", "heizung", "warmwasser")[i % 4],
            "betrag": f"{80 + i * 45},50",
            "faellig": "01.02.2026",
            "anteil": f"{25 + i},5",
        }
        for i in range(10)
    ]


def antworten() -> dict[str, Any]:
    """Every shown field answered as typed; the hidden ones (slot 22) and the notes not."""
    werte: dict[str, Any] = {}
    for schritt in range(1, SCHRITTE + 1):
        werte[_frage(schritt)] = "ja"
        for slot, typ in enumerate(MUSTER, 1):
            besonders = BESONDERE.get((schritt, slot))
            if besonders and besonders.startswith("tabelle"):
                werte[besonders] = _zeilen(besonders)
            elif besonders == "datei":
                werte["nachweise"] = [
                    {
                        "blob": BLOB,
                        "name": "Kontoauszug_Oktober.pdf",
                        "typ": "application/pdf",
                        "groesse": 182_311,
                    }
                ]
            elif besonders == "unterschrift":
                werte["unterschrift"] = {"art": "papier"}
            elif typ != "hinweis" and slot != 22:
                werte[f"{typ}_{schritt}_{slot}"] = _wert(typ, schritt, slot)
    return werte
