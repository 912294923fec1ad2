"""The kind of a scanned document (issue 15), from short realistic letters, some with the
noise OCR leaves (broken lines, hyphenation, stray characters)."""

from __future__ import annotations

import pytest

from koffer.inbox.verarbeitung.dokumentart import KINDS, classify

TEXTE = {
    "lohnabrechnung": [
        "Musterbau GmbH · Industriestr. 4 · 12345 Musterstadt\n"
        "Abrechnung der Brutto/Netto-Bezüge für Oktober 2026\nPersonalnummer 4711\n"
        "Steuerklasse 1  Kinderfreibetrag 0,5\nGesamtbrutto 2.150,00\nLohnsteuer 187,50\n"
        "Solidaritätszuschlag 0,00\nNetto 1.512,33\nAuszahlungsbetrag 1.512,33",
        "VERDIENSTABRECHNUNG 1O/2026\nArbeitnehmer: Mustermann, Max\n"
        "Abrechnungs-\nzeitraum 01.10.-31.10.\nBrutto  980,00 €   Netto 780,12 €\n"
        "Rentenversicherung 91,14",
        "Gehaltsabrechnung September\nPersonal-Nr. 22\nSteuerklasse 3 | Lohnsteuer 0,00\n"
        "Auszahlungsbetrag: 1.240,00 EUR",
    ],
    "mietbescheinigung": [
        "Mietbescheinigung\n(vom Vermieter auszufüllen)\nMieter: Herr Max Mustermann\n"
        "Wohnfläche: 54 m²\nGrundmiete: 420,00 €\nBetriebskosten: 110,00 €\n"
        "Heizkosten: 75,00 €\nGesamtmiete: 605,00 €",
        "Bescheinigung des Vermieters zur Vorlage beim Jobcenter\n"
        "Kaltmiete 390,-  Neben-\nkosten 95,-  Heizkosten 60,-\nMietvertrag seit 01.04.2019",
        "Vermieterbescheinigung\nWohnungsbau eG Musterstadt\nNettokaltmiete 510,00\n"
        "Betriebskosten 130,00\nEinzugsdatum 01.08.2022",
    ],
    "arbeitsunfaehigkeit": [
        "Arbeitsunfähigkeitsbescheinigung\nErstbescheinigung\n"
        "arbeitsunfähig seit 02.11.2026\nvoraussichtlich arbeitsunfähig bis 09.11.2026\n"
        "festgestellt am 02.11.2026\nDiagnose J06.9",
        "AU-Bescheinigung  Folgebescheinigung\nKrankenkasse AOK\nVersicherte/r: Muster, Anna\n"
        "arbeitsunfähig seit 20.10.2026\nICD-10 M54.5\nVertragsarztstempel",
        "Arbeits-\nunfähigkeitsbescheinigung zur Vorlage beim Arbeitgeber\n"
        "Folgebescheinigung  voraussichtlich arbeitsunfähig bis 30.11.2026",
    ],
    "widerspruch": [
        "Max Mustermann\nMusterweg 3\n12345 Musterstadt\n\nWiderspruch gegen den Bescheid vom "
        "03.11.2026\nSehr geehrte Damen und Herren,\nhiermit lege ich Widerspruch ein.\n"
        "Begründung: Die Heizkosten wurden nicht berücksichtigt.",
        "Betr.: Ihr Bescheid vom 12.10.2026, BG-Nr. BG0000007\nGegen Ihren Bescheid "
        "erhebe ich Widerspruch. Die Begründung reiche ich nach.\nMfG",
        "WIDERSPRUCH\nich widerspreche dem Aufhebungs- und Erstattungsbescheid und bitte, "
        "ihn aufzuheben. Wider-\nspruch wird fristgerecht eingelegt.",
    ],
    "gerichtsschreiben": [
        "Sozialgericht Musterstadt\nAz.: S 12 AS 345/26\nIn dem Rechtsstreit\nMustermann ./. "
        "Jobcenter Musterland\nwird die Beklagte gebeten, die Verwaltungsakte vorzulegen.\n"
        "Die Vorsitzende der 12. Kammer",
        "Landessozialgericht Musterland\nBeschluss\nL 7 AS 1234/24 B ER\nIn dem Verfahren "
        "auf einstweiligen Rechtsschutz ... Antragsgegner: Jobcenter",
        "SOZIALGERICHT MUSTERSTADT\nLadung zur mündlichen Verhandlung\nIn dem Rechtsstreit "
        "S 4 SO 12/25\nKläger: Herr Max Mustermann\nUrkundsbeamtin der Geschäftsstelle",
    ],
    "antrag": [
        "Weiterbewilligungsantrag\nLeistungen zur Sicherung des Lebensunterhalts (SGB II)\n"
        "Antragsteller: Mustermann, Max\nÄnderungen seit dem letzten Antrag: keine\n"
        "Unterschrift",
        "Hiermit beantrage ich Leistungen nach dem SGB II ab dem 01.12.2026.\n"
        "Anlage KdU und Anlage EK sind beigefügt.",
        "Antrag auf Erstausstattung der Wohnung\nIch beantrage eine Beihilfe für "
        "Möbel, da ich am 01.11. umgezogen bin.",
    ],
    "kontoauszug": [
        "Sparkasse Musterstadt\nKontoauszug 11/2026\nIBAN DE02 1203 0000 0000 2020 51\n"
        "alter Kontostand 312,40\nBuchungstag Wertstellung Umsätze\n02.11. 02.11. Gutschrift "
        "Jobcenter 563,00\nneuer Kontostand 875,40",
        "Volksbank eG\nKONTOAUSZUG Nr. 10\nBuchungstag | Valuta | Verwendungszweck\n"
        "Lastschrift Miete -605,00\nDauerauftrag Strom -45,00\nSaldo 122,10",
        "Umsätze Girokonto\nBuchungstag 01.10.2026  Wertstellung 01.10.2026\n"
        "Überweisung 50,00  Kontostand 10,32",
    ],
    "sonstiges": [
        "Sehr geehrte Damen und Herren,\nanbei sende ich Ihnen die Kopie meines "
        "Personalausweises.\nMit freundlichen Grüßen",
        "Einladung zum Termin am 14.12.2026 um 10:00 Uhr in Zimmer 2.14.",
        "Kindergeldbescheid ... Familienkasse ... der Anspruch besteht für Mia.",
    ],
}


@pytest.mark.parametrize(
    ("kind", "text"), [(kind, text) for kind, texts in TEXTE.items() for text in texts]
)
def test_each_kind(kind: str, text: str) -> None:
    art = classify(text)
    assert art.code == kind, (art, text)
    assert 0 <= art.confidence <= 1
    assert art.reasons and all(isinstance(r, str) for r in art.reasons)
    if kind != "sonstiges":
        assert art.confidence >= 0.5
        assert art.reasons[0].startswith("enthält „")


def test_reason_names_the_phrases() -> None:
    art = classify(TEXTE["widerspruch"][0])
    assert art.reasons[0] == (
        "enthält „lege ich Widerspruch ein“, „gegen den Bescheid vom“ und „Begründung“"
    )


def test_court_letter_about_an_objection_is_a_court_letter() -> None:
    art = classify(
        "Sozialgericht Musterstadt S 12 AS 345/26\nIn dem Rechtsstreit\nDer Widerspruchsbescheid "
        "vom 01.09.2026 wird aufgehoben. Im Namen des Volkes\nUrteil"
    )
    assert art.code == "gerichtsschreiben"


def test_nothing_clear_is_sonstiges_with_low_confidence() -> None:
    art = classify("")
    assert art.code == "sonstiges" and art.confidence <= 0.6
    assert art.reasons == ["keine eindeutigen Merkmale einer bekannten Dokumentart"]
    assert set(KINDS) >= {"lohnabrechnung", "kontoauszug", "sonstiges"}
