"""Page images of documents, rendered on the server and cached on disk.

Nothing is rendered at ingest: the first request for a page renders it (PDF pages with
PDFium, images with Pillow) and writes it atomically to
``VAR_DIR/cache/pages/ab/<sha256>-p<page>-w<width>.<ext>``. The key is the content hash,
so every version, and every document sharing the same bytes, shares the cache; a page
image is never stale because the bytes behind a hash never change. The cache can be
deleted at any time.
"""

from __future__ import annotations

import contextlib
import io
import os
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import pypdfium2 as pdfium
from django.conf import settings
from PIL import Image, ImageOps, features

from koffer.blobs.store import get_store
from koffer.records.models import DokumentVersion

# PDFium is not thread-safe: every use in this process goes through this lock.
pdfium_lock = threading.RLock()
# Rendering and encoding a page image for the cache (see page_image).
rendering_lock = threading.Lock()

# Widths a client may ask for: a thumbnail, the viewer, and a sharp zoom. A fixed set keeps
# the cache bounded (no one can fill the disk by asking for every width).
THUMB_WIDTH = 200
VIEW_WIDTH = 1000
ZOOM_WIDTH = 1600
WIDTHS = (THUMB_WIDTH, VIEW_WIDTH, ZOOM_WIDTH)

_WEBP = features.check("webp")
IMAGE_FORMAT = "webp" if _WEBP else "png"
IMAGE_MIME = "image/webp" if _WEBP else "image/png"

PDF_MIME = "application/pdf"
RASTER_MIMES = frozenset({"image/png", "image/jpeg", "image/tiff"})


class PageNotAvailable(LookupError):
    """This version has no such page image (no rendering, page out of range, bad width)."""


@dataclass(frozen=True)
class PageSource:
    """Where the page images of a version come from: a PDF or a raster image."""

    kind: str  # "pdf" or "image"
    sha256: str


def source_of(version: DokumentVersion) -> PageSource | None:
    """The renderable form of a version: the PDF original, the PDF rendering of an Office
    file, or the image itself; None for text and for Office files without rendering."""
    if version.pdf_sha256:
        return PageSource("pdf", version.pdf_sha256)
    if version.mime_type == PDF_MIME:
        return PageSource("pdf", version.sha256)
    if version.mime_type in RASTER_MIMES:
        return PageSource("image", version.sha256)
    return None


def cache_root() -> Path:
    return Path(settings.VAR_DIR) / "cache" / "pages"


def cache_path(sha256: str, page: int, width: int) -> Path:
    return cache_root() / sha256[:2] / f"{sha256}-p{page}-w{width}.{IMAGE_FORMAT}"


def page_image(version: DokumentVersion, page: int, width: int) -> Path:
    """The cached image of page ``page`` (1-based) of ``version`` at ``width`` pixels,
    rendered now if needed. Raises PageNotAvailable."""
    source = source_of(version)
    if source is None or width not in WIDTHS or not 1 <= page <= version.page_count:
        raise PageNotAvailable
    return cached_render(source, page, width)


def cached_render(source: PageSource, page: int, width: int) -> Path:
    """The cache file of page ``page`` of ``source`` at ``width``, rendered now if needed
    (the caller has checked page and width)."""
    path = cache_path(source.sha256, page, width)
    if path.is_file():
        return path
    # One page at a time per process, encoding included: a zoom-width page is a bitmap of
    # ~15 MB plus its RGB copy, and each web thread that rendered in parallel kept its own
    # malloc arena that size (peak RSS 303 MB with eight clients asking for new pages,
    # make bench ONLY=records_web_memory). Pages are cached, so only the first view waits.
    with rendering_lock:
        if path.is_file():  # another thread rendered it while this one waited
            return path
        image = render(source, page, width)
        try:
            write_atomically(path, image)
        finally:
            image.close()
    return path


def render(source: PageSource, page: int, width: int) -> Image.Image:
    with _open_blob(source.sha256) as stream:
        if source.kind == "pdf":
            return render_pdf_page(stream, page, width)
        return render_image_frame(stream, page, width)


@contextlib.contextmanager
def _open_blob(sha256: str) -> Iterator[IO[bytes]]:
    stream = get_store().open(sha256)
    try:
        yield stream
    finally:
        stream.close()


def render_pdf_page(stream: IO[bytes], page: int, width: int) -> Image.Image:
    """Page ``page`` (1-based) of the PDF in ``stream``, ``width`` pixels wide."""
    with pdfium_lock:
        doc = pdfium.PdfDocument(stream)
        try:
            if page > len(doc):
                raise PageNotAvailable
            pdf_page = doc[page - 1]
            try:
                page_width, page_height = pdf_page.get_size()
                scale = width / max(page_width, 1.0)
                # A strip-shaped page must not become a gigantic bitmap.
                scale = min(scale, 4 * width / max(page_height, 1.0))
                bitmap = pdf_page.render(scale=scale, may_draw_forms=True)
                try:
                    image = bitmap.to_pil().convert("RGB")
                finally:
                    bitmap.close()
            finally:
                pdf_page.close()
        finally:
            doc.close()
    return image


def render_image_frame(stream: IO[bytes], frame: int, width: int) -> Image.Image:
    """Frame ``frame`` (1-based; TIFF pages) of the image in ``stream``, at most ``width``
    pixels wide, turned upright as the camera meant it."""
    with Image.open(stream) as img:
        img.seek(frame - 1)
        upright = ImageOps.exif_transpose(img)
        if upright.mode not in ("RGB", "L"):
            upright = upright.convert("RGB")
        upright.thumbnail((width, 4 * width), Image.Resampling.LANCZOS)
        return upright.copy()


def write_atomically(path: Path, image: Image.Image) -> None:
    """Write to a temporary file beside ``path`` and rename it into place, so a reader sees
    either the complete image or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    buffer = io.BytesIO()
    if IMAGE_FORMAT == "webp":
        image.save(buffer, "WEBP", quality=82, method=2)
    else:
        image.save(buffer, "PNG", optimize=False)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(buffer.getvalue())
        os.replace(tmp_name, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
