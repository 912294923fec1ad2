"""Conditions (``Bedingung``): read once into a function of the answers, with the ids they
read, and checked against the fields they name.

A field that is not shown counts as empty. A comparison with an empty side is false
(``{"feld": "x", "groesser": 0}`` does not hold while x is empty); ``ungleich`` with an
empty left side holds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from typing import Any

from .modell import VERGLEICHBAR, Bedingung, Feld
from .werte import datum_von, leer

Pruefer = Callable[[Mapping[str, Any], date], bool]
VERGLEICHE = ("groesser", "groesser_gleich", "kleiner", "kleiner_gleich")
OPERATOREN = ("gleich", "ungleich", "in", "ist", "ausgefuellt", "enthaelt", *VERGLEICHE)


class Befunde:
    """Findings collected while a definition is read: ``(pfad, meldung)``."""

    def __init__(self) -> None:
        self.liste: list[tuple[str, str]] = []

    def add(self, pfad: str, meldung: str) -> None:
        self.liste.append((pfad, meldung))


def kompilieren(roh: Any, pfad: str, felder: Mapping[str, Feld], befunde: Befunde) -> Bedingung:
    """``roh`` as a :class:`Bedingung`; ``felder`` are the fields it may name (same or
    earlier steps). Every problem is added to ``befunde`` (the result then never holds)."""
    gelesen: set[str] = set()
    pruefer = _knoten(roh, pfad, felder, befunde, gelesen)
    return Bedingung(roh=roh, felder=frozenset(gelesen), gilt=pruefer)


def _nie(werte: Mapping[str, Any], heute: date) -> bool:
    return False


def _knoten(
    roh: Any, pfad: str, felder: Mapping[str, Feld], befunde: Befunde, gelesen: set[str]
) -> Pruefer:
    if not isinstance(roh, Mapping) or not roh:
        befunde.add(pfad, 'Eine Bedingung ist ein Objekt wie {"feld": "…", "gleich": "…"}.')
        return _nie
    if "alle" in roh or "eine" in roh:
        art = "alle" if "alle" in roh else "eine"
        teile = roh[art]
        if set(roh) != {art} or not isinstance(teile, list) or not teile:
            befunde.add(
                pfad, f"„{art}“ braucht eine nicht leere Liste von Bedingungen und sonst nichts."
            )
            return _nie
        pruefer = [
            _knoten(t, f"{pfad}.{art}[{i}]", felder, befunde, gelesen) for i, t in enumerate(teile)
        ]
        if art == "alle":
            return lambda werte, heute: all(p(werte, heute) for p in pruefer)
        return lambda werte, heute: any(p(werte, heute) for p in pruefer)
    if "nicht" in roh:
        if set(roh) != {"nicht"}:
            befunde.add(pfad, "„nicht“ steht allein in seiner Bedingung.")
            return _nie
        innen = _knoten(roh["nicht"], f"{pfad}.nicht", felder, befunde, gelesen)
        return lambda werte, heute: not innen(werte, heute)
    return _vergleich(roh, pfad, felder, befunde, gelesen)


def _vergleich(
    roh: Mapping[str, Any],
    pfad: str,
    felder: Mapping[str, Feld],
    befunde: Befunde,
    gelesen: set[str],
) -> Pruefer:
    ops = [k for k in roh if k != "feld"]
    if "feld" not in roh or len(ops) != 1 or ops[0] not in OPERATOREN:
        befunde.add(
            pfad,
            f"Eine Bedingung nennt „feld“ und genau einen Vergleich ({', '.join(OPERATOREN)}).",
        )
        return _nie
    op = ops[0]
    feld_id, rechts = roh["feld"], roh[op]
    feld = felder.get(feld_id) if isinstance(feld_id, str) else None
    if feld is None or not feld.hat_wert:
        befunde.add(
            pfad,
            f"Die Bedingung nennt „{feld_id}“, das ist kein Feld dieses oder eines früheren Schritts.",
        )
        return _nie
    gelesen.add(feld_id)
    if op == "ausgefuellt":
        if not isinstance(rechts, bool):
            befunde.add(pfad, "„ausgefuellt“ ist true oder false.")
        return lambda werte, heute: (not leer(werte.get(feld_id))) == rechts
    if op == "ist":
        if feld.typ != "janein" or not isinstance(rechts, bool):
            befunde.add(
                pfad,
                f"„ist“ prüft ein Ja/Nein-Feld auf true oder false; „{feld_id}“ ist vom Typ {feld.typ}.",
            )
        return lambda werte, heute: werte.get(feld_id) is rechts
    if op == "enthaelt":
        if feld.typ != "auswahl" or not feld.mehrfach:
            befunde.add(
                pfad, f"„enthaelt“ passt nur zu einer Mehrfachauswahl, nicht zu „{feld_id}“."
            )
        _pruefe_option(feld, rechts, pfad, befunde)
        return lambda werte, heute: rechts in (werte.get(feld_id) or ())
    if op in ("gleich", "ungleich", "in"):
        return _gleichheit(feld, op, rechts, pfad, befunde)
    return _groesse(feld, op, rechts, pfad, felder, befunde, gelesen)


def _pruefe_option(feld: Feld, wert: Any, pfad: str, befunde: Befunde) -> None:
    if feld.typ == "auswahl" and (not isinstance(wert, str) or feld.option(wert) is None):
        befunde.add(pfad, f"„{wert}“ ist keine Auswahl von „{feld.id}“.")


def _gleichheit(feld: Feld, op: str, rechts: Any, pfad: str, befunde: Befunde) -> Pruefer:
    if feld.typ in ("janein", "tabelle", "datei", "unterschrift", "anschrift") or (
        feld.typ == "auswahl" and feld.mehrfach
    ):
        befunde.add(
            pfad,
            f"„{op}“ passt nicht zum Feld „{feld.id}“ (Typ {feld.typ}); für Ja/Nein „ist“, für Mehrfachauswahl „enthaelt“.",
        )
        return _nie
    werte_rechts = rechts if op == "in" else [rechts]
    if op == "in" and (not isinstance(rechts, list) or not rechts):
        befunde.add(pfad, "„in“ braucht eine nicht leere Liste.")
        return _nie
    for wert in werte_rechts:
        _pruefe_option(feld, wert, pfad, befunde)
    if feld.typ in ("zahl", "geld"):
        try:
            menge = {Decimal(str(w)) for w in werte_rechts}
        except ArithmeticError:
            befunde.add(pfad, f"„{rechts}“ ist keine Zahl.")
            return _nie
        feld_id = feld.id

        def zahl_in(werte: Mapping[str, Any], heute: date) -> bool:
            wert = werte.get(feld_id)
            return wert is not None and Decimal(wert) in menge

        return zahl_in if op != "ungleich" else (lambda werte, heute: not zahl_in(werte, heute))
    menge_text = {str(w) for w in werte_rechts}
    feld_id = feld.id
    if op == "ungleich":
        return lambda werte, heute: werte.get(feld_id) not in menge_text
    return lambda werte, heute: werte.get(feld_id) in menge_text


def _groesse(
    feld: Feld,
    op: str,
    rechts: Any,
    pfad: str,
    felder: Mapping[str, Feld],
    befunde: Befunde,
    gelesen: set[str],
) -> Pruefer:
    if feld.typ not in VERGLEICHBAR:
        befunde.add(
            pfad,
            f"„{op}“ vergleicht Zahlen, Beträge oder Daten; „{feld.id}“ ist vom Typ {feld.typ}.",
        )
        return _nie
    links_id = feld.id
    rechts_id: str | None = None
    konstante: Any = None
    if isinstance(rechts, Mapping):
        rechts_id = rechts.get("feld") if set(rechts) == {"feld"} else None
        anderes = felder.get(rechts_id) if isinstance(rechts_id, str) else None
        if (
            anderes is None
            or anderes.typ not in VERGLEICHBAR
            or (anderes.typ == "datum") != (feld.typ == "datum")
        ):
            befunde.add(
                pfad,
                f'„{op}“ vergleicht mit {{"feld": …}} eines früheren Felds gleicher Art (Datum mit Datum, Zahl mit Zahl).',
            )
            return _nie
        gelesen.add(anderes.id)
    elif feld.typ == "datum":
        if not isinstance(rechts, str) or not _datum_ok(rechts):
            befunde.add(pfad, f"„{rechts}“ ist kein Datum (JJJJ-MM-TT oder „heute“).")
            return _nie
        konstante = rechts
    else:
        if isinstance(rechts, bool) or not isinstance(rechts, int | float | str):
            befunde.add(pfad, f"„{rechts}“ ist keine Zahl.")
            return _nie
        try:
            konstante = Decimal(str(rechts))
        except ArithmeticError:
            befunde.add(pfad, f"„{rechts}“ ist keine Zahl.")
            return _nie
    ist_datum = feld.typ == "datum"
    vergleich = _VERGLEICH[op]

    def wert(text: Any, heute: date) -> Any:
        if text is None:
            return None
        return datum_von(text, heute) if ist_datum else Decimal(text)

    def pruefer(werte: Mapping[str, Any], heute: date) -> bool:
        links = wert(werte.get(links_id), heute)
        gegen = wert(werte.get(rechts_id) if rechts_id else konstante, heute)
        return links is not None and gegen is not None and vergleich(links, gegen)

    return pruefer


def _datum_ok(text: str) -> bool:
    try:
        datum_von(text, date.min)
    except ValueError:
        return False
    return True


_VERGLEICH: dict[str, Callable[[Any, Any], bool]] = {
    "groesser": lambda a, b: a > b,
    "groesser_gleich": lambda a, b: a >= b,
    "kleiner": lambda a, b: a < b,
    "kleiner_gleich": lambda a, b: a <= b,
}
