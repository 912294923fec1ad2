"""A form as PDF: filled and empty, every field type, values in German formats, hostile
text printed as written, hidden fields left out (filled) or explained (empty), the reply
code readable, tagged PDF/A-2a with headings and a table with header cells."""

from __future__ import annotations

import io
from typing import Any

import pikepdf
import pypdfium2 as pdfium
import pytest

from koffer.forms.definition import lesen
from koffer.forms.druck import formular_pdf, nur_wenn
from koffer.inbox.verarbeitung.codes import read_codes
from koffer.outbox.satz import Briefkopf
from koffer.pdf import pdfa
from tests.forms import druck_muster as muster
from tests.outbox.satz import messen

KOPF = Briefkopf(
    behoerde="Landkreis Musterland",
    einheit="Jobcenter – Team Leistung",
    anschrift=("Musterweg 1", "12345 Musterstadt"),
)
ANTWORTCODE = "KOFFER:A1:AEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA:ABCDEFGHIJKLMNOP"
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="20" viewBox="0 0 40 20">'
    '<rect width="40" height="20" fill="#1f4e79"/></svg>'
)


def pdf_von(werte: dict[str, Any] | None, **kwargs: Any) -> bytes:
    kwargs.setdefault("briefkopf", KOPF)
    kwargs.setdefault("antwortcode", ANTWORTCODE)
    kwargs.setdefault("kopfzeilen", (("Aktenzeichen", "123D456789"),))
    definition = kwargs.pop("definition", None) or muster.definition()
    return formular_pdf(definition, werte, heute=muster.HEUTE, **kwargs)


def alle_seiten(pdf: bytes, *, ohne_fuss: bool = False) -> str:
    """The text of every page; ``ohne_fuss``: above the footer (the lowest 20 mm)."""
    unten = 20 * 72 / 25.4 if ohne_fuss else None
    doc = pdfium.PdfDocument(pdf)
    try:
        return "\n".join(str(s.get_textpage().get_text_bounded(bottom=unten)) for s in doc)
    finally:
        doc.close()


def seitenzahl(pdf: bytes) -> int:
    doc = pdfium.PdfDocument(pdf)
    try:
        return len(doc)
    finally:
        doc.close()


def ohne_leerraum(text: str) -> str:
    return "".join(text.split())


@pytest.fixture(scope="module")
def gefuellt() -> bytes:
    return pdf_von(muster.werte())


@pytest.fixture(scope="module")
def leer() -> bytes:
    return pdf_von(None)


@pytest.mark.parametrize("art", ["gefuellt", "leer"])
def test_both_are_tagged_pdfa_with_title_language_headings_and_table_headers(art, request):
    pdf = request.getfixturevalue(art)
    report = pdfa.check(pdf)
    assert report.ok, report.summary()
    assert report.level == "PDF/A-2a"
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        assert str(doc.Root.Lang).lower().startswith("de")
        with doc.open_metadata() as meta:
            assert meta.get("dc:title") == "Antrag auf Musterleistung"
        arten = _strukturen(doc.Root.StructTreeRoot)
    assert {"/H1", "/H2", "/Table", "/TH", "/TD"} <= arten


def _strukturen(wurzel: Any) -> set[str]:
    gefunden: set[str] = set()
    offen = [wurzel]
    while offen:
        knoten = offen.pop()
        if isinstance(knoten, pikepdf.Array):
            offen.extend(knoten)
            continue
        if not isinstance(knoten, pikepdf.Dictionary):
            continue
        if "/S" in knoten:
            gefunden.add(str(knoten.S))
        if "/K" in knoten:
            offen.append(knoten.K)
    return gefunden


def test_filled_form_prints_labels_and_values_in_german_formats(gefuellt):
    text = alle_seiten(gefuellt)
    for erwartet in (
        "Landkreis Musterland",
        "Jobcenter – Team Leistung",
        "Antrag auf Musterleistung",
        "Aktenzeichen",
        "123D456789",
        "Bitte in Druckbuchstaben ausfüllen.",
        "Angaben zur Person",
        "Vorname",
        "Erika",
        "14.03.1980",
        "1.234,50 €",
        "450,00 €",
        "600,00 €",
        "DE02 1203 0000 0000 2020 51",
        "01.01.2024",
        "Hauptstraße",
        "12345",
        "Musterstadt",
        "Lohnabrechnung.pdf (121 KB)",
        "Erste Zeile",
        "Zweite Zeile",
        "Ihre Angaben werden vertraulich behandelt.",
        "am Bildschirm unterschrieben am 07.12.2026 um 14:05 Uhr",
        "Seite 1 von 2",
    ):
        assert erwartet in text, erwartet
    # every option with its box, the chosen ones ticked
    assert "☒ ledig" in text and "☐ verheiratet" in text
    assert "☒ Lohn oder Gehalt" in text and "☐ Rente" in text and "☒ Mieteinnahmen" in text
    assert "☒ Ja" in text and "☐ Nein" in text


def test_filled_form_leaves_out_hidden_fields(gefuellt):
    text = alle_seiten(gefuellt)
    assert "Name der Ehepartnerin oder des Ehepartners" not in text
    assert "Verborgener Partnername" not in text
    assert "Nur ausfüllen" not in text


def test_filled_form_leaves_out_a_hidden_step():
    werte = {**muster.werte(), "kinderzahl": "0"}
    text = alle_seiten(pdf_von(werte))
    assert "Wohnkosten" not in text and "Kaltmiete" not in text and "600,00 €" not in text


def test_empty_form_shows_every_field_with_its_condition_as_a_hint(leer):
    text = alle_seiten(leer)
    assert "Name der Ehepartnerin oder des Ehepartners" in text
    assert "Nur ausfüllen, wenn bei „Familienstand“ „verheiratet“ angekreuzt ist." in text
    assert "Nur ausfüllen, wenn bei „Haben Sie Einkommen?“ „Ja“ angekreuzt ist." in text
    assert "Diesen Abschnitt nur ausfüllen, wenn „Anzahl der Kinder“ größer als 0 ist." in " ".join(
        text.split()
    )
    assert "☐ ledig" in text and "☐ verheiratet" in text and "☐ geschieden" in text
    assert "☒" not in text
    for label in ("Straße", "Hausnummer", "Postleitzahl", "Ort", "Ort, Datum", "Unterschrift"):
        assert label in text, label
    assert "TT.MM.JJJJ" in text


def test_empty_table_has_its_header_and_at_least_three_empty_rows(leer):
    with pikepdf.open(io.BytesIO(leer)) as doc:
        tabellen = _elemente(doc.Root.StructTreeRoot, "/Table")
        assert len(tabellen) == 1
        zeilen = _elemente(tabellen[0], "/TR")
    assert len(zeilen) == 1 + 3


def test_a_table_with_more_required_rows_prints_them_empty():
    roh = muster.roh()
    roh["schritte"][1]["felder"][4]["min_zeilen"] = 5
    pdf = pdf_von(None, definition=lesen(roh))
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        zeilen = _elemente(doc.Root.StructTreeRoot, "/TR")
    assert len(zeilen) == 1 + 5


def _elemente(wurzel: Any, art: str) -> list[Any]:
    gefunden: list[Any] = []
    offen = [wurzel.K] if "/K" in wurzel else []
    while offen:
        knoten = offen.pop()
        if isinstance(knoten, pikepdf.Array):
            offen.extend(reversed(list(knoten)))
            continue
        if not isinstance(knoten, pikepdf.Dictionary):
            continue
        if knoten.get("/S") == pikepdf.Name(art):
            gefunden.append(knoten)
        elif "/K" in knoten:
            offen.append(knoten.K)
    return gefunden


def test_hostile_values_print_literally_and_long_text_breaks_across_pages():
    langer_text = " ".join(f"{muster.HOSTILE} Wort{i}" for i in range(80))[:5000]
    assert len(langer_text) == 5000
    werte = {**muster.werte(), "vorname": muster.HOSTILE, "bemerkung": langer_text}
    werte["einkuenfte"][0]["name"] = '] #set page(width: 1mm) "'
    pdf = pdf_von(werte)
    assert pdfa.check(pdf).ok
    text = alle_seiten(pdf)
    assert muster.HOSTILE in text
    assert '] #set page(width: 1mm) "' in text
    assert ohne_leerraum(langer_text) in ohne_leerraum(alle_seiten(pdf, ohne_fuss=True))
    assert seitenzahl(pdf) >= 2


def test_a_long_value_without_spaces_stays_on_the_sheet():
    werte = {**muster.werte(), "vorname": "x" * 300, "nachweise": []}
    werte["einkuenfte"][0]["name"] = "y" * 200
    pdf = pdf_von(werte)
    doc = pdfium.PdfDocument(pdf)
    try:
        for seite in doc:
            breite = seite.get_width()
            text = seite.get_textpage()
            rechts = max((text.get_charbox(i)[2] for i in range(text.count_chars())), default=0.0)
            assert rechts <= breite - 17 * 72 / 25.4  # inside the right margin (18 mm)
    finally:
        doc.close()
    assert ohne_leerraum("x" * 300) in ohne_leerraum(alle_seiten(pdf).replace("\u200b", ""))


def test_reply_code_decodes_to_the_payload(gefuellt, leer):
    # read as the Posteingang reads a scanned page (zxing-cpp at 200 dpi)
    for pdf in (gefuellt, leer):
        codes = read_codes(pdf, [0], despeckle=False)
        assert [(c.format, c.text) for c in codes] == [("QRCode", ANTWORTCODE)]


def test_without_reply_code_there_is_none():
    pdf = pdf_von(muster.werte(), antwortcode=None)
    assert read_codes(pdf, [0], despeckle=False) == []


def test_plain_header_without_letterhead_or_when_the_definition_asks():
    ohne = alle_seiten(pdf_von(None, briefkopf=None))
    assert "Landkreis Musterland" not in ohne
    assert "Antrag auf Musterleistung" in ohne
    roh = muster.roh()
    roh["druck"]["kopf"] = "schlicht"
    schlicht = alle_seiten(pdf_von(None, definition=lesen(roh)))
    assert "Jobcenter – Team Leistung" not in schlicht
    assert "Musterweg 1" not in schlicht


def test_letterhead_with_logo_stays_pdfa():
    pdf = pdf_von(muster.werte(), briefkopf=Briefkopf(behoerde="Stadt Muster", logo_svg=LOGO))
    assert pdfa.check(pdf).ok
    assert "Stadt Muster" in alle_seiten(pdf)


def test_half_and_third_fields_stand_side_by_side(gefuellt):
    vorname = messen.text_box(gefuellt, 0, "Vorname")
    nachname = messen.text_box(gefuellt, 0, "Nachname")
    assert abs(vorname[1] - nachname[1]) < 0.5
    assert nachname[0] - vorname[0] > 70
    geburt = messen.text_box(gefuellt, 0, "Geburtsdatum")
    kinder = messen.text_box(gefuellt, 0, "Anzahl der Kinder")
    person = messen.text_box(gefuellt, 0, "Antragstellende Person")
    assert abs(geburt[1] - kinder[1]) < 0.5 and abs(kinder[1] - person[1]) < 0.5
    assert geburt[0] < kinder[0] < person[0]


def test_a_long_form_breaks_into_pages_with_title_and_page_of_pages():
    roh = muster.roh()
    roh["schritte"][0]["felder"].extend(
        {"id": f"zusatz_{i}", "typ": "text", "label": muster.text(f"Zusatzangabe {i}")}
        for i in range(80)
    )
    pdf = pdf_von(None, definition=lesen(roh))
    seiten = seitenzahl(pdf)
    assert seiten >= 4
    doc = pdfium.PdfDocument(pdf)
    try:
        for i, seite in enumerate(doc):
            text = str(seite.get_textpage().get_text_bounded())
            assert f"Seite {i + 1} von {seiten}" in text
            assert "Antrag auf Musterleistung · druckmuster" in text
    finally:
        doc.close()
    assert pdfa.check(pdf).ok


def test_footer_names_the_version_given_or_a_fingerprint():
    text = alle_seiten(pdf_von(None, kopfzeilen=(("Version", "3"),)))
    assert "druckmuster, Version 3" in text
    erste = alle_seiten(pdf_von(None, kopfzeilen=()))
    roh = muster.roh()
    roh["titel"] = muster.text("Antrag auf Musterleistung")
    roh["schritte"][0]["titel"] = muster.text("Angaben zur Person (neu)")
    zweite = alle_seiten(pdf_von(None, kopfzeilen=(), definition=lesen(roh)))
    fassung = next(z for z in erste.splitlines() if "Fassung" in z)
    assert fassung not in zweite


def test_condition_hints_read_as_german_sentences():
    definition = muster.definition()

    def satz(bedingung: dict[str, Any]) -> str:
        return nur_wenn(bedingung, definition)

    assert satz({"feld": "familienstand", "in": ["verheiratet", "geschieden"]}) == (
        "Nur ausfüllen, wenn bei „Familienstand“ „verheiratet“ oder „geschieden“ angekreuzt ist."
    )
    assert satz({"feld": "familienstand", "ungleich": "ledig"}) == (
        "Nur ausfüllen, wenn bei „Familienstand“ nicht „ledig“ angekreuzt ist."
    )
    assert satz({"feld": "arten", "enthaelt": "miete"}) == (
        "Nur ausfüllen, wenn bei „Art des Einkommens“ „Mieteinnahmen“ angekreuzt ist."
    )
    assert satz({"feld": "vorname", "ausgefuellt": True}) == (
        "Nur ausfüllen, wenn „Vorname“ ausgefüllt ist."
    )
    assert satz({"feld": "brutto", "groesser_gleich": 1500}) == (
        "Nur ausfüllen, wenn „Bruttoeinkommen monatlich“ mindestens 1.500,00 € ist."
    )
    assert satz({"feld": "geburtsdatum", "kleiner": "2008-12-07"}) == (
        "Nur ausfüllen, wenn „Geburtsdatum“ vor dem 07.12.2008 liegt."
    )
    assert satz({"feld": "geburtsdatum", "groesser": "heute"}) == (
        "Nur ausfüllen, wenn „Geburtsdatum“ nach dem heutigen Tag liegt."
    )
    assert satz(
        {
            "eine": [
                {
                    "alle": [
                        {"feld": "hat_einkommen", "ist": False},
                        {"feld": "kinderzahl", "kleiner": 2},
                    ]
                },
                {"nicht": {"feld": "familienstand", "gleich": "ledig"}},
            ]
        }
    ) == (
        "Nur ausfüllen, wenn (bei „Haben Sie Einkommen?“ „Nein“ angekreuzt ist und "
        "„Anzahl der Kinder“ kleiner als 2 ist) oder nicht zutrifft, dass bei "
        "„Familienstand“ „ledig“ angekreuzt ist."
    )
