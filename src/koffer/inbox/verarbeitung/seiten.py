"""The pages of a scan: how many, their images, and PDFs of page ranges.

A scan is the bytes of one delivered file, a PDF or a (multi-page) TIFF. Pages are
0-based here.

* ``page_images`` renders one page at a time (a generator), PDF pages with PDFium, TIFF
  pages (frames) with Pillow. Memory is bounded per page: a rendered page never has more
  than ``MAX_PIXELS`` (25 megapixels; an A4 page at 300 dpi has 8.7); a larger page is
  rendered at a lower dpi so that width × height stays within it. Measured at that bound
  (a 5 × 5 m page): 52 MB more at the peak in grey, 171 MB in colour (PDFium's bitmap
  and the image made of it). A TIFF frame has to be decoded whole before it can be
  scaled down, so a frame of more than ``MAX_FRAME_PIXELS`` (100 megapixels, the
  inspection's bound for uploads; an A3 page at 600 dpi has 70) is refused instead; the
  frame is scaled before it is turned grey, so besides the decoded frame (70 MB for that
  A3 page in black and white, 210 MB in colour) only the small result is made. TIFF
  frames are only ever scaled down to the dpi asked for, never up.
* ``extract_pdf`` copies PDF pages with pikepdf as they are: no image is decoded or
  encoded again (streams keep their bytes; inherited page attributes are taken along). A
  TIFF frame becomes a PDF page through img2pdf: a black-and-white frame (CCITT G4, LZW,
  PackBits, ...) as CCITT G4, any other frame as a PNG-predicted Flate image; both
  lossless. Frames img2pdf refuses, or all frames when img2pdf is missing, become Flate
  images (``koffer.pdf.raster``, lossless too, only larger). A JPEG-compressed TIFF frame
  is stored lossless as well, so it gets larger than the original; nothing is compressed
  lossy a second time. The page has the paper's size after the frame's dpi (200 when the
  TIFF names none; square pixels assumed).
* ``rotate`` turns pages of a PDF by setting their /Rotate, and ``join`` puts PDFs one
  after the other (pages copied as they are), for the triage.

Limits: the scan was inspected in the bounded inspection child at delivery
(``inbox.lieferung.pruefung``: page count, unpacked sizes, pixels), so what a PDF page
draws is within those bounds; this module bounds only its own bitmaps. The job that calls
it sets the timeout. Outlines, form fields and document metadata of a PDF are not carried
into extracts (scans have none that matter).
"""

from __future__ import annotations

import contextlib
import io
import math
from collections.abc import Iterator, Sequence
from typing import Any

import pikepdf
import pypdfium2 as pdfium
from PIL import Image, ImageOps, UnidentifiedImageError

from koffer.pdf import raster
from koffer.pdf.pdfium import LOCK as PDFIUM

MAX_PIXELS = 25_000_000
MAX_FRAME_PIXELS = 100_000_000
# A TIFF that names no resolution (or one no scanner writes) is taken as scanned at this dpi.
ASSUMED_TIFF_DPI = 200.0
POINTS_PER_INCH = 72.0
MIN_PAGE_POINTS = 3.0
ORIENTATION_TAG = 0x0112

PDF = "pdf"
TIFF = "tiff"


class ScanUnreadable(Exception):
    """The bytes are no readable PDF or TIFF, or a page is over a bound: a German message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


UNREADABLE_PDF = "Das PDF ist beschädigt und kann nicht gelesen werden."
UNREADABLE_TIFF = "Die TIFF-Datei ist beschädigt und kann nicht gelesen werden."


def scan_kind(scan: bytes) -> str:
    """``"pdf"`` or ``"tiff"`` by the file's first bytes. Raises ScanUnreadable."""
    # A PDF may carry a few bytes of rubbish before its header; readers accept 1 KB.
    if b"%PDF-" in scan[:1024]:
        return PDF
    if scan[:4] in (b"II*\x00", b"MM\x00*", b"II+\x00", b"MM\x00+"):
        return TIFF
    raise ScanUnreadable("Die Datei ist weder ein PDF noch eine TIFF-Datei.")


def page_count(scan: bytes) -> int:
    """The number of pages of a PDF or frames of a TIFF. Raises ScanUnreadable."""
    if scan_kind(scan) == PDF:
        with PDFIUM:
            try:
                doc = pdfium.PdfDocument(scan)
            except pdfium.PdfiumError as exc:
                raise ScanUnreadable(UNREADABLE_PDF) from exc
            try:
                return len(doc)
            finally:
                doc.close()
    with _open_tiff(scan) as img:
        try:
            return int(getattr(img, "n_frames", 1))
        except (OSError, ValueError, EOFError) as exc:
            raise ScanUnreadable(UNREADABLE_TIFF) from exc


def page_images(
    scan: bytes, pages: Sequence[int], *, dpi: int = 150, grayscale: bool = False
) -> Iterator[tuple[int, Image.Image]]:
    """``(page, image)`` for each of ``pages`` in that order, one page in memory at a time,
    at ``dpi`` or lower (see ``MAX_PIXELS``); mode "L" with ``grayscale``, else "RGB"
    (a black-and-white TIFF frame comes as "L"). Raises ScanUnreadable, IndexError."""
    count = page_count(scan)
    _check_pages(pages, count)
    if scan_kind(scan) == PDF:
        yield from _pdf_images(scan, pages, dpi, grayscale)
    else:
        yield from _tiff_images(scan, pages, dpi, grayscale)


def extract_pdf(scan: bytes, pages: Sequence[int]) -> bytes:
    """A PDF of ``pages`` in that order (a page may repeat). PDF pages are copied as they
    are; TIFF frames become PDF pages losslessly. Raises ScanUnreadable, IndexError."""
    count = page_count(scan)
    _check_pages(pages, count)
    if not pages:
        raise IndexError("an extract needs at least one page")
    out = pikepdf.new()
    if scan_kind(scan) == PDF:
        source = _open_pdf(scan)
        with source:
            for page in pages:
                out.pages.append(source.pages[page])
            return _saved(out)
    with contextlib.ExitStack() as stack:
        img = stack.enter_context(_open_tiff(scan))
        for page in pages:
            single = _frame_pdf(_frame(img, page))
            # pikepdf copies a foreign page's stream data when the result is written, so
            # each one-page PDF stays open until then.
            frame = stack.enter_context(pikepdf.open(io.BytesIO(single)))
            out.pages.append(frame.pages[0])
        return _saved(out)


def rotate(pdf: bytes, turns: dict[int, int]) -> bytes:
    """``pdf`` with page ``p`` turned clockwise by ``turns[p]`` degrees (90, 180 or 270;
    0 and multiples of 360 leave it), on top of any turn it has. Content streams are not
    touched. Raises ScanUnreadable, IndexError, ValueError."""
    for degrees in turns.values():
        if degrees % 90:
            raise ValueError(f"pages turn by multiples of 90 degrees, not {degrees}")
    with _open_pdf(pdf) as doc:
        _check_pages(list(turns), len(doc.pages))
        for page, degrees in turns.items():
            if degrees % 360:
                doc.pages[page].rotate(degrees % 360, relative=True)
        return _saved(doc)


def join(pdfs: Sequence[bytes]) -> bytes:
    """One PDF of the pages of ``pdfs`` in that order, each page copied as it is (with its
    /Rotate). Raises ScanUnreadable, IndexError (nothing to join)."""
    if not pdfs:
        raise IndexError("a join needs at least one PDF")
    out = pikepdf.new()
    with contextlib.ExitStack() as stack:
        for data in pdfs:
            # Foreign pages' streams are copied when the result is written: keep them open.
            source = stack.enter_context(_open_pdf(data))
            out.pages.extend(source.pages)
        return _saved(out)


# --- PDF --------------------------------------------------------------------------------------


def _open_pdf(data: bytes) -> Any:
    try:
        return pikepdf.open(io.BytesIO(data))
    except (pikepdf.PdfError, ValueError, OSError) as exc:
        raise ScanUnreadable(UNREADABLE_PDF) from exc


def _saved(doc: Any) -> bytes:
    out = io.BytesIO()
    # Streams keep their bytes: nothing decoded (no image is encoded again), nothing
    # recompressed; only the object table is written anew.
    doc.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    return out.getvalue()


def _pdf_scale(width_pt: float, height_pt: float, dpi: int) -> float:
    """PDFium's scale (pixels per point) for ``dpi``, lowered so that the bitmap keeps
    within MAX_PIXELS."""
    scale = dpi / POINTS_PER_INCH
    area = max(width_pt, 1.0) * max(height_pt, 1.0)
    if area * scale * scale > MAX_PIXELS:
        scale = math.sqrt(MAX_PIXELS / area)
    return scale


def _pdf_images(
    scan: bytes, pages: Sequence[int], dpi: int, grayscale: bool
) -> Iterator[tuple[int, Image.Image]]:
    with PDFIUM:
        try:
            doc = pdfium.PdfDocument(scan)
        except pdfium.PdfiumError as exc:
            raise ScanUnreadable(UNREADABLE_PDF) from exc
    try:
        for page in pages:
            with PDFIUM:  # not held while the caller works on the image
                image = _render_pdf_page(doc, page, dpi, grayscale)
            yield page, image
    finally:
        with PDFIUM:
            doc.close()


def _render_pdf_page(doc: Any, page: int, dpi: int, grayscale: bool) -> Image.Image:
    try:
        pdf_page = doc[page]
        try:
            width, height = pdf_page.get_size()
            bitmap = pdf_page.render(
                scale=_pdf_scale(width, height, dpi), grayscale=grayscale, may_draw_forms=True
            )
            try:
                wanted = "L" if grayscale else "RGB"
                image = bitmap.to_pil()
                if image.mode == wanted != "L":
                    return image  # PIL copied the colour (BGR) bitmap already
                return image.convert(wanted)  # a copy: grey shares the bitmap's memory
            finally:
                bitmap.close()
        finally:
            pdf_page.close()
    except pdfium.PdfiumError as exc:
        raise ScanUnreadable(
            f"Seite {page + 1} des PDF ist beschädigt und kann nicht gelesen werden."
        ) from exc


# --- TIFF -------------------------------------------------------------------------------------


def _open_tiff(scan: bytes) -> Image.Image:
    try:
        img = Image.open(io.BytesIO(scan))
    except (UnidentifiedImageError, Image.DecompressionBombError, OSError, ValueError) as exc:
        raise ScanUnreadable(UNREADABLE_TIFF) from exc
    if img.format != "TIFF":
        img.close()
        raise ScanUnreadable(UNREADABLE_TIFF)
    return img


def _frame(img: Image.Image, page: int) -> Image.Image:
    """Frame ``page`` decoded, its size checked before it is decoded, and turned upright
    when the TIFF's orientation tag says so. Without a turn this is ``img`` itself, valid
    until the next seek: a frame of 70 megapixels in colour is 210 MB, and not copied."""
    try:
        img.seek(page)
        if img.width * img.height > MAX_FRAME_PIXELS:
            raise ScanUnreadable(
                f"Seite {page + 1} der TIFF-Datei hat zu viele Bildpunkte "
                f"({img.width * img.height / 1e6:.0f} Mio.; erlaubt sind "
                f"{MAX_FRAME_PIXELS / 1e6:.0f} Mio.)."
            )
        img.load()
        if img.getexif().get(ORIENTATION_TAG, 1) in (1, None):
            return img
        return ImageOps.exif_transpose(img)
    except (OSError, ValueError, EOFError, SyntaxError, Image.DecompressionBombError) as exc:
        raise ScanUnreadable(
            f"Seite {page + 1} der TIFF-Datei ist beschädigt und kann nicht gelesen werden."
        ) from exc


def _frame_dpi(frame: Image.Image) -> float:
    return raster.image_dpi(frame) or ASSUMED_TIFF_DPI


def _tiff_images(
    scan: bytes, pages: Sequence[int], dpi: int, grayscale: bool
) -> Iterator[tuple[int, Image.Image]]:
    with _open_tiff(scan) as img:
        for page in pages:
            frame = _frame(img, page)
            yield page, _scaled(frame, dpi, grayscale)


def _scaled(frame: Image.Image, dpi: int, grayscale: bool) -> Image.Image:
    """A new image of the frame at ``dpi`` (never enlarged) within MAX_PIXELS, in "L" or
    "RGB". Colour is scaled before it is turned grey, so the large copy is never made."""
    flat = raster.printable(frame)  # "1", "L" or "RGB"
    mode = "L" if grayscale or flat.mode in ("1", "L") else "RGB"
    factor = min(1.0, dpi / _frame_dpi(frame))
    pixels = flat.width * flat.height * factor * factor
    if pixels > MAX_PIXELS:
        factor *= math.sqrt(MAX_PIXELS / pixels)
    if factor >= 1.0:
        return flat.convert(mode)  # a copy even in the same mode
    # Pillow scales "1" by nearest neighbour only, which breaks thin bars.
    image = flat.convert("L") if flat.mode == "1" else flat
    size = (max(1, int(flat.width * factor)), max(1, int(flat.height * factor)))
    image = image.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return image.convert(mode) if image.mode != mode else image


def _frame_pdf(decoded: Image.Image) -> bytes:
    """One TIFF frame as a one-page PDF, lossless, its page size from the frame's dpi."""
    dpi = _frame_dpi(decoded)
    frame = raster.printable(decoded)
    try:
        import img2pdf
    except ImportError:
        return _flate_pdf(frame, dpi)
    buffer = io.BytesIO()
    if frame.mode == "1":
        frame.save(buffer, "TIFF", compression="group4", dpi=(dpi, dpi))
    else:
        frame.save(buffer, "PNG", dpi=(dpi, dpi))
    try:
        converted: bytes = img2pdf.convert(
            buffer.getvalue(), layout_fun=img2pdf.get_fixed_dpi_layout_fun((dpi, dpi))
        )
    except Exception:  # img2pdf refuses some images (its own errors, ValueError): pikepdf
        return _flate_pdf(frame, dpi)
    return converted


def _flate_pdf(frame: Image.Image, dpi: float) -> bytes:
    """One image as a one-page PDF: its pixels Flate-compressed (lossless) by pikepdf."""
    doc = pikepdf.new()
    # A PDF page is at least 3 points wide and high (a sliver of a scan would be less).
    width = max(MIN_PAGE_POINTS, frame.width * POINTS_PER_INCH / dpi)
    height = max(MIN_PAGE_POINTS, frame.height * POINTS_PER_INCH / dpi)
    page = doc.add_blank_page(page_size=(width, height))
    name = page.add_resource(raster.raster_xobject(doc, frame), pikepdf.Name.XObject, prefix="Im")
    page.obj.Contents = doc.make_stream(
        f"q {width:.4f} 0 0 {height:.4f} 0 0 cm {name} Do Q".encode()
    )
    return _saved(doc)


def _check_pages(pages: Sequence[int], count: int) -> None:
    for page in pages:
        if not 0 <= page < count:
            raise IndexError(f"page {page} is not in a scan of {count} pages")
