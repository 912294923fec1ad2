"""The codes printed on scanned pages: separator sheets (``KOFFER-TRENNBLATT``), koffer's
reply code on its own letters (``records.antwortcode``) and the barcodes other senders use.

Reads QR codes, DataMatrix, Code 128 and Code 39 with zxing-cpp from page images rendered
one at a time in grey (``seiten.page_images``, at most 25 megapixels a page). zxing-cpp
looks in every direction (``try_rotate``: an upside-down or sideways page), also in
scaled-down copies (``try_downscale``: large codes and noisy scans) and for light-on-dark
codes. Barcodes are read a second time from a despeckled copy when the first reading
found none (see ``_read``).

What reads (tests and a trial of 48 scans of koffer's reply code): skewed by up to 3°,
upside down, with specks and JPEG artefacts, scanned at 150, 200 or 300 dpi and read at
200 dpi, a QR code of 0.5 mm a module read every time, one of 0.33 mm on about 5 of 6
scans. Smaller modules are not reliably found.

Missing zxing-cpp raises StepUnavailable. The calling job sets the timeout; a page takes
about 0.1-0.2 s at 200 dpi on one core (rendering, reading, the despeckled second reading),
up to 0.9 s for JPEG pages of an image-only PDF on a busy machine.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from koffer.inbox.verarbeitung import StepUnavailable, seiten

if TYPE_CHECKING:
    from PIL import Image

MISSING = (
    "Barcodes und QR-Codes (Trennblätter, Antwortcodes) können nicht gelesen werden: "
    "Die Bibliothek zxing-cpp ist nicht installiert."
)
FORMATS = ("QRCode", "DataMatrix", "Code128", "Code39")
LINEAR = ("Code128", "Code39")
WORKERS = 2
# Ink (below the middle grey) in at least five of nine pixels: black.
_MAJORITY = [0] * 128 + [255] * 128


@dataclass(frozen=True)
class Code:
    page: int  # 0-based
    format: str  # zxing-cpp's name: "QRCode", "DataMatrix", "Code128", "Code39"
    text: str


def read_codes(
    scan: bytes,
    pages: Sequence[int] | None = None,
    *,
    dpi: int = 200,
    despeckle: bool = True,
) -> list[Code]:
    """The codes on ``pages`` (all when None) of a PDF or TIFF, page by page in the order
    of ``pages``, on a page from top to bottom. A code found twice on a page is listed
    once. ``despeckle=False`` for born-digital pages (no specks to filter, and the second
    reading would double the time of a page without codes). Raises StepUnavailable,
    seiten.ScanUnreadable."""
    zxingcpp = _zxingcpp()
    wanted = range(seiten.page_count(scan)) if pages is None else pages
    found: list[Code] = []

    def collect(page: int, results: list[Any]) -> None:
        seen: set[tuple[str, str]] = set()
        for result in sorted(results, key=_top_left):
            key = (result.format.name, result.text)
            if key not in seen:
                seen.add(key)
                found.append(Code(page=page, format=key[0], text=key[1]))

    # Pages are rendered one after the other (pdfium is locked) and read in two threads
    # (zxing-cpp and Pillow's filter release the GIL), a few pages ahead at most.
    pending: deque[tuple[int, Future[list[Any]]]] = deque()
    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        for page, image in seiten.page_images(scan, wanted, dpi=dpi, grayscale=True):
            pending.append((page, pool.submit(_read_closing, zxingcpp, image, despeckle)))
            while len(pending) > WORKERS * 2:
                done, future = pending.popleft()
                collect(done, future.result())
        while pending:
            done, future = pending.popleft()
            collect(done, future.result())
    return found


def _read_closing(zxingcpp: Any, image: Image.Image, despeckle: bool) -> list[Any]:
    try:
        return _read(zxingcpp, image, despeckle=despeckle)
    finally:
        image.close()


def _read(zxingcpp: Any, image: Image.Image, *, despeckle: bool = True) -> list[Any]:
    """The codes on one page image. A barcode's bars are broken by specks of dust that a
    QR code's error correction shrugs off: when no barcode is found, the page is read for
    barcodes once more after a scanner's despeckling, the majority of each pixel's 3 × 3
    neighbourhood of ink (:func:`_despeckled`)."""
    results: list[Any] = zxingcpp.read_barcodes(
        image, formats=_formats(zxingcpp, FORMATS), try_rotate=True, try_downscale=True
    )
    if not despeckle or any(r.format.name in LINEAR for r in results):
        return results
    cleaned = _despeckled(image)
    try:
        results += zxingcpp.read_barcodes(
            cleaned, formats=_formats(zxingcpp, LINEAR), try_rotate=True, try_downscale=True
        )
    finally:
        cleaned.close()
    return results


def _despeckled(image: Image.Image) -> Image.Image:
    """The grey ``image`` in black and white, each pixel black when the mean of its 3 × 3
    neighbourhood is below the middle grey: on a black-and-white page the majority of the
    nine, the very same as a 3 × 3 median filter (used until 2026-12-07), but a box blur
    and a table look-up: 26 against 64 ms of CPU a page at 200 dpi (41 pages of the
    corpus, load 19). This pass runs on every page without a barcode."""
    from PIL import ImageFilter

    return image.filter(ImageFilter.BoxBlur(1)).point(_MAJORITY)


def _zxingcpp() -> Any:
    try:
        import zxingcpp
    except ImportError as exc:
        raise StepUnavailable(MISSING) from exc
    return zxingcpp


def _formats(zxingcpp: Any, names: Sequence[str]) -> list[Any]:
    return [getattr(zxingcpp.BarcodeFormat, name) for name in names]


def _top_left(result: Any) -> tuple[int, int]:
    """Where a code starts on the page, whichever way it is turned."""
    where = result.position
    corners = (where.top_left, where.top_right, where.bottom_left, where.bottom_right)
    return (min(c.y for c in corners), min(c.x for c in corners))
