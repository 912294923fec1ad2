"""The published JSON Schema of form definitions (format 1) and the demo catalogue: every demo
form is valid against the schema and keeps the rules a schema cannot express (unique ids,
conditions only on earlier fields, compared values that are options). Plain files, no Django."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

ROOT = Path(__file__).parents[2]
SCHEMA_PATH = ROOT / "src" / "koffer" / "forms" / "definition" / "schema.json"
DOCS_SCHEMA_PATH = ROOT / "docs" / "formulare-definition.schema.json"
KATALOG = ROOT / "src" / "koffer" / "demo" / "formulare"
FORMULARE = sorted(KATALOG.glob("*.json"))
EXPECTED = {
    "weiterbewilligung-sgb2",
    "veraenderungsmitteilung",
    "grundsicherung-sgb12",
    "hilfe-zur-pflege",
    "feststellung-behinderung",
    "wohngeld",
    "freie-notiz",
}
VERGLEICHE = ("groesser", "groesser_gleich", "kleiner", "kleiner_gleich")


def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


def _validator() -> Draft202012Validator:
    return Draft202012Validator(_schema())


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


def _felder(form: dict[str, Any]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Every field of the form with the index of its step, in order."""
    for index, schritt in enumerate(form["schritte"]):
        for feld in schritt["felder"]:
            yield index, feld


def _blaetter(bedingung: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The comparisons of a condition (the leaves under alle/eine/nicht)."""
    if "alle" in bedingung or "eine" in bedingung:
        for teil in bedingung.get("alle", bedingung.get("eine", [])):
            yield from _blaetter(teil)
    elif "nicht" in bedingung:
        yield from _blaetter(bedingung["nicht"])
    else:
        yield bedingung


def _genannte(bedingung: dict[str, Any]) -> set[str]:
    """Every field a condition names, on either side."""
    namen = set()
    for blatt in _blaetter(bedingung):
        namen.add(blatt["feld"])
        for op in VERGLEICHE:
            if isinstance(blatt.get(op), dict):
                namen.add(blatt[op]["feld"])
    return namen


def _alle_bedingungen(form: dict[str, Any]) -> Iterator[dict[str, Any]]:
    for schritt in form["schritte"]:
        if "bedingung" in schritt:
            yield schritt["bedingung"]
        for feld in schritt["felder"]:
            if "bedingung" in feld:
                yield feld["bedingung"]
    for regel in form.get("regeln", []):
        yield from (regel[k] for k in ("wenn", "dann") if k in regel)


@pytest.fixture(params=FORMULARE, ids=[p.stem for p in FORMULARE])
def formular(request: pytest.FixtureRequest) -> dict[str, Any]:
    return _load(request.param)


def test_schema_is_a_valid_draft_2020_12_schema() -> None:
    schema = _schema()
    Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["$id"] == "urn:koffer:formulardefinition:1"


def test_published_copy_in_docs_is_identical() -> None:
    assert DOCS_SCHEMA_PATH.read_bytes() == SCHEMA_PATH.read_bytes()


def test_catalogue_holds_the_demo_forms_each_under_its_key() -> None:
    assert {p.stem for p in FORMULARE} == EXPECTED
    for path in FORMULARE:
        assert _load(path)["schluessel"] == path.stem


def test_demo_form_is_valid_against_the_schema(formular: dict[str, Any]) -> None:
    fehler = [f"{e.json_path}: {e.message}" for e in _validator().iter_errors(formular)]
    assert fehler == []


def test_demo_form_starts_with_a_plain_hinweis(formular: dict[str, Any]) -> None:
    erstes = formular["schritte"][0]["felder"][0]
    assert erstes["typ"] == "hinweis"
    assert erstes["text"]["de"]


def test_ids_are_unique_across_steps_and_fields(formular: dict[str, Any]) -> None:
    ids = [s["id"] for s in formular["schritte"]] + [f["id"] for _, f in _felder(formular)]
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
    regeln = [r["id"] for r in formular.get("regeln", [])]
    assert len(regeln) == len(set(regeln))
    for _, feld in _felder(formular):
        spalten = [s["id"] for s in feld.get("spalten", [])]
        assert len(spalten) == len(set(spalten)), feld["id"]


def test_conditions_name_only_earlier_fields(formular: dict[str, Any]) -> None:
    """A step's condition names fields of earlier steps; a field's condition names fields
    before it (same or earlier step), so no condition can form a cycle."""
    frueher: set[str] = set()
    for schritt in formular["schritte"]:
        if "bedingung" in schritt:
            assert _genannte(schritt["bedingung"]) <= frueher, schritt["id"]
        for feld in schritt["felder"]:
            if "bedingung" in feld:
                assert _genannte(feld["bedingung"]) <= frueher, feld["id"]
            frueher.add(feld["id"])


def test_rules_name_fields_with_values(formular: dict[str, Any]) -> None:
    mit_wert = {f["id"] for _, f in _felder(formular) if f["typ"] != "hinweis"}
    for regel in formular.get("regeln", []):
        assert set(regel["felder"]) <= mit_wert, regel["id"]
        for teil in ("wenn", "dann"):
            if teil in regel:
                assert _genannte(regel[teil]) <= mit_wert, regel["id"]


def test_conditions_fit_the_type_of_their_field(formular: dict[str, Any]) -> None:
    """`gleich`/`ungleich`/`in`/`enthaelt` name options of an auswahl, `ist` a janein,
    comparisons a zahl, geld or datum (against a field of the same type)."""
    felder = {f["id"]: f for _, f in _felder(formular)}
    for bedingung in _alle_bedingungen(formular):
        for blatt in _blaetter(bedingung):
            feld = felder[blatt["feld"]]
            werte = [blatt[op] for op in ("gleich", "ungleich", "enthaelt") if op in blatt]
            werte += blatt.get("in", [])
            if werte:
                assert feld["typ"] == "auswahl", feld["id"]
                assert set(werte) <= {o["wert"] for o in feld["optionen"]}, feld["id"]
                assert ("enthaelt" in blatt) == feld.get("mehrfach", False), feld["id"]
            if "ist" in blatt:
                assert feld["typ"] == "janein", feld["id"]
            for op in VERGLEICHE:
                if op in blatt:
                    assert feld["typ"] in {"zahl", "geld", "datum"}, feld["id"]
                    if isinstance(blatt[op], dict):
                        assert felder[blatt[op]["feld"]]["typ"] == feld["typ"], feld["id"]


def test_auswahl_values_are_unique(formular: dict[str, Any]) -> None:
    for _, feld in _felder(formular):
        for f in [feld, *feld.get("spalten", [])]:
            werte = [o["wert"] for o in f.get("optionen", [])]
            assert len(werte) == len(set(werte)), f["id"]


# --- what the schema must refuse -----------------------------------------------------------


def _minimal() -> dict[str, Any]:
    return {
        "format": 1,
        "schluessel": "probe",
        "titel": {"de": "Probe"},
        "schritte": [
            {
                "id": "eins",
                "titel": {"de": "Eins"},
                "felder": [
                    {"id": "name", "typ": "text", "label": {"de": "Name"}},
                    {
                        "id": "liste",
                        "typ": "tabelle",
                        "label": {"de": "Liste"},
                        "spalten": [{"id": "wer", "typ": "text", "label": {"de": "Wer"}}],
                    },
                ],
            }
        ],
    }


def _errors(data: dict[str, Any]) -> list[str]:
    return [e.message for e in _validator().iter_errors(data)]


def test_the_minimal_definition_is_valid() -> None:
    assert _errors(_minimal()) == []


def test_schema_refuses_an_unknown_field_type() -> None:
    data = _minimal()
    data["schritte"][0]["felder"][0]["typ"] = "farbe"
    assert _errors(data)


def test_schema_refuses_unknown_keys() -> None:
    for ziel in (
        lambda d: d,
        lambda d: d["schritte"][0],
        lambda d: d["schritte"][0]["felder"][0],
        lambda d: d["schritte"][0]["felder"][0]["label"],
    ):
        data = _minimal()
        ziel(data)["farbe"] = "rot"
        assert _errors(data)


def test_schema_refuses_a_key_of_another_field_type() -> None:
    data = _minimal()
    data["schritte"][0]["felder"][0]["optionen"] = [{"wert": "a", "label": {"de": "A"}}]
    assert any("'optionen' is not one of" in m for m in _errors(data))


def test_schema_refuses_a_text_without_de() -> None:
    data = _minimal()
    data["schritte"][0]["felder"][0]["label"] = {"en": "Name"}
    assert _errors(data)
    data["schritte"][0]["felder"][0]["label"] = {"de": ""}
    assert _errors(data)


def test_schema_refuses_more_than_20_steps() -> None:
    data = _minimal()
    schritt = data["schritte"][0]
    data["schritte"] = [copy.deepcopy(schritt) for _ in range(20)]
    assert _errors(data) == []
    data["schritte"].append(copy.deepcopy(schritt))
    assert _errors(data)


def test_schema_refuses_max_zeilen_above_100() -> None:
    data = _minimal()
    tabelle = data["schritte"][0]["felder"][1]
    tabelle["max_zeilen"] = 100
    assert _errors(data) == []
    tabelle["max_zeilen"] = 101
    assert _errors(data)


def test_schema_refuses_a_table_of_13_columns_or_a_nested_table() -> None:
    data = _minimal()
    tabelle = data["schritte"][0]["felder"][1]
    tabelle["spalten"] = [{"id": f"s{i}", "typ": "text", "label": {"de": "S"}} for i in range(12)]
    assert _errors(data) == []
    tabelle["spalten"].append({"id": "s12", "typ": "text", "label": {"de": "S"}})
    assert _errors(data)
    tabelle["spalten"] = [copy.deepcopy(tabelle)]
    assert _errors(data)


def test_schema_refuses_a_condition_with_an_unknown_operator() -> None:
    data = _minimal()
    feld = data["schritte"][0]["felder"][1]
    feld["bedingung"] = {"feld": "name", "ausgefuellt": True}
    assert _errors(data) == []
    for falsch in (
        {"feld": "name", "aehnlich": "x"},
        {"feld": "name"},
        {"feld": "name", "gleich": "a", "ungleich": "b"},
        {"alle": [{"feld": "name", "ist": True}], "nicht": {"feld": "name", "ist": True}},
        {"nicht": {"feld": "name", "zwischen": [1, 2]}},
    ):
        feld["bedingung"] = falsch
        assert _errors(data), falsch


def test_schema_refuses_a_prefill_that_does_not_fit_the_type() -> None:
    data = _minimal()
    feld = data["schritte"][0]["felder"][0]
    feld["vorbelegung"] = "person.nachname"
    assert _errors(data) == []
    for falsch in ("person.iban", "bg.mitglieder", "person.wohnort"):
        feld["vorbelegung"] = falsch
        assert _errors(data), falsch
