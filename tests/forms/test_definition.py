"""The definition format: reading (with every kind of bad definition the issue names) and
checking answers (types, required, conditions, hidden fields, tables, rules)."""

from __future__ import annotations

import copy
from datetime import date
from typing import Any

import pytest

from koffer.forms.definition import DefinitionFehler, als_json, lesen, pruefen, sichtbar

HEUTE = date(2026, 12, 7)


def text(de: str) -> dict[str, str]:
    return {"de": de}


def muster() -> dict[str, Any]:
    return {
        "format": 1,
        "schluessel": "muster",
        "titel": text("Musterantrag"),
        "vorgang": {"vorgangstyp": "antrag", "wiedervorlage_tage": 14},
        "schritte": [
            {
                "id": "person",
                "titel": text("Person"),
                "felder": [
                    {
                        "id": "einleitung",
                        "typ": "hinweis",
                        "label": text("Hinweis"),
                        "text": text("Bitte ausfüllen."),
                    },
                    {
                        "id": "nachname",
                        "typ": "text",
                        "label": text("Nachname"),
                        "pflicht": True,
                        "vorbelegung": "person.nachname",
                    },
                    {
                        "id": "geburtsdatum",
                        "typ": "datum",
                        "label": text("Geburtsdatum"),
                        "max": "heute",
                    },
                    {
                        "id": "familienstand",
                        "typ": "auswahl",
                        "label": text("Familienstand"),
                        "optionen": [
                            {"wert": "ledig", "label": text("ledig")},
                            {"wert": "verheiratet", "label": text("verheiratet")},
                        ],
                    },
                    {
                        "id": "partner",
                        "typ": "text",
                        "label": text("Name des Ehepartners"),
                        "pflicht": True,
                        "bedingung": {"feld": "familienstand", "gleich": "verheiratet"},
                    },
                    {
                        "id": "steuer_id",
                        "typ": "text",
                        "label": text("Steuer-ID"),
                        "format": "steuer_id",
                    },
                ],
            },
            {
                "id": "einkommen",
                "titel": text("Einkommen"),
                "felder": [
                    {
                        "id": "hat_einkommen",
                        "typ": "janein",
                        "label": text("Haben Sie Einkommen?"),
                        "pflicht": True,
                    },
                    {
                        "id": "einkuenfte",
                        "typ": "tabelle",
                        "label": text("Einkünfte"),
                        "bedingung": {"feld": "hat_einkommen", "ist": True},
                        "max_zeilen": 5,
                        "min_zeilen": 1,
                        "spalten": [
                            {"id": "art", "typ": "text", "label": text("Art"), "pflicht": True},
                            {
                                "id": "betrag",
                                "typ": "geld",
                                "label": text("Betrag"),
                                "pflicht": True,
                            },
                        ],
                    },
                    {"id": "iban", "typ": "iban", "label": text("IBAN")},
                ],
            },
            {
                "id": "mehrbedarf",
                "titel": text("Mehrbedarf"),
                "bedingung": {"feld": "familienstand", "gleich": "verheiratet"},
                "felder": [
                    {"id": "beginn", "typ": "datum", "label": text("Beginn")},
                    {"id": "ende", "typ": "datum", "label": text("Ende")},
                    {"id": "betrag", "typ": "geld", "label": text("Betrag"), "max": 5000},
                ],
            },
        ],
        "regeln": [
            {
                "id": "ende_nach_beginn",
                "wenn": {
                    "alle": [
                        {"feld": "beginn", "ausgefuellt": True},
                        {"feld": "ende", "ausgefuellt": True},
                    ]
                },
                "dann": {"feld": "ende", "groesser": {"feld": "beginn"}},
                "felder": ["ende"],
                "meldung": text("Das Ende muss nach dem Beginn liegen."),
            }
        ],
    }


def befunde(data: dict[str, Any]) -> list[tuple[str, str]]:
    with pytest.raises(DefinitionFehler) as fehler:
        lesen(data)
    return fehler.value.befunde


def test_a_good_definition_is_read_and_exported_unchanged() -> None:
    definition = lesen(muster())
    assert [s.id for s in definition.schritte] == ["person", "einkommen", "mehrbedarf"]
    assert (
        definition.feld("partner") is not None and definition.feld("partner").bedingung is not None
    )
    assert definition.vorgang is not None and definition.vorgang.wiedervorlage_tage == 14
    assert als_json(definition) == muster()


@pytest.mark.parametrize(
    ("aendern", "pfad", "teil"),
    [
        (lambda d: d["schritte"][0]["felder"][1].update(typ="farbe"), "schritte[0].felder[1]", ""),
        (
            lambda d: d["schritte"][0]["felder"][1].update(farbe="rot"),
            "schritte[0].felder[1]",
            "Unbekannter Schlüssel „farbe“",
        ),
        (
            lambda d: d["schritte"][0]["felder"][1].update(label={"en": "Name"}),
            "schritte[0].felder[1].label",
            "„de“ fehlt",
        ),
        (
            lambda d: d["schritte"][0]["felder"][2].update(id="nachname"),
            "schritte[0].felder[2].id",
            "mehrfach",
        ),
        (
            lambda d: d["schritte"][0]["felder"][4]["bedingung"].update(feld="gibtsnicht"),
            "schritte[0].felder[4].bedingung",
            "gibtsnicht",
        ),
        (
            lambda d: d["schritte"][0]["felder"][4]["bedingung"].update(gleich="geschieden"),
            "schritte[0].felder[4].bedingung",
            "keine Auswahl",
        ),
        (
            lambda d: d["schritte"][0]["felder"][4]["bedingung"].update(feld="einleitung"),
            "schritte[0].felder[4].bedingung",
            "kein Feld",
        ),
        (
            lambda d: d["schritte"][1]["felder"][1].update(max_zeilen=101),
            "schritte[1].felder[1].max_zeilen",
            "",
        ),
        (
            lambda d: d["schritte"][2]["felder"][2].update(min=6000),
            "schritte[2].felder[2].min",
            "größer",
        ),
        (
            lambda d: d["schritte"][0]["felder"][1].update(muster="([a-z]"),
            "schritte[0].felder[1].muster",
            "ungültig",
        ),
        (
            lambda d: d["schritte"][0]["felder"][1].update(vorbelegung="person.schuhgroesse"),
            "schritte[0].felder[1].vorbelegung",
            "nicht erlaubt",
        ),
        (
            lambda d: d["schritte"][0]["felder"][2].update(vorbelegung="person.iban"),
            "schritte[0].felder[2].vorbelegung",
            "nicht erlaubt",
        ),
        (
            lambda d: d["schritte"][1]["felder"][1]["spalten"][0].update(typ="tabelle"),
            "schritte[1].felder[1].spalten[0]",
            "",
        ),
        (
            lambda d: d["schritte"][0].update(bedingung={"feld": "nachname", "ausgefuellt": True}),
            "schritte[0].bedingung",
            "früheren",
        ),
        (
            lambda d: d["regeln"][0].update(felder=["gibtsnicht"]),
            "regeln[0].felder[0]",
            "kein Feld",
        ),
        (
            lambda d: d["regeln"][0]["dann"].update(feld="nachname"),
            "regeln[0].dann",
            "vergleicht Zahlen",
        ),
    ],
)
def test_bad_definitions_are_refused_with_a_german_message_at_the_place_to_fix(
    aendern: Any, pfad: str, teil: str
) -> None:
    data = muster()
    aendern(data)
    gefunden = befunde(data)
    assert gefunden, "a bad definition must be refused"
    assert any(p.startswith(pfad) and teil in m for p, m in gefunden), gefunden


def test_a_condition_that_depends_on_itself_is_a_cycle() -> None:
    data = muster()
    felder = data["schritte"][0]["felder"]
    felder[3]["bedingung"] = {
        "feld": "partner",
        "ausgefuellt": True,
    }  # familienstand shown if partner …
    gefunden = befunde(data)  # … and partner shown if familienstand: a circle
    assert any("Kreis" in m and "familienstand" in m and "partner" in m for _, m in gefunden), (
        gefunden
    )
    data = muster()
    data["schritte"][0]["felder"][1]["bedingung"] = {"feld": "nachname", "ausgefuellt": True}
    assert any("Kreis" in m for _, m in befunde(data))


def test_a_missing_translation_is_named() -> None:
    data = muster()
    data["sprachen"] = ["de", "en"]
    gefunden = befunde(data)
    assert ("titel", "Übersetzung fehlt: en.") in gefunden
    assert any(p == "schritte[0].felder[1].label" for p, _ in gefunden)


def test_answers_are_read_as_their_types() -> None:
    definition = lesen(muster())
    ergebnis = pruefen(
        definition,
        {
            "nachname": "  Muster ",
            "geburtsdatum": "01.02.1980",
            "familienstand": "verheiratet",
            "partner": "Erika",
            "steuer_id": "86 095 742 719",
            "hat_einkommen": "ja",
            "einkuenfte": [{"art": "Lohn", "betrag": "1.234,5"}, {"art": "", "betrag": ""}],
            "iban": "de89 3704 0044 0532 0130 00",
            "beginn": "2026-01-01",
            "ende": "2026-06-30",
            "betrag": "120",
        },
        heute=HEUTE,
    )
    assert ergebnis.ok, ergebnis.fehler
    assert ergebnis.werte == {
        "nachname": "Muster",
        "geburtsdatum": "1980-02-01",
        "familienstand": "verheiratet",
        "partner": "Erika",
        "steuer_id": "86095742719",
        "hat_einkommen": True,
        "einkuenfte": [{"art": "Lohn", "betrag": "1234.50"}],
        "iban": "DE89370400440532013000",
        "beginn": "2026-01-01",
        "ende": "2026-06-30",
        "betrag": "120.00",
    }


def test_wrong_values_get_german_messages_per_field() -> None:
    definition = lesen(muster())
    ergebnis = pruefen(
        definition,
        {
            "geburtsdatum": "2027-01-01",
            "familienstand": "verheiratet",
            "steuer_id": "86095742718",
            "hat_einkommen": True,
            "einkuenfte": [{"art": "Lohn", "betrag": "viel"}],
            "iban": "DE89370400440532013001",
            "beginn": "2026-06-30",
            "ende": "2026-01-01",
            "betrag": "5000.01",
        },
        heute=HEUTE,
    )
    assert set(ergebnis.fehler) == {
        "nachname",
        "geburtsdatum",
        "partner",
        "steuer_id",
        "einkuenfte[0].betrag",
        "iban",
        "ende",
        "betrag",
    }
    assert ergebnis.fehler["nachname"] == ["Bitte füllen Sie „Nachname“ aus."]
    assert "Zukunft" in ergebnis.fehler["geburtsdatum"][0]
    assert "Zeile 1" in ergebnis.fehler["einkuenfte[0].betrag"][0]
    assert ergebnis.fehler["ende"] == ["Das Ende muss nach dem Beginn liegen."]
    assert "höchstens 5.000,00 €" in ergebnis.fehler["betrag"][0]


def test_hidden_unknown_and_valueless_fields_are_refused_in_a_submission_and_kept_aside_in_a_draft() -> (
    None
):
    definition = lesen(muster())
    antworten = {
        "nachname": "Muster",
        "familienstand": "ledig",
        "partner": "manipuliert",  # hidden: only for the married
        "beginn": "2026-01-01",  # a hidden step
        "hat_einkommen": False,
        "admin": True,
        "einleitung": "x",
    }
    streng = pruefen(definition, antworten, heute=HEUTE)
    assert streng.fehler == {
        "partner": ["Dieses Feld ist nach Ihren Angaben nicht auszufüllen."],
        "beginn": ["Dieses Feld ist nach Ihren Angaben nicht auszufüllen."],
        "admin": ["Unbekanntes Feld."],
        "einleitung": ["Unbekanntes Feld."],
    }
    entwurf = pruefen(definition, antworten, heute=HEUTE, streng=False)
    assert entwurf.ok
    assert entwurf.werte == {"nachname": "Muster", "familienstand": "ledig", "hat_einkommen": False}
    assert set(entwurf.beiseite) == {"partner", "beginn", "admin", "einleitung"}
    shown = sichtbar(definition, antworten, heute=HEUTE)
    assert "mehrbedarf" not in shown.schritte and "partner" not in shown.felder
    assert (
        "mehrbedarf" in sichtbar(definition, {"familienstand": "verheiratet"}, heute=HEUTE).schritte
    )


def test_a_step_is_checked_alone() -> None:
    definition = lesen(muster())
    ergebnis = pruefen(
        definition, {"familienstand": "verheiratet"}, heute=HEUTE, schritt="einkommen"
    )
    assert ergebnis.fehler == {"hat_einkommen": ["Bitte füllen Sie „Haben Sie Einkommen?“ aus."]}
    assert pruefen(definition, {"nachname": "M"}, heute=HEUTE, schritt="person").ok
    assert not pruefen(definition, {}, heute=HEUTE, schritt="gibtsnicht").ok


def test_a_giant_table_is_refused_before_its_rows_are_read() -> None:
    definition = lesen(muster())
    zeilen = [{"art": "x", "betrag": "1"}] * 100_000
    ergebnis = pruefen(
        definition, {"nachname": "M", "hat_einkommen": True, "einkuenfte": zeilen}, heute=HEUTE
    )
    assert ergebnis.fehler == {
        "einkuenfte": ["„Einkünfte“: höchstens 5 Zeilen (eingegeben 100000)."]
    }
    leer = pruefen(
        definition,
        {"nachname": "M", "hat_einkommen": True, "einkuenfte": [{"art": "", "betrag": ""}]},
        heute=HEUTE,
    )
    assert leer.fehler == {"einkuenfte": ["„Einkünfte“: mindestens 1 Zeile."]}


@pytest.mark.parametrize(
    ("wert", "ok"),
    [
        (["x"], False),
        ({"a": 1}, False),
        (12, True),
        ("12,00", True),
        ("1e400", False),
        ("NaN", False),
        (True, False),
    ],
)
def test_wrong_json_types_never_crash(wert: Any, ok: bool) -> None:
    data = copy.deepcopy(muster())
    data["schritte"][2]["bedingung"] = {"feld": "nachname", "ausgefuellt": True}
    definition = lesen(data)
    ergebnis = pruefen(
        definition, {"nachname": "M", "hat_einkommen": False, "betrag": wert}, heute=HEUTE
    )
    assert ergebnis.ok is ok, ergebnis.fehler


def test_a_signature_on_screen_is_drawn_or_a_confirmed_name() -> None:
    data = muster()
    data["schritte"][0]["felder"].append({"id": "u", "typ": "unterschrift", "label": text("U")})
    definition = lesen(data)
    basis = {"nachname": "M", "hat_einkommen": False}
    zeit = "2026-12-07T10:00:00+01:00"
    gezeichnet = {"art": "bildschirm", "name": "A B", "zeit": zeit, "bild": "a" * 64}
    getippt = {"art": "bildschirm", "name": "A B", "zeit": zeit}
    for gut in (gezeichnet, getippt, {"art": "papier"}):
        assert pruefen(definition, {**basis, "u": gut}, heute=HEUTE).werte["u"] == gut
    for schlecht in (
        {**gezeichnet, "bild": "kein-hash"},
        {"art": "bildschirm", "name": "", "zeit": zeit},
        {**getippt, "extra": 1},
        {"art": "bildschirm", "name": "A B"},
    ):
        assert "u" in pruefen(definition, {**basis, "u": schlecht}, heute=HEUTE).fehler
