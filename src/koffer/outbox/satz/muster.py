"""A realistic sample letter (two pages) for tests, the benchmark and previews."""

from __future__ import annotations

import base64
import hashlib

from koffer.outbox.satz.brief import Anschrift, Briefkopf, Briefsatz, Form

LOGO_SVG = """<svg xmlns="http://www.w3.org/2000/svg" width="120" height="60" viewBox="0 0 120 60">
<path d="M10 6 h40 v26 c0 12 -10 20 -20 24 c-10 -4 -20 -12 -20 -24 z" fill="none" stroke="#000" stroke-width="3"/>
<path d="M18 18 h24 M18 28 h24 M18 38 h16" stroke="#000" stroke-width="3"/>
<rect x="62" y="14" width="50" height="5" fill="#000"/>
<rect x="62" y="27" width="40" height="5" fill="#000"/>
<rect x="62" y="40" width="46" height="5" fill="#000"/>
</svg>"""

BODY = """Sehr geehrte #wert("person.anrede") #wert("person.nachname"),

Sie beziehen Leistungen zur Sicherung des Lebensunterhalts nach dem Zweiten Buch
Sozialgesetzbuch (SGB II). Um Ihren Anspruch für den Bewilligungszeitraum ab dem
#wert("bewilligung.beginn") prüfen zu können, benötige ich von Ihnen noch Unterlagen.

Bitte reichen Sie bis zum *#wert("frist.datum")* folgende Unterlagen ein:

- Kontoauszüge aller Konten der Mitglieder Ihrer Bedarfsgemeinschaft für die letzten
  drei Monate (lückenlos, Schwärzungen nur bei Ausgaben für Parteien, Gewerkschaften
  oder Religionsgemeinschaften),
- die Lohn- oder Gehaltsabrechnungen der Monate #wert("nachweis.monate"),
- den aktuellen Mietvertrag und die letzte Nebenkostenabrechnung,
- den Bescheid der Familienkasse über das Kindergeld.

Sie können die Unterlagen per Post senden, im Postfach des Jobcenters abgeben oder online
über das Bürgerportal hochladen. Bitte legen Sie diesem Schreiben eine Kopie der ersten
Seite bei oder schreiben Sie Ihr Aktenzeichen #wert("akte.aktenzeichen") auf jede Seite.

== Ihre Pflicht zur Mitwirkung

Wer Sozialleistungen beantragt oder erhält, hat alle Tatsachen anzugeben, die für die
Leistung erheblich sind, und auf Verlangen Beweisurkunden vorzulegen (§ 60 Absatz 1
Erstes Buch Sozialgesetzbuch – SGB I). Die angeforderten Unterlagen sind für die
Entscheidung über Ihren Anspruch erforderlich.

== Rechtsfolgen

Kommen Sie Ihrer Pflicht zur Mitwirkung bis zum genannten Termin nicht nach und wird
dadurch die Aufklärung des Sachverhalts erheblich erschwert, kann ich die Leistungen bis
zur Nachholung der Mitwirkung ganz oder teilweise versagen oder entziehen (§ 66 Absatz 1
SGB I). Dies gilt nur, wenn Sie vorher schriftlich auf diese Folge hingewiesen worden sind
und Ihrer Mitwirkungspflicht nicht innerhalb der gesetzten Frist nachgekommen sind; dieser
Hinweis erfolgt hiermit. Holen Sie die Mitwirkung nach und liegen die
Leistungsvoraussetzungen vor, kann ich die Leistungen nachträglich ganz oder teilweise
erbringen (§ 67 SGB I).

Wenn Sie die Unterlagen nicht fristgerecht beschaffen können, wenden Sie sich bitte
rechtzeitig an mich. Gemeinsam finden wir eine Lösung, zum Beispiel eine längere Frist.
Haben Sie Fragen zu diesem Schreiben, erreichen Sie mich zu den Öffnungszeiten unter der
oben genannten Telefonnummer oder per E-Mail.

== Hinweis zum Datenschutz

Ihre Daten werden nach § 67a Zehntes Buch Sozialgesetzbuch (SGB X) erhoben und nur für die
Prüfung Ihres Anspruchs verwendet. Weitere Informationen zum Datenschutz im Jobcenter
finden Sie in dem beigefügten Merkblatt und im Internet auf der Seite des Jobcenters.
Sie haben das Recht auf Auskunft über die zu Ihrer Person gespeicherten Daten, auf
Berichtigung unrichtiger Daten und auf Beschwerde bei der oder dem Bundesbeauftragten für
den Datenschutz und die Informationsfreiheit.

Mit freundlichen Grüßen

Im Auftrag

#wert("bearbeitung.name")

Dieses Schreiben wurde maschinell erstellt und ist ohne Unterschrift gültig.
"""

WERTE = {
    "person.anrede": "Frau",
    "person.nachname": "Beispiel",
    "bewilligung.beginn": "1. Januar 2027",
    "frist.datum": "28. Dezember 2026",
    "nachweis.monate": "September bis November 2026",
    "akte.aktenzeichen": "123D456789",
    "bearbeitung.name": "Sabine Muster",
}


def antwortcode_text(seed: str = "muster") -> str:
    """A reply code's text of the real length (an Akte with a Vorgang and a letter: 106
    characters), not signed: the layout prints it, nobody decodes it."""
    raw = bytes([0b11]) + hashlib.sha512(seed.encode()).digest()[:48]
    payload = base64.b32encode(raw).decode().rstrip("=")
    mac = base64.b32encode(hashlib.sha256(raw).digest()[:10]).decode().rstrip("=")
    return f"KOFFER:A1:{payload}:{mac}"


def muster(form: Form = "A", *, antwortcode: str | None = None) -> Briefsatz:
    """Jobcenter Landkreis Musterland, "Aufforderung zur Mitwirkung", two pages."""
    return Briefsatz(
        form=form,
        briefkopf=Briefkopf(
            behoerde="Jobcenter Landkreis Musterland",
            einheit="Leistungsabteilung, Team 3",
            anschrift=("Bahnhofstraße 12", "12345 Musterstadt"),
            telefon="01234 567-300",
            email="jobcenter@jc-musterland.de",
            oeffnungszeiten=("Mo, Di, Fr 8–12 Uhr", "Do 13–17 Uhr"),
            bank=(
                "Kreissparkasse Musterland",
                "IBAN DE02 1203 0000 0000 2020 51",
                "BIC BYLADEM1001",
            ),
            logo_svg=LOGO_SVG,
        ),
        ruecksendeangabe="Jobcenter Landkreis Musterland · Postfach 11 22 · 12340 Musterstadt",
        vermerk=("Persönlich",),
        anschrift=Anschrift(
            namen=("Frau", "Erika Beispiel"),
            strasse="Lindenweg 7 a",
            ort="12347 Musterdorf",
        ),
        info=(
            ("Ihr Zeichen", "–"),
            ("Aktenzeichen", "123D456789"),
            ("Ansprechpartnerin", "Sabine Muster"),
            ("Telefon", "01234 567-312"),
            ("E-Mail", "s.muster@jc-musterland.de"),
            ("Datum", "7. Dezember 2026"),
        ),
        betreff="Aufforderung zur Mitwirkung – Unterlagen für Ihren Weiterbewilligungsantrag",
        body=BODY,
        werte=dict(WERTE),
        anlagen=("Merkblatt Datenschutz", "Kopie der ersten Seite für Ihre Antwort"),
        antwortcode=antwortcode if antwortcode is not None else antwortcode_text(),
        aktenzeichen="123D456789",
        titel="Aufforderung zur Mitwirkung",
    )
