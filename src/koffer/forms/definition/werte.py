"""One answer read as its field's type: what a person typed (or an API sent) becomes the
value koffer keeps, or German messages that say what to correct.

Values are kept as JSON: numbers and amounts as decimal text (``"1234.50"``), dates as
ISO text, so that a draft, a submission and the API all hold the same thing.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from stdnum.de import idnr
from stdnum.exceptions import ValidationError as StdnumError

from koffer.identifiers import iban_problem, kundennummer_problem, normalise_kundennummer
from koffer.kontakt import EMAIL, TELEFON

from .modell import Feld, text_de

#: Longest text of any kind accepted at all (a pasted book is refused, not stored).
MAX_TEXT = 20_000
SHA256 = re.compile(r"^[0-9a-f]{64}$")
_PLZ = re.compile(r"^[0-9]{5}$")
_SVNR = re.compile(r"^([0-9]{2})([0-9]{6})([A-Z])([0-9]{2})([0-9])$")
_DE_DATUM = re.compile(r"^([0-9]{1,2})\.([0-9]{1,2})\.([0-9]{4})$")
_BETRAG_DE = re.compile(r"^-?[0-9]{1,3}(\.[0-9]{3})+(,[0-9]+)?$")

Ergebnis = tuple[Any, list[str]]


def leer(wert: Any) -> bool:
    """No answer: nothing, blank text, an empty list or an address without any part."""
    if wert is None:
        return True
    if isinstance(wert, str):
        return not wert.strip()
    if isinstance(wert, list | tuple | dict):
        if isinstance(wert, dict):
            return all(leer(v) for v in wert.values())
        return len(wert) == 0
    return False


def lesen(feld: Feld, roh: Any, *, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    """``roh`` (not empty) as ``feld``'s value, or the messages why it is none."""
    lesen_als = _LESER[feld.typ]
    return lesen_als(feld, roh, heute, personen)


def _name(feld: Feld) -> str:
    return f"„{text_de(feld.label)}“"


def _text(feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    if not isinstance(roh, str):
        return None, [f"{_name(feld)}: Bitte geben Sie einen Text ein."]
    wert = roh.strip()
    if feld.typ == "mehrzeilig":
        wert = "\n".join(line.rstrip() for line in wert.replace("\r\n", "\n").split("\n"))
    hoechstens = feld.max_laenge or (5000 if feld.typ == "mehrzeilig" else 500)
    if len(wert) > min(hoechstens, MAX_TEXT):
        return None, [f"{_name(feld)}: höchstens {hoechstens} Zeichen, eingegeben {len(wert)}."]
    if feld.min_laenge and len(wert) < feld.min_laenge:
        return None, [f"{_name(feld)}: mindestens {feld.min_laenge} Zeichen."]
    if feld.muster and not re.fullmatch(feld.muster, wert):
        meldung = text_de(feld.muster_meldung) or "Die Eingabe hat nicht die erwartete Form."
        return None, [f"{_name(feld)}: {meldung}"]
    if feld.format:
        return _format(feld, wert)
    return wert, []


def _format(feld: Feld, wert: str) -> Ergebnis:
    art = feld.format
    if art == "email" and not EMAIL.match(wert):
        return None, [f"{_name(feld)}: Bitte geben Sie eine E-Mail-Adresse wie name@example.de an."]
    if art == "telefon" and not TELEFON.match(wert):
        return None, [f"{_name(feld)}: Bitte geben Sie eine Telefonnummer aus Ziffern an."]
    if art == "plz" and not _PLZ.match(wert):
        return None, [f"{_name(feld)}: Eine Postleitzahl hat fünf Ziffern."]
    if art == "steuer_id":
        wert = "".join(wert.split())
        try:
            idnr.validate(wert)
        except StdnumError:
            return None, [
                f"{_name(feld)}: Das ist keine gültige Steuer-Identifikationsnummer "
                "(11 Ziffern, die letzte ist eine Prüfziffer). Bitte prüfen Sie die Ziffern."
            ]
    if art == "kundennummer":
        wert = normalise_kundennummer(wert)
        problem = kundennummer_problem(wert)
        if problem:
            return None, [f"{_name(feld)}: {problem}"]
    if art == "sozialversicherungsnummer":
        wert = "".join(wert.split()).upper()
        if not svnr_gueltig(wert):
            return None, [
                f"{_name(feld)}: Das ist keine gültige Sozialversicherungsnummer "
                "(z. B. 65 170839 J 003; die letzte Ziffer ist eine Prüfziffer)."
            ]
    return wert, []


def svnr_gueltig(wert: str) -> bool:
    """The Rentenversicherungsnummer's check digit (§ 2 VKVV): the letter as its two-digit
    place in the alphabet, the first twelve digits weighted 2 1 2 5 7 1 2 1 2 1 2 1, the
    digit sums of the products added up, modulo 10."""
    teile = _SVNR.match(wert)
    if teile is None:
        return False
    bereich, geburt, buchstabe, serie, pruef = teile.groups()
    try:
        date(2000 + int(geburt[4:]), int(geburt[2:4]), int(geburt[:2]))
    except ValueError:
        return False
    ziffern = bereich + geburt + f"{ord(buchstabe) - ord('A') + 1:02d}" + serie
    summe = sum(
        sum(divmod(int(z) * g, 10))
        for z, g in zip(ziffern, (2, 1, 2, 5, 7, 1, 2, 1, 2, 1, 2, 1), strict=True)
    )
    return summe % 10 == int(pruef)


def _dezimal(roh: Any) -> Decimal | None:
    if isinstance(roh, bool):
        return None
    if isinstance(roh, int | float):
        roh = str(roh)
    if not isinstance(roh, str):
        return None
    text = roh.strip().replace(" ", "").replace("€", "")
    if _BETRAG_DE.match(text):
        text = text.replace(".", "")
    text = text.replace(",", ".")
    if len(text) > 30:
        return None
    try:
        zahl = Decimal(text)
    except InvalidOperation:
        return None
    return zahl if zahl.is_finite() else None


def _zahl(feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    zahl = _dezimal(roh)
    geld = feld.typ == "geld"
    stellen = 2 if geld else feld.nachkommastellen
    if zahl is None:
        beispiel = "1.234,50" if geld else ("12" if stellen == 0 else "2,5")
        return None, [
            f"{_name(feld)}: Bitte geben Sie {'einen Betrag' if geld else 'eine Zahl'} an, z. B. {beispiel}."
        ]
    exponent = zahl.as_tuple().exponent
    if (
        isinstance(exponent, int)
        and -exponent > stellen
        and zahl != zahl.quantize(Decimal(1).scaleb(-stellen))
    ):
        if stellen == 0:
            return None, [f"{_name(feld)}: Bitte geben Sie eine ganze Zahl an."]
        return None, [f"{_name(feld)}: höchstens {stellen} Stellen nach dem Komma."]
    untere = Decimal(feld.min) if feld.min is not None else (Decimal(0) if geld else None)
    if untere is not None and zahl < untere:
        return None, [f"{_name(feld)}: mindestens {_zeige(untere, geld)}."]
    if feld.max is not None and zahl > Decimal(feld.max):
        return None, [f"{_name(feld)}: höchstens {_zeige(Decimal(feld.max), geld)}."]
    wert = (
        zahl.quantize(Decimal(1).scaleb(-stellen)) if stellen or geld else zahl.quantize(Decimal(1))
    )
    return str(wert), []


def _zeige(zahl: Decimal, geld: bool) -> str:
    text = f"{zahl:,.2f}" if geld else f"{zahl:,}"
    text = text.replace(",", "\u2009").replace(".", ",").replace("\u2009", ".")
    return f"{text} €" if geld else text


def datum_von(roh: str, heute: date) -> date:
    return heute if roh == "heute" else date.fromisoformat(roh)


def _datum(feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    tag: date | None = None
    if isinstance(roh, str):
        text = roh.strip()
        deutsch = _DE_DATUM.match(text)
        try:
            if deutsch:
                tag = date(int(deutsch.group(3)), int(deutsch.group(2)), int(deutsch.group(1)))
            elif len(text) == 10:
                tag = date.fromisoformat(text)
        except ValueError:
            tag = None
    if tag is None:
        return None, [f"{_name(feld)}: Bitte geben Sie ein Datum wie 07.12.2026 an."]
    if feld.min is not None and tag < datum_von(feld.min, heute):
        grenze = datum_von(feld.min, heute)
        return None, [f"{_name(feld)}: frühestens {grenze:%d.%m.%Y}."]
    if feld.max is not None and tag > datum_von(feld.max, heute):
        grenze = datum_von(feld.max, heute)
        if feld.max == "heute":
            return None, [f"{_name(feld)}: Das Datum darf nicht in der Zukunft liegen."]
        return None, [f"{_name(feld)}: spätestens {grenze:%d.%m.%Y}."]
    return tag.isoformat(), []


def _auswahl(feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    if feld.mehrfach:
        werte = [roh] if isinstance(roh, str) else roh
        if not isinstance(werte, list) or not all(isinstance(w, str) for w in werte):
            return None, [f"{_name(feld)}: Bitte wählen Sie aus der Liste."]
        unbekannt = [w for w in werte if feld.option(w) is None]
        if unbekannt:
            return None, [f"{_name(feld)}: „{unbekannt[0][:60]}“ steht nicht zur Auswahl."]
        reihenfolge = [o.wert for o in feld.optionen if o.wert in werte]
        return reihenfolge, []
    if not isinstance(roh, str) or feld.option(roh) is None:
        gesehen = roh[:60] if isinstance(roh, str) else str(roh)[:60]
        return None, [f"{_name(feld)}: „{gesehen}“ steht nicht zur Auswahl."]
    return roh, []


def _janein(feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    if isinstance(roh, bool):
        return roh, []
    if isinstance(roh, str) and roh.strip().lower() in {"ja", "nein", "true", "false"}:
        return roh.strip().lower() in {"ja", "true"}, []
    return None, [f"{_name(feld)}: Bitte wählen Sie „Ja“ oder „Nein“."]


ANSCHRIFT_TEILE = {
    "strasse": "Straße",
    "hausnummer": "Hausnummer",
    "zusatz": "Zusatz",
    "plz": "Postleitzahl",
    "ort": "Ort",
}


def _anschrift(feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    if not isinstance(roh, Mapping) or not set(roh) <= set(ANSCHRIFT_TEILE):
        return None, [
            f"{_name(feld)}: Bitte geben Sie Straße, Hausnummer, Postleitzahl und Ort an."
        ]
    wert = {}
    fehler = []
    for teil, name in ANSCHRIFT_TEILE.items():
        angabe = roh.get(teil) or ""
        if not isinstance(angabe, str) or len(angabe) > 200:
            fehler.append(f"{_name(feld)}: {name} ist zu lang oder kein Text.")
            continue
        angabe = angabe.strip()
        if not angabe and teil != "zusatz":
            fehler.append(
                f"{_name(feld)}: Bitte geben Sie auch {'den' if teil == 'ort' else 'die'} {name} an."
            )
        if angabe:
            wert[teil] = angabe
    if wert.get("plz") and not _PLZ.match(wert["plz"]):
        fehler.append(f"{_name(feld)}: Eine Postleitzahl hat fünf Ziffern.")
    return (None, fehler) if fehler else (wert, [])


def _iban(feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    if not isinstance(roh, str):
        return None, [f"{_name(feld)}: Bitte geben Sie eine IBAN an."]
    wert = "".join(roh.split()).upper()
    problem = iban_problem(wert)
    return (None, [f"{_name(feld)}: {problem}"]) if problem else (wert, [])


def _person(feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    if not isinstance(roh, str) or (personen is not None and roh not in personen):
        return None, [f"{_name(feld)}: Bitte wählen Sie eine Person der Bedarfsgemeinschaft."]
    return roh, []


def _datei(feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    dateien = roh if isinstance(roh, list) else None
    if dateien is None or len(dateien) > 20:
        return None, [f"{_name(feld)}: höchstens 20 Dateien."]
    for datei in dateien:
        if not isinstance(datei, Mapping) or set(datei) != {"blob", "name", "typ", "groesse"}:
            return None, [f"{_name(feld)}: Die Datei ist unvollständig angegeben."]
        if not isinstance(datei["blob"], str) or not SHA256.match(datei["blob"]):
            return None, [f"{_name(feld)}: Die Datei ist nicht gespeichert."]
        if datei["typ"] not in feld.dateitypen:
            return None, [
                f"{_name(feld)}: „{str(datei['name'])[:80]}“ hat einen nicht erlaubten Dateityp."
            ]
        if not isinstance(datei["groesse"], int) or datei["groesse"] > feld.max_mb * 1024 * 1024:
            return None, [
                f"{_name(feld)}: „{str(datei['name'])[:80]}“ ist größer als {feld.max_mb} MB."
            ]
    return [dict(d) for d in dateien], []


def _unterschrift(feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    """On paper (``{"art": "papier"}``), or on screen: the signer's name and the time,
    with ``bild`` (the drawing's PNG blob) when it was drawn; without a drawing the name
    was typed and confirmed (keyboard and no-JS users)."""
    if isinstance(roh, Mapping) and roh.get("art") == "papier" and set(roh) == {"art"}:
        return {"art": "papier"}, []
    if (
        isinstance(roh, Mapping)
        and roh.get("art") == "bildschirm"
        and set(roh) in ({"art", "bild", "name", "zeit"}, {"art", "name", "zeit"})
        and (
            "bild" not in roh or (isinstance(roh["bild"], str) and bool(SHA256.match(roh["bild"])))
        )
        and isinstance(roh["name"], str)
        and 0 < len(roh["name"].strip()) <= 200
        and isinstance(roh["zeit"], str)
        and _zeit(roh["zeit"])
    ):
        wert = {"art": "bildschirm", "name": roh["name"].strip(), "zeit": roh["zeit"]}
        if "bild" in roh:
            wert["bild"] = roh["bild"]
        return wert, []
    return None, [
        f"{_name(feld)}: Bitte unterschreiben Sie im Feld oder wählen Sie „auf Papier unterschreiben“."
    ]


def _zeit(text: str) -> bool:
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def _ohne(feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None) -> Ergebnis:
    return None, [f"{_name(feld)}: Dieses Feld nimmt keine Angabe an."]


_LESER = {
    "text": _text,
    "mehrzeilig": _text,
    "zahl": _zahl,
    "geld": _zahl,
    "datum": _datum,
    "auswahl": _auswahl,
    "janein": _janein,
    "anschrift": _anschrift,
    "iban": _iban,
    "person": _person,
    "datei": _datei,
    "unterschrift": _unterschrift,
    "hinweis": _ohne,
}
