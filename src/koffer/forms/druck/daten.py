"""What the form layout (``formular.typ``) reads as ``d``: the definition and its values
turned into plain JSON — labels, values in German formats, check boxes, rows of fields
side by side. Only text and numbers, never markup.

A filled form shows the fields that are shown for its values (``sichtbar``), empty ones
as empty boxes to complete by hand; the empty form shows every field, a conditional one
with its condition as a hint („Nur ausfüllen, wenn …“).
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from koffer.formats import euro, german_date, number
from koffer.forms.definition import Definition, Feld, Schritt, pruefen, text_de
from koffer.outbox.satz import Briefkopf
from koffer.outbox.satz.layout import antwortcode as qr_code

from .bedingungstext import nur_wenn

BERLIN = ZoneInfo("Europe/Berlin")
ANTEIL = {"voll": 1.0, "halb": 0.5, "drittel": 1 / 3}
# Fields that need the whole width whatever ``druck.breite`` says.
VOLLE_BREITE = frozenset({"tabelle", "anschrift", "unterschrift", "hinweis"})
# Lines of an empty multi-line box unless the definition says (``druck.zeilen``).
MEHRZEILIG_ZEILEN = 4
# Empty rows of a table on the empty form (at least its ``min_zeilen``).
LEERE_ZEILEN = 3
_ANTWORT_NAMEN = {True: "Ja", False: "Nein"}
# typst breaks lines only where the text allows: a run without spaces (a pasted link, a
# hostile 5,000 x) would run off the page, so long runs get a break chance (a zero width
# space) every so many characters.
_LANGES_WORT = re.compile(r"\S{40,}")
_TEIL = 20
# A table's columns share its width by what they hold (names and texts need the most).
SPALTENBREITE = {"text": 2.0, "person": 2.0, "auswahl": 1.5, "janein": 0.8}


def daten(
    definition: Definition,
    werte: Mapping[str, Any] | None,
    *,
    briefkopf: Briefkopf | None,
    antwortcode: str | None,
    kopfzeilen: Sequence[tuple[str, str]],
    heute: date,
) -> dict[str, Any]:
    """``d`` for ``formular.typ``; ``werte`` None: the empty printable form."""
    leer = werte is None
    if leer:
        gezeigt: Mapping[str, Any] = {}
        sichtbare_schritte = {s.id for s in definition.schritte}
        sichtbare_felder = set(definition.felder)
    else:
        assert werte is not None
        pruefung = pruefen(definition, werte, heute=heute, streng=False, nur_lesen=True)
        # A value the check refused (a draft's typo) is printed as it was entered.
        gezeigt = {**{k: v for k, v in werte.items() if isinstance(v, str)}, **pruefung.werte}
        sichtbare_schritte = set(pruefung.sichtbar.schritte)
        sichtbare_felder = set(pruefung.sichtbar.felder)
    schritte = [
        _schritt(definition, s, gezeigt, sichtbare_felder, leer=leer)
        for s in definition.schritte
        if s.id in sichtbare_schritte
    ]
    titel = text_de(definition.titel)
    kopf = (
        briefkopf if briefkopf is not None and definition.druck.get("kopf") != "schlicht" else None
    )
    qr = qr_code(antwortcode) if antwortcode else None
    return {
        "titel": titel,
        "autor": briefkopf.behoerde if briefkopf is not None else "",
        "untertitel": text_de(definition.beschreibung) or None,
        "kopf": _kopf(kopf) if kopf is not None else None,
        "kopfzeile": briefkopf.behoerde if briefkopf is not None and kopf is None else "",
        "qr": {"svg": qr.svg, "breite": qr.breite} if qr is not None else None,
        "kopfzeilen": [[str(label), umbrechbar(str(wert))] for label, wert in kopfzeilen],
        "hinweis": text_de(definition.druck.get("hinweis")) or None,
        "pflicht": any(f.pflicht for f in definition.felder.values() if f.id in sichtbare_felder),
        "schritte": schritte,
        "fuss": f"{titel} · {_fassung(definition, kopfzeilen)}",
    }


def _kopf(briefkopf: Briefkopf) -> dict[str, Any]:
    return {
        "behoerde": briefkopf.behoerde,
        "einheit": briefkopf.einheit,
        "zeile": " · ".join(line for line in briefkopf.anschrift if line.strip()),
        "logo": briefkopf.logo_svg,
    }


def _fassung(definition: Definition, kopfzeilen: Sequence[tuple[str, str]]) -> str:
    """The form's version in the footer: a ``Version``/``Formularversion`` row of the
    caller's header if there is one, else a fingerprint of the definition (the same
    definition always prints the same, any change prints another)."""
    for label, wert in kopfzeilen:
        if label.strip().lower() in ("version", "formularversion", "fassung"):
            return f"{definition.schluessel}, Version {wert}"
    return f"{definition.schluessel}, Fassung {_fingerabdruck(definition.roh)}"


# Fingerprints of the definitions printed last (hashing a 150-field definition's JSON takes
# a millisecond or two, half of this module's work per form): by the JSON object itself,
# which a definition keeps for its lifetime.
_FINGERABDRUECKE: dict[int, tuple[Mapping[str, Any], str]] = {}


def _fingerabdruck(roh: Mapping[str, Any]) -> str:
    bekannt = _FINGERABDRUECKE.get(id(roh))
    if bekannt is not None and bekannt[0] is roh:
        return bekannt[1]
    text = json.dumps(roh, sort_keys=True, ensure_ascii=False).encode()
    fingerabdruck = hashlib.sha256(text).hexdigest()[:8]
    if len(_FINGERABDRUECKE) >= 64:
        _FINGERABDRUECKE.clear()
    _FINGERABDRUECKE[id(roh)] = (roh, fingerabdruck)
    return fingerabdruck


def _schritt(
    definition: Definition,
    schritt: Schritt,
    werte: Mapping[str, Any],
    sichtbar: set[str],
    *,
    leer: bool,
) -> dict[str, Any]:
    felder = [
        _feld(definition, f, werte.get(f.id), leer=leer) for f in schritt.felder if f.id in sichtbar
    ]
    return {
        "titel": text_de(schritt.titel),
        "h": text_de(schritt.hilfe) or None,
        "b": (
            nur_wenn(schritt.bedingung.roh, definition, abschnitt=True)
            if leer and schritt.bedingung is not None
            else None
        ),
        "reihen": _reihen(felder),
    }


def _reihen(felder: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Fields side by side: consecutive half and third fields share a row while they fit."""
    reihen: list[list[dict[str, Any]]] = []
    belegt = 1.0
    for feld in felder:
        if feld["a"] >= 1 or belegt + feld["a"] > 1.001:
            reihen.append([])
            belegt = 0.0
        reihen[-1].append(feld)
        belegt += feld["a"]
    return reihen


def _feld(definition: Definition, feld: Feld, wert: Any, *, leer: bool) -> dict[str, Any]:
    breite = 1.0 if feld.typ in VOLLE_BREITE else ANTEIL.get(str(feld.druck.get("breite")), 1.0)
    daten = {
        "l": text_de(feld.label),
        "h": text_de(feld.hilfe) or None,
        "p": feld.pflicht,
        "b": nur_wenn(feld.bedingung.roh, definition) if leer and feld.bedingung else None,
        "a": breite,
        "w": None,
        "leer": None,
    }
    daten.update(_inhalt(feld, wert))
    return daten


def _inhalt(feld: Feld, wert: Any) -> dict[str, Any]:
    """``t``: how the layout draws the field; ``w``: its value as printed (None: empty)."""
    typ = feld.typ
    if typ == "mehrzeilig":
        zeilen = feld.druck.get("zeilen")
        anzahl = zeilen if isinstance(zeilen, int) and 1 <= zeilen <= 40 else MEHRZEILIG_ZEILEN
        return {"t": "mehrzeilig", "w": _text(wert), "zeilen": anzahl}
    if typ in ("auswahl", "janein"):
        return {"t": "kaestchen", "w": _kaestchen(feld, wert)}
    if typ == "anschrift":
        teile = wert if isinstance(wert, Mapping) else {}
        return {
            "t": "anschrift",
            "w": {
                "strasse": _text(teile.get("strasse")),
                "hausnummer": _text(teile.get("hausnummer")),
                # the empty form offers the line; a filled one prints it only if given
                "zusatz": _text(teile.get("zusatz")) or ("" if wert is None else None),
                "plz": _text(teile.get("plz")),
                "ort": _text(teile.get("ort")),
            },
        }
    if typ == "tabelle":
        return _tabelle(feld, wert)
    if typ == "datei":
        return {
            "t": "dateien",
            "w": [_datei(d) for d in wert if isinstance(d, Mapping)]
            if isinstance(wert, list)
            else [],
            "leer": "Bitte legen Sie die Unterlagen bei und tragen Sie hier ein, welche:",
        }
    if typ == "unterschrift":
        return {"t": "unterschrift", "w": _unterschrift(wert)}
    if typ == "hinweis":
        return {"t": "hinweis", "w": text_de(feld.text)}
    return {"t": "kasten", "w": formatiert(feld, wert), "leer": _platzhalter(feld)}


def _platzhalter(feld: Feld) -> str | None:
    if feld.typ == "datum":
        return "TT.MM.JJJJ"
    if feld.typ == "geld":
        return "€"
    if feld.typ == "iban":
        return "DE"
    return None


def _text(wert: Any) -> str | None:
    if wert is None:
        return None
    text = str(wert).strip()
    return umbrechbar(text) if text else None


def umbrechbar(text: str) -> str:
    """``text`` with a break chance inside every run of 40 or more non-space characters."""
    return _LANGES_WORT.sub(
        lambda m: "\u200b".join(m[0][i : i + _TEIL] for i in range(0, len(m[0]), _TEIL)), text
    )


def formatiert(feld: Feld, wert: Any) -> str | None:
    """One value as printed: 1.234,50 €, 07.12.2026, an IBAN in groups of four, an
    option by its label, Ja/Nein (None: empty)."""
    if wert is None or wert == "" or wert == []:
        return None
    try:
        if feld.typ == "geld":
            return euro(Decimal(str(wert)))
        if feld.typ == "zahl":
            zahl = Decimal(str(wert))
            exponent = zahl.as_tuple().exponent
            stellen = max(feld.nachkommastellen, -exponent if isinstance(exponent, int) else 0)
            return number(zahl, stellen)
        if feld.typ == "datum":
            return german_date(date.fromisoformat(str(wert)))
    except (ArithmeticError, ValueError):
        return umbrechbar(str(wert))  # a draft's value the check refused: as entered
    if feld.typ == "iban":
        kompakt = "".join(str(wert).split()).upper()
        return " ".join(kompakt[i : i + 4] for i in range(0, len(kompakt), 4))
    if feld.typ == "auswahl":
        gewaehlt = wert if isinstance(wert, list) else [wert]
        return ", ".join(_option_label(feld, str(w)) for w in gewaehlt)
    if feld.typ == "janein" and isinstance(wert, bool):
        return _ANTWORT_NAMEN[wert]
    return _text(wert)


def _option_label(feld: Feld, wert: str) -> str:
    option = feld.option(wert)
    return text_de(option.label) if option is not None else wert


def _kaestchen(feld: Feld, wert: Any) -> list[dict[str, Any]]:
    if feld.typ == "janein":
        return [{"l": "Ja", "an": wert is True}, {"l": "Nein", "an": wert is False}]
    gewaehlt = set(wert) if isinstance(wert, list) else {wert}
    return [{"l": text_de(o.label), "an": o.wert in gewaehlt} for o in feld.optionen]


def _tabelle(feld: Feld, wert: Any) -> dict[str, Any]:
    zeilen = [z for z in wert if isinstance(z, Mapping)] if isinstance(wert, list) else []
    gedruckt = [[formatiert(s, z.get(s.id)) or "" for s in feld.spalten] for z in zeilen]
    if not gedruckt:
        gedruckt = [[""] * len(feld.spalten)] * max(LEERE_ZEILEN, feld.min_zeilen)
    return {
        "t": "tabelle",
        "spalten": [text_de(s.label) for s in feld.spalten],
        "breiten": [SPALTENBREITE.get(s.typ, 1.0) for s in feld.spalten],
        "zeilen": gedruckt,
    }


def _datei(datei: Mapping[str, Any]) -> str:
    name = umbrechbar(str(datei.get("name", "")))
    groesse = datei.get("groesse")
    if not isinstance(groesse, int):
        return name
    if groesse >= 1024 * 1024:
        return f"{name} ({number(Decimal(groesse) / (1024 * 1024), 1)} MB)"
    return f"{name} ({max(1, round(groesse / 1024))} KB)"


def _unterschrift(wert: Any) -> dict[str, str]:
    leer = {"ort": "", "name": "", "unter": ""}
    if not isinstance(wert, Mapping) or wert.get("art") != "bildschirm":
        return leer
    try:
        zeit = datetime.fromisoformat(str(wert.get("zeit")))
    except ValueError:
        return leer
    if zeit.tzinfo is not None:
        zeit = zeit.astimezone(BERLIN)
    return {
        "ort": german_date(zeit.date()),
        "name": umbrechbar(str(wert.get("name", ""))),
        "unter": (
            f"am Bildschirm unterschrieben am {zeit:%d.%m.%Y} um {zeit:%H:%M} Uhr"
            if wert.get("bild")
            else f"am Bildschirm mit Namen bestätigt am {zeit:%d.%m.%Y} um {zeit:%H:%M} Uhr"
        ),
    }
