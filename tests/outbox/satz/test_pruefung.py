"""The checks at creation: the sample passes, and every rule can fail."""

from __future__ import annotations

import dataclasses

import pytest

from koffer.outbox.satz import Anschrift, Befund, Briefsatz, muster, portoklasse, pruefe, setze


def codes(brief: Briefsatz, **options: object) -> set[str]:
    return {b.code for b in pruefe(brief, setze(brief), **options)}  # type: ignore[arg-type]


def with_address(**changes: object) -> Briefsatz:
    brief = muster("A")
    return dataclasses.replace(brief, anschrift=dataclasses.replace(brief.anschrift, **changes))


@pytest.mark.parametrize("form", ["A", "B"])
def test_the_sample_letter_passes(form):
    brief = muster(form)
    assert pruefe(brief, setze(brief)) == []
    assert pruefe(brief, setze(brief)) == []  # and again, once the layout is known


@pytest.mark.parametrize(
    ("changes", "code", "feld"),
    [
        ({"namen": ("", " ")}, "anschrift_name", "anschrift.namen"),
        ({"strasse": ""}, "anschrift_strasse", "anschrift.strasse"),
        ({"ort": "Musterdorf"}, "anschrift_ort", "anschrift.ort"),
        ({"ort": "1234 Musterdorf"}, "anschrift_ort", "anschrift.ort"),
        # abroad without the country: their postcodes are no German ones (a five-digit
        # one abroad, like France's, cannot be told from a German one)
        ({"ort": "1010 WIEN", "strasse": "Stephansplatz 1"}, "anschrift_ort", "anschrift.ort"),
        (
            {"ort": "LONDON SW1A 1AA", "strasse": "10 Downing Street"},
            "anschrift_ort",
            "anschrift.ort",
        ),
        ({"ort": "", "land": "FRANKREICH"}, "anschrift_ort", "anschrift.ort"),
        ({"ort": "75001 PARIS", "land": "Frankreich"}, "anschrift_land", "anschrift.land"),
        (
            {
                "namen": (
                    "Frau",
                    "Erika Beispiel",
                    "c/o Familie Muster",
                    "Hinterhaus",
                    "3. Stock links",
                )
            },
            "anschrift_zeilen",
            "anschrift",
        ),
        (
            {"namen": ("Frau Erika Beispiel-Mustermann-Lüdenscheid von und zu Hohenlohe",)},
            "zeile_zu_breit",
            "anschrift.zeilen[0]",
        ),
    ],
)
def test_bad_addresses(changes, code, feld):
    brief = with_address(**changes)
    found = [b for b in pruefe(brief, setze(brief)) if b.code == code]
    assert found, code
    assert found[0].feld == feld
    assert found[0].meldung  # German, for the person who fixes it


def test_an_address_abroad_with_its_country_passes():
    brief = with_address(strasse="12 rue de Rivoli", ort="75001 PARIS", land="FRANKREICH")
    assert codes(brief) == set()


def test_return_line_and_remarks():
    brief = muster("A")
    assert "ruecksendeangabe" in codes(dataclasses.replace(brief, ruecksendeangabe=" "))
    too_long = "Jobcenter Landkreis Musterland · Geschäftsstelle Nord · Postfach 11 22 33 · 12340 Musterstadt"
    assert "zeile_zu_breit" in codes(dataclasses.replace(brief, ruecksendeangabe=too_long))
    five = ("Einschreiben", "Rückschein", "Persönlich", "Nicht nachsenden", "Eilt")
    assert "vermerk_zeilen" in codes(dataclasses.replace(brief, vermerk=five))


def test_information_block():
    brief = muster("A")
    seven = (*brief.info, ("Zimmer", "2.14"))
    assert "info_zeilen" in codes(dataclasses.replace(brief, info=seven))
    wide = (("E-Mail", "sabine.beispielhaft-mustermann@jobcenter-landkreis-musterland.de"),)
    assert {b.feld for b in pruefe(dataclasses.replace(brief, info=wide), b"")} >= {"info[0].wert"}


def test_unknown_placeholder_and_unbreakable_words():
    brief = muster("A")
    assert "platzhalter" in codes(
        dataclasses.replace(brief, body=brief.body + '\n#wert("akte.gibtsnicht")')
    )
    iban_without_spaces = {**brief.werte, "person.nachname": "X" * 120}
    assert "wort_zu_breit" in codes(dataclasses.replace(brief, werte=iban_without_spaces))


def test_nothing_outside_the_printable_area():
    brief = muster("A")
    bleeding = dataclasses.replace(brief, body=brief.body + "\n#place(dx: -23mm)[Rand]")
    found = [b for b in pruefe(bleeding, setze(bleeding)) if b.code == "druckbereich"]
    assert found and "Seite 2" in found[0].meldung
    # a second letter of the same layout is checked again until one passes
    assert "druckbereich" in codes(bleeding)


def test_too_many_pages_and_too_heavy():
    brief = muster("A")
    assert "seiten" in codes(brief, max_seiten=1)
    long = dataclasses.replace(
        brief, body="#for i in range(420) { pagebreak(weak: true); [Seite] }"
    )
    found = codes(long, max_seiten=500)
    assert "porto" in found


def test_a_broken_pdf_is_a_finding():
    brief = muster("A")
    assert "pdf_defekt" in {b.code for b in pruefe(brief, b"%PDF-1.7 kaputt")}


def test_fonts_not_embedded_are_found():
    from tests.pdf.samples import helvetica_pdf

    brief = dataclasses.replace(muster("A"), body="anders")
    found = {b.code for b in pruefe(brief, helvetica_pdf(["Hallo"]))}
    assert {"schriften", "pdfa"} <= found


@pytest.mark.parametrize(
    ("seiten", "duplex", "klasse", "gewicht"),
    [
        (1, False, "Standardbrief", 10),
        (3, False, "Standardbrief", 20),
        (4, False, "Kompaktbrief", 25),
        (6, True, "Standardbrief", 20),
        (9, False, "Kompaktbrief", 50),
        (10, False, "Großbrief", 55),
        (99, False, "Großbrief", 500),
        (100, False, "Maxibrief", 505),
        (398, True, "Maxibrief", 1000),
    ],
)
def test_postage_class(seiten, duplex, klasse, gewicht):
    found = portoklasse(seiten, duplex)
    assert found is not None
    assert (found.name, found.gewicht) == (klasse, gewicht)


def test_over_1000_grams_is_no_letter():
    assert portoklasse(200, False) is None
    assert portoklasse(399, True) is None


def test_a_finding_is_plain_data():
    assert Befund("x", "y", "z") == Befund("x", "y", "z")
    assert Anschrift(namen=("A",), strasse="B", ort="12345 C").zeilen == ("A", "B", "12345 C")


def test_the_complete_pdfa_check_runs_once_per_layout(monkeypatch):
    from koffer.pdf import pdfa

    complete: list[bool] = []
    original = pdfa.check

    def counting(source, **options):
        complete.append(options.get("whole_file", True))
        return original(source, **options)

    monkeypatch.setattr(pdfa, "check", counting)
    brief = dataclasses.replace(muster("B"), body='Ein Brief dieser Vorlage: #wert("n")')
    for name in ("Eins", "Zwei", "Drei"):
        letter = dataclasses.replace(brief, werte={"n": name})
        assert pruefe(letter, setze(letter)) == []
    assert complete == [False, True, False, False]  # every letter's pages, the layout once


def test_a_reply_code_too_long_for_its_place():
    brief = dataclasses.replace(muster("A"), antwortcode="KOFFER:A1:" + "A" * 300)
    assert "antwortcode" in codes(brief)
