"""The checks a letter passes when it is created, not first at dispatch: :func:`pruefe`
returns :class:`Befund` findings (German, with the field to fix); none means it may go.

Checked for every letter:

- the address is complete: a name, street or Postfach, postcode and town; in Germany a
  five-digit postcode before the town; abroad the country in capitals as the last line
  (no German postcode rule then); the return line is given;
- the lines fit their zones: at most 6 address lines, return line and remarks at most 5,
  at most 6 rows in the information block; each line measured with the font's metrics
  (:mod:`~koffer.outbox.satz.schriftmass`) fits the address field's 78 mm (25 to 103 mm)
  at its size, each label and value its column; the reply code is at most 24.5 mm;
- what the data can do to the printed area: no word of the subject, the enclosures or a
  value in ``werte`` is wider than the text column (an unbreakable word is what runs
  over the margin); every ``#wert("…")`` in the body has a value;
- in the PDF: the page count within ``max_seiten``, a postage class for its weight,
  every font embedded and no JavaScript (:func:`koffer.pdf.pdfa.check` of the pages), and
  OutputIntent, trailer ID, XMP metadata and structure tree present.

Checked once per layout (form, body, letterhead, with or without a reply code) and
process, on its first letter, and again on every further letter until one passes: the
complete PDF/A check, and that nothing of any page lies outside the printable area (5 mm
from each edge), measured from PDFium's bounds of every page object (4 ms a letter). The
complete check adds what cannot differ between letters of one layout, because typst
writes it from the same standards and the same markup: the XMP identification
``pdfaid`` (2.5 ms to read, a quarter of typesetting the letter) and device colours
against the sRGB OutputIntent (a third of the pages' check; colours come from the
markup and the logo, never from the text). What moves between letters of one layout is
the text in the zones measured above, so the per-letter checks cover what can vary. A
body whose layout overflows only with some values (a long value in a narrow table cell)
is the exception this misses.
"""

from __future__ import annotations

import ctypes
import io
import re
import threading
from collections import OrderedDict
from dataclasses import dataclass

import pikepdf

from koffer.outbox.satz import layout
from koffer.outbox.satz.brief import Briefsatz
from koffer.outbox.satz.schriftmass import breite_mm
from koffer.pdf import pdfa, pdfium

MAX_SEITEN = 20
BLATT_GRAMM = 5  # A4 at 80 g/m² is 4.99 g
HUELLE_GRAMM = 5  # a DL window envelope
TEXT_BREITE = layout.BLATT_BREITE - layout.RAND_LINKS - layout.RAND_RECHTS
_PLZ_ORT = re.compile(r"^\d{5} \S")
_WERT = re.compile(r"""wert\(\s*"((?:[^"\\]|\\.)*)"\s*\)""")
_PT_PER_MM = 72 / 25.4
_LAYOUTS_KEPT = 256
_KURZES_WORT = int(TEXT_BREITE / (11.0 * 1.1 * 25.4 / 72))


@dataclass(frozen=True)
class Befund:
    """One thing wrong with a letter: a stable ``code``, a German ``meldung`` for the
    person who can fix it, and the ``feld`` it concerns (e.g. ``anschrift.ort``)."""

    code: str
    meldung: str
    feld: str


@dataclass(frozen=True)
class Portoklasse:
    """A Deutsche Post letter product by weight; ``gewicht`` is the letter's (grams)."""

    name: str
    hoechstgewicht: int
    gewicht: int


# Deutsche Post's letter products by weight (the formats: Standard- and Kompaktbrief
# take a DIN lang window envelope, Groß- and Maxibrief C4).
PORTOKLASSEN = (
    ("Standardbrief", 20),
    ("Kompaktbrief", 50),
    ("Großbrief", 500),
    ("Maxibrief", 1000),
)


def portoklasse(seiten: int, duplex: bool) -> Portoklasse | None:
    """The cheapest class a letter of ``seiten`` pages fits, printed on one side of each
    sheet or on both (``duplex``); None when it weighs over 1000 g. Assumed: a sheet of
    A4 at 80 g/m² weighs 5 g, the envelope 5 g; enclosures on paper are not counted."""
    blaetter = (seiten + 1) // 2 if duplex else seiten
    gewicht = HUELLE_GRAMM + BLATT_GRAMM * blaetter
    for name, limit in PORTOKLASSEN:
        if gewicht <= limit:
            return Portoklasse(name, limit, gewicht)
    return None


def pruefe(
    brief: Briefsatz, pdf: bytes, *, max_seiten: int = MAX_SEITEN, duplex: bool = False
) -> list[Befund]:
    """Every finding on ``brief`` and its typeset ``pdf`` (see the module's docstring)."""
    befunde = [*_anschrift(brief), *_zonen(brief), *_werte(brief)]
    try:
        with pikepdf.open(io.BytesIO(pdf)) as document:
            befunde.extend(_pdf(document, max_seiten=max_seiten, duplex=duplex))
            befunde.extend(_einmal_je_layout(brief, document, pdf))
    except (pikepdf.PdfError, ValueError) as exc:
        befunde.append(Befund("pdf_defekt", f"Das PDF ist beschädigt ({exc}).", "pdf"))
    return befunde


# --- The address ---------------------------------------------------------------------------


def _anschrift(brief: Briefsatz) -> list[Befund]:
    anschrift = brief.anschrift
    found: list[Befund] = []
    if not any(name.strip() for name in anschrift.namen):
        found.append(Befund("anschrift_name", "Der Anschrift fehlt der Name.", "anschrift.namen"))
    if not anschrift.strasse.strip():
        found.append(
            Befund(
                "anschrift_strasse",
                "Der Anschrift fehlen Straße und Hausnummer oder ein Postfach.",
                "anschrift.strasse",
            )
        )
    land = anschrift.land.strip()
    if not land and not _PLZ_ORT.match(anschrift.ort.strip()):
        found.append(
            Befund(
                "anschrift_ort",
                "Der Anschrift fehlen Postleitzahl (fünf Ziffern) und Ort. Liegt die Anschrift im "
                "Ausland, gehört das Land in Großbuchstaben in die letzte Zeile.",
                "anschrift.ort",
            )
        )
    if land and not anschrift.ort.strip():
        found.append(Befund("anschrift_ort", "Der Anschrift fehlt der Ort.", "anschrift.ort"))
    if land and land != land.upper():
        found.append(
            Befund(
                "anschrift_land",
                f"Das Land steht in Großbuchstaben in der letzten Zeile („{land.upper()}“).",
                "anschrift.land",
            )
        )
    if not brief.ruecksendeangabe.strip():
        found.append(
            Befund(
                "ruecksendeangabe",
                "Die Rücksendeangabe fehlt (die Post schickt unzustellbare Briefe dorthin).",
                "ruecksendeangabe",
            )
        )
    return found


# --- Lines in their zones ------------------------------------------------------------------


def _zonen(brief: Briefsatz) -> list[Befund]:
    found: list[Befund] = []
    zeilen = brief.anschrift.zeilen
    if len(zeilen) > layout.ANSCHRIFT_ZEILEN:
        found.append(
            Befund(
                "anschrift_zeilen",
                f"Die Anschrift hat {len(zeilen)} Zeilen; in die Anschriftzone passen "
                f"{layout.ANSCHRIFT_ZEILEN}.",
                "anschrift",
            )
        )
    if 1 + len(brief.vermerk) > layout.VERMERK_ZEILEN:
        found.append(
            Befund(
                "vermerk_zeilen",
                f"Rücksendeangabe und Vermerke haben {1 + len(brief.vermerk)} Zeilen; in die "
                f"Zusatz- und Vermerkzone passen {layout.VERMERK_ZEILEN}.",
                "vermerk",
            )
        )
    if len(brief.info) > layout.INFO_ZEILEN:
        found.append(
            Befund(
                "info_zeilen",
                f"Der Informationsblock hat {len(brief.info)} Zeilen; Platz ist für "
                f"{layout.INFO_ZEILEN}.",
                "info",
            )
        )
    grad = layout.SCHRIFTGRAD
    found.extend(
        _breite(
            brief.ruecksendeangabe,
            grad["ruecksendeangabe"],
            layout.ANSCHRIFT_BREITE,
            "ruecksendeangabe",
        )
    )
    for i, line in enumerate(brief.vermerk):
        found.extend(_breite(line, grad["vermerk"], layout.ANSCHRIFT_BREITE, f"vermerk[{i}]"))
    for i, line in enumerate(zeilen):
        found.extend(
            _breite(line, grad["anschrift"], layout.ANSCHRIFT_BREITE, f"anschrift.zeilen[{i}]")
        )
    wert_breite = layout.INFO_BREITE - layout.INFO_LEITWORT
    for i, (label, value) in enumerate(brief.info):
        found.extend(
            _breite(label, grad["leitwort"], layout.INFO_LEITWORT - 1.0, f"info[{i}].leitwort")
        )
        found.extend(_breite(value, grad["anschrift"], wert_breite, f"info[{i}].wert"))
    if brief.antwortcode:
        code = layout.antwortcode(brief.antwortcode)
        if code.breite > layout.QR_MAX_BREITE:
            found.append(
                Befund(
                    "antwortcode",
                    f"Der Antwortcode wäre {code.breite:.1f} mm breit; Platz ist für "
                    f"{layout.QR_MAX_BREITE} mm (der Text ist zu lang).",
                    "antwortcode",
                )
            )
    return found


def _breite(text: str, size: float, limit: float, feld: str) -> list[Befund]:
    width = breite_mm(text, size)
    if width <= limit:
        return []
    return [
        Befund(
            "zeile_zu_breit",
            f"„{text}“ ist {width:.0f} mm breit; Platz ist für {limit:.0f} mm.",
            feld,
        )
    ]


# --- Values and words ----------------------------------------------------------------------


def _werte(brief: Briefsatz) -> list[Befund]:
    found: list[Befund] = []
    for key in dict.fromkeys(_WERT.findall(brief.body)):
        if key not in brief.werte:
            found.append(
                Befund("platzhalter", f"Für den Platzhalter „{key}“ gibt es keinen Wert.", "body")
            )
    texts = [("betreff", brief.betreff)]
    texts += [(f"anlagen[{i}]", a) for i, a in enumerate(brief.anlagen)]
    texts += [(f"werte.{key}", str(value)) for key, value in brief.werte.items()]
    for feld, text in texts:
        for word in text.split():
            # 11 pt text, a tenth more for bold (the subject); no glyph of the house fonts
            # is wider than 1 em, so shorter words need no measuring.
            if len(word) <= _KURZES_WORT:
                continue
            if breite_mm(word, 11.0) * 1.1 > TEXT_BREITE:
                found.append(
                    Befund(
                        "wort_zu_breit",
                        f"„{word[:40]}…“ passt in keine Zeile (breiter als {TEXT_BREITE:.0f} mm).",
                        feld,
                    )
                )
    return found


# --- The PDF, every letter -----------------------------------------------------------------


def _pdf(document: pikepdf.Pdf, *, max_seiten: int, duplex: bool) -> list[Befund]:
    found: list[Befund] = []
    seiten = len(document.pages)
    if seiten > max_seiten:
        found.append(
            Befund("seiten", f"Der Brief hat {seiten} Seiten; erlaubt sind {max_seiten}.", "body")
        )
    if portoklasse(seiten, duplex) is None:
        found.append(
            Befund(
                "porto",
                f"Mit {seiten} Seiten wiegt der Brief über 1000 g: zu schwer für einen Brief.",
                "body",
            )
        )
    report = pdfa.check(
        document, part=2, conformance="A", whole_file=False, output_intent="RGB", colours=False
    )
    found.extend(_pdfa_befunde(report.findings))
    root = document.Root
    mark = root.get("/MarkInfo")
    marked = isinstance(mark, pikepdf.Dictionary) and bool(mark.get("/Marked", False))
    missing = [
        text
        for ok, text in (
            ("/OutputIntents" in root, "das Farbprofil (OutputIntent)"),
            ("/Metadata" in root, "die XMP-Metadaten"),
            (document.trailer.get("/ID") is not None, "die Dateikennung (ID)"),
            ("/StructTreeRoot" in root and marked, "der Strukturbaum (Tags)"),
        )
        if not ok
    ]
    if missing:
        found.append(Befund("pdfa", f"Dem PDF fehlen {', '.join(missing)}.", "pdf"))
    return found


def _pdfa_befunde(findings: tuple[pdfa.Finding, ...]) -> list[Befund]:
    return [
        Befund("schriften" if f.rule == "fonts" else f"pdfa_{f.rule}", f.text, "pdf")
        for f in findings
    ]


# --- The PDF, once per layout --------------------------------------------------------------

_passed: OrderedDict[tuple[object, ...], bool] = OrderedDict()
_passed_lock = threading.Lock()


def _einmal_je_layout(brief: Briefsatz, document: pikepdf.Pdf, pdf: bytes) -> list[Befund]:
    key = (brief.form, brief.body, brief.briefkopf, brief.antwortcode is None)
    with _passed_lock:
        if key in _passed:
            _passed.move_to_end(key)
            return []
    found = _pdfa_befunde(pdfa.check(document).findings) + _druckbereich(pdf)
    if not found:
        with _passed_lock:
            _passed[key] = True
            while len(_passed) > _LAYOUTS_KEPT:
                _passed.popitem(last=False)
    return found


def _druckbereich(pdf: bytes) -> list[Befund]:
    """Pages with an object outside the printable area, measured by PDFium."""
    rand = layout.DRUCKRAND * _PT_PER_MM
    with pdfium.LOCK:
        outside = _pages_outside(pdf, rand)
    if outside is None:
        return [Befund("pdf_defekt", "PDFium kann das PDF nicht öffnen.", "pdf")]
    if not outside:
        return []
    return [
        Befund(
            "druckbereich",
            f"Auf Seite {', '.join(map(str, outside))} liegt Inhalt näher als "
            f"{layout.DRUCKRAND:.0f} mm am Blattrand; dort druckt nicht jeder Drucker.",
            "body",
        )
    ]


def _pages_outside(pdf: bytes, rand: float) -> list[int] | None:
    import pypdfium2.raw as pdfium_c

    slack = 1.0  # pt: a stroked line's bounds include its width
    left, bottom, right, top = (ctypes.c_float() for _ in range(4))
    outside: list[int] = []
    doc = pdfium_c.FPDF_LoadMemDocument(pdf, len(pdf), None)
    if not doc:
        return None
    try:
        for index in range(pdfium_c.FPDF_GetPageCount(doc)):
            page = pdfium_c.FPDF_LoadPage(doc, index)
            try:
                width = pdfium_c.FPDF_GetPageWidthF(page)
                height = pdfium_c.FPDF_GetPageHeightF(page)
                for k in range(pdfium_c.FPDFPage_CountObjects(page)):
                    obj = pdfium_c.FPDFPage_GetObject(page, k)
                    if not pdfium_c.FPDFPageObj_GetBounds(obj, left, bottom, right, top):
                        continue
                    if (
                        left.value < rand - slack
                        or bottom.value < rand - slack
                        or right.value > width - rand + slack
                        or top.value > height - rand + slack
                    ):
                        outside.append(index + 1)
                        break
            finally:
                pdfium_c.FPDF_ClosePage(page)
    finally:
        pdfium_c.FPDF_CloseDocument(doc)
    return outside
