"""Posteingang step: the text of a scan, and a searchable PDF/A of it.

What: :func:`recognise` takes one scan (PDF or multi-page TIFF) and returns a PDF with a
text layer, the text of each page, whether OCR ran, whether the PDF is PDF/A and which
pages were turned; :func:`recognise_together` does the same for several scans (the
documents of one delivered file) in one OCR run and cuts the result apart again. A PDF
that already carries a real text layer (:func:`real_text_layer`) is kept as it is: no
OCR, milliseconds a page. With the setting ``KOFFER_INBOX_OCR_ENGINE=tesseract`` (the
default; ``ocrmypdf`` sends every file through ocrmypdf as before), an image-only file
(every page a scan, the usual delivery) has its askew pages turned straight
(``schraeglage``) and each page read by tesseract's German model (``-l deu``) itself; its
text layer is laid over the scan and the file made PDF/A-2b (``textebene``); pages whose
text then does not read as words (upside down, handwritten, blank) get tesseract's
orientation detection and, if turned, are read again. Everything else (a file with any
text on a page, a stamp or a garbage layer, or a page that is no plain scan; with
``ocrmypdf`` every file) goes this way: askew pages turned straight, then ocrmypdf into
PDF/A-2b and a second pass with ``--rotate-pages`` for the doubtful pages only.

Why tesseract without ocrmypdf for scans (2026-12-06, ``benchmarks/inbox_pipeline.py``
and ``docs/benchmarks.md``): with ocrmypdf the step cost 2.2-3.3x plain tesseract, about
0.7 s of CPU a page above it (its start, rasterising each page again, Ghostscript's
PDF/A rewrite of the whole file, its optimiser, the second pass OCRing
doubtful pages again even when they stay as they lie). ocrmypdf stays for the files
``textebene`` does not take: it rasterises a page with vector content or an old text
layer as a whole (``--force-ocr``), which a text layer laid over a scan cannot replace.
The same accuracy on the benchmark corpus (2026-12-07: recall 90.9 %, precision 100 %,
the error rate per kind within half a point of ocrmypdf's): tesseract reads each page as
PDFium renders it, as under ocrmypdf, a turned page too (see ``schraeglage.measure``).

Why these choices:

- Two passes instead of ``--rotate-pages`` on every page: orientation detection costs
  about 0.3x of plain tesseract on every page, and only a few pages of a batch lie the
  wrong way; their OCR text gives them away (see :func:`_plausible`).
- No ``--clean`` (unpaper): together with ``--deskew`` it cost 2.4x plain tesseract (see
  below), and it may remove faint stamps, ticks and handwriting at the margins ("might
  remove desired content", says ocrmypdf). The searchable PDF is what caseworkers read
  and print, so it must show what was received (TR-RESISCAN: pictorial fidelity); deskew
  and rotation change only the geometry, never the content.
- ``--rotate-pages-threshold`` :data:`ROTATE_THRESHOLD` instead of ocrmypdf's 14: tesseract's
  orientation confidence grows with the amount of text, and an upside-down letter of
  eight lines measured 13.6 (not turned at 14), one of five lines 6.6; no upright test
  page was reported facing another way, and a wrong turn is visible and can be undone in
  triage.
- A kept text layer is returned byte for byte (about 180 pages a second with the PDF/A
  check, ``benchmarks/inbox_ocr.py``). Adding PDF/A with ocrmypdf ``--skip-text`` was
  measured and dropped: ocrmypdf refuses ``--skip-text`` with Debian bookworm's Ghostscript
  10.0.0, and with its internal PDF/A backend a typeset 100-page letter took 2.2 s and
  still failed its validator (exit code 10). ``pdfa`` then says whether that file already
  was PDF/A.
- Several documents in one run: ocrmypdf's start (a Python process loading its plugins),
  its PDF/A conversion (Ghostscript) and the second pass cost about 1.9 s of CPU per run
  whatever its length. 16 documents of 22 pages took 71 s of CPU one by one and 41 s in
  two runs; the corpus batch (40 documents, 95 pages, quiet machine) went from 197 to
  138-143 s, 1.24-1.28x plain tesseract on the pages at their scanned resolution
  (``benchmarks/inbox_pipeline.py``). Each part keeps the XMP metadata and the
  OutputIntent of the whole and is checked for PDF/A on its own.
- Deskew is needed: without it the corpus's character error rate doubled for
  objections, applications and court letters (scans skewed up to 3 degrees), and the
  automatic filing's recall fell from 90.9 to 87.9 %. But not ocrmypdf's ``--deskew``,
  the costliest option (about 0.7 s of CPU a page: the angle from a tesseract layout
  run, then every page rendered, turned and encoded anew, straight or not):
  ``schraeglage`` measures the angle in about 0.02 s and turns only the pages askew by
  a fifth of a degree or more, so ocrmypdf keeps the straight pages' images as they are.
- Page texts are read from the output PDF (pdfium), not from ocrmypdf's sidecar, so the
  text is exactly what a search of the stored PDF finds, also for pages ocrmypdf skipped.
- ocrmypdf runs as a child process in its own session with ``--jobs`` workers (at most
  :data:`MAX_JOBS`, tesseract single-threaded), its temporary files in a folder of ours;
  on timeout the whole process group is killed and the folder removed.

What ``pdfa=True`` means: the file was made PDF/A-2b (by ``textebene``, or ocrmypdf was
asked for ``--output-type pdfa-2`` and ended with exit code 0), and
:func:`koffer.pdf.pdfa.check` finds the result's PDF/A-2b identification (XMP
``pdfaid``), an OutputIntent with an ICC profile for the colours used, every font embedded,
no encryption and no JavaScript. That is not veraPDF, but it is the same check koffer uses
before it claims PDF/A anywhere. When ocrmypdf falls back to a plain PDF (exit code 10) the
file is still returned, with ``pdfa=False``.

Limits: the scan is expected to have passed the delivery check (``lieferung.pruefung``:
page count, decompression and TIFF frames bounded in the inspection child); here a TIFF is
opened by img2pdf/Pillow in this process with Pillow's own pixel bound. Text drawn as
vector outlines counts as "no text". Rotation is read from ocrmypdf's log, whose wording is
pinned with the package version (a test turns a page upside down).

Speed (``benchmarks/inbox_ocr.py`` measures plain tesseract on the same pages in the same
run and prints the ratio). On the development machine (2 cores shared with other work,
load about 7; noisy A4 letters at 200 dpi, ``jobs=2``), against plain tesseract: ocrmypdf
alone 1.0-1.15x, with ``--clean`` 1.05x, ``--deskew`` 1.15x, ``--rotate-pages`` 1.3x,
rotation and cleaning 1.9x, deskew and rotation 2.1x, deskew and cleaning 2.4x, all three
3.2-3.7x. Deskew with cleaning is the costly pair: ocrmypdf then computes the skew twice
(two ``tesseract --psm 2`` runs) and tesseract reads unpaper's output of the turned image
about 1.6x slower.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.util import find_spec
from pathlib import Path
from typing import Any

from koffer.childprocess import run_bounded
from koffer.inbox.verarbeitung import StepUnavailable, schraeglage, textebene
from koffer.inbox.verarbeitung.seiten import ScanUnreadable
from koffer.pdf.pdfium import page_text

# The OCR of image-only scans (see engine()).
OCRMYPDF = "ocrmypdf"
TESSERACT = "tesseract"
# Heavy work never uses more than two workers (the plan); tesseract itself one thread each.
MAX_JOBS = 2
# A joint run may take this long per page before it is stopped (at least 600 s).
SECONDS_PER_PAGE = 60.0
# Orientation confidence (tesseract OSD, arbitrary units) above which a page is turned.
ROTATE_THRESHOLD = 5.0
# A page has real text when it has at least this many letters and most words look like words.
MIN_LETTERS = 40
MIN_PLAUSIBLE_SHARE = 0.7
MAX_ODD_CHARACTER_SHARE = 0.05
# An image on a page with too little text counts as a scan to OCR when it covers this much.
SCAN_IMAGE_AREA_SHARE = 0.25

DEGRADED = (
    "Texterkennung aus: {missing} {fehlt}; Scans werden ohne Texterkennung abgelegt "
    "und in der Suche nicht gefunden."
)
CORRUPT = "Die Datei ist beschädigt und kann nicht gelesen werden."
LOCKED = "Das PDF ist mit einem Passwort geschützt und kann nicht gelesen werden."
NOT_A_SCAN = "Die Datei ist weder ein PDF noch ein TIFF."
TIMEOUT = "Die Texterkennung wurde nach {seconds:.0f} Sekunden abgebrochen."
FAILED = "Die Texterkennung ist fehlgeschlagen."

_FPDF_ERR_PASSWORD = 4
_FPDF_PAGEOBJ_IMAGE = 3
# ocrmypdf's exit codes (ocrmypdf.ExitCode), read from the child.
_EXIT_OK = 0
_EXIT_INPUT_FILE = 2
_EXIT_MISSING_DEPENDENCY = 3
_EXIT_ENCRYPTED = 8
_EXIT_PDFA_FAILED = 10
# "    2 page is facing ⇩, confidence 13.62 - will rotate ↻" (page numbers 1-based)
_ROTATED = re.compile(r"^\s*(\d+)\s.*\bwill rotate\b", re.MULTILINE)
_WORD = re.compile(r"^[^\W\d_]+(?:[-'’][^\W\d_]+)*$")
_NUMBER = re.compile(r"^[\d.,:/%€§()+\-]+$")
_VOWELS = frozenset("aeiouyäöüáàâéèêíìîóòôúùûAEIOUYÄÖÜÁÀÂÉÈÊÍÌÎÓÒÔÚÙÛ")
_EDGE_PUNCTUATION = ".,;:!?()[]{}\"'„“”‚‘’»«<>*"


class OcrFailed(Exception):
    """The scan cannot be processed (corrupt, locked, not a scan, timeout, OCR error).
    ``message`` is German and can be shown to the mail room; ``code`` is stable;
    ``detail`` is ocrmypdf's own last log line (English), for the log only."""

    def __init__(self, message: str, *, code: str = "ocr_failed", detail: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.code = code
        self.detail = detail


@dataclass(frozen=True)
class Texterkennung:
    """The searchable PDF of a scan and its text."""

    pdf: bytes  # searchable PDF (PDF/A-2b when OCR ran and pdfa is True), same page order
    page_texts: list[str]  # text per page (what search and identifier extraction read)
    ocr_done: bool  # False: the existing text layer was real and was kept
    pdfa: bool  # True only if the PDF passed koffer.pdf.pdfa.check (see module docstring)
    rotated_pages: list[int]  # pages turned (0-based), upside-down included
    seconds: float


@dataclass(frozen=True)
class _Page:
    text: str
    has_text: bool  # any character at all
    real: bool  # enough plausible text
    scanned: bool  # a large image: a page to OCR unless its text is real


def real_text_layer(pdf: bytes) -> list[str] | None:
    """Per-page text if the PDF carries a real text layer on (nearly) every page, else None.

    A page's text is real when it has at least :data:`MIN_LETTERS` letters, at most
    :data:`MAX_ODD_CHARACTER_SHARE` odd characters (control, private use, replacement)
    and at least :data:`MIN_PLAUSIBLE_SHARE` of its words look like words or numbers (an
    invisible layer of a poor OCR reads as "UOy>IIPUNaA} Bunuy>algeuyo7"). "Nearly": a
    page without real text is accepted when it holds no large image, i.e. there is nothing
    to recognise on it (a blank page, a signature page). Corrupt or locked PDFs: None."""
    try:
        pages = _read_pages(pdf)
    except OcrFailed:
        return None
    return [p.text for p in pages] if _kept(pages) else None


def _kept(pages: list[_Page]) -> bool:
    """Some page has real text, and no scanned page lacks it."""
    return any(p.real for p in pages) and not any(p.scanned and not p.real for p in pages)


def availability() -> list[str]:
    """German lines naming what OCR needs and is missing here; [] when all is there."""
    missing = [f"{name} fehlt ({purpose})." for name, purpose in _missing()]
    return missing


def recognise(scan: bytes, *, jobs: int = 2, timeout_s: float = 600) -> Texterkennung:
    """PDF or TIFF in; uses the real text layer when present, else ocrmypdf + tesseract deu
    (rotation for pages whose text does not read), output PDF/A-2b. Raises
    StepUnavailable when ocrmypdf or tesseract/deu is missing, OcrFailed(message_de) when
    the file cannot be processed.

    ``jobs`` is clamped to 1..:data:`MAX_JOBS`; ``timeout_s`` bounds the whole OCR run."""
    return recognise_together([scan], jobs=jobs, timeout_s=timeout_s)[0]


def recognise_together(
    scans: Sequence[bytes], *, jobs: int = 2, timeout_s: float | None = None
) -> list[Texterkennung]:
    """Several scans (the documents of one delivered file) recognised in one ocrmypdf run
    and split again, one result per scan in their order: ocrmypdf's start, its PDF/A
    conversion and the second pass are paid once per run instead of once per document,
    and both cores stay busy for the whole run (see the module docstring). A scan with a
    real text layer is kept as it is and not sent to OCR.

    Raises like :func:`recognise`; when the joint run fails, the caller cannot tell which
    scan caused it and recognises them one by one. ``timeout_s`` bounds the run (default:
    :data:`SECONDS_PER_PAGE` a page, at least 600)."""
    began = time.perf_counter()
    pdfs = [_as_pdf(scan) for scan in scans]
    read = [_read_pages(pdf) for pdf in pdfs]
    results: list[Texterkennung | None] = [None] * len(pdfs)
    todo: list[int] = []
    for index, (pdf, pages) in enumerate(zip(pdfs, read, strict=True)):
        if _kept(pages):
            results[index] = Texterkennung(
                pdf=pdf,
                page_texts=[p.text for p in pages],
                ocr_done=False,
                pdfa=_is_pdfa(pdf, part=None),
                rotated_pages=[],
                seconds=time.perf_counter() - began,
            )
        else:
            todo.append(index)
    if todo:
        missing = _missing()
        if missing:
            raise StepUnavailable(_degraded([name for name, _ in missing]))
        counts = [len(read[i]) for i in todo]
        budget = timeout_s if timeout_s is not None else max(600.0, SECONDS_PER_PAGE * sum(counts))
        # A file with any text at all (a stamp, a garbage layer, real text beside scanned
        # pages) is rasterised and recognised anew on every page: --skip-text would keep
        # the garbage, and ocrmypdf refuses it with Debian bookworm's Ghostscript 10.0.0.
        force = any(page.has_text for i in todo for page in read[i])
        joined = _joined([_decrypted(pdfs[i]) for i in todo])
        out, found, pdfa_ok, rotated = _ocr(joined, jobs=jobs, timeout_s=budget, force=force)
        parts = [out] if len(todo) == 1 else _split(out, counts)
        seconds = time.perf_counter() - began
        start = 0
        for index, part, count in zip(todo, parts, counts, strict=True):
            results[index] = Texterkennung(
                pdf=part,
                page_texts=[p.text for p in found[start : start + count]],
                ocr_done=True,
                pdfa=pdfa_ok and _is_pdfa(part, part=2),
                rotated_pages=[r - start for r in rotated if start <= r < start + count],
                seconds=seconds * count / sum(counts),
            )
            start += count
    return [r for r in results if r is not None]


def _ocr(
    pdf: bytes, *, jobs: int, timeout_s: float, force: bool
) -> tuple[bytes, list[_Page], bool, list[int]]:
    """(searchable PDF, its pages read back, PDF/A done, pages turned). An image-only
    file goes to tesseract page by page (``textebene``); one with any text on a page or
    a page that is no plain scan goes to ocrmypdf (:func:`_ocr_ocrmypdf`)."""
    if not force and engine() == TESSERACT:
        layered = _tesseract(pdf, jobs=jobs, timeout_s=timeout_s)
        if layered is not None:
            out, rotated = layered
            # Made as PDF/A-2b; the caller checks each part before it claims it.
            return out, _read_pages(out), True, rotated
    return _ocr_ocrmypdf(pdf, jobs=jobs, timeout_s=timeout_s, force=force)


def engine() -> str:
    """The OCR of image-only scans: :data:`TESSERACT` or :data:`OCRMYPDF` (the setting
    ``KOFFER_INBOX_OCR_ENGINE``)."""
    from django.conf import settings

    chosen = str(getattr(settings, "KOFFER_INBOX_OCR_ENGINE", TESSERACT) or TESSERACT)
    return OCRMYPDF if chosen.lower() == OCRMYPDF else TESSERACT


def _doubtful(pdf: bytes) -> list[int]:
    """Pages whose text does not read as German words (upside down, handwriting, blank)."""
    return [
        i for i, page in enumerate(_read_pages(pdf)) if not (page.real and reads_german(page.text))
    ]


def _tesseract(pdf: bytes, *, jobs: int, timeout_s: float) -> tuple[bytes, list[int]] | None:
    """``textebene.recognise`` with its errors as OcrFailed; None: not an image-only file."""
    import pikepdf

    try:
        return textebene.recognise(
            pdf,
            jobs=jobs,
            timeout_s=timeout_s,
            doubtful=_doubtful,
            rotate_threshold=ROTATE_THRESHOLD,
        )
    except textebene.TesseractFailed as exc:
        if exc.timeout:
            raise OcrFailed(TIMEOUT.format(seconds=timeout_s), code="timeout") from exc
        raise OcrFailed(FAILED, detail=exc.detail) from exc
    except (ScanUnreadable, pikepdf.PdfError, ValueError) as exc:
        raise OcrFailed(CORRUPT, code="corrupt", detail=str(exc)[:300]) from exc


def _ocr_ocrmypdf(
    pdf: bytes, *, jobs: int, timeout_s: float, force: bool
) -> tuple[bytes, list[_Page], bool, list[int]]:
    """ocrmypdf for what ``textebene`` does not take: the askew pages turned straight, one
    ocrmypdf run over every page, then a second pass with orientation detection for the
    pages whose text does not read as words (upside down, handwriting, blank) only."""
    pdf = _straight(pdf)
    out, _, pdfa_ok = _ocrmypdf(pdf, jobs=jobs, timeout_s=timeout_s, force=force)
    found = _read_pages(out)
    doubtful = [i for i, page in enumerate(found) if not (page.real and reads_german(page.text))]
    if not doubtful:
        return out, found, pdfa_ok, []
    again, again_log, again_ok = _ocrmypdf(
        out, jobs=jobs, timeout_s=timeout_s, force=True, rotate=doubtful
    )
    rotated = sorted({int(n) - 1 for n in _ROTATED.findall(again_log)})
    return again, _read_pages(again), again_ok, rotated


def _straight(pdf: bytes) -> bytes:
    """``pdf`` with its askew scanned pages turned straight (``schraeglage``). A page that
    cannot be measured or turned is OCR'd as it lies rather than failing the run:
    tesseract reads a skewed page worse, not wrongly, and ocrmypdf itself reports a PDF it
    cannot read."""
    import pikepdf

    try:
        straight, _ = schraeglage.straightened(pdf)
    except (ScanUnreadable, pikepdf.PdfError, OSError, ValueError):
        return pdf
    return straight


def _joined(pdfs: list[bytes]) -> bytes:
    """One PDF of all pages of ``pdfs`` in order (one of them: as it is)."""
    if len(pdfs) == 1:
        return pdfs[0]
    import pikepdf

    try:
        with contextlib.ExitStack() as stack:
            out = stack.enter_context(pikepdf.new())
            for pdf in pdfs:
                # pikepdf copies a foreign page's data when the result is written, so every
                # source stays open until then.
                source = stack.enter_context(pikepdf.open(io.BytesIO(pdf)))
                out.pages.extend(source.pages)
            buffer = io.BytesIO()
            out.save(buffer)
            return buffer.getvalue()
    except (pikepdf.PdfError, ValueError, OSError) as exc:
        raise OcrFailed(CORRUPT, code="corrupt") from exc


def _split(pdf: bytes, counts: list[int]) -> list[bytes]:
    """``pdf`` cut into consecutive parts of ``counts`` pages, each keeping the PDF/A
    identification (XMP metadata, document info) and the OutputIntent of the whole, so a
    part of a PDF/A file is one too (checked again by the caller)."""
    import pikepdf

    parts: list[bytes] = []
    with pikepdf.open(io.BytesIO(pdf)) as whole:
        start = 0
        for count in counts:
            with pikepdf.new() as part:
                part.pages.extend(whole.pages[start : start + count])
                for key in ("/Metadata", "/OutputIntents"):
                    if key in whole.Root:
                        part.Root[key] = part.copy_foreign(whole.make_indirect(whole.Root[key]))
                if whole.trailer.get("/Info") is not None:
                    part.trailer.Info = part.copy_foreign(whole.make_indirect(whole.trailer.Info))
                buffer = io.BytesIO()
                part.save(buffer)
                parts.append(buffer.getvalue())
            start += count
    return parts


def _missing() -> list[tuple[str, str]]:
    """(Debian package or library, what it does) for each missing piece of the OCR chain."""
    missing: list[tuple[str, str]] = []
    if find_spec("ocrmypdf") is None:
        missing.append(("ocrmypdf", "Python-Paket für durchsuchbare PDF/A"))
    if shutil.which("tesseract") is None:
        missing.append(("tesseract-ocr", "Texterkennung"))
    elif "deu" not in _tesseract_languages():
        missing.append(("tesseract-ocr-deu", "deutsche Sprachdaten für tesseract"))
    if shutil.which("gs") is None:
        missing.append(("ghostscript", "PDF/A-Umwandlung, wenn ocrmypdf sie nicht selbst schafft"))
    return missing


def _degraded(names: list[str]) -> str:
    return DEGRADED.format(missing=", ".join(names), fehlt="fehlt" if len(names) == 1 else "fehlen")


def _tesseract_languages() -> set[str]:
    try:
        listed = subprocess.run(
            ["tesseract", "--list-langs"],  # noqa: S607 - found on PATH by _missing
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return set()
    # The first line names the folder ("List of available languages in ..."), on stdout
    # or stderr depending on the version.
    return {line.strip() for line in listed.stdout.splitlines()[1:] if line.strip()}


def _as_pdf(scan: bytes) -> bytes:
    """The scan as PDF bytes: a PDF as it is, a TIFF (every frame) through img2pdf, which
    embeds CCITT/JPEG frames without re-encoding them. (ocrmypdf reads a multi-page TIFF
    itself too, but the page texts and the text-layer check need a PDF first, and a TIFF
    without resolution needs one chosen.)"""
    head = scan[:1024]
    if b"%PDF-" in head:
        return scan
    if not head.startswith((b"II*\x00", b"MM\x00*")):
        raise OcrFailed(NOT_A_SCAN, code="not_a_scan")
    import img2pdf
    from PIL import Image

    try:
        with Image.open(io.BytesIO(scan)) as image:
            has_dpi = bool(image.info.get("dpi"))
        # A TIFF without resolution would become a page of a square metre at 96 dpi.
        layout = {} if has_dpi else {"layout_fun": img2pdf.get_fixed_dpi_layout_fun((300, 300))}
        converted = img2pdf.convert(scan, rotation=img2pdf.Rotation.ifvalid, **layout)
    except Exception as exc:  # img2pdf and Pillow raise many kinds for broken images
        raise OcrFailed(CORRUPT, code="corrupt") from exc
    if not isinstance(converted, bytes):
        raise OcrFailed(CORRUPT, code="corrupt")
    return converted


def _read_pages(pdf: bytes) -> list[_Page]:
    """Each page's text and whether it is real, via pdfium (about a millisecond a page),
    under pdfium's process-wide lock (two documents are recognised at a time)."""
    from koffer.pdf.pdfium import LOCK

    with LOCK:
        return _read_pages_locked(pdf)


def _read_pages_locked(pdf: bytes) -> list[_Page]:
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(pdf)
    except pdfium.PdfiumError as exc:
        if getattr(exc, "err_code", None) == _FPDF_ERR_PASSWORD:
            raise OcrFailed(LOCKED, code="encrypted") from exc
        raise OcrFailed(CORRUPT, code="corrupt") from exc
    try:
        if len(doc) == 0:
            raise OcrFailed(CORRUPT, code="corrupt")
        return [_read_page(doc[index]) for index in range(len(doc))]
    except pdfium.PdfiumError as exc:
        raise OcrFailed(CORRUPT, code="corrupt") from exc
    finally:
        doc.close()


def _read_page(page: Any) -> _Page:
    try:
        text = page_text(page)
        real = _plausible(text)
        scanned = not real and _has_scan_image(page)
    finally:
        page.close()
    return _Page(text=text, has_text=bool(text), real=real, scanned=scanned)


# The commonest German words: upright German text of a few lines holds several of them, the
# text tesseract reads from an upside-down page ("3ssella] alyı pun uoyjeg") hardly any.
COMMON_WORDS = frozenset(
    [
        "der",
        "die",
        "das",
        "und",
        "in",
        "zu",
        "den",
        "von",
        "mit",
        "ist",
        "nicht",
        "sie",
        "ich",
        "es",
        "auf",
        "für",
        "im",
        "dem",
        "ein",
        "eine",
        "einen",
        "einer",
        "wir",
        "ihr",
        "ihre",
        "ihren",
        "ihnen",
        "sich",
        "des",
        "an",
        "als",
        "auch",
        "bei",
        "bis",
        "zum",
        "zur",
        "wird",
        "werden",
        "wurde",
        "oder",
        "aus",
        "nach",
        "vom",
        "so",
        "wie",
        "am",
        "um",
        "über",
        "hat",
        "haben",
        "sind",
        "sein",
        "kann",
        "können",
        "sehr",
        "mir",
        "mich",
        "uns",
        "dass",
        "daß",
        "noch",
        "nur",
        "durch",
        "ab",
        "ihrer",
        "ihres",
        "geehrte",
        "geehrter",
        "damen",
        "herren",
        "freundlichen",
        "grüßen",
    ]
)
MIN_COMMON_SHARE = 0.04


def reads_german(text: str) -> bool:
    """Whether a page's text reads as German: enough of its words are among the
    commonest. Pages with little text (a form, a slip of numbers) count as read."""
    words = [w.strip(_EDGE_PUNCTUATION).lower() for w in text.split()]
    words = [w for w in words if w.isalpha()]
    if len(words) < 12:
        return True
    common = sum(1 for w in words if w in COMMON_WORDS)
    return common >= max(2, MIN_COMMON_SHARE * len(words))


def _plausible(text: str) -> bool:
    letters = sum(1 for c in text if c.isalpha())
    if letters < MIN_LETTERS:
        return False
    visible = [c for c in text if not c.isspace()]
    odd = sum(1 for c in visible if unicodedata.category(c) in ("Cc", "Cf", "Co", "Cn", "Cs"))
    odd += text.count("\ufffd")
    if odd > MAX_ODD_CHARACTER_SHARE * len(visible):
        return False
    words = [w.strip(_EDGE_PUNCTUATION) for w in text.split()]
    words = [w for w in words if w]
    plausible = sum(1 for w in words if _looks_like_word(w))
    return plausible >= MIN_PLAUSIBLE_SHARE * len(words)


def _looks_like_word(token: str) -> bool:
    if _NUMBER.match(token):
        return True
    if not _WORD.match(token):
        return False
    if len(token) <= 3:
        return True
    if not any(c in _VOWELS for c in token):
        return False
    # Normal case patterns: "wurde", "Bescheid", "SGB", "JOBCENTER"; not "WnNZ", "IIPUNaA".
    rest = token[1:]
    return rest.islower() or token.isupper() or not any(c.isupper() for c in rest[1:])


def _has_scan_image(page: Any) -> bool:
    width, height = page.get_size()
    area = max(width * height, 1.0)
    for image in page.get_objects(filter=[_FPDF_PAGEOBJ_IMAGE], max_depth=3):
        left, bottom, right, top = image.get_bounds()
        if (right - left) * (top - bottom) >= SCAN_IMAGE_AREA_SHARE * area:
            return True
    return False


def _decrypted(pdf: bytes) -> bytes:
    """ocrmypdf refuses every encrypted PDF; one restricted only by an owner password
    (pdfium opened it without one) is handed over decrypted."""
    if b"/Encrypt" not in pdf:
        return pdf
    import pikepdf

    try:
        with pikepdf.open(io.BytesIO(pdf)) as doc:
            if not doc.is_encrypted:
                return pdf
            out = io.BytesIO()
            doc.save(out)
            return out.getvalue()
    except pikepdf.PasswordError as exc:
        raise OcrFailed(LOCKED, code="encrypted") from exc
    except (pikepdf.PdfError, ValueError) as exc:
        raise OcrFailed(CORRUPT, code="corrupt") from exc


def _ocrmypdf(
    pdf: bytes, *, jobs: int, timeout_s: float, force: bool, rotate: list[int] | None = None
) -> tuple[bytes, str, bool]:
    """Run ocrmypdf in a child process group: (output PDF, its log, PDF/A requested and
    reported done). ``rotate``: only these pages (0-based), with orientation detection."""
    workers = max(1, min(int(jobs), MAX_JOBS))
    with tempfile.TemporaryDirectory(prefix="koffer-ocr-") as tmp:
        folder = Path(tmp)
        source = folder / "scan.pdf"
        target = folder / "durchsuchbar.pdf"
        source.write_bytes(pdf)
        command = [
            sys.executable,
            "-m",
            "ocrmypdf",
            "--language",
            "deu",
            "--jobs",
            str(workers),
            *(
                [
                    "--rotate-pages",
                    "--rotate-pages-threshold",
                    str(ROTATE_THRESHOLD),
                    "--pages",
                    ",".join(str(p + 1) for p in rotate),
                ]
                if rotate
                else []
            ),
            "--output-type",
            "pdfa-2",
            *(["--force-ocr"] if force else []),
            str(source),
            str(target),
        ]
        # ocrmypdf's own temporary files go into our folder, so a killed run leaves none;
        # a wide console keeps its log lines unwrapped.
        env = {**os.environ, "TMPDIR": tmp, "OMP_THREAD_LIMIT": "1", "COLUMNS": "200"}
        try:
            # ocrmypdf starts workers and tesseract: a timeout ends them all.
            finished = run_bounded(command, timeout=timeout_s, env=env)
        except subprocess.TimeoutExpired as exc:
            raise OcrFailed(TIMEOUT.format(seconds=timeout_s), code="timeout") from exc
        log = finished.stderr.decode("utf-8", "replace")
        code = finished.returncode
        if code == _EXIT_MISSING_DEPENDENCY:
            names = [name for name, _ in _missing()] or ["ein Hilfsprogramm von ocrmypdf"]
            raise StepUnavailable(_degraded(names))
        if code == _EXIT_ENCRYPTED:
            raise OcrFailed(LOCKED, code="encrypted")
        if code == _EXIT_INPUT_FILE:
            raise OcrFailed(CORRUPT, code="corrupt", detail=_last_line(log))
        if code not in (_EXIT_OK, _EXIT_PDFA_FAILED) or not target.is_file():
            raise OcrFailed(FAILED, detail=_last_line(log))
        return target.read_bytes(), log, code == _EXIT_OK


def _last_line(log: str) -> str:
    lines = [line.strip() for line in log.splitlines() if line.strip()]
    return lines[-1][:300] if lines else ""


def _is_pdfa(pdf: bytes, *, part: int | None) -> bool:
    """koffer's PDF/A check passes (against ``part`` B, or whatever level the file claims)."""
    from koffer.pdf import pdfa

    report = pdfa.check(pdf, part=part, conformance="B" if part else None)
    return report.ok and report.part is not None
