"""The answers of a draft as the summary page „Angaben prüfen“ shows them: per shown
step its shown, answered fields, each value in German formats (the print's formatter,
``forms.druck.formatiert``, for single values; addresses, tables, files, signatures and
people here)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from koffer.formats import german_date
from koffer.forms.definition import Definition, Feld, pruefen, sichtbar, text_de
from koffer.forms.druck import formatiert

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass
class Angabe:
    label: str
    text: str = ""
    zeilen: list[str] = field(default_factory=list)
    bild: str = ""  # sha256 of a signature's PNG


@dataclass
class Abschnitt:
    id: str
    titel: str
    angaben: list[Angabe]


def abschnitte(
    definition: Definition,
    antworten: Mapping[str, Any],
    *,
    personen: Mapping[str, str],
    heute: date,
) -> list[Abschnitt]:
    # What the check could read is shown as it will be kept (1.234,50 €), the rest as typed.
    pruefung = pruefen(definition, antworten, heute=heute, streng=False, nur_lesen=True)
    werte = {**antworten, **pruefung.werte}
    gezeigt = sichtbar(definition, werte, heute=heute)
    ergebnis = []
    for schritt in definition.schritte:
        if schritt.id not in gezeigt.schritte:
            continue
        angaben = [
            _angabe(feld, werte[feld.id], personen)
            for feld in schritt.felder
            if feld.id in gezeigt.felder and feld.hat_wert and feld.id in werte
        ]
        ergebnis.append(Abschnitt(schritt.id, text_de(schritt.titel), angaben))
    return ergebnis


def _angabe(feld: Feld, wert: Any, personen: Mapping[str, str]) -> Angabe:
    angabe = Angabe(label=text_de(feld.label))
    if feld.typ == "anschrift" and isinstance(wert, Mapping):
        angabe.zeilen = _anschrift(wert)
    elif feld.typ == "tabelle" and isinstance(wert, list):
        angabe.zeilen = [_zeile(feld, z, personen) for z in wert if isinstance(z, Mapping)]
    elif feld.typ == "datei" and isinstance(wert, list):
        angabe.zeilen = [str(d.get("name", "")) for d in wert if isinstance(d, Mapping)]
    elif feld.typ == "unterschrift" and isinstance(wert, Mapping):
        angabe.text, angabe.bild = _unterschrift(wert)
    else:
        angabe.text = _einzeln(feld, wert, personen)
    return angabe


def _einzeln(feld: Feld, wert: Any, personen: Mapping[str, str]) -> str:
    if feld.typ == "person":
        return personen.get(str(wert), str(wert))
    if feld.typ == "janein" and isinstance(wert, str):
        return {"ja": "Ja", "nein": "Nein"}.get(wert.strip().lower(), wert)
    return (formatiert(feld, wert) or "").replace("\u200b", "")


def _anschrift(wert: Mapping[str, Any]) -> list[str]:
    strasse = f"{wert.get('strasse', '')} {wert.get('hausnummer', '')}".strip()
    ort = f"{wert.get('plz', '')} {wert.get('ort', '')}".strip()
    return [z for z in (strasse, str(wert.get("zusatz", "")).strip(), ort) if z]


def _zeile(feld: Feld, zeile: Mapping[str, Any], personen: Mapping[str, str]) -> str:
    teile = []
    for spalte in feld.spalten:
        if zeile.get(spalte.id) not in (None, "", []):
            teile.append(f"{text_de(spalte.label)}: {_einzeln(spalte, zeile[spalte.id], personen)}")
    return "; ".join(teile)


def _unterschrift(wert: Mapping[str, Any]) -> tuple[str, str]:
    if wert.get("art") == "papier":
        return "wird auf Papier unterschrieben", ""
    bild = str(wert.get("bild", ""))
    try:
        zeit = datetime.fromisoformat(str(wert.get("zeit"))).astimezone(BERLIN)
    except ValueError:
        return f"{wert.get('name', '')} (noch nicht unterschrieben)", ""
    wie = "am Bildschirm unterschrieben" if bild else "am Bildschirm mit Namen bestätigt"
    return (
        f"{wert.get('name', '')}, {wie} am {german_date(zeit.date())} um {zeit:%H:%M} Uhr",
        bild,
    )
