"""Formulare: checking a whole submission (``koffer.forms.definition.pruefen``) against
reading the same answers as JSON and validating them with a JSON Schema, in the same run.

Data: the synthetic form of ``_forms_muster`` (6 steps, 150 fields of every type, two
tables of 8 and 10 rows, conditions, three rules), every shown field answered as a person
types it (German amounts and dates, an IBAN in groups), so every value is read, checked
and normalised; the Ja/Nein answers, dates and amounts vary per round so no cache helps.

- ``p50_ms``/``p95_ms``: ``pruefen`` of the whole submission (``streng``, with the
  persons of the Akte); ``cpu_p50_ms``/``cpu_p95_ms`` in this process's CPU time; ``entwurf_ms``: a draft's check (``streng=False``, median);
  ``schritt_ms``: one step's check (``schritt=``, median over all steps);
- ``json_ms``: ``json.loads`` of the same answers (median), ``ratio_json`` the check's
  median over it;
- ``schema_ms``: a JSON Schema (draft 2020-12, ``jsonschema``, validator built once) of
  the answers' types, options, patterns, lengths and table rows validating them (median),
  ``ratio_schema`` the check's median over it: what the per-type reading, conditions,
  rules, IBAN and date checks cost over a schema's shape check.

Target (issue 17): p95 <= 10 ms a submission.
"""

from __future__ import annotations

import json
from typing import Any

from jsonschema import Draft202012Validator

from benchmarks import _forms_muster as muster
from benchmarks.report import emit, note, percentile
from benchmarks.scale import sized
from koffer.forms.definition import Feld, pruefen

NAME = "forms_validate"
ROUNDS = sized(400, 2)
TARGET_P95_MS = 10.0
DATUM = r"^([0-9]{1,2}\.[0-9]{1,2}\.[0-9]{4}|[0-9]{4}-[0-9]{2}-[0-9]{2})$"
ZAHL = r"^-?[0-9.]{1,20}(,[0-9]{1,2})?$"


def run() -> None:
    definition = muster.definition()
    personen = frozenset(p for p, _ in muster.PERSONEN)
    submissions = [_variante(muster.antworten(), i) for i in range(ROUNDS)]
    texte = [json.dumps(a, ensure_ascii=False) for a in submissions]
    schema = Draft202012Validator(_schema(definition.felder.values(), personen))
    for antworten in submissions[:20]:  # every variant is a valid submission
        erste = pruefen(definition, antworten, heute=muster.HEUTE, personen=personen)
        assert erste.ok, erste.fehler
        assert not list(schema.iter_errors(antworten))
    schritte = [s.id for s in definition.schritte]

    voll, entwurf, schritt, als_json, schema_uhr = (muster.Uhr() for _ in range(5))
    heute = muster.HEUTE
    for i, antworten in enumerate(submissions):
        als_json(json.loads, texte[i])
        schema_uhr(schema.validate, antworten)
        voll(pruefen, definition, antworten, heute=heute, personen=personen)
        entwurf(pruefen, definition, antworten, heute=heute, streng=False)
        schritt(pruefen, definition, antworten, heute=heute, schritt=schritte[i % len(schritte)])
    p50 = percentile(voll.wand, 50)
    p95 = percentile(voll.wand, 95)
    json_ms = percentile(als_json.wand, 50)
    schema_ms = percentile(schema_uhr.wand, 50)
    note(
        f"{ROUNDS} Einreichungen mit {len(erste.werte)} Antworten zu {len(definition.felder)} Feldern"
    )
    emit(
        NAME,
        submissions=ROUNDS,
        fields=len(definition.felder),
        answers=len(erste.werte),
        kb=len(texte[0].encode()) / 1024,
        p50_ms=p50,
        p95_ms=p95,
        max_ms=max(voll.wand),
        cpu_p50_ms=percentile(voll.cpu, 50),
        cpu_p95_ms=percentile(voll.cpu, 95),
        entwurf_ms=percentile(entwurf.wand, 50),
        schritt_ms=percentile(schritt.wand, 50),
        json_ms=json_ms,
        ratio_json=p50 / json_ms,
        schema_ms=schema_ms,
        ratio_schema=p50 / schema_ms,
        target=f"p95<={TARGET_P95_MS:.0f}ms",
        met=p95 <= TARGET_P95_MS,
    )


def _variante(antworten: dict[str, Any], i: int) -> dict[str, Any]:
    """The answers with other amounts and days per round (same shapes, same outcome)."""
    anders: dict[str, Any] = {}
    for name, wert in antworten.items():
        if name.startswith("geld_"):
            wert = f"{i % 900 + 1}.{i % 1000:03d},{i % 100:02d}"
        elif name.startswith("datum_"):
            wert = f"{1 + i % 28:02d}{wert[2:]}"
        anders[name] = wert
    return anders


def _schema(felder: Any, personen: frozenset[str]) -> dict[str, Any]:
    eigenschaften = {f.id: _typ(f, personen) for f in felder if f.hat_wert}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "properties": eigenschaften,
        "additionalProperties": False,
    }


def _typ(feld: Feld, personen: frozenset[str]) -> dict[str, Any]:
    text = {"type": "string", "maxLength": 500}
    if feld.typ in ("text", "mehrzeilig"):
        return {**text, "maxLength": feld.max_laenge or 5000}
    if feld.typ in ("zahl", "geld"):
        return {"type": "string", "pattern": ZAHL}
    if feld.typ == "datum":
        return {"type": "string", "pattern": DATUM}
    if feld.typ == "auswahl":
        einzeln = {"enum": [o.wert for o in feld.optionen]}
        return (
            {"type": "array", "items": einzeln, "uniqueItems": True} if feld.mehrfach else einzeln
        )
    if feld.typ == "janein":
        return {"enum": ["ja", "nein", True, False]}
    if feld.typ == "anschrift":
        teile = ("strasse", "hausnummer", "zusatz", "plz", "ort")
        return {
            "type": "object",
            "properties": {t: text for t in teile}
            | {"plz": {"type": "string", "pattern": "^[0-9]{5}$"}},
            "required": ["strasse", "hausnummer", "plz", "ort"],
            "additionalProperties": False,
        }
    if feld.typ == "iban":
        return {"type": "string", "pattern": "^[A-Z]{2}[0-9 ]{2}[0-9A-Z ]{10,40}$"}
    if feld.typ == "person":
        return {"enum": sorted(personen)}
    if feld.typ == "tabelle":
        zeile = {
            "type": "object",
            "properties": {s.id: _typ(s, personen) for s in feld.spalten},
            "required": [s.id for s in feld.spalten if s.pflicht],
            "additionalProperties": False,
        }
        return {"type": "array", "items": zeile, "maxItems": feld.max_zeilen}
    if feld.typ == "datei":
        datei = {
            "type": "object",
            "properties": {
                "blob": {"type": "string", "pattern": "^[0-9a-f]{64}$"},
                "name": text,
                "typ": {"enum": list(feld.dateitypen)},
                "groesse": {"type": "integer", "maximum": feld.max_mb * 1024 * 1024},
            },
            "required": ["blob", "name", "typ", "groesse"],
            "additionalProperties": False,
        }
        return {"type": "array", "items": datei, "maxItems": 20}
    return {"type": "object", "properties": {"art": {"enum": ["papier", "bildschirm"]}}}
