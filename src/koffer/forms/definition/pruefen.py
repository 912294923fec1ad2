"""Checking answers against a definition: which steps and fields are shown, each answer
read as its type, required fields, tables, cross-field rules.

One pass in check order (a field after every field its condition reads), so a field's
visibility is decided on the already checked values before it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from koffer.formats import counted

from . import werte as leser
from .modell import Definition, Feld, text_de

UNBEKANNT = "Unbekanntes Feld."
VERBORGEN = "Dieses Feld ist nach Ihren Angaben nicht auszufüllen."


@dataclass(frozen=True)
class Sichtbarkeit:
    schritte: frozenset[str]
    felder: frozenset[str]


@dataclass
class Pruefung:
    """``werte``: the normalised values of the shown fields (JSON); ``fehler``: path →
    German messages (``"feld"``, ``"tabelle[2].betrag"``); ``beiseite``: answers a draft
    keeps that are not asked for now (hidden or no longer in the definition)."""

    werte: dict[str, Any] = field(default_factory=dict)
    fehler: dict[str, list[str]] = field(default_factory=dict)
    beiseite: dict[str, Any] = field(default_factory=dict)
    sichtbar: Sichtbarkeit = field(default_factory=lambda: Sichtbarkeit(frozenset(), frozenset()))

    @property
    def ok(self) -> bool:
        return not self.fehler

    def melde(self, pfad: str, meldung: str) -> None:
        self.fehler.setdefault(pfad, []).append(meldung)


def sichtbar(definition: Definition, antworten: Mapping[str, Any], *, heute: date) -> Sichtbarkeit:
    """Which steps and fields are shown for ``antworten`` (as entered)."""
    return pruefen(definition, antworten, heute=heute, streng=False, nur_lesen=True).sichtbar


def pruefen(
    definition: Definition,
    antworten: Mapping[str, Any],
    *,
    heute: date,
    schritt: str | None = None,
    personen: frozenset[str] | None = None,
    streng: bool = True,
    nur_lesen: bool = False,
) -> Pruefung:
    """Check ``antworten`` (field id → value as entered). ``schritt``: only that step's
    fields and the rules about them; ``None``: the whole submission. ``streng`` (a
    submission): an answer for an unknown, hidden or valueless field is an error;
    otherwise (a draft) it is kept aside. ``personen``: ids a person field may name."""
    ergebnis = Pruefung()
    if not isinstance(antworten, Mapping):
        ergebnis.melde("", "Die Angaben sind kein JSON-Objekt.")
        return ergebnis
    if schritt is not None and definition.schritt(schritt) is None:
        ergebnis.melde("", f"Unbekannter Schritt „{schritt}“.")
        return ergebnis
    bis = _schritte_bis(definition, schritt)
    werte = ergebnis.werte
    schritte = {s.id: s for s in definition.schritte}
    sichtbare_schritte: set[str] = set()
    sichtbare_felder: set[str] = set()
    aktuell, gezeigt = "", False
    for feld in definition.felder.values():  # steps in order, each step's fields in check order
        if feld.schritt != aktuell:
            # a step's condition reads earlier steps only: they are checked by now
            aktuell = feld.schritt
            bedingung = schritte[aktuell].bedingung
            gezeigt = bedingung is None or bedingung.gilt(werte, heute)
            if gezeigt:
                sichtbare_schritte.add(aktuell)
        if not gezeigt or (feld.bedingung is not None and not feld.bedingung.gilt(werte, heute)):
            continue
        sichtbare_felder.add(feld.id)
        if not feld.hat_wert:
            continue
        pruefen_hier = schritt is None or feld.schritt == schritt
        roh = antworten.get(feld.id)
        if leser.leer(roh):
            if feld.pflicht and pruefen_hier and not nur_lesen:
                ergebnis.melde(feld.id, f"Bitte füllen Sie „{text_de(feld.label)}“ aus.")
            continue
        wert = _lesen(
            feld, roh, heute, personen, ergebnis if pruefen_hier and not nur_lesen else None
        )
        if wert is not None:
            werte[feld.id] = wert
    ergebnis.sichtbar = Sichtbarkeit(frozenset(sichtbare_schritte), frozenset(sichtbare_felder))
    for name, roh in antworten.items():
        if name in werte or (name in sichtbare_felder and leser.leer(roh)):
            continue
        if name in sichtbare_felder and definition.felder[name].hat_wert:
            continue  # shown, but its value was refused: the message is already there
        bekannt = definition.felder.get(name)
        if (
            streng
            and not nur_lesen
            and (schritt is None or bekannt is None or bekannt.schritt == schritt)
        ):
            ergebnis.melde(
                str(name)[:80], UNBEKANNT if bekannt is None or not bekannt.hat_wert else VERBORGEN
            )
        elif not leser.leer(roh):
            ergebnis.beiseite[str(name)] = roh
    if not nur_lesen:
        _regeln(definition, ergebnis, heute, bis)
    return ergebnis


def _schritte_bis(definition: Definition, schritt: str | None) -> set[str]:
    ids = [s.id for s in definition.schritte]
    return set(ids if schritt is None else ids[: ids.index(schritt) + 1])


def _lesen(
    feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None, ergebnis: Pruefung | None
) -> Any:
    if feld.typ == "tabelle":
        return _tabelle(feld, roh, heute, personen, ergebnis)
    wert, meldungen = leser.lesen(feld, roh, heute=heute, personen=personen)
    if ergebnis is not None:
        for meldung in meldungen:
            ergebnis.melde(feld.id, meldung)
    return wert


def _tabelle(
    feld: Feld, roh: Any, heute: date, personen: frozenset[str] | None, ergebnis: Pruefung | None
) -> list[dict[str, Any]] | None:
    name = text_de(feld.label)
    if not isinstance(roh, list) or not all(isinstance(z, Mapping) for z in roh):
        if ergebnis is not None:
            ergebnis.melde(feld.id, f"„{name}“: Die Tabelle ist keine Liste von Zeilen.")
        return None
    if len(roh) > feld.max_zeilen:
        # checked before any row is read: a giant table costs nothing
        if ergebnis is not None:
            ergebnis.melde(
                feld.id, f"„{name}“: höchstens {feld.max_zeilen} Zeilen (eingegeben {len(roh)})."
            )
        return None
    spalten = {s.id: s for s in feld.spalten}
    zeilen = []
    for i, zeile in enumerate(roh):
        fremd = [k for k in zeile if k not in spalten]
        if fremd and ergebnis is not None:
            ergebnis.melde(
                f"{feld.id}[{i}].{str(fremd[0])[:40]}",
                f"„{name}“, Zeile {i + 1}: unbekannte Spalte.",
            )
        if all(leser.leer(zeile.get(k)) for k in spalten):
            continue
        gelesen: dict[str, Any] = {}
        for spalte in feld.spalten:
            zelle = zeile.get(spalte.id)
            pfad = f"{feld.id}[{i}].{spalte.id}"
            if leser.leer(zelle):
                if spalte.pflicht and ergebnis is not None:
                    ergebnis.melde(
                        pfad,
                        f"„{name}“, Zeile {i + 1}: Bitte füllen Sie „{text_de(spalte.label)}“ aus.",
                    )
                continue
            wert, meldungen = leser.lesen(spalte, zelle, heute=heute, personen=personen)
            if ergebnis is not None:
                for meldung in meldungen:
                    ergebnis.melde(pfad, f"Zeile {i + 1}: {meldung}")
            if wert is not None:
                gelesen[spalte.id] = wert
        zeilen.append(gelesen)
    if len(zeilen) < feld.min_zeilen and ergebnis is not None:
        ergebnis.melde(
            feld.id, f"„{name}“: mindestens {counted(feld.min_zeilen, 'Zeile', 'Zeilen')}."
        )
    return zeilen or None


def _regeln(
    definition: Definition,
    ergebnis: Pruefung,
    heute: date,
    bis: set[str],
) -> None:
    werte = ergebnis.werte
    for regel in definition.regeln:
        orte = [f for f in regel.felder if f in ergebnis.sichtbar.felder]
        if not orte or any(definition.felder[f].schritt not in bis for f in regel.felder):
            continue
        if regel.wenn is not None and not regel.wenn.gilt(werte, heute):
            continue
        if not regel.dann.gilt(werte, heute):
            for ort in orte:
                if ort not in ergebnis.fehler:
                    ergebnis.melde(ort, text_de(regel.meldung))
