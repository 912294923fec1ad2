"""Page images of documents, rendered on the server and cached on disk.

Nothing is rendered at ingest: the first request for a page renders it (PDF pages with
PDFium, images with Pillow, both in the bounded rendering child of ``inspection``) and writes it atomically to
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
import textwrap
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from django.conf import settings
from django.http import HttpResponse
from PIL import Image, features

from koffer.blobs.local import LocalBlobStore
from koffer.blobs.store import CHUNK_SIZE, BlobNotFound, get_store
from koffer.records.dokumente import inspection
from koffer.records.models import DokumentVersion

# Asking the rendering child for a page image (see cached_render).
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


REFUSAL_REMEMBERED_SECONDS = 3600


class PageRefused(Exception):
    """The page is over a bound (memory, time, unpacked size) and is not shown: a German
    reason for the placeholder."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


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
    # A Koffer (KOFFER_TRESOR=1) keeps its page images in memory (settings.py), never as
    # plaintext pictures of documents on its disk.
    if folder := getattr(settings, "KOFFER_PAGE_CACHE_DIR", None):
        return Path(folder)
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
    (the caller has checked page and width). Raises PageRefused when the page is over a
    bound (remembered beside the cache, so the next request does not try again)."""
    path = cache_path(source.sha256, page, width)
    if path.is_file():
        return path
    refused = path.with_name(path.name + ".refused")
    with contextlib.suppress(FileNotFoundError):
        # A refusal is remembered for a while, so that asking again and again does not
        # keep the rendering child at its limits; a timeout may have been the load's.
        if time.time() - refused.stat().st_mtime < REFUSAL_REMEMBERED_SECONDS:
            raise PageRefused(refused.read_text(encoding="utf-8"))
    # One page at a time per process: the rendering child renders one page at a time
    # anyway, and a queue here keeps the child's pipe to one request.
    with rendering_lock:
        if path.is_file():  # another thread rendered it while this one waited
            return path
        try:
            image = render(source, page, width)
        except inspection.Refused as exc:
            if exc.code == inspection.NO_PAGE:
                raise PageNotAvailable from exc
            write_atomically(refused, exc.message.encode())
            raise PageRefused(exc.message) from exc
        write_atomically(path, image)
    return path


def render_bounds() -> inspection.Bounds:
    return inspection.Bounds(
        max_unpacked_bytes=int(settings.KOFFER_INSPECT_MAX_UNPACKED_BYTES),
        max_pixels=int(settings.KOFFER_INSPECT_MAX_PIXELS),
        memory_bytes=int(settings.KOFFER_RENDER_MEMORY_BYTES),
        seconds=int(settings.KOFFER_RENDER_SECONDS),
    )


def render(source: PageSource, page: int, width: int) -> bytes:
    """The encoded page image, rendered in the rendering child: a page of a PDF can unpack
    to gigabytes (a 245 KB file once grew the web worker by 1.9 GB for one page), and
    files stored before the upload bounds existed were never checked. Raises Refused."""
    store = get_store()
    if isinstance(store, LocalBlobStore):
        # The child reads the file itself: a 100 MB PDF need not pass through this process.
        path = store.path_of(source.sha256)
        if not path.is_file():
            raise BlobNotFound(source.sha256)
        return inspection.render_contained(
            source.kind, b"", page, width, IMAGE_FORMAT, render_bounds(), path=str(path)
        )
    if getattr(store, "remote", False):
        # Object storage: the bytes pass through in chunks into a temporary file the child
        # reads (checked against the hash on the way), never whole into this process.
        with (
            _open_blob(source.sha256) as stream,
            tempfile.NamedTemporaryFile(prefix="seite-") as copy,
        ):
            while chunk := stream.read(CHUNK_SIZE):
                copy.write(chunk)
            copy.flush()
            return inspection.render_contained(
                source.kind, b"", page, width, IMAGE_FORMAT, render_bounds(), path=copy.name
            )
    with _open_blob(source.sha256) as stream:
        data = stream.read()
    return inspection.render_contained(
        source.kind, data, page, width, IMAGE_FORMAT, render_bounds()
    )


@contextlib.contextmanager
def _open_blob(sha256: str) -> Iterator[IO[bytes]]:
    stream = get_store().open(sha256)
    try:
        yield stream
    finally:
        stream.close()


UMLAUTS = str.maketrans(
    {"ä": "ae", "ö": "oe", "ü": "ue", "Ä": "Ae", "Ö": "Oe", "Ü": "Ue", "ß": "ss"}
)


def placeholder(message: str, width: int) -> bytes:
    """A page-shaped image that says in German why the page is not shown (an ``<img>``
    shows no text of an error response)."""
    from PIL import ImageDraw, ImageFont

    height = int(width * 1.414)
    image = Image.new("RGB", (width, height), (238, 238, 238))
    try:
        draw = ImageDraw.Draw(image)
        size = max(8, width // 40)
        try:  # Pillow looks in the system's font directories
            font: ImageFont.FreeTypeFont | ImageFont.ImageFont = ImageFont.truetype(
                "DejaVuSans.ttf", size
            )
        except OSError:  # Pillow's own font has no umlauts
            font = ImageFont.load_default(size=size)
            message = message.translate(UMLAUTS)
        chars = max(10, int(width / (size * 0.55)) - 2)
        text = textwrap.fill(message, width=chars)
        draw.multiline_text((size, size), text, fill=(60, 60, 60), font=font, spacing=size // 3)
        buffer = io.BytesIO()
        image.save(buffer, "PNG")
        return buffer.getvalue()
    finally:
        image.close()


def refused_response(exc: PageRefused, width: int) -> HttpResponse:
    """The placeholder for a refused page: an image (the viewer shows it where the page
    would be), not an error the page would show as a broken picture; not cached, so the
    page appears once the bounds allow it."""
    response = HttpResponse(placeholder(exc.message, width), content_type="image/png")
    response["Cache-Control"] = "private, no-store"
    return response


def write_atomically(path: Path, data: bytes) -> None:
    """Write to a temporary file beside ``path`` and rename it into place, so a reader sees
    either the complete file or none."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.replace(tmp_name, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
