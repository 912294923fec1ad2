"""Posteingang, before OCR: scanned pages that lie askew are turned straight.

What: :func:`straightened` measures each scanned page's skew on a small grey rendering
(:func:`skew`, a projection profile: the angle at which the rows of ink are sharpest) and
replaces only the pages askew by at least :data:`MIN_DEGREES` with their image turned
straight (white corners), at the resolution and in the colour of the scan. Straight
pages keep their bytes.

Why ourselves and not ocrmypdf's ``--deskew``: ocrmypdf measures the angle with a
tesseract layout run (``--psm 2``) and then renders, turns, encodes and optimises every
page again, straight or not: about 0.7 s of CPU a page, 0.3x of the OCR itself. This
measurement costs about 0.02 s a page and leaves straight pages untouched, so ocrmypdf,
without ``--deskew``, keeps their original image (lossless) and only lays the text on
it. Deskew itself cannot go: without it tesseract read objections, applications and
court letters skewed by up to 3 degrees with twice the character errors.

How a page is turned: rendered with PDFium at the scan's resolution (as ocrmypdf renders
it), grey and colour turned bicubically with white corners; a black-and-white scan is
turned in grey and cut at the middle grey, which keeps the letters' edges smooth where
turning the black-and-white image itself (nearest neighbour, what ocrmypdf does) breaks
them into steps. A page whose scan was a JPEG becomes a JPEG again (quality
:data:`JPEG_QUALITY`, Pillow's default, which ocrmypdf's deskew stored too), black and
white CCITT G4, the rest PNG (both lossless). Like every deskew this changes the
geometry, never the content.

Measured on the corpus generator's scans (``benchmarks/inbox_corpus.py``, skew uniform
within 3 degrees): on 22 pages the angle came within 0.1 degree of the one the page was
turned by; 0.02 s of CPU a page to measure (0.05-0.1 s before :func:`skew` sheared
strips instead of columns), 0.2-0.3 s for a page turned (render, turn, encode).
:data:`MIN_DEGREES`, on the benchmark's 95 pages: with 0.5 the pay slips read worse (mean
error rate 16.0 against 10.4 % with ocrmypdf's deskew): tesseract finds a table's columns
in another order on a page askew by only 0.4 degrees; with 0.2 it was 13.8 %, and the
whole corpus's mean 8.0 % (ocrmypdf's deskew: 9.1 %).

Limits: a page counts as a scan when its largest image has the page's proportions and
at least :data:`MEASURE_DPI` if it filled the page; such a page is rendered whole, so
anything drawn over the scan is turned with it (as ocrmypdf's deskew rasterised it too).
The angle is searched within :data:`MAX_DEGREES`; a page with too little ink (blank, a
separator sheet with a code only) or whose rows are no sharper at any angle stays as it
is.
"""

from __future__ import annotations

import array
import contextlib
import io
import math
from dataclasses import dataclass

import pikepdf
from PIL import Image

from koffer.inbox.verarbeitung import seiten

# Pages askew by less are left alone (see the module docstring).
MIN_DEGREES = 0.2
# The skew searched for (scanner feeders and flatbeds stay well within this).
MAX_DEGREES = 5.0
# A turned JPEG scan is stored as JPEG again, at this quality (what ocrmypdf stored).
JPEG_QUALITY = 75
# The resolution the skew is measured at: text lines are still apart, the work is small.
MEASURE_DPI = 100
# The angle is searched in these steps, each round about the best of the one before.
STEPS = (0.5, 0.1, 0.05)
# The skew is measured on the ink averaged into strips this many pixels wide.
STRIP_PIXELS = 8
# A grey value below this is ink.
INK_BELOW = 128
# Fewer ink pixels than this share of the page: nothing to measure a skew on.
MIN_INK_SHARE = 0.002
# The sharpest rows must beat the page as it lies by this factor, or it is left as it is.
MIN_GAIN = 1.05
# Upside-down hint (see upside_down()): a row with more ink than this (0-255) belongs to a
# line; a line has at least this many rows; its core rows hold this share of its fullest
# row's ink; a page needs this many lines; upside down when the ink above the cores is
# less than this share of the ink below.
MIN_ROW_INK = 0.5
MIN_LINE_ROWS = 6
CORE_SHARE = 0.4
MIN_LINES = 8
UPSIDE_DOWN_BELOW = 0.7
# An image is the page's scan when its proportions are the page's within this share.
MAX_PROPORTION_DIFFERENCE = 0.02
GREY = ("/DeviceGray", "/CalGray")
POINTS_PER_INCH = 72.0


@dataclass(frozen=True)
class Scan:
    dpi: float  # pixels per inch (square pixels assumed)
    size: tuple[float, float]  # the page as seen (its /Rotate applied), in points
    bilevel: bool
    colour: bool
    jpeg: bool
    rotate: int  # the page's /Rotate (0, 90, 180, 270)


@dataclass(frozen=True)
class Seite:
    """A scanned page as it will be stored: its image straight (what OCR reads), the
    scan's resolution, and the page's new one-page PDF when it was turned (None: the page
    keeps its bytes)."""

    image: Image.Image
    dpi: int
    turned: bytes | None
    rotate: int  # the /Rotate of the page once the turned one replaced it
    upside_down: bool = False  # its lines look upside down (see upside_down())


def straightened(pdf: bytes) -> tuple[bytes, list[int]]:
    """``pdf`` with each scanned page askew by :data:`MIN_DEGREES` or more turned straight,
    and the pages turned (0-based). Unchanged pages keep their bytes; when no page is
    turned, ``pdf`` itself is returned. Raises seiten.ScanUnreadable."""
    return replaced(pdf, measured(pdf))


def measured(pdf: bytes) -> list[Seite | None]:
    """Each page of ``pdf`` rendered once at its scan's resolution, measured and turned
    straight when askew (see :func:`straightened`); None for a page that is no scan.
    Raises seiten.ScanUnreadable."""
    return [None if scan is None else measure(pdf, i, scan) for i, scan in enumerate(scans(pdf))]


def scans(pdf: bytes) -> list[Scan | None]:
    """Each page's scan (resolution, kind), None for a page that is no scan."""
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return [_scan_of(page) for page in doc.pages]


def measure(pdf: bytes, index: int, scan: Scan) -> Seite:
    """Page ``index`` of ``pdf`` (whose scan is ``scan``) rendered at the scan's
    resolution, measured, and turned straight when askew."""
    # One rendering a page at the scan's own resolution, measured on a smaller copy.
    dpi = round(scan.dpi)
    _, image = next(seiten.page_images(pdf, [index], dpi=dpi, grayscale=not scan.colour))
    factor = max(1, round(scan.dpi / MEASURE_DPI))
    small = image.reduce(factor) if factor > 1 else image
    angle = skew(small)
    if abs(angle) < MIN_DEGREES:
        return Seite(
            image=image, dpi=dpi, turned=None, rotate=scan.rotate, upside_down=upside_down(small)
        )
    turned = _turned(image, angle, scan)
    encoded = _encoded(turned, scan)
    page_pdf = _page_pdf(encoded, scan)
    if page_pdf is None:
        return Seite(
            image=image, dpi=dpi, turned=None, rotate=scan.rotate, upside_down=upside_down(small)
        )
    if turned.mode != "1":
        # OCR reads the new page as PDFium renders it, the image ocrmypdf reads (JPEG's
        # losses included): the turned image, a pixel wider than the page at this
        # resolution, is drawn shifted by half a pixel, which smooths it a little.
        # tesseract's layout depends on such details: on the stored pixels themselves it
        # joined a pay slip's address block with the info column beside it line by line
        # on 3 of the corpus's 95 pages ("Mustafa Frank Abrechnung August 2026"; recall
        # 87.9 against 90.9 %); on this rendering it reads the corpus as ocrmypdf did.
        _, turned = next(seiten.page_images(page_pdf, [0], dpi=dpi, grayscale=not scan.colour))
    level = turned.convert("L") if turned.mode == "1" else turned
    # The new page is the page as seen, turned straight: no /Rotate of its own.
    return Seite(
        image=turned,
        dpi=dpi,
        turned=page_pdf,
        rotate=0,
        upside_down=upside_down(level.reduce(factor) if factor > 1 else level),
    )


def replaced(pdf: bytes, pages: list[Seite | None]) -> tuple[bytes, list[int]]:
    """``pdf`` with the turned ``pages`` (from :func:`measured`) in place of its own, and
    their numbers; ``pdf`` itself when none was turned."""
    turned = {i: page.turned for i, page in enumerate(pages) if page and page.turned}
    if not turned:
        return pdf, []
    with contextlib.ExitStack() as stack:
        doc = stack.enter_context(pikepdf.open(io.BytesIO(pdf)))
        for index, page_pdf in turned.items():
            # A foreign page's data is copied when the result is written: keep it open.
            single = stack.enter_context(pikepdf.open(io.BytesIO(page_pdf)))
            doc.pages[index] = single.pages[0]
        result = io.BytesIO()
        doc.save(result)
    return result.getvalue(), sorted(turned)


def skew(image: Image.Image) -> float:
    """Degrees to turn ``image`` (counter-clockwise, Pillow's sense) to set its text lines
    level; 0.0 when there is too little ink or no angle sharpens the rows. The image is
    sheared instead of turned for each angle tried (the same for small angles, cheaper),
    and the rows' ink summed; the sum of their squares is largest when lines lie level.

    The shearing works on the page's ink averaged into strips of :data:`STRIP_PIXELS`
    columns (one image of about a hundred columns, made once), each strip moved as a
    whole: a fiftieth of the pixels to move for each of the 37 angles tried. On 31 pages
    of the corpus and the tests' pages the angle came out the same as shearing every
    column, or one step (0.05 degrees) beside it; the mean error on 16 test pages of known
    skew was the same (0.017 degrees). 16 instead of 55 ms of CPU a page at 100 dpi."""
    grey = image.convert("L")
    ink = grey.point(lambda value: 255 if value < INK_BELOW else 0)
    width, height = ink.size
    histogram = ink.histogram()
    if histogram[255] < MIN_INK_SHARE * width * height:
        return 0.0
    columns = max(1, round(width / STRIP_PIXELS))
    strips = ink.convert("F").resize((columns, height), Image.Resampling.BOX)
    strip_width = width / columns
    known: dict[float, float] = {}

    def sharpness(degrees: float) -> float:
        degrees = round(degrees, 3)
        if degrees in known:
            return known[degrees]
        shift = math.tan(math.radians(degrees))
        sheared = strips.transform(
            (columns, height),
            Image.Transform.AFFINE,
            (1, 0, 0, -shift * strip_width, 1, shift * width / 2),
            Image.Resampling.NEAREST,
        )
        rows = array.array("f", sheared.reduce((columns, 1)).tobytes())
        known[degrees] = sum(value * value for value in rows)
        return known[degrees]

    best = 0.0
    span = MAX_DEGREES
    # Each round looks about the best angle so far, in steps a fifth as wide as the last.
    for step in STEPS:
        count = round(span / step)
        best = max((best + k * step for k in range(-count, count + 1)), key=sharpness)
        span = step
    if sharpness(best) < MIN_GAIN * sharpness(0.0):
        return 0.0
    # Shearing by +a levels lines that fall by a; turning them level is a turn by -a.
    return -round(best, 2)


def upside_down(image: Image.Image) -> bool:
    """Whether the text lines of ``image`` (lying level, about :data:`MEASURE_DPI`) look
    upside down: a hint, not a verdict (OCR asks tesseract's orientation detection
    first for such a page instead of reading it the wrong way round first).

    Upright Latin script has more ink above its lines' cores (the rows of the small
    letters) than below them: capitals, ascenders (b d f h k l t) and umlaut dots stand
    above, only g j p q y reach below. Each line is a run of rows with ink, its core the
    rows with at least :data:`CORE_SHARE` of its fullest row's ink. On the corpus
    (``benchmarks/inbox_corpus.py``, 96 pages at 150-300 dpi, skewed, noisy, handwriting
    in a script font) upright pages of :data:`MIN_LINES` lines or more had 1.16-12 times
    the ink above as below, the four upside-down ones 0.33-0.47 times. Pages with fewer
    lines (a separator sheet, a slip) are never called upside down."""
    grey = image if image.mode == "L" else image.convert("L")
    ink = grey.point(lambda value: 255 if value < INK_BELOW else 0)
    height = ink.size[1]
    rows = array.array("f", ink.convert("F").resize((1, height), Image.Resampling.BOX).tobytes())
    above = below = 0.0
    lines = 0
    start = 0
    while start < height:
        if rows[start] <= MIN_ROW_INK:
            start += 1
            continue
        end = start
        while end < height and rows[end] > MIN_ROW_INK:
            end += 1
        line = rows[start:end]
        start = end
        if len(line) < MIN_LINE_ROWS:
            continue
        fullest = max(line)
        core = [k for k, value in enumerate(line) if value >= CORE_SHARE * fullest]
        above += sum(line[: core[0]])
        below += sum(line[core[-1] + 1 :])
        lines += 1
    return lines >= MIN_LINES and above < UPSIDE_DOWN_BELOW * below


def _scan_of(page: pikepdf.Page) -> Scan | None:
    """The page's scan (its resolution and kind), or None when the page is no scan: its
    largest image must have the page's proportions and at least :data:`MEASURE_DPI` if
    it filled the page (a logo or a photo on a typeset page has neither)."""
    box = page.mediabox
    width_pt = abs(float(box[2]) - float(box[0]))
    height_pt = abs(float(box[3]) - float(box[1]))
    if width_pt <= 0 or height_pt <= 0:
        return None
    try:
        images = [
            pikepdf.PdfImage(image)
            for image in page.get_images().values()
            if isinstance(image, pikepdf.Stream)
        ]
    except (pikepdf.PdfError, NotImplementedError, ValueError, KeyError):
        return None
    if not images:
        return None
    image = max(images, key=lambda found: found.width * found.height)
    rotate = int(page.obj.get("/Rotate", 0)) % 360
    turned = rotate % 180 != 0
    size = (height_pt, width_pt) if turned else (width_pt, height_pt)
    if image.width <= 0 or image.height <= 0:
        return None
    # The image's proportions either way round (a /Rotate turns the page, not the image).
    proportions = image.width / image.height
    page_proportions = width_pt / height_pt
    if abs(proportions / page_proportions - 1) > MAX_PROPORTION_DIFFERENCE:
        return None
    dpi = image.width / (width_pt / POINTS_PER_INCH)
    if dpi < MEASURE_DPI:
        return None
    filters = [str(name) for name in image.filters]
    return Scan(
        dpi=dpi,
        size=size,
        bilevel=image.bits_per_component == 1,
        colour=image.bits_per_component > 1 and image.colorspace not in GREY,
        jpeg="/DCTDecode" in filters,
        rotate=rotate,
    )


def _turned(image: Image.Image, angle: float, scan: Scan) -> Image.Image:
    """``image`` turned by ``angle`` with white corners; a black-and-white scan comes back
    black and white (mode "1")."""
    white = 255 if image.mode == "L" else (255, 255, 255)
    turned = image.rotate(angle, resample=Image.Resampling.BICUBIC, fillcolor=white)
    if scan.bilevel:
        # Turned in grey and then cut at the middle: the letters' edges stay smooth where
        # turning the black-and-white image itself (nearest neighbour, what ocrmypdf does)
        # breaks them into steps.
        turned = turned.point(lambda value: 255 if value >= INK_BELOW else 0).convert(
            "1", dither=Image.Dither.NONE
        )
    return turned


def _encoded(turned: Image.Image, scan: Scan) -> bytes:
    """The turned image encoded as it will be stored: CCITT G4, JPEG or PNG."""
    dpi = (round(scan.dpi), round(scan.dpi))
    buffer = io.BytesIO()
    if turned.mode == "1":
        turned.save(buffer, "TIFF", compression="group4", dpi=dpi)
    elif scan.jpeg:
        turned.save(buffer, "JPEG", dpi=dpi, quality=JPEG_QUALITY)
    else:
        turned.save(buffer, "PNG", dpi=dpi)
    return buffer.getvalue()


def _page_pdf(encoded: bytes, scan: Scan) -> bytes | None:
    """The encoded turned image as a one-page PDF of the scan's page size; None when
    img2pdf refuses the image (the page stays as it lies)."""
    import img2pdf

    try:
        converted: bytes = img2pdf.convert(
            encoded, layout_fun=img2pdf.get_layout_fun(scan.size, fit=img2pdf.FitMode.fill)
        )
    except Exception:  # img2pdf refuses some images (its own errors, ValueError)
        return None
    return converted
