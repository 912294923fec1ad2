"""Reading a definition: the JSON Schema first (shape), then what a schema cannot say —
unique ids, translations, conditions that name known fields and never go round in a
circle, options, ranges, prefill sources. Every finding is a German message with the
JSON path where the admin fixes it (``schritte[1].felder[3].optionen``).
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import date
from decimal import Decimal, InvalidOperation
from functools import cache
from pathlib import Path
from typing import Any, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from koffer.errors import DomainError

from .bedingungen import Befunde, kompilieren
from .modell import (
    FELDTYPEN,
    MITGLIED_SPALTEN,
    SPALTENTYPEN,
    VORBELEGUNGEN,
    Definition,
    Feld,
    Option,
    Regel,
    Schritt,
    Vorgangsangabe,
)
from .werte import datum_von

SCHEMA_DATEI = Path(__file__).with_name("schema.json")
MAX_SCHRITTE = 20
MAX_FELDER_JE_SCHRITT = 200
MAX_FELDER = 1500
MAX_ZEILEN = 100
#: Keys whose value is a human text (``{"de": …}``).
TEXTSCHLUESSEL = (
    "titel",
    "kurztitel",
    "beschreibung",
    "hilfe",
    "label",
    "meldung",
    "muster_meldung",
    "text",
    "hinweis",
)


class DefinitionFehler(DomainError):
    """A definition that cannot be used, with every finding (``befunde``: path, message)."""

    def __init__(self, befunde: Sequence[tuple[str, str]]) -> None:
        self.befunde = list(befunde)
        zeilen = "; ".join(
            f"{pfad or 'Formular'}: {meldung}" for pfad, meldung in self.befunde[:20]
        )
        mehr = f" (und {len(self.befunde) - 20} weitere)" if len(self.befunde) > 20 else ""
        super().__init__(
            "form_definition_invalid", f"Die Formulardefinition ist fehlerhaft: {zeilen}{mehr}"
        )


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of format 1 (published under ``docs/``)."""
    return dict(json.loads(SCHEMA_DATEI.read_text(encoding="utf-8")))


@cache
def _validator() -> Draft202012Validator:
    return Draft202012Validator(schema())


def lesen(data: Mapping[str, Any]) -> Definition:
    """``data`` (a definition's JSON) as a :class:`Definition`; raises
    :class:`DefinitionFehler` naming every problem."""
    if not isinstance(data, Mapping):
        raise DefinitionFehler([("", "Eine Formulardefinition ist ein JSON-Objekt.")])
    form_befunde = [
        _schemafehler(f)
        for f in sorted(_validator().iter_errors(data), key=lambda f: list(f.absolute_path))
    ]
    if form_befunde:
        raise DefinitionFehler(form_befunde[:50])
    befunde = Befunde()
    sprachen = tuple(data.get("sprachen", ["de"]))
    _uebersetzungen(data, "", ("de", *sprachen), befunde)
    definition = _definition(data, sprachen, befunde)
    if befunde.liste:
        raise DefinitionFehler(befunde.liste)
    return definition


def als_json(definition: Definition) -> dict[str, Any]:
    """The definition's JSON as it was read (for export)."""
    return dict(json.loads(json.dumps(definition.roh)))


def _pfad(teile: Sequence[Any]) -> str:
    text = ""
    for teil in teile:
        text += f"[{teil}]" if isinstance(teil, int) else (f".{teil}" if text else str(teil))
    return text


def _schemafehler(fehler: ValidationError) -> tuple[str, str]:
    """A schema finding in German (jsonschema speaks English)."""
    pfad = _pfad(list(fehler.absolute_path))
    art, wert, soll = (
        fehler.validator,
        cast(Any, fehler.instance),
        cast(Any, fehler.validator_value),
    )
    teilschema = fehler.schema if isinstance(fehler.schema, Mapping) else {}
    if art == "additionalProperties":
        erlaubt = sorted(teilschema.get("properties", {}))
        fremd = sorted(set(wert) - set(erlaubt)) if isinstance(wert, Mapping) else []
        return (
            pfad,
            f"Unbekannter Schlüssel „{', '.join(fremd)}“; erlaubt sind: {', '.join(erlaubt)}.",
        )
    if art == "required":
        fehlt = re.findall(r"'([^']+)' is a required property", fehler.message)
        return pfad, f"Die Angabe „{fehlt[0] if fehlt else soll}“ fehlt."
    if art in ("enum", "const"):
        if pfad.endswith(".typ"):
            return pfad, f"Unbekannter Feldtyp „{wert}“; bekannt sind: {', '.join(FELDTYPEN)}."
        liste = soll if isinstance(soll, list) else [soll]
        return pfad, f"„{wert}“ ist hier nicht erlaubt; erlaubt: {', '.join(map(str, liste))}."
    if art == "type":
        namen: dict[str, str] = {
            "string": "ein Text",
            "integer": "eine ganze Zahl",
            "number": "eine Zahl",
            "boolean": "true oder false",
            "array": "eine Liste",
            "object": "ein Objekt",
        }
        soll_liste = soll if isinstance(soll, list) else [soll]
        return (
            pfad,
            f"Erwartet wird {' oder '.join(namen.get(str(s), str(s)) for s in soll_liste)}.",
        )
    if art == "pattern":
        return pfad, f"„{wert}“ hat nicht die erlaubte Form ({soll})."
    if art in ("maxItems", "minItems"):
        return (
            pfad,
            f"{'Höchstens' if art == 'maxItems' else 'Mindestens'} {soll} Einträge (hier {len(wert)}).",
        )
    if art in ("maximum", "minimum"):
        return pfad, f"{'Höchstens' if art == 'maximum' else 'Mindestens'} {soll} (hier {wert})."
    if art in ("maxLength", "minLength"):
        return pfad, f"{'Höchstens' if art == 'maxLength' else 'Mindestens'} {soll} Zeichen."
    if art in ("oneOf", "anyOf", "not", "if", "then"):
        return (
            pfad,
            "Diese Angabe passt zu keiner erlaubten Form (Feldtyp und seine Schlüssel prüfen).",
        )
    return pfad, f"Ungültige Angabe ({art})."


def _uebersetzungen(knoten: Any, pfad: str, sprachen: Sequence[str], befunde: Befunde) -> None:
    """Every human text has every language of the definition."""
    if isinstance(knoten, Mapping):
        for schluessel, wert in knoten.items():
            unter = f"{pfad}.{schluessel}" if pfad else schluessel
            if schluessel in TEXTSCHLUESSEL and isinstance(wert, Mapping):
                fehlend = [s for s in dict.fromkeys(sprachen) if not str(wert.get(s, "")).strip()]
                if fehlend:
                    befunde.add(unter, f"Übersetzung fehlt: {', '.join(fehlend)}.")
            elif schluessel not in ("bedingung", "wenn", "dann"):
                _uebersetzungen(wert, unter, sprachen, befunde)
    elif isinstance(knoten, list):
        for i, wert in enumerate(knoten):
            _uebersetzungen(wert, f"{pfad}[{i}]", sprachen, befunde)


def _definition(data: Mapping[str, Any], sprachen: tuple[str, ...], befunde: Befunde) -> Definition:
    ids: set[str] = set()
    bisher: dict[str, Feld] = {}  # fields of the steps read so far, in check order
    schritte = []
    anzahl = 0
    for i, roh in enumerate(data["schritte"]):
        schritt = _schritt(roh, f"schritte[{i}]", bisher, ids, befunde)
        schritte.append(schritt)
        anzahl += len(schritt.felder)
        bisher.update((f.id, f) for f in _reihenfolge(schritt, f"schritte[{i}]", befunde))
    if anzahl > MAX_FELDER:
        befunde.add("schritte", f"Höchstens {MAX_FELDER} Felder in einem Formular (hier {anzahl}).")
    regeln = tuple(
        _regel(r, f"regeln[{i}]", bisher, befunde) for i, r in enumerate(data.get("regeln", []))
    )
    vorgang = data.get("vorgang")
    return Definition(
        schluessel=data["schluessel"],
        titel=data["titel"],
        schritte=tuple(schritte),
        roh=data,
        kurztitel=data.get("kurztitel"),
        beschreibung=data.get("beschreibung"),
        sprachen=sprachen,
        fachbereich=data.get("fachbereich"),
        vorgang=Vorgangsangabe(
            vorgang["vorgangstyp"],
            vorgang.get("wiedervorlage_tage"),
            tuple(vorgang.get("fristen", ())),
        )
        if vorgang
        else None,
        regeln=regeln,
        druck=data.get("druck", {}),
        felder=bisher,
    )


def _schritt(
    roh: Mapping[str, Any], pfad: str, bisher: Mapping[str, Feld], ids: set[str], befunde: Befunde
) -> Schritt:
    _neue_id(roh["id"], f"{pfad}.id", ids, befunde)
    bedingung = (
        kompilieren(roh["bedingung"], f"{pfad}.bedingung", bisher, befunde)
        if "bedingung" in roh
        else None
    )
    felder = [
        _feld(f, f"{pfad}.felder[{j}]", roh["id"], ids, befunde)
        for j, f in enumerate(roh["felder"])
    ]
    if len(felder) > MAX_FELDER_JE_SCHRITT:
        befunde.add(f"{pfad}.felder", f"Höchstens {MAX_FELDER_JE_SCHRITT} Felder in einem Schritt.")
    sichtbar = {**bisher, **{f.id: f for f in felder}}
    mit_bedingung = []
    for j, (feld, feld_roh) in enumerate(zip(felder, roh["felder"], strict=True)):
        if "bedingung" in feld_roh:
            feld = replace(
                feld,
                bedingung=kompilieren(
                    feld_roh["bedingung"], f"{pfad}.felder[{j}].bedingung", sichtbar, befunde
                ),
            )
        mit_bedingung.append(feld)
    return Schritt(
        id=roh["id"],
        titel=roh["titel"],
        felder=tuple(mit_bedingung),
        hilfe=roh.get("hilfe"),
        bedingung=bedingung,
    )


def _neue_id(feld_id: str, pfad: str, ids: set[str], befunde: Befunde) -> None:
    if feld_id in ids:
        befunde.add(
            pfad,
            f"Die Kennung „{feld_id}“ kommt mehrfach vor; Schritte und Felder brauchen eindeutige Kennungen.",
        )
    ids.add(feld_id)


def _feld(
    roh: Mapping[str, Any],
    pfad: str,
    schritt: str,
    ids: set[str],
    befunde: Befunde,
    *,
    spalte: bool = False,
) -> Feld:
    typ = roh["typ"]
    _neue_id(roh["id"], f"{pfad}.id", ids, befunde)
    if spalte and typ not in SPALTENTYPEN:
        befunde.add(
            f"{pfad}.typ", f"Eine Tabellenspalte hat einen dieser Typen: {', '.join(SPALTENTYPEN)}."
        )
    spalten: tuple[Feld, ...] = ()
    if typ == "tabelle":
        spalten_ids: set[str] = set()
        spalten = tuple(
            _feld(s, f"{pfad}.spalten[{k}]", "", spalten_ids, befunde, spalte=True)
            for k, s in enumerate(roh.get("spalten", []))
        )
        for k, spalte_roh in enumerate(roh.get("spalten", [])):
            if "bedingung" in spalte_roh:
                befunde.add(
                    f"{pfad}.spalten[{k}].bedingung", "Eine Tabellenspalte hat keine Bedingung."
                )
        if not spalten:
            befunde.add(f"{pfad}.spalten", "Eine Tabelle braucht mindestens eine Spalte.")
    optionen = tuple(Option(o["wert"], o["label"]) for o in roh.get("optionen", []))
    feld = Feld(
        id=roh["id"],
        typ=typ,
        label=roh.get("label", {"de": ""}),
        schritt=schritt,
        hilfe=roh.get("hilfe"),
        pflicht=bool(roh.get("pflicht", False)),
        vorbelegung=roh.get("vorbelegung"),
        druck=roh.get("druck", {}),
        min_laenge=roh.get("min_laenge"),
        max_laenge=roh.get("max_laenge"),
        muster=roh.get("muster"),
        muster_meldung=roh.get("muster_meldung"),
        format=roh.get("format"),
        min=_grenze(roh.get("min")),
        max=_grenze(roh.get("max")),
        nachkommastellen=roh.get("nachkommastellen", 0),
        optionen=optionen,
        mehrfach=bool(roh.get("mehrfach", False)),
        darstellung=roh.get("darstellung", "radio"),
        spalten=spalten,
        min_zeilen=roh.get("min_zeilen", 0),
        max_zeilen=roh.get("max_zeilen", 20),
        dateitypen=tuple(roh.get("dateitypen", ("application/pdf", "image/jpeg", "image/png"))),
        max_mb=roh.get("max_mb", 20),
        text=roh.get("text"),
    )
    _pruefe_feld(feld, pfad, befunde)
    return feld


def _grenze(wert: Any) -> str | None:
    return None if wert is None else str(wert)


def _pruefe_feld(feld: Feld, pfad: str, befunde: Befunde) -> None:
    if feld.typ == "auswahl":
        werte = [o.wert for o in feld.optionen]
        if not werte:
            befunde.add(f"{pfad}.optionen", "Eine Auswahl braucht mindestens eine Option.")
        for doppelt in sorted({w for w in werte if werte.count(w) > 1}):
            befunde.add(f"{pfad}.optionen", f"Die Option „{doppelt}“ kommt mehrfach vor.")
    if feld.typ in ("zahl", "geld", "datum"):
        _pruefe_spanne(feld, pfad, befunde)
    if (
        feld.min_laenge is not None
        and feld.max_laenge is not None
        and feld.min_laenge > feld.max_laenge
    ):
        befunde.add(f"{pfad}.min_laenge", "Die Mindestlänge ist größer als die Höchstlänge.")
    if feld.min_zeilen > feld.max_zeilen:
        befunde.add(f"{pfad}.min_zeilen", "Mindestens mehr Zeilen als höchstens erlaubt.")
    if feld.max_zeilen > MAX_ZEILEN:
        befunde.add(f"{pfad}.max_zeilen", f"Eine Tabelle hat höchstens {MAX_ZEILEN} Zeilen.")
    if feld.muster is not None:
        try:
            re.compile(feld.muster)
        except re.error as fehler:
            befunde.add(f"{pfad}.muster", f"Der reguläre Ausdruck ist ungültig: {fehler}.")
    if feld.vorbelegung is not None:
        passend = VORBELEGUNGEN.get(feld.vorbelegung)
        if passend is None:
            befunde.add(
                f"{pfad}.vorbelegung",
                f"Unbekannte Vorbelegung „{feld.vorbelegung}“; bekannt sind: {', '.join(VORBELEGUNGEN)}.",
            )
        elif feld.typ not in passend:
            befunde.add(
                f"{pfad}.vorbelegung",
                f"„{feld.vorbelegung}“ passt nicht zu einem Feld vom Typ {feld.typ}.",
            )
        elif feld.vorbelegung == "bg.mitglieder" and not {s.id for s in feld.spalten} & set(
            MITGLIED_SPALTEN
        ):
            befunde.add(
                f"{pfad}.vorbelegung",
                f"„bg.mitglieder“ füllt die Spalten {', '.join(MITGLIED_SPALTEN)}; die Tabelle hat keine davon.",
            )


def _pruefe_spanne(feld: Feld, pfad: str, befunde: Befunde) -> None:
    grenzen: list[Any] = []
    for name, wert in (("min", feld.min), ("max", feld.max)):
        if wert is None:
            grenzen.append(None)
            continue
        try:
            grenzen.append(
                datum_von(wert, _HEUTE_FUER_VERGLEICH) if feld.typ == "datum" else Decimal(wert)
            )
        except (ValueError, InvalidOperation):
            art = "kein Datum (JJJJ-MM-TT oder „heute“)" if feld.typ == "datum" else "keine Zahl"
            befunde.add(f"{pfad}.{name}", f"„{wert}“ ist {art}.")
            grenzen.append(None)
    unten, oben = grenzen
    if (
        unten is not None
        and oben is not None
        and "heute" not in (feld.min, feld.max)
        and unten > oben
    ):
        befunde.add(f"{pfad}.min", "Der kleinste erlaubte Wert ist größer als der größte.")


def _reihenfolge(schritt: Schritt, pfad: str, befunde: Befunde) -> list[Feld]:
    """The step's fields in check order: each after the fields of this step its condition
    reads; a condition that depends on itself (directly or through others) is refused."""
    hier = {f.id: f for f in schritt.felder}
    fertig: dict[str, Feld] = {}
    unterwegs: list[str] = []

    def besuche(feld: Feld) -> None:
        if feld.id in fertig:
            return
        if feld.id in unterwegs:
            kreis = [*unterwegs[unterwegs.index(feld.id) :], feld.id]
            j = next(k for k, f in enumerate(schritt.felder) if f.id == feld.id)
            befunde.add(
                f"{pfad}.felder[{j}].bedingung",
                f"Die Bedingungen bilden einen Kreis: {' → '.join(kreis)}.",
            )
            return
        unterwegs.append(feld.id)
        for name in sorted(feld.bedingung.felder if feld.bedingung else ()):
            if name in hier:
                besuche(hier[name])
        unterwegs.pop()
        fertig.setdefault(feld.id, feld)

    for feld in schritt.felder:
        besuche(feld)
    return list(fertig.values())


def _regel(
    roh: Mapping[str, Any], pfad: str, felder: Mapping[str, Feld], befunde: Befunde
) -> Regel:
    for k, name in enumerate(roh["felder"]):
        feld = felder.get(name)
        if feld is None or not feld.hat_wert:
            befunde.add(f"{pfad}.felder[{k}]", f"„{name}“ ist kein Feld dieses Formulars.")
    return Regel(
        id=roh["id"],
        wenn=kompilieren(roh["wenn"], f"{pfad}.wenn", felder, befunde) if "wenn" in roh else None,
        dann=kompilieren(roh["dann"], f"{pfad}.dann", felder, befunde),
        felder=tuple(roh["felder"]),
        meldung=roh["meldung"],
    )


#: "heute" in a range's bounds, only to compare min and max of fixed dates
_HEUTE_FUER_VERGLEICH = date(2000, 1, 1)
