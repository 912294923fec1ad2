"""The Post's return note read from OCR text: found in sticker lines however OCR spells
them, never in a reply's sentences."""

from __future__ import annotations

import pytest

from koffer.inbox.verarbeitung.rueckvermerk import erkennen, grund


@pytest.mark.parametrize(
    ("text", "reasons"),
    [
        ("Empfänger unbekannt", ["Empfänger unbekannt"]),
        ("EMPFÄNGER UNBEKANNT", ["Empfänger unbekannt"]),
        ("Empfaenger unbekannt", ["Empfänger unbekannt"]),
        ("Empfanger unbekamnt", ["Empfänger unbekannt"]),  # OCR: umlaut lost, m for n
        ("Empfän-\nger unbekannt", ["Empfänger unbekannt"]),  # hyphenated
        ("Zurück\nEmpfänger\nunbekannt", ["Empfänger unbekannt"]),  # broken over lines
        ("Empfängerunbekannt", ["Empfänger unbekannt"]),  # run together
        ("Annahme ver weigert", ["Annahme verweigert"]),  # split
        ("Empfänger unbekannt verzogen", ["Empfänger unbekannt verzogen"]),
        ("unbekannt verzogen", ["Empfänger unbekannt verzogen"]),
        ("[X] Annahme verweigert", ["Annahme verweigert"]),
        ("Adresse unzureichend", ["Adresse unzureichend"]),
        ("Anschrift unzureichend", ["Adresse unzureichend"]),
        ("Nicht abgeholt", ["Nicht abgeholt"]),
        ("Verstorben", ["Empfänger verstorben"]),
        ("Zurück / Retour\nUnzustellbar", ["Unzustellbar"]),
        ("Unzustellbar\nEmpfänger unbekannt", ["Empfänger unbekannt"]),  # the specific wins
    ],
)
def test_the_posts_reasons_are_read_tolerantly(text: str, reasons: list[str]) -> None:
    assert erkennen(text) == reasons


@pytest.mark.parametrize(
    "text",
    [
        "",
        "Sehr geehrte Damen und Herren,\nanbei sende ich die angeforderten Unterlagen zurück.",
        "Empfänger bekannt",  # two letters make another word
        # A reply that uses the words in a sentence is no sticker.
        "Mein früherer Vermieter hat die Annahme verweigert, deshalb schicke ich Ihnen\n"
        "die Kündigung noch einmal. Er ist außerdem unbekannt verzogen und ich weiß nicht wohin.",
        "Ich habe den Brief bei der Post nicht abgeholt, weil ich im Krankenhaus lag und\n"
        "niemand für mich zur Filiale gehen konnte. Bitte entschuldigen Sie die Verspätung.",
        "Aufforderung zur Mitwirkung\nBitte reichen Sie die Unterlagen bis zum 15.01.2027 ein.",
    ],
)
def test_a_reply_is_no_returned_mail(text: str) -> None:
    assert erkennen(text) == []


def test_a_printed_list_of_every_reason_asks_for_the_ticked_one() -> None:
    sticker = "Zurück\n[ ] Annahme verweigert\n[X] Nicht abgeholt\n[ ] Verstorben\n[ ] Unzustellbar"
    found = erkennen(sticker)
    assert found == ["Annahme verweigert", "Nicht abgeholt", "Empfänger verstorben"]
    assert "angekreuzten Grund" in grund(found)
    assert grund(["Empfänger unbekannt"]) == "Empfänger unbekannt"
