"""A condition (``Bedingung``) as a German clause for the empty paper form: „Nur ausfüllen,
wenn bei „Familienstand“ „verheiratet“ angekreuzt ist.“ — built from the condition and
the labels and option labels it names, so a person with a pen knows what to skip.

The condition has been checked when the definition was read (``lesen``): every field it
names exists and fits its comparison, so this only has to word it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from koffer.formats import euro, german_date, number
from koffer.forms.definition import Definition, Feld, text_de

_GROESSE = {
    "groesser": "größer als {}",
    "groesser_gleich": "mindestens {}",
    "kleiner": "kleiner als {}",
    "kleiner_gleich": "höchstens {}",
}
_DATUM = {
    "groesser": "nach {}",
    "groesser_gleich": "am oder nach {}",
    "kleiner": "vor {}",
    "kleiner_gleich": "am oder vor {}",
}


def nur_wenn(roh: Mapping[str, Any], definition: Definition, *, abschnitt: bool = False) -> str:
    """``roh`` as a sentence: „Nur ausfüllen, wenn …“ (a step: „Diesen Abschnitt nur
    ausfüllen, wenn …“)."""
    anfang = "Diesen Abschnitt nur ausfüllen" if abschnitt else "Nur ausfüllen"
    return f"{anfang}, wenn {_satz(roh, definition, innen=False)}."


def _satz(roh: Mapping[str, Any], definition: Definition, *, innen: bool) -> str:
    if "alle" in roh or "eine" in roh:
        art = "alle" if "alle" in roh else "eine"
        teile = [_satz(t, definition, innen=True) for t in roh[art]]
        wort = " und " if art == "alle" else " oder "
        satz = teile[0] if len(teile) == 1 else ", ".join(teile[:-1]) + wort + teile[-1]
        return f"({satz})" if innen and len(teile) > 1 else satz
    if "nicht" in roh:
        return f"nicht zutrifft, dass {_satz(roh['nicht'], definition, innen=False)}"
    return _vergleich(roh, definition)


def _vergleich(roh: Mapping[str, Any], definition: Definition) -> str:
    feld = definition.felder[roh["feld"]]
    name = f"„{text_de(feld.label)}“"
    op = next(k for k in roh if k != "feld")
    rechts = roh[op]
    gewaehlt = "angekreuzt" if feld.typ == "auswahl" else "angegeben"
    if op == "ausgefuellt":
        return f"{name} {'ausgefüllt' if rechts else 'nicht ausgefüllt'} ist"
    if op == "ist":
        return f"bei {name} „{'Ja' if rechts else 'Nein'}“ angekreuzt ist"
    if op == "enthaelt":
        return f"bei {name} {_wert(feld, rechts)} angekreuzt ist"
    if op == "gleich":
        return f"bei {name} {_wert(feld, rechts)} {gewaehlt} ist"
    if op == "ungleich":
        return f"bei {name} nicht {_wert(feld, rechts)} {gewaehlt} ist"
    if op == "in":
        werte = [_wert(feld, w) for w in rechts]
        liste = werte[0] if len(werte) == 1 else ", ".join(werte[:-1]) + " oder " + werte[-1]
        return f"bei {name} {liste} {gewaehlt} ist"
    if isinstance(rechts, Mapping):
        anderes = definition.felder[rechts["feld"]]
        gegen = f"„{text_de(anderes.label)}“"
    else:
        gegen = _wert(feld, rechts, anfuehrung=False)
    if feld.typ == "datum":
        gegen = "dem heutigen Tag" if rechts == "heute" else gegen
        gegen = gegen if isinstance(rechts, Mapping) or rechts == "heute" else f"dem {gegen}"
        return f"{name} {_DATUM[op].format(gegen)} liegt"
    return f"{name} {_GROESSE[op].format(gegen)} ist"


def _wert(feld: Feld, wert: Any, *, anfuehrung: bool = True) -> str:
    """A value named in a condition as the form prints it: an option by its label, an
    amount in euro, a date as TT.MM.JJJJ."""
    text = str(wert)
    option = feld.option(text) if feld.typ == "auswahl" else None
    if option is not None:
        text = text_de(option.label)
    elif feld.typ in ("zahl", "geld"):
        try:
            zahl = Decimal(text)
        except InvalidOperation:
            zahl = None
        if zahl is not None:
            exponent = zahl.as_tuple().exponent
            places = max(0, -exponent) if isinstance(exponent, int) else 0
            text = euro(zahl) if feld.typ == "geld" else number(zahl, places)
    elif feld.typ == "datum" and text != "heute":
        with contextlib.suppress(ValueError):
            text = german_date(date.fromisoformat(text))
    return f"„{text}“" if anfuehrung else text
