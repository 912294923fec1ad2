"""Posteingang OCR without ocrmypdf: tesseract reads each scanned page, its invisible text
layer is laid over the scan as it was delivered, and the file is made PDF/A-2b here.

What: :func:`recognise` takes an image-only PDF (every page a scan, as ``schraeglage``
recognises one) and returns it with a text layer on every page, askew pages turned
straight and upside-down pages turned upright, with XMP PDF/A-2b identification and an
sRGB OutputIntent; or None when some page is no plain scan (the caller then uses
ocrmypdf, which rasterises any page; the caller also keeps files with any text on a
page, a stamp or a garbage layer, for ocrmypdf's ``--force-ocr``, which replaces it). Whether the result is PDF/A is for the caller to
check (``koffer.pdf.pdfa.check``); only then does it claim it.

How: each page is rendered once at its scan's resolution (``schraeglage.measure``, which
also measures and turns it; a turned page is rendered again from its new image, as
ocrmypdf would render it); that image goes to ``tesseract IMAGE OUT -l deu -c
textonly_pdf=1 pdf``, single-threaded (``OMP_THREAD_LIMIT=1``), :data:`MAX_JOBS` at a
time, one process a page (tesseract starts in about 0.1 s). Its one-page PDF holds only
the invisible text (render mode 3, tesseract's embedded GlyphLessFont); it becomes a form
XObject drawn over the page, scaled to the page's size. Pages whose text does not read
(the caller's ``doubtful``) get tesseract's orientation detection (``--psm 0 -l osd``);
one facing another way with a confidence of ``rotate_threshold`` or more gets a /Rotate
(its image is not touched) and is read again upright, at once, in the worker that read
it, while the other worker reads on.

Why not ocrmypdf: on the corpus it cost 2.2-3.3x plain tesseract (CPU and wall), about
0.7 s of CPU a page above it: a Python process with its plugins per run, Ghostscript
rasterising each page for OCR although the image is at hand, Ghostscript rewriting the
whole file for PDF/A, its optimiser, and a second run over doubtful pages that OCRs them
again even when they stay as they are. Here the only OCR is tesseract's, and the scans'
images keep their very bytes (no re-encoding: what was delivered is what is shown,
TR-RESISCAN's pictorial fidelity; JPEG stays JPEG, CCITT stays CCITT).
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path

import pikepdf
from PIL import Image

from koffer.childprocess import run_bounded
from koffer.inbox.verarbeitung import schraeglage

MAX_JOBS = 2
LANGUAGE = "deu"
PRODUCER = "koffer Posteingang (tesseract, pikepdf)"
_ORIENTATION = re.compile(r"Orientation in degrees:\s*(\d+)")
_CONFIDENCE = re.compile(r"Orientation confidence:\s*([\d.]+)")
_LAYER = "/KofferOCR"


class TesseractFailed(Exception):
    """tesseract ended with an error (``detail``: its last line) or ran out of time."""

    def __init__(self, detail: str, *, timeout: bool = False) -> None:
        super().__init__(detail)
        self.detail = detail
        self.timeout = timeout


@dataclass(frozen=True)
class _Page:
    image: Image.Image  # upright and straight, what tesseract reads
    dpi: int
    rotate: int  # the /Rotate the page gets (0, 90, 180, 270)
    upside_down: bool = False  # schraeglage's hint: orientation detection before reading
    layer: bytes = b""  # tesseract's text-only one-page PDF


def recognise(
    pdf: bytes,
    *,
    jobs: int,
    timeout_s: float,
    doubtful: Callable[[bytes], list[int]],
    rotate_threshold: float,
) -> tuple[bytes, list[int]] | None:
    """(``pdf`` with text layers, made PDF/A-2b; the pages turned by 90, 180 or 270
    degrees, 0-based), or None when a page is no plain scan. ``doubtful(layer)`` is
    asked for each page's one-page text layer as soon as tesseract has read it: ``[0]``
    when its text does not read (the page then gets orientation detection). Raises
    TesseractFailed, schraeglage's ScanUnreadable, pikepdf.PdfError."""
    deadline = time.monotonic() + timeout_s
    found = schraeglage.scans(pdf)
    scans = [scan for scan in found if scan is not None]
    if len(scans) < len(found):
        return None
    workers = max(1, min(int(jobs), MAX_JOBS))
    with tempfile.TemporaryDirectory(prefix="koffer-ocr-") as tmp:
        folder = Path(tmp)
        # Each page goes to tesseract as soon as it is measured (and turned): the first
        # pages are read while the next are measured. A page whose text does not read
        # is checked for its orientation and read again in the same worker, while the
        # other worker reads on (not after all pages, with one core idle).
        measured: list[schraeglage.Seite] = []
        with ThreadPoolExecutor(workers) as pool:
            reading = []
            for index, scan in enumerate(scans):
                seite = schraeglage.measure(pdf, index, scan)
                measured.append(seite)
                page = _Page(
                    image=seite.image,
                    dpi=seite.dpi,
                    rotate=seite.rotate,
                    upside_down=seite.upside_down,
                )
                stem = folder / f"s{index:04d}"
                reading.append(
                    pool.submit(_read_upright, page, stem, deadline, doubtful, rotate_threshold)
                )
            read = [future.result() for future in reading]
        pages = [page for page, _ in read]
        turned = [index for index, (_, corrected) in enumerate(read) if corrected]
        straight, _ = schraeglage.replaced(pdf, list(measured))
        out = _layered(straight, pages)
    return out, turned


def _read_upright(
    page: _Page,
    stem: Path,
    deadline: float,
    doubtful: Callable[[bytes], list[int]],
    threshold: float,
) -> tuple[_Page, bool]:
    """``page`` with its text layer, and whether it was turned: a page whose text does
    not read (``doubtful`` of its one-page text layer) gets tesseract's orientation
    detection and, facing another way, is turned (a turn by a multiple of 90 degrees:
    Pillow transposes the pixels, no resampling) and read again. A page that
    ``schraeglage`` found looking upside down gets the orientation detection first and
    is read once, the right way round (0.6 s of orientation detection instead of a
    wasted reading of about 1.3 s)."""
    osd = stem.with_name(f"{stem.name}-osd")
    if page.upside_down:
        correction = _orientation(page, osd, deadline, threshold)
        return _read(_turned(page, correction), stem, deadline), bool(correction)
    page = _read(page, stem, deadline)
    if not doubtful(page.layer):
        return page, False
    correction = _orientation(page, osd, deadline, threshold)
    if not correction:
        return page, False
    return _read(_turned(page, correction), stem, deadline), True


def _turned(page: _Page, correction: int) -> _Page:
    """``page`` turned by ``correction`` degrees counter-clockwise (its /Rotate too)."""
    if not correction:
        return page
    return replace(
        page,
        image=page.image.rotate(correction, expand=True),
        rotate=(page.rotate - correction) % 360,
    )


def _read(page: _Page, stem: Path, deadline: float) -> _Page:
    """``page`` with its text layer read by tesseract."""
    return replace(page, layer=_tesseract_pdf(page, stem, deadline))


def _env() -> dict[str, str]:
    return {**os.environ, "OMP_THREAD_LIMIT": "1"}


def _run(command: list[str], deadline: float) -> subprocess.CompletedProcess[bytes]:
    left = deadline - time.monotonic()
    if left <= 0:
        raise TesseractFailed("timeout", timeout=True)
    try:
        done = run_bounded(command, timeout=left, env=_env())
    except subprocess.TimeoutExpired as exc:
        raise TesseractFailed("timeout", timeout=True) from exc
    if done.returncode != 0:
        lines = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise TesseractFailed((lines[-1] if lines else f"exit {done.returncode}")[:300])
    return done


def _image_file(page: _Page, stem: Path) -> Path:
    """The image as an uncompressed TIFF with its resolution (written in milliseconds;
    PNG's compression would cost a tenth of a second a page), black and white as G4."""
    path = stem.with_suffix(".tif")
    compression = "group4" if page.image.mode == "1" else "raw"
    page.image.save(path, "TIFF", compression=compression, dpi=(page.dpi, page.dpi))
    return path


def _tesseract_pdf(page: _Page, stem: Path, deadline: float) -> bytes:
    image = _image_file(page, stem)
    _run(
        ["tesseract", str(image), str(stem), "-l", LANGUAGE, "-c", "textonly_pdf=1", "pdf"],
        deadline,
    )
    layer = stem.with_suffix(".pdf")
    data = layer.read_bytes()
    image.unlink()
    layer.unlink()
    return data


def _orientation(page: _Page, stem: Path, deadline: float, threshold: float) -> int:
    """Degrees (90, 180, 270) to turn the page's image counter-clockwise to stand upright,
    0 when it stands or tesseract is not sure enough (ocrmypdf's reading of the same)."""
    image = _image_file(page, stem)
    try:
        done = _run(["tesseract", str(image), "stdout", "--psm", "0", "-l", "osd"], deadline)
    except TesseractFailed as exc:
        if exc.timeout:
            raise
        return 0  # too little text to tell ("Too few characters"): leave it
    finally:
        image.unlink()
    text = done.stdout.decode("utf-8", "replace")
    angle = _ORIENTATION.search(text)
    confidence = _CONFIDENCE.search(text)
    if angle is None or confidence is None or float(confidence.group(1)) < threshold:
        return 0
    return int(angle.group(1)) % 360


def _layered(pdf: bytes, pages: list[_Page]) -> bytes:
    """``pdf`` with each page's text layer drawn over it, its /Rotate set, PDF/A-2b
    identification and sRGB OutputIntent added."""
    with contextlib.ExitStack() as stack:
        doc = stack.enter_context(pikepdf.open(io.BytesIO(pdf)))
        for target, page in zip(doc.pages, pages, strict=True):
            layer = stack.enter_context(pikepdf.open(io.BytesIO(page.layer)))
            form = doc.copy_foreign(layer.pages[0].as_form_xobject())
            if page.rotate:
                target.obj.Rotate = page.rotate
            elif "/Rotate" in target.obj:
                del target.obj["/Rotate"]
            _draw_over(doc, target, form, layer.pages[0].mediabox, page.rotate)
        _make_pdfa(doc)
        out = io.BytesIO()
        doc.save(out)
        return out.getvalue()


def _draw_over(
    doc: pikepdf.Pdf,
    target: pikepdf.Page,
    form: pikepdf.Object,
    layer_box: pikepdf.Array,
    rotate: int,
) -> None:
    """Draw ``form`` (laid out upright, as the page is seen) over ``target``, scaled to
    the page as seen, i.e. its media box turned by ``rotate`` degrees clockwise."""
    x0, y0, x1, y1 = (float(v) for v in target.mediabox)
    width, height = x1 - x0, y1 - y0
    seen_w, seen_h = (height, width) if rotate in (90, 270) else (width, height)
    sx = seen_w / max(float(layer_box[2]) - float(layer_box[0]), 1e-6)
    sy = seen_h / max(float(layer_box[3]) - float(layer_box[1]), 1e-6)
    # From the page as seen (u, v) to its user space (x, y), by the turn /Rotate shows.
    a, b, c, d, e, f = {
        0: (1, 0, 0, 1, 0.0, 0.0),
        90: (0, 1, -1, 0, width, 0.0),
        180: (-1, 0, 0, -1, width, height),
        270: (0, -1, 1, 0, 0.0, height),
    }[rotate]
    matrix = (a * sx, b * sx, c * sy, d * sy, e + x0, f + y0)
    name = target.add_resource(form, pikepdf.Name.XObject, prefix=_LAYER[1:])
    cm = " ".join(f"{v:.6f}".rstrip("0").rstrip(".") or "0" for v in matrix)
    target.contents_add(doc.make_stream(b"q\n"), prepend=True)
    target.contents_add(doc.make_stream(f"\nQ\nq {cm} cm {name} Do Q\n".encode()))


@cache
def _srgb() -> bytes:
    from PIL import ImageCms

    return bytes(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())


def _make_pdfa(doc: pikepdf.Pdf) -> None:
    """The PDF/A-2b identification in XMP (document info kept in step) and an sRGB
    OutputIntent (the scans' DeviceGray and DeviceRGB images are covered by it)."""
    with doc.open_metadata(set_pikepdf_as_editor=False) as meta:
        meta["pdfaid:part"] = "2"
        meta["pdfaid:conformance"] = "B"
        meta["pdf:Producer"] = PRODUCER
        meta["xmp:CreatorTool"] = PRODUCER
    profile = doc.make_stream(_srgb())
    profile.N = 3
    doc.Root.OutputIntents = pikepdf.Array(
        [
            pikepdf.Dictionary(
                Type=pikepdf.Name.OutputIntent,
                S=pikepdf.Name.GTS_PDFA1,
                OutputConditionIdentifier=pikepdf.String("sRGB IEC61966-2.1"),
                Info=pikepdf.String("sRGB IEC61966-2.1"),
                DestOutputProfile=profile,
            )
        ]
    )
