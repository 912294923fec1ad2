"""The PDF of an Aktenauszug, built from documents that are already PDFs or become one.

No database here: the functions take bytes and plain data and return bytes, so each step
is testable alone. The job in :mod:`koffer.records.auszug.services` calls them in this order::

    per document:  pdf_page_count | image_page_count | text_to_pdf   (check, count pages)
    once:          assemble = cover and contents (typst, PDF/A-2b)
                              + every document page (images and texts rendered now with
                                image_to_pdf / text_to_pdf), stamped "Bl. n" (pikepdf)
                              + bookmarks, page labels, PDF/A metadata

Cover, contents, stamps and text documents are typeset with typst. User text reaches
typst only as JSON data (``sys.inputs``), never as markup, so a title like ``#set`` or
``$x$`` is printed as written.

PDF/A: typst writes PDF/A-2b (embedded fonts, sRGB output intent, XMP metadata); the
merged file keeps that output intent and metadata. The documents' own pages are copied as
they are, after :func:`koffer.pdf.pdfa.check` looked at them: a part with fonts that are
not embedded or device colours that do not fit sRGB is converted by Ghostscript when it is
installed (:func:`koffer.pdf.pdfa.convert`). If a part still does not conform, the file
does not claim PDF/A at all and the cover says so and why. The finished file is checked
once more before it claims PDF/A; veraPDF (``KOFFER_VERAPDF``), when installed, adds its
verdict.
"""

from __future__ import annotations

import io
import logging
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, BinaryIO, cast

import pikepdf
import typst
from django.conf import settings
from PIL import Image, ImageOps, UnidentifiedImageError

from koffer.pdf import pdfa, raster, typesetting

logger = logging.getLogger("koffer.records.extract")

MM = 72 / 25.4
A4 = (210 * MM, 297 * MM)
# Room kept free at the top of image pages and typeset text, so the stamp covers nothing.
STAMP_ROOM_MM = 22
IMAGE_MARGIN_MM = 10
# An image without a plausible resolution is placed as if scanned at this many dpi.
DEFAULT_DPI = 150
# Typesetting a text beyond this length would take minutes and hundreds of pages.
MAX_TEXT_CHARS = 1_000_000
PDFA_PART = "2B"
VERAPDF_TIMEOUT_SECONDS = 600

# Stamp: a form placed at the top right of each document page (sizes in points).
STAMP_WIDTH = 90 * MM
STAMP_HEIGHT = 16 * MM
STAMP_RIGHT = 5 * MM
STAMP_TOP = 4 * MM

# Annotations and actions PDF/A-2 forbids; they are dropped from copied pages.
_FORBIDDEN_ANNOTS = {"/Movie", "/Sound", "/FileAttachment", "/3D", "/RichMedia", "/Screen"}
_FORBIDDEN_ACTIONS = {
    "/JavaScript",
    "/Launch",
    "/Sound",
    "/Movie",
    "/ResetForm",
    "/ImportData",
    "/Hide",
    "/SetOCGState",
    "/Rendition",
    "/Trans",
    "/GoTo3DView",
}
_ANNOT_PRINT = 4
_ANNOT_HIDING = 1 | 2 | 32  # Invisible, Hidden, NoView


class Unusable(Exception):
    """A document that cannot become pages of the extract; ``reason`` is German and is
    printed in the table of contents."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# --- typst --------------------------------------------------------------------------------------


def typeset(source: str, data: dict[str, Any], *, pdfa: bool = True) -> bytes:
    """Pages of the extract (:mod:`koffer.pdf.typesetting`): untagged, PDF/A-2b like the
    file they are merged into, or no claim at all when ``pdfa`` is false."""
    return typesetting.typeset(
        source, data, standards=typesetting.PDFA_2B if pdfa else [], tagged=False
    )


# Shared by the extract's typst sources (the data and the fonts come with
# koffer.pdf.typesetting.PRELUDE).
_PRELUDE = """
#let muted = luma(90)
"""

FRONT_MATTER_TYP = (
    _PRELUDE
    + """
#set document(title: d.titel, author: d.behoerde)
#set text(size: 10.5pt)
#set par(leading: 0.62em, justify: false)
#set page(
  paper: "a4",
  margin: (left: 25mm, right: 20mm, top: 22mm, bottom: 24mm),
  footer: context {
    if here().page() > 1 {
      set text(size: 8pt, fill: muted)
      grid(
        columns: (1fr, auto),
        [Aktenauszug · Az. #d.aktenzeichen · #d.behoerde],
        [Inhaltsverzeichnis, Seite #(here().page() - 1)],
      )
    }
  },
)

// --- Deckblatt ---
#grid(
  columns: (1fr, auto),
  gutter: 8mm,
  [
    #text(size: 12.5pt, weight: "bold", d.behoerde)
    #if d.einheit != "" [ \\ #text(size: 9.5pt, d.einheit) ]
  ],
  align(right, text(size: 9.5pt)[#d.datum]),
)
#v(38mm)
#text(size: 9pt, fill: muted, tracking: 0.08em, upper("Elektronische Akte"))
#v(1mm)
#text(size: 28pt, weight: "bold")[Aktenauszug]
#v(5mm)
#block(width: 100%, text(size: 13pt, d.zweck))
#v(10mm)
#line(length: 100%, stroke: 0.6pt)
#table(
  columns: (46mm, 1fr),
  column-gutter: 3mm,
  stroke: none,
  inset: (x: 0pt, y: 5pt),
  ..d.angaben.map(a => (text(fill: muted, a.at(0)), if a.at(2) { text(weight: "bold", a.at(1)) } else { a.at(1) })).flatten()
)
#line(length: 100%, stroke: 0.6pt)
#v(1fr)
#block(width: 100%, {
  set text(size: 8.5pt, fill: muted)
  set par(leading: 0.55em)
  text(weight: "bold")[Hinweise]
  v(1.5mm)
  list(spacing: 1.6mm, marker: [–], ..d.hinweise)
})

// --- Inhaltsverzeichnis ---
#pagebreak()
#text(size: 16pt, weight: "bold")[Inhaltsverzeichnis]
#v(1mm)
#text(size: 9.5pt, fill: muted)[Az. #d.aktenzeichen · #d.akte_titel]
#v(4mm)
#table(
  // Nr., Datum and Blatt as wide as their widest entry: no fixed offset can run a date
  // into the title when the fallback font is wider than Liberation Sans (the cell inset
  // keeps 6pt between columns).
  columns: (auto, auto, 1fr, auto),
  stroke: (x, y) => if y == 0 { (bottom: 0.8pt) } else { (bottom: 0.3pt + luma(175)) },
  inset: (x: 3pt, y: 5pt),
  align: (x, y) => if x == 3 { right + top } else { left + top },
  table.header(
    text(weight: "bold")[Nr.],
    text(weight: "bold")[Datum],
    text(weight: "bold")[Dokument],
    text(weight: "bold")[Blatt],
  ),
  ..d.eintraege.map(e => (
    str(e.nr),
    e.datum,
    {
      text(weight: "bold", e.titel)
      if e.storniert [ #h(1.5mm) #box(stroke: 0.6pt + rgb("#a4000f"), inset: (x: 2pt, y: 1.5pt), outset: (y: 1pt), text(size: 7.5pt, weight: "bold", fill: rgb("#a4000f"), "STORNIERT")) ]
      linebreak()
      text(size: 8.5pt, fill: muted, e.art)
      if e.hinweis != "" {
        linebreak()
        text(size: 8.5pt, style: "italic", e.hinweis)
      }
    },
    if e.blatt == "" { text(fill: muted)[–] } else { e.blatt },
  )).flatten()
)
#if d.eintraege.len() == 0 [Keine Dokumente ausgewählt.]
"""
)

STAMPS_TYP = (
    _PRELUDE
    + """
#set page(width: d.breite * 1pt, height: d.hoehe * 1pt, margin: 0pt)
#for (i, s) in d.stempel.enumerate() {
  if i > 0 { pagebreak() }
  align(right + top, box(
    fill: white,
    stroke: 0.5pt + luma(110),
    inset: (x: 5pt, y: 3.5pt),
    radius: 1.5pt,
    align(right, stack(
      spacing: 3pt,
      text(size: 11pt, weight: "bold")[Bl. #s.n],
      text(size: 7pt, fill: luma(40))[Az. #d.aktenzeichen],
      ..if s.storniert { (text(size: 7pt, weight: "bold", fill: rgb("#a4000f"))[STORNIERT],) } else { () },
    )),
  ))
}
"""
)

TEXT_TYP = (
    _PRELUDE
    + """
#set page(
  paper: "a4",
  margin: (left: 25mm, right: 20mm, top: 24mm, bottom: 18mm),
  footer: context { set text(size: 7.5pt, fill: muted); [#d.titel #h(1fr) Seite #here().page() von #counter(page).final().first()] },
)
#block(below: 5mm, text(size: 10pt, weight: "bold", d.titel))
#set par(leading: 0.5em)
#show raw: set text(font: ("DejaVu Sans Mono", "Liberation Mono"), size: 8.5pt)
#raw(d.text, block: true)
"""
)


# --- A document's PDF form ---------------------------------------------------------------------


def pdf_page_count(stream: IO[bytes]) -> int:
    """Pages of a PDF that the extract can take; raises Unusable with the reason."""
    try:
        with pikepdf.open(cast(BinaryIO, stream)) as pdf:
            count = len(pdf.pages)
    except pikepdf.PasswordError as exc:
        raise Unusable("Das PDF ist mit einem Passwort geschützt.") from exc
    except (pikepdf.PdfError, OSError, ValueError) as exc:
        raise Unusable("Das PDF ist beschädigt und kann nicht gelesen werden.") from exc
    if count == 0:
        raise Unusable("Das PDF enthält keine Seiten.")
    return count


def image_page_count(stream: IO[bytes]) -> int:
    """Frames of an image (the upload already decoded it once)."""
    try:
        with Image.open(stream) as img:
            return int(getattr(img, "n_frames", 1))
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Unusable("Das Bild ist beschädigt und kann nicht gelesen werden.") from exc


def image_to_pdf(data: bytes) -> bytes:
    """Every frame of a PNG, JPEG or TIFF as an A4 page (portrait or landscape after its
    shape), upright as the camera meant it, never enlarged, with the top kept free for the
    stamp. A plain JPEG is embedded as it is (no recompression)."""
    pdf = pikepdf.new()
    try:
        with Image.open(io.BytesIO(data)) as img:
            frames = int(getattr(img, "n_frames", 1))
            for index in range(frames):
                img.seek(index)
                _add_image_page(pdf, img, data if frames == 1 else None)
    except Image.DecompressionBombError as exc:
        raise Unusable("Das Bild hat zu viele Bildpunkte.") from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise Unusable("Das Bild ist beschädigt und kann nicht gelesen werden.") from exc
    out = io.BytesIO()
    pdf.save(out, deterministic_id=True)
    return out.getvalue()


def _add_image_page(pdf: pikepdf.Pdf, img: Image.Image, original: bytes | None) -> None:
    orientation = img.getexif().get(0x0112, 1)
    plain_jpeg = img.format == "JPEG" and img.mode in ("RGB", "L")
    if plain_jpeg and original is not None and orientation in (1, None):
        xobject = _jpeg_xobject(pdf, original, img)
        _place_image_page(pdf, xobject, img.size, _dpi(img))
        return
    upright = img if orientation in (1, None) else ImageOps.exif_transpose(img)
    xobject = raster.raster_xobject(pdf, upright)
    _place_image_page(pdf, xobject, upright.size, _dpi(img))


def _dpi(img: Image.Image) -> float:
    return raster.image_dpi(img) or DEFAULT_DPI


def _jpeg_xobject(pdf: pikepdf.Pdf, data: bytes, img: Image.Image) -> pikepdf.Stream:
    return pikepdf.Stream(
        pdf,
        data,
        Type=pikepdf.Name.XObject,
        Subtype=pikepdf.Name.Image,
        Width=img.width,
        Height=img.height,
        ColorSpace=pikepdf.Name.DeviceGray if img.mode == "L" else pikepdf.Name.DeviceRGB,
        BitsPerComponent=8,
        Filter=pikepdf.Name.DCTDecode,
    )


def _place_image_page(
    pdf: pikepdf.Pdf, xobject: pikepdf.Stream, size: tuple[int, int], dpi: float
) -> None:
    width_px, height_px = size
    landscape = width_px > height_px
    page_w, page_h = (A4[1], A4[0]) if landscape else A4
    box_w = page_w - 2 * IMAGE_MARGIN_MM * MM
    box_h = page_h - (STAMP_ROOM_MM + IMAGE_MARGIN_MM) * MM
    natural_w, natural_h = width_px * 72 / dpi, height_px * 72 / dpi
    scale = min(1.0, box_w / natural_w, box_h / natural_h)
    w, h = natural_w * scale, natural_h * scale
    x = (page_w - w) / 2
    y = page_h - STAMP_ROOM_MM * MM - h
    page = pdf.add_blank_page(page_size=(page_w, page_h))
    name = page.add_resource(xobject, pikepdf.Name.XObject, prefix="Im")
    content = f"q {w:.3f} 0 0 {h:.3f} {x:.3f} {y:.3f} cm {name} Do Q".encode()
    page.obj.Contents = pdf.make_stream(content)


def text_to_pdf(text: str, title: str) -> bytes:
    """A text document typeset on A4 in a monospaced font, lines and spaces as written."""
    if len(text) > MAX_TEXT_CHARS:
        raise Unusable(
            f"Die Textdatei ist zu lang für den Satz (mehr als {MAX_TEXT_CHARS:,} Zeichen); "
            "bitte das Original beifügen.".replace(",", ".")
        )
    clean = "".join(ch for ch in text if ch in "\n\t" or ord(ch) >= 32).expandtabs(4)
    try:
        return typeset(TEXT_TYP, {"titel": title, "text": clean or " "})
    except typst.TypstError as exc:
        logger.warning("typesetting a text document failed: %s", exc)
        raise Unusable("Der Text konnte nicht gesetzt werden.") from exc


# --- The extract --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Part:
    """One selected document as the extract shows it. ``sha256`` names the bytes its
    pages come from and ``form`` how they become pages: a PDF as it is, an image
    (:func:`image_to_pdf`) or a text (:func:`text_to_pdf`). ``sha256`` is None, with a
    ``reason``, when the document cannot be included."""

    title: str
    kind: str
    date: str  # "03.02.2026"
    vorgang: str
    cancelled: bool
    cancel_reason: str
    pages: int
    sha256: str | None
    form: str = "pdf"
    heading: str = ""  # printed above a typeset text
    reason: str = ""


@dataclass(frozen=True)
class Cover:
    behoerde: str
    einheit: str
    aktenzeichen: str
    akte_titel: str
    person: str
    aktenplan: str
    zweck: str
    datum: str  # "25.11.2026"
    ersteller: str


@dataclass(frozen=True)
class Built:
    pdf: bytes
    sheets: int
    front_pages: int
    ranges: list[tuple[int, int] | None]
    # False when a part did not conform: then the file makes no PDF/A claim and
    # ``not_pdfa`` (German, also printed on the cover) says why.
    pdfa: bool = True
    not_pdfa: str = ""


def sheet_ranges(parts: Sequence[Part]) -> list[tuple[int, int] | None]:
    """First and last sheet (Blatt) of each part, numbered on from 1; None for parts that
    are not included."""
    ranges: list[tuple[int, int] | None] = []
    next_sheet = 1
    for part in parts:
        if part.sha256 is None or part.pages <= 0:
            ranges.append(None)
            continue
        ranges.append((next_sheet, next_sheet + part.pages - 1))
        next_sheet += part.pages
    return ranges


def sheet_label(sheets: tuple[int, int] | None) -> str:
    if sheets is None:
        return ""
    first, last = sheets
    return f"Bl. {first}" if first == last else f"Bl. {first}–{last}"


def _person_line(cover: Cover) -> list[tuple[str, str, bool]]:
    return [("Betroffene Person", cover.person, False)] if cover.person else []


def front_matter_data(
    cover: Cover,
    parts: Sequence[Part],
    ranges: Sequence[tuple[int, int] | None],
    not_pdfa: Sequence[str] = (),
) -> dict[str, Any]:
    """What the cover and contents print. ``not_pdfa`` lists why the file is not PDF/A
    (empty: it is PDF/A-2b)."""
    sheets = sum(r[1] - r[0] + 1 for r in ranges if r is not None)
    included = sum(1 for r in ranges if r is not None)
    left_out = len(parts) - included
    extent = f"{sheets} Blatt (Bl. 1–{sheets})" if sheets else "0 Blatt"
    extent += f" aus {included} Dokument{'en' if included != 1 else ''}"
    if left_out:
        extent += (
            f"; {left_out} weitere{'s' if left_out == 1 else ''} im Inhaltsverzeichnis genannt"
        )
    rows: list[tuple[str, str, bool]] = [
        ("Aktenzeichen", cover.aktenzeichen, True),
        ("Betreff", cover.akte_titel, False),
        *_person_line(cover),
        ("Aktenplan", cover.aktenplan, False),
        ("Umfang", extent, False),
        ("Erstellt am", cover.datum, False),
        ("Erstellt von", cover.ersteller, False),
        (
            ("Dateiformat", "PDF – kein PDF/A, siehe Hinweise", True)
            if not_pdfa
            else ("Dateiformat", "PDF/A-2b", False)
        ),
    ]
    entries = []
    for number, (part, sheet) in enumerate(zip(parts, ranges, strict=True), start=1):
        notes = []
        if part.cancelled:
            notes.append(f"Storniert{': ' + part.cancel_reason if part.cancel_reason else ''}")
        if sheet is None:
            notes.append(f"Nicht enthalten: {part.reason or 'keine PDF-Fassung vorhanden.'}")
        kind = part.kind + (f" · Vorgang: {part.vorgang}" if part.vorgang else "")
        entries.append(
            {
                "nr": number,
                "datum": part.date,
                "titel": part.title,
                "art": kind,
                "storniert": part.cancelled,
                "hinweis": " · ".join(notes),
                "blatt": sheet_label(sheet),
            }
        )
    return {
        "titel": f"Aktenauszug {cover.aktenzeichen}",
        "behoerde": cover.behoerde,
        "einheit": cover.einheit,
        "aktenzeichen": cover.aktenzeichen,
        "akte_titel": cover.akte_titel,
        "zweck": cover.zweck,
        "datum": cover.datum,
        "angaben": [list(r) for r in rows],
        "hinweise": [
            "Die Blattzahlen (Bl.) sind auf jeder Seite der enthaltenen Dokumente oben rechts "
            "aufgebracht; Deckblatt und Inhaltsverzeichnis sind nicht gezählt.",
            "Stornierte Dokumente sind nur enthalten, wenn sie ausdrücklich ausgewählt wurden; "
            "ihre Seiten tragen den Vermerk „STORNIERT“.",
            (
                "Dieses PDF ist kein PDF/A, weil nicht alle Dokumente PDF/A-tauglich sind: "
                + " ".join(not_pdfa)
            )
            if not_pdfa
            else (
                "Dateiformat PDF/A-2b. Die Seiten der Dokumente sind übernommen, wie sie "
                "sind; koffer hat geprüft, dass ihre Schriften eingebettet sind und ihre "
                "Farben zum Farbprofil (sRGB) passen, und sonst das Dokument vorher in "
                "PDF/A umgewandelt."
            ),
        ],
        "eintraege": entries,
    }


def front_matter(
    cover: Cover,
    parts: Sequence[Part],
    ranges: Sequence[tuple[int, int] | None],
    not_pdfa: Sequence[str] = (),
) -> bytes:
    """Cover sheet and table of contents, PDF/A-2b."""
    return typeset(FRONT_MATTER_TYP, front_matter_data(cover, parts, ranges, not_pdfa))


def stamps(aktenzeichen: str, marks: Sequence[tuple[int, bool]]) -> bytes:
    """One small page per sheet: "Bl. n", the Aktenzeichen, and "STORNIERT" where due."""
    return typeset(
        STAMPS_TYP,
        {
            "breite": STAMP_WIDTH,
            "hoehe": STAMP_HEIGHT,
            "aktenzeichen": aktenzeichen,
            "stempel": [{"n": n, "storniert": cancelled} for n, cancelled in marks],
        },
    )


def assemble(
    cover: Cover,
    parts: Sequence[Part],
    open_pdf: Callable[[Part], IO[bytes]],
    *,
    progress: Callable[[int, int], None] | None = None,
) -> Built:
    """The whole extract: cover, contents, then every included document's pages with their
    sheet number stamped, one bookmark per document, page labels ("Bl. 17") and PDF/A-2b
    metadata. ``open_pdf`` gives a part's pages as a PDF stream; the streams stay open
    until the result is written (pages are copied lazily).

    Every part is checked for PDF/A first (:func:`koffer.pdf.pdfa.check`) and converted
    when it fails; a part that still fails, or a finished file that fails the check, makes
    the extract a plain PDF that says on its cover why it is not PDF/A."""
    ranges = sheet_ranges(parts)
    with ExitStack() as stack:
        sources: list[pikepdf.Pdf | None] = []
        not_pdfa: list[str] = []
        for part, sheet in zip(parts, ranges, strict=True):
            if sheet is None or part.sha256 is None:
                sources.append(None)
                continue
            stream = cast(BinaryIO, stack.enter_context(_opened(open_pdf, part)))
            source = stack.enter_context(pikepdf.open(stream))
            if len(source.pages) != part.pages:
                raise Unusable(f"Die Seitenzahl von „{part.title}“ hat sich geändert.")
            source, problem = _conforming(stack, part, source, stream)
            sources.append(source)
            if problem:
                not_pdfa.append(problem)
        built = _build(cover, parts, ranges, sources, not_pdfa, progress)
        if built.pdfa:
            report = pdfa.check(built.pdf, part=2, conformance="B")
            if not report.ok:
                logger.warning("Aktenauszug fails the PDF/A check: %s", report.summary())
                problem = f"Die Prüfung des fertigen PDF ergab: {report.summary()}"
                built = _build(cover, parts, ranges, sources, [problem], progress)
    return built


def _conforming(
    stack: ExitStack, part: Part, source: pikepdf.Pdf, stream: IO[bytes]
) -> tuple[pikepdf.Pdf, str]:
    """``source`` if its pages may go into a PDF/A-2b with an sRGB profile, else its
    Ghostscript conversion; the German reason when neither conforms."""
    report = pdfa.check(source, part=2, whole_file=False, output_intent="RGB")
    if report.ok:
        return source, ""
    stream.seek(0)
    converted = pdfa.convert(stream.read())
    if converted is None:
        how = (
            "Die Umwandlung in PDF/A ist nicht möglich, weil Ghostscript auf dem Server "
            "nicht installiert ist."
            if pdfa.ghostscript() is None
            else "Die Umwandlung in PDF/A ist fehlgeschlagen."
        )
        return source, f"„{part.title}“: {report.summary()} {how}"
    result = stack.enter_context(pikepdf.open(io.BytesIO(converted)))
    if len(result.pages) != part.pages:
        return source, f"„{part.title}“: {report.summary()} Die Umwandlung änderte die Seitenzahl."
    second = pdfa.check(result, part=2, whole_file=False, output_intent="RGB")
    if second.ok:
        logger.info("converted %s to PDF/A for an Aktenauszug", part.sha256)
        return result, ""
    return source, f"„{part.title}“: {second.summary()} (auch nach der Umwandlung in PDF/A)"


def _build(
    cover: Cover,
    parts: Sequence[Part],
    ranges: Sequence[tuple[int, int] | None],
    sources: Sequence[pikepdf.Pdf | None],
    not_pdfa: Sequence[str],
    progress: Callable[[int, int], None] | None,
) -> Built:
    sheets = sum(r[1] - r[0] + 1 for r in ranges if r is not None)
    marks = [
        (n, part.cancelled)
        for part, r in zip(parts, ranges, strict=True)
        if r is not None
        for n in range(r[0], r[1] + 1)
    ]
    result = pikepdf.open(io.BytesIO(front_matter(cover, parts, ranges, not_pdfa)))
    front_pages = len(result.pages)
    stamp_pdf = pikepdf.open(io.BytesIO(stamps(cover.aktenzeichen, marks))) if marks else None
    with ExitStack() as stack:
        stack.enter_context(result)
        if stamp_pdf is not None:
            stack.enter_context(stamp_pdf)
        outline: list[pikepdf.OutlineItem] = [
            pikepdf.OutlineItem("Deckblatt", 0),
            pikepdf.OutlineItem("Inhaltsverzeichnis", 1),
        ]
        done = 0
        for part, sheet, source in zip(parts, ranges, sources, strict=True):
            if sheet is None or source is None:
                continue
            start = len(result.pages)
            result.pages.extend(source.pages)
            outline.append(pikepdf.OutlineItem(f"{sheet_label(sheet)}: {part.title}", start))
            assert stamp_pdf is not None
            for offset in range(part.pages):
                page = result.pages[start + offset]
                _clean_page(page)
                _stamp(result, page, stamp_pdf.pages[sheet[0] - 1 + offset])
            done += part.pages
            if progress is not None:
                progress(done, sheets)
        with result.open_outline() as tree:
            tree.root.extend(outline)
        _page_labels(result, front_pages)
        _metadata(result, cover, claim_pdfa=not not_pdfa)
        out = io.BytesIO()
        result.save(
            out,
            force_version="1.7",
            object_stream_mode=pikepdf.ObjectStreamMode.generate,
            compress_streams=True,
        )
    return Built(
        pdf=out.getvalue(),
        sheets=sheets,
        front_pages=front_pages,
        ranges=list(ranges),
        pdfa=not not_pdfa,
        not_pdfa=" ".join(not_pdfa),
    )


@contextmanager
def _opened(open_pdf: Callable[[Part], IO[bytes]], part: Part) -> Iterator[IO[bytes]]:
    stream = open_pdf(part)
    try:
        if not stream.seekable():
            buffered: IO[bytes] = io.BytesIO(stream.read())
            yield buffered
        else:
            yield stream
    finally:
        stream.close()


def _stamp(pdf: pikepdf.Pdf, page: pikepdf.Page, stamp: pikepdf.Page) -> None:
    """Place the stamp at the top right of the page as it is shown (after /Rotate), around
    the page's own content, which is wrapped in q/Q so it cannot move the stamp."""
    if page.rotation % 360:
        page.flatten_rotation()
    x0, y0, x1, y1 = (float(v) for v in page.cropbox)
    left, bottom = min(x0, x1), min(y0, y1)
    right, top = max(x0, x1), max(y0, y1)
    form = pdf.copy_foreign(stamp.as_form_xobject())
    name = page.add_resource(form, pikepdf.Name.XObject, prefix="Blatt")
    scale = min(1.0, (right - left) / (STAMP_WIDTH + STAMP_RIGHT))
    x = right - STAMP_RIGHT * scale - STAMP_WIDTH * scale
    y = top - STAMP_TOP * scale - STAMP_HEIGHT * scale
    x, y = max(x, left), max(y, bottom)
    page.contents_add(b"q\n", prepend=True)
    page.contents_add(
        f"\nQ\nq {scale:.4f} 0 0 {scale:.4f} {x:.3f} {y:.3f} cm {name} Do Q\n".encode()
    )


def _clean_page(page: pikepdf.Page) -> None:
    """Drop what PDF/A-2 forbids on a copied page: page actions, JavaScript and launch
    actions, multimedia and attachment annotations; make annotations printable."""
    obj = page.obj
    if "/AA" in obj:
        del obj["/AA"]
    annots = obj.get("/Annots")
    if not isinstance(annots, pikepdf.Array):
        return
    kept = pikepdf.Array()
    for annot in annots:
        if not isinstance(annot, pikepdf.Dictionary):
            continue
        if str(annot.get("/Subtype", "")) in _FORBIDDEN_ANNOTS:
            continue
        action = annot.get("/A")
        if (
            isinstance(action, pikepdf.Dictionary)
            and str(action.get("/S", "")) in _FORBIDDEN_ACTIONS
        ):
            del annot["/A"]
        if "/AA" in annot:
            del annot["/AA"]
        flags = int(annot.get("/F", 0))
        annot["/F"] = (flags | _ANNOT_PRINT) & ~_ANNOT_HIDING
        kept.append(annot)
    obj["/Annots"] = kept


def _page_labels(pdf: pikepdf.Pdf, front_pages: int) -> None:
    """Viewers show the front matter as i, ii, … and the documents as "Bl. 1", "Bl. 2", …"""
    nums: list[Any] = [0, pikepdf.Dictionary(S=pikepdf.Name.r)]
    if len(pdf.pages) > front_pages:
        sheets = pikepdf.Dictionary(S=pikepdf.Name.D, P=pikepdf.String("Bl. "), St=1)
        nums.extend([front_pages, sheets])
    pdf.Root.PageLabels = pikepdf.Dictionary(Nums=pikepdf.Array(nums))


def _metadata(pdf: pikepdf.Pdf, cover: Cover, *, claim_pdfa: bool = True) -> None:
    """Title, author and subject in XMP and the document info; the PDF/A identification
    typst wrote stays (part 2, conformance B) if ``claim_pdfa``, else it is removed."""
    for key in ("/OpenAction", "/AA", "/AcroForm"):
        if key in pdf.Root:
            del pdf.Root[key]
    with pdf.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["dc:title"] = f"Aktenauszug {cover.aktenzeichen}"
        meta["dc:creator"] = [cover.behoerde]
        meta["dc:description"] = cover.zweck
        meta["pdf:Producer"] = "koffer (typst, pikepdf)"
        meta["xmp:CreatorTool"] = "koffer Aktenauszug"
        if claim_pdfa:
            meta["pdfaid:part"] = PDFA_PART[0]
            meta["pdfaid:conformance"] = PDFA_PART[1]
        else:
            for key in ("pdfaid:part", "pdfaid:conformance", "pdfaid:amd", "pdfaid:corr"):
                if key in meta:
                    del meta[key]


def pdfa_status(data: bytes) -> str:
    """The PDF/A identification in the file's XMP metadata, e.g. "2B" ("" if none)."""
    with pikepdf.open(io.BytesIO(data)) as pdf, pdf.open_metadata() as meta:
        return str(meta.pdfa_status or "")


def verapdf_binary() -> str | None:
    configured = str(getattr(settings, "KOFFER_VERAPDF", "verapdf") or "")
    return shutil.which(configured) if configured else None


def validate_pdfa(data: bytes) -> bool | None:
    """veraPDF's verdict on PDF/A-2b conformance: True, False, or None when veraPDF is not
    installed or could not run (then the extract is marked "nach bestem Bemühen")."""
    binary = verapdf_binary()
    if binary is None:
        return None
    with tempfile.TemporaryDirectory(prefix="koffer-pdfa-") as tmp:
        path = Path(tmp) / "aktenauszug.pdf"
        path.write_bytes(data)
        try:
            completed = subprocess.run(  # noqa: S603 - fixed argument list, no shell
                [binary, "--flavour", "2b", "--format", "text", str(path)],
                capture_output=True,
                timeout=VERAPDF_TIMEOUT_SECONDS,
                check=False,
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            logger.warning("veraPDF could not run: %s", exc)
            return None
    output = completed.stdout.decode("utf-8", "replace")
    if output.lstrip().startswith("PASS"):
        return True
    if output.lstrip().startswith("FAIL"):
        return False
    logger.warning("veraPDF gave no verdict: %s", output[-300:])
    return None
