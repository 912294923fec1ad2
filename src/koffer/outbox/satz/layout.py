"""The DIN 5008 letter layout (form A and B): its measures, the typst source around the
administrator's body and the data the source reads.

Measures, all in millimetres from the sheet's top left corner (A4, 210 × 297):

====================================  =================  =================
zone                                  form A             form B
====================================  =================  =================
letterhead zone (Briefkopf), height   27                 45
address field, x 20, 85 wide          27 to 72           45 to 90
Zusatz- und Vermerkzone (5 lines)     27 to 44.7         45 to 62.7
Anschriftzone (6 lines)               44.7 to 72         62.7 to 90
information block, x 125, 75 wide     from 32            from 50
fold marks                            87 and 192         105 and 210
punch mark                            148.5              148.5
====================================  =================  =================

The return line is the Vermerkzone's top line, remarks fill it from the bottom up; the
address fills the Anschriftzone from the top. Text runs from 25 mm (the Fluchtlinie) to
190 mm (right margin 20 mm).

Text in the address field starts at the Fluchtlinie (25 mm, 5 mm inside the field).
Sources (DIN 5008:2020-03 itself is not public; these agree with each other):

- de.wikipedia.org/wiki/Falzmarke (citing DIN 5008:2020-03, section 19.3 "Formen"): form
  A 27 mm letterhead, fold marks 87 and 192 mm; form B 45 mm, 105 and 210 mm; punch mark
  148.5 mm from the top edge.
- www.din-5008-richtlinien.de/startseite/anschriftenfeld/: address field 45 × 85 mm;
  Zusatz- und Vermerkzone 17.7 mm (5 lines, written from the bottom up, 8 pt recommended,
  6 pt at least) above an imagined line at 44.7 mm (A) / 62.7 mm (B); Anschriftzone 27.3
  mm (6 lines, 8 pt at least); no empty lines in the field.
- kloecker.ac/marketinglexikon (DIN Norm 5008) and edv-lehrgang.de: address field 20 mm
  from the left edge; information block 125 mm from the left edge, at most 75 mm wide,
  starting with the first line of the Zusatz- und Vermerkzone (27 + 5 = 32 mm in form A,
  45 + 5 = 50 mm in form B); a line is 4.23 mm; two empty lines (8.46 mm) before the
  subject.
- geschaeftsbriefe.blogspot.com (DIN 5008 – der normierte Geschäftsbrief): address field
  from 20.0 mm, the Fluchtlinie at 25 mm stays; expressantworten.com: the return line sits
  in the field at 20 mm, its text on the Fluchtlinie at 25 mm.

Choices of ours: the right text margin is 20 mm (DIN 5008:2020 asks for at least 20 mm);
fold and punch marks are 5 and 8 mm long and start 5 mm from the left edge, the printable
margin (:data:`DRUCKRAND`) most laser printers and print providers keep free; the return
line is 7 pt, remarks 8 pt, the address 10 pt; the footer (bank details, opening hours)
sits between 279 and 291 mm on every page; "Seite x von y" at 273 mm when there is more
than one page; pages after the first carry a short header with the Aktenzeichen at 12 mm.

**The reply code** stands in the information block's column right below its sixth row
(x 125, top 59 mm in form A, 77 mm in form B), 0.5 mm a module with a quiet zone of four
modules: 22.5 mm for a code of version 5 (an Akte with a letter), 24.5 mm for version 6
(all four ids of ``records.antwortcode``). There it stays out of the envelope window (which
ends at 110 mm), above the first fold (ends at 83.5 / 101.5 mm, fold at 87 / 105) and out
of the punch holes; the text begins two lines below it (or below the address field, if
lower). The left margin was the alternative: it is 20 mm wide at most next to the window,
too narrow for a 22.5 mm code with the printable margin, and below the first fold the punch
holes (148.5 ± 40 mm) and the second fold cut through it. Codes are written by zxing-cpp
(zint), error correction M: segno took 7–8 ms a code (mask selection in Python), more than
half of a letter's whole budget; zxing-cpp 0.7 ms.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from koffer.outbox.satz.brief import Briefsatz
from koffer.pdf import typesetting

BLATT_BREITE = 210.0
BLATT_HOEHE = 297.0
DRUCKRAND = 5.0  # nothing may be printed closer to an edge of the sheet
ZEILE = 4.23  # one line (12 pt), DIN 5008's unit
RAND_LINKS = 25.0  # the Fluchtlinie
RAND_RECHTS = 20.0
RAND_OBEN = 25.0  # pages after the first
RAND_UNTEN = 27.0
FELD_X = 20.0
FELD_BREITE = 85.0
FELD_HOEHE = 45.0
VERMERKZONE = 17.7
VERMERK_ZEILEN = 5  # the return line included
ANSCHRIFT_ZEILEN = 6
ANSCHRIFT_TEXT_X = RAND_LINKS
# An address line may run up to 2 mm before the field's right edge (a sheet moves a little
# in its envelope).
ANSCHRIFT_BREITE = FELD_X + FELD_BREITE - 2.0 - ANSCHRIFT_TEXT_X
INFO_X = 125.0
INFO_BREITE = 75.0
INFO_LEITWORT = 28.0  # the label column
INFO_ZEILEN = 6
QR_MODUL = 0.5
QR_ABSTAND = 1.62  # below the sixth row, so that the code starts at 59 / 77 mm
QR_MAX_BREITE = 24.5  # version 6 with its quiet zone at 0.5 mm a module
LOCHMARKE = 148.5
MARKE_X = DRUCKRAND
FALZMARKE_LAENGE = 5.0
LOCHMARKE_LAENGE = 8.0
KOPF_OBEN = 10.0
FUSS_OBEN = 279.0
FUSS_ZEILE = 3.0
FUSS_SPALTEN = (38.0, 44.0, 32.0, 45.0)
SEITENZAHL_OBEN = 273.0
FOLGEKOPF_OBEN = 12.0
SCHRIFTGRAD = {"ruecksendeangabe": 7.0, "vermerk": 8.0, "anschrift": 10.0, "leitwort": 8.0}


@dataclass(frozen=True)
class Form:
    """What differs between form A and form B."""

    name: str
    kopf_hoehe: float  # letterhead zone, also the address field's top
    falzmarken: tuple[float, float]
    logo_hoehe: float

    @property
    def feld_oben(self) -> float:
        return self.kopf_hoehe

    @property
    def anschriftzone_oben(self) -> float:
        return self.kopf_hoehe + VERMERKZONE

    @property
    def info_oben(self) -> float:
        return self.kopf_hoehe + 5.0

    @property
    def qr_oben(self) -> float:
        return self.info_oben + INFO_ZEILEN * ZEILE + QR_ABSTAND


FORMEN = {
    "A": Form("A", 27.0, (87.0, 192.0), 14.0),
    "B": Form("B", 45.0, (105.0, 210.0), 22.0),
}

_TYP = Path(__file__).with_name("brief.typ").read_text(encoding="utf-8")
_HEAD, _TAIL = _TYP.split("\n// BODY\n")
_HEAD += "\n"
# The body's first line in the compiled source (1-based), for Satzfehler positions.
BODY_ERSTE_ZEILE = typesetting.PRELUDE.count("\n") + _HEAD.count("\n") + 1


def quelle(body: str) -> str:
    """The typst source of a letter: the layout around ``body`` (without the PRELUDE)."""
    return _HEAD + body + "\n" + _TAIL


@dataclass(frozen=True)
class Antwortcode:
    svg: str
    breite: float  # mm, quiet zone included


@functools.lru_cache(maxsize=512)
def antwortcode(text: str) -> Antwortcode:
    """The reply code as a QR code (error correction M, quiet zone of four modules) and
    its width at :data:`QR_MODUL` (cached: ``pruefe`` asks for the same code again)."""
    import zxingcpp

    code = zxingcpp.create_barcode(text, zxingcpp.BarcodeFormat.QRCode, ec_level="M")
    svg = code.to_svg(scale=1, add_quiet_zones=True)
    size = re.search(r'<svg width="(\d+)"', svg)
    assert size is not None
    return Antwortcode(svg=svg, breite=int(size.group(1)) * QR_MODUL)


def textbeginn(brief: Briefsatz) -> float:
    """Where the subject line starts on page 1 (mm from the top): two lines below the
    address field, the information block or the reply code, whichever ends lowest."""
    form = FORMEN[brief.form]
    unten = max(form.feld_oben + FELD_HOEHE, form.info_oben + len(brief.info) * ZEILE)
    if brief.antwortcode:
        unten = max(unten, form.qr_oben + antwortcode(brief.antwortcode).breite)
    return round(unten + 2 * ZEILE, 2)


def daten(brief: Briefsatz) -> dict[str, Any]:
    """What the layout reads as ``d`` (JSON): only text and numbers, never markup."""
    form = FORMEN[brief.form]
    kopf = brief.briefkopf
    qr = antwortcode(brief.antwortcode) if brief.antwortcode else None
    kontakt = [
        f"Telefon {kopf.telefon}" if kopf.telefon else "",
        f"E-Mail {kopf.email}" if kopf.email else "",
    ]
    return {
        "titel": brief.titel or brief.betreff,
        "kopf": {"behoerde": kopf.behoerde, "einheit": kopf.einheit, "logo": kopf.logo_svg},
        "ruecksendeangabe": brief.ruecksendeangabe,
        "vermerk": list(brief.vermerk),
        "anschrift": list(brief.anschrift.zeilen),
        "info": [list(row) for row in brief.info],
        "betreff": brief.betreff,
        "anlagen": list(brief.anlagen),
        "werte": dict(brief.werte),
        "qr": {"svg": qr.svg, "breite": qr.breite} if qr else None,
        "textbeginn": textbeginn(brief),
        "folgekopf": " · ".join(
            part
            for part in (
                kopf.behoerde,
                f"Aktenzeichen {brief.aktenzeichen}" if brief.aktenzeichen else "",
            )
            if part
        ),
        "fuss": [
            [kopf.behoerde, *kopf.anschrift],
            [line for line in kontakt if line],
            ["Öffnungszeiten", *kopf.oeffnungszeiten] if kopf.oeffnungszeiten else [],
            list(kopf.bank),
        ],
        "masse": _masse(form),
    }


@functools.cache
def _masse(form: Form) -> dict[str, Any]:
    return {
        "rand_links": RAND_LINKS,
        "rand_rechts": RAND_RECHTS,
        "rand_oben": RAND_OBEN,
        "rand_unten": RAND_UNTEN,
        "text_links": RAND_LINKS,
        "zeile": ZEILE,
        "kopf_oben": KOPF_OBEN,
        "logo_breite": 60.0,
        "logo_hoehe": form.logo_hoehe,
        "feld_oben": form.feld_oben,
        "anschrift_text_x": ANSCHRIFT_TEXT_X,
        "vermerk_zeile": round(VERMERKZONE / VERMERK_ZEILEN, 3),
        "vermerk_zeilen": VERMERK_ZEILEN,
        "anschriftzone_oben": form.anschriftzone_oben,
        "anschrift_zeile": ZEILE,
        "info_x": INFO_X,
        "info_oben": form.info_oben,
        "info_leitwort": INFO_LEITWORT,
        "qr_oben": form.qr_oben,
        "falzmarken": list(form.falzmarken),
        "lochmarke": LOCHMARKE,
        "marke_x": MARKE_X,
        "falzmarke_laenge": FALZMARKE_LAENGE,
        "lochmarke_laenge": LOCHMARKE_LAENGE,
        "fuss_oben": FUSS_OBEN,
        "fuss_zeile": FUSS_ZEILE,
        "fuss_spalten": list(FUSS_SPALTEN),
        "seitenzahl_oben": SEITENZAHL_OBEN,
        "folgekopf_oben": FOLGEKOPF_OBEN,
    }
