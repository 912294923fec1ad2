"""Clues read from a document's text (issue 15): identifiers in every shape koffer, the
Jobcenter and the social courts print, tolerant of OCR's O/0, l/1, S/5; persons with
birth date and birth name; the date of the letter."""

from __future__ import annotations

from datetime import date

from koffer.inbox.verarbeitung.merkmale import PersonHinweis, extract

WIDERSPRUCH = """Max Mustermann
Musterweg 3
12345 Musterstadt

Jobcenter Musterland
Postfach 100
12340 Musterland

Musterstadt, den 14.11.2026

Ihr Zeichen: LA-2026-000123
BG-Nummer: 12345//0000123
Kundennummer: 123D456789

Widerspruch gegen den Bescheid vom 03.11.2026

Sehr geehrte Damen und Herren,
hiermit lege ich, Max Mustermann, geb. 01.02.1980, Widerspruch ein.
Mit freundlichen Grüßen
Max Mustermann"""


def test_citizen_letter() -> None:
    m = extract(WIDERSPRUCH)
    assert m.aktenzeichen == ["LA-2026-000123"]
    assert m.bg_nummern == ["12345//0000123"]
    assert m.kundennummern == ["123D456789"]
    assert m.gerichtsaktenzeichen == []
    assert m.personen == [PersonHinweis("Mustermann", "Max", date(1980, 2, 1))]
    assert m.letter_date == date(2026, 11, 14)  # not the Bescheid's date, not the birth date


def test_identifiers_with_ocr_slips() -> None:
    m = extract(
        "Az.: lA-2O26-OOO124\nKunden-Nr. l23 D 4S6789\nBG0OOOO07\n"
        "Bedarfsgemeinschaft 12345 BG 00001S3"
    )
    assert m.aktenzeichen == ["lA-2026-000124"]
    assert m.kundennummern == ["123D456789"]
    assert m.bg_nummern == ["12345BG0000153", "BG0000007"]


def test_words_do_not_become_numbers() -> None:
    m = extract("Bei SOS-Kinderdorf gilt OBI SSSD OOOOOO und Isolde ISSSSS 2026.")
    assert (m.aktenzeichen, m.kundennummern, m.bg_nummern) == ([], [], [])


def test_court_file_numbers() -> None:
    m = extract(
        "Sozialgericht Musterstadt – Az.: S l2 AS 34S/26 ER\n"
        "Landessozialgericht: L 7 AS 1234/24 B ER; früher S 4 SO 12/25 ER und B 4 AS 12/25 R.\n"
        "Kein Aktenzeichen: S 12 XY 345/26, Seite 3/26"
    )
    assert m.gerichtsaktenzeichen == [
        "S 12 AS 345/26 ER",
        "L 7 AS 1234/24 B ER",
        "S 4 SO 12/25 ER",
        "B 4 AS 12/25 R",
    ]
    assert m.aktenzeichen == []


def test_dates_in_every_spelling() -> None:
    m = extract(
        "Herr Özdemir, Ali, geboren am 3. März 1975\n"
        "Frau Jana Müller (geb. Schmidt), geb. 1.2.80\n"
        "Versicherte/r: Yılmaz, Deniz  geb. am 03.11.1979"
    )
    assert m.personen == [
        PersonHinweis("Özdemir", "Ali", date(1975, 3, 3)),
        PersonHinweis("Yılmaz", "Deniz", date(1979, 11, 3)),
        PersonHinweis("Müller", "Jana", date(1980, 2, 1)),
        PersonHinweis("Schmidt", "Jana", date(1980, 2, 1)),
    ]
    assert m.letter_date is None


def test_form_fields_and_salutation() -> None:
    m = extract(
        "Verdienstabrechnung Oktober 2026\nName: Mustermann\nVorname: Max\n"
        "Geburtsdatum: 01.02.1980\nDatum: 31.10.2026\n"
        "Sehr geehrte Frau Beispiel,\nJobcenter Musterland"
    )
    assert m.personen == [
        PersonHinweis("Beispiel", "", None),
        PersonHinweis("Mustermann", "Max", date(1980, 2, 1)),
    ]
    assert m.letter_date == date(2026, 10, 31)


def test_salutation_and_full_name_are_one_person() -> None:
    m = extract("Frau Anna Beispiel\nSehr geehrte Frau Beispiel,\nAnna Beispiel, geb. 12.04.1986")
    assert m.personen == [PersonHinweis("Beispiel", "Anna", date(1986, 4, 12))]


def test_institutions_are_no_persons() -> None:
    m = extract("Jobcenter Musterland\nTeam 123\n12345 Musterstadt\nSehr geehrte Damen und Herren,")
    assert m.personen == []


def test_letter_date_written_out() -> None:
    m = extract("Musterstadt, 5. Dezember 2026\nBetreff: Mietbescheinigung")
    assert m.letter_date == date(2026, 12, 5)


def test_labelled_numbers_in_a_spelling_of_their_own() -> None:
    m = extract(
        "BG-Nummer: 12345 // 0000123\nBG-Nr. 07/4711-A\nUnser Zeichen: 50.2-KdU/17\n"
        "Aktenzeichen: S 12 AS 345/26"
    )
    assert m.bg_nummern == ["12345//0000123", "07/4711-A"]
    assert m.aktenzeichen == ["50.2-KdU/17"]
    assert m.gerichtsaktenzeichen == ["S 12 AS 345/26"]
