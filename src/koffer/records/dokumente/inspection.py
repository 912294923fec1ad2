"""Bounded inspection of uploaded bytes: every decompression has a byte limit before it
runs, and the heavy part runs in a child process with a memory and CPU limit.

A 1 MB PDF can hold a Flate stream that inflates to 1 GB, an ODT a member that does the
same, a PNG or TIFF a picture of a billion pixels; opening such a file in the web worker
once grew it to 2.2 GB and made everybody else wait. So:

* ZIP containers (DOCX, XLSX, ODT ...) are checked by the central directory's declared
  sizes first, then every member is inflated as a stream with a byte counter (declared
  sizes can lie; nothing is kept, so memory stays flat).
* This, and the opening of PDFs and images, happens only in a child process (``python -m
  koffer.records.dokumente.inspection``, one long-lived child per process, see ``_Child``) whose
  address space is limited for life and whose CPU time is limited per file, and which is
  killed after a timeout. Inside it, pdfium first reads the page count (cheap, so a PDF
  of 100,000 pages is refused at once); then every Flate stream long enough to reach the
  cap is inflated in chunks with ``zlib.decompressobj`` up to the cap, image sizes (PDF
  image objects, PNG/JPEG/TIFF frames) are compared with a pixel limit before anything
  is decoded, and frame counts with the Mandant's limit; only then is text read.
* A stream may be drawn many times: ``/Contents [7 0 R 7 0 R 7 0 R 7 0 R]`` draws one 240
  MB stream four times, and pdfium held 2 GB to show that page. So what each page draws
  (a stream once per reference) is bounded like one stream, and all streams of the PDF
  together (each once) by a total; ``_StreamSizes`` inflates only when a bound could pass.
* Page images are rendered in a second child of the same kind (``render_contained``) with
  its own limits, and the page bound is checked there again: files stored before these
  checks existed were never inspected, and the viewer must be safe on its own.

A file over a bound is refused with a stable code and a German reason (``Refused``). This
module imports nothing from Django, so the child starts fast and needs no settings.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import resource
import select
import signal
import subprocess
import sys
import tempfile
import threading
import zipfile
import zlib
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from koffer.pdf.pdfium import page_text

MB = 1024 * 1024
CHUNK = 64 * 1024
# Deflate cannot expand more than about 1032:1 (a 258-byte match per 2 bits), so only a
# Flate stream longer than cap/1032 bytes can reach the cap and needs inflating.
DEFLATE_MAX_RATIO = 1032


class Refused(Exception):
    """A file refused by a bound or as unreadable: a stable code and a German reason."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


@dataclass(frozen=True)
class Bounds:
    """The limits one inspection works within (see settings ``KOFFER_INSPECT_*`` and the
    Mandant's page and frame limits)."""

    max_pages: int = 2000
    max_frames: int = 200
    max_unpacked_bytes: int = 256 * MB  # one PDF stream or page, one ZIP member
    max_total_unpacked_bytes: int = 2048 * MB  # all streams of a PDF together
    max_zip_bytes: int = 512 * MB  # all members of a ZIP container together
    max_pixels: int = 100_000_000  # one image (a page scanned at 600 dpi in A3 is 70 MP)
    memory_bytes: int = 1536 * MB  # address space of the child process
    seconds: int = 60  # CPU and wall-clock time of the child process
    text_pages: int | None = 3  # pages whose text is read (None: all)
    max_form_draws: int = 50_000  # form XObjects drawn for one page, nested draws multiplied
    max_form_depth: int = 12  # forms drawing forms drawing forms ...


def _mb(n: int) -> str:
    return f"{n // MB} MB"


def _bomb(bounds: Bounds, what: str, *, limit: int | None = None) -> Refused:
    return Refused(
        "unpacked_too_large",
        f"{what} würde entpackt mehr als {_mb(limit or bounds.max_unpacked_bytes)} ergeben und wird "
        "deshalb nicht angenommen (Schutz vor sogenannten Entpack-Bomben). Bitte speichern "
        "Sie die Datei neu oder als PDF und laden Sie sie erneut hoch.",
    )


# --- ZIP containers (in the child) --------------------------------------------------------------


def check_zip(data: bytes, bounds: Bounds) -> None:
    """Refuse a ZIP container whose members would inflate beyond the bounds, judged by the
    declared sizes and then by inflating each member as a counted stream."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            declared = sum(m.file_size for m in members)
            if declared > bounds.max_zip_bytes or any(
                m.file_size > bounds.max_unpacked_bytes for m in members
            ):
                raise _bomb(bounds, "Das Office-Dokument")
            total = 0
            for member in members:
                # ZipExtFile stops at the declared size and checks the CRC at the end, so
                # a member that claims less than it holds fails instead of growing.
                with archive.open(member) as stream:
                    while chunk := stream.read(CHUNK):
                        total += len(chunk)
                        if total > bounds.max_zip_bytes:
                            raise _bomb(bounds, "Das Office-Dokument")
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        OSError,
        EOFError,
    ) as exc:
        raise Refused(
            "corrupt_file", "Die Datei ist beschädigt: Ihr ZIP-Inhalt ist nicht lesbar."
        ) from exc
    except zlib.error as exc:
        raise Refused(
            "corrupt_file", "Die Datei ist beschädigt: Ihr ZIP-Inhalt ist nicht lesbar."
        ) from exc


# --- PDF (in the child) ----------------------------------------------------------------------

LOCKED_PDF_MESSAGE = (
    "Das PDF ist mit einem Kennwort zum Öffnen (Passwort) geschützt; ohne das Kennwort kann "
    "koffer es weder lesen noch anzeigen. Bitte laden Sie es ohne Passwortschutz hoch."
)
CORRUPT_PDF = "Das PDF ist beschädigt und kann nicht gelesen werden."
FPDF_ERR_PASSWORD = 4


def _too_many_pages(count: int, bounds: Bounds) -> Refused:
    return Refused(
        "too_many_pages",
        f"Das PDF hat {count:,} Seiten; erlaubt sind höchstens {bounds.max_pages:,} Seiten "
        "je Datei. Bitte teilen Sie es in kleinere Dateien auf.".replace(",", "."),
    )


def _filters(stream: Any) -> list[str]:
    import pikepdf

    value = stream.get("/Filter")
    if value is None:
        return []
    if isinstance(value, pikepdf.Array):
        return [str(v) for v in value]
    return [str(value)]


def _inflate_counted(raw: bytes, cap: int) -> int:
    """Inflate a Flate stream in chunks, never producing more than ``cap + 1`` bytes in
    all; returns how many bytes it holds (up to ``cap + 1``). Broken data counts as what
    could be inflated (pdfium is lenient the same way)."""
    inflater = zlib.decompressobj()
    total = 0
    pending = raw
    try:
        while pending and total <= cap:
            out = inflater.decompress(pending, CHUNK)
            total += len(out)
            pending = inflater.unconsumed_tail
            if not out and not pending:
                break
    except zlib.error:
        return total
    return total


FLATE = frozenset({"/FlateDecode", "/Fl"})
DECODABLE = FLATE | {"/LZWDecode", "/LZW", "/RunLengthDecode", "/RL"}


class _StreamSizes:
    """What a PDF's streams unpack to, each stream measured at most once. A Flate stream's
    raw length bounds it (times ``DEFLATE_MAX_RATIO``) for free; only when a sum of such
    bounds could pass a cap are the streams inflated, counted and each up to the cap."""

    def __init__(self, cap: int) -> None:
        self.cap = cap
        self.raw: dict[tuple[int, int], int] = {}
        self.exact: dict[tuple[int, int], int] = {}

    def _raw_length(self, stream: Any) -> int:
        key = stream.objgen
        if key not in self.raw:
            self.raw[key] = len(stream.read_raw_bytes())
        return self.raw[key]

    def possible(self, stream: Any) -> int:
        """At most what ``stream`` unpacks to, cheaply: exact for rare filter chains."""
        if stream.objgen in self.exact:
            return self.exact[stream.objgen]
        filters = _filters(stream)
        if filters and filters[0] in FLATE:
            return self._raw_length(stream) * DEFLATE_MAX_RATIO
        if any(f in DECODABLE for f in filters):
            return self.unpacked(stream)
        # Unfiltered (as long as it is) or an image codec (bounded by the pixel check).
        return self._raw_length(stream)

    def unpacked(self, stream: Any) -> int:
        """What ``stream`` unpacks to, up to ``cap + 1``."""
        import pikepdf

        key = stream.objgen
        if key not in self.exact:
            filters = _filters(stream)
            if filters and filters[0] in FLATE:
                size = _inflate_counted(stream.read_raw_bytes(), self.cap)
            elif any(f in DECODABLE for f in filters):
                # Rare chains (ASCII85 before Flate, LZW): qpdf decodes them; the child's
                # memory limit bounds it, and the size is checked afterwards.
                try:
                    size = len(stream.read_bytes())
                except pikepdf.PdfError:
                    size = 0
            else:
                size = self._raw_length(stream)
            self.exact[key] = size
        return self.exact[key]

    def over_weighted(self, streams: list[tuple[Any, int]], cap: int) -> bool:
        """Like ``over``, each stream counted ``times`` times (a form drawn 2000 times)."""
        if sum(self.possible(s) * times for s, times in streams) <= cap:
            return False
        total = 0
        for stream, times in streams:
            total += self.unpacked(stream) * times
            if total > cap:
                return True
        return False

    def over(self, streams: list[Any], cap: int) -> bool:
        """Whether ``streams`` (a stream twice if it is used twice) unpack to more than
        ``cap`` together; inflates only when their bounds could pass it, and stops there."""
        if sum(self.possible(s) for s in streams) <= cap:
            return False  # the normal case: no inflating at all
        total = 0
        for stream in streams:
            total += self.unpacked(stream)
            if total > cap:
                return True
        return False


def _page_streams(page: Any) -> list[Any]:
    """The streams drawn for a page: its content streams, once per reference (``/Contents
    [7 0 R 7 0 R]`` draws the same stream twice), and its form XObjects."""
    import pikepdf

    found: list[Any] = []
    contents = page.obj.get("/Contents")
    for item in contents if isinstance(contents, pikepdf.Array) else [contents]:
        if isinstance(item, pikepdf.Stream):
            found.append(item)
    resources = page.obj.get("/Resources")
    xobjects = resources.get("/XObject") if isinstance(resources, pikepdf.Dictionary) else None
    if isinstance(xobjects, pikepdf.Dictionary):
        for _, xobject in xobjects.items():
            if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == pikepdf.Name.Form:
                found.append(xobject)
    return found


def _forms(resources: Any) -> dict[str, Any]:
    """The form XObjects a resource dictionary names, by name ("/X0")."""
    import pikepdf

    if not isinstance(resources, pikepdf.Dictionary):
        return {}
    xobjects = resources.get("/XObject")
    if not isinstance(xobjects, pikepdf.Dictionary):
        return {}
    return {
        str(name): xobject
        for name, xobject in xobjects.items()
        if isinstance(xobject, pikepdf.Stream) and xobject.get("/Subtype") == pikepdf.Name.Form
    }


# ``/Name Do`` in a content stream, white space (NUL too) or comments between. A name may
# spell a byte as #xx; a "Do" inside an inline image or a string is counted too, which
# only errs on the safe side.
_REGULAR = rb"[^\x00\t\n\x0c\r ()<>\[\]{}/%]"
_DO = re.compile(
    rb"/(" + _REGULAR + rb"*+)(?:[\x00\t\n\x0c\r ]|%[^\r\n]*+)*+Do(?!" + _REGULAR + rb")"
)
_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")


def _drawn_names(stream: Any) -> dict[str, int]:
    """How often a content stream draws each XObject name (``/X0 Do``)."""
    counts: dict[str, int] = {}
    for match in _DO.finditer(stream.read_bytes()):
        raw = _ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), match.group(1))
        name = "/" + raw.decode("latin-1")
        counts[name] = counts.get(name, 0) + 1
    return counts


def _drawing(number: int, bounds: Bounds, why: str) -> Refused:
    return Refused(
        "unpacked_too_large",
        f"Seite {number} des PDF würde beim Zeichnen {why} und wird deshalb nicht "
        "angenommen (Schutz vor sogenannten Entpack-Bomben). Bitte speichern Sie die Datei "
        "neu oder als PDF und laden Sie sie erneut hoch.",
    )


def _check_form_draws(
    page: Any, contents: list[Any], number: int, sizes: _StreamSizes, bounds: Bounds
) -> None:
    """Refuse a page whose form XObjects, drawn through ``Do`` (a form drawn 2000 times
    counts 2000 times, forms in forms multiply), unpack to more than the cap, are drawn
    more than ``max_form_draws`` times or nest deeper than ``max_form_depth``.

    Walked level by level, each level holding every (form, resources) pair with how often
    it is drawn, so a form drawn a million times is still read once. Only forms whose
    resources name forms are read at all; the content streams were bounded before."""
    page_resources = page.obj.get("/Resources")
    if not _forms(page_resources):
        return  # text or scanned pages: nothing more to read
    weights: dict[tuple[int, int], int] = {}
    streams: dict[tuple[int, int], Any] = {}
    names: dict[tuple[int, int], dict[str, int]] = {}  # each stream is read once
    # Keyed by stream and by whose resources it draws with: the page's (0, 0) or a form's.
    Key = tuple[tuple[int, int], tuple[int, int]]
    level: dict[Key, tuple[Any, Any, int]] = {}
    for stream in contents:
        key = (stream.objgen, (0, 0))
        _, _, seen = level.get(key, (None, None, 0))
        level[key] = (stream, page_resources, seen + 1)
    draws = 0
    for depth in range(bounds.max_form_depth + 1):
        following: dict[Key, tuple[Any, Any, int]] = {}
        for (objgen, owner), (stream, resources, times) in level.items():
            forms = _forms(resources)
            if not forms:
                continue
            if objgen not in names:
                names[objgen] = _drawn_names(stream)
            for name, count in names[objgen].items():
                form = forms.get(name)
                if form is None:
                    continue
                drawn = times * count
                draws += drawn
                weights[form.objgen] = weights.get(form.objgen, 0) + drawn
                streams[form.objgen] = form
                inner, inner_owner = form.get("/Resources"), form.objgen
                if inner is None:  # inherited from where it is drawn (PDF 1.1)
                    inner, inner_owner = resources, owner
                key = (form.objgen, inner_owner)
                _, _, seen = following.get(key, (None, None, 0))
                following[key] = (form, inner, seen + drawn)
        if sizes.over_weighted(
            [(streams[k], w) for k, w in weights.items()] + [(s, 1) for s in contents],
            bounds.max_unpacked_bytes,
        ):
            raise _drawing(number, bounds, f"mehr als {_mb(bounds.max_unpacked_bytes)} entpacken")
        if draws > bounds.max_form_draws:
            limit = f"{bounds.max_form_draws:,}".replace(",", ".")
            raise _drawing(number, bounds, f"mehr als {limit} eingebettete Vorlagen zeichnen")
        if not following:
            return
        if depth == bounds.max_form_depth:
            break
        level = following
    raise _drawing(
        number,
        bounds,
        f"mehr als {bounds.max_form_depth} Ebenen ineinander verschachtelter Vorlagen zeichnen",
    )


def _content_streams(page: Any) -> list[Any]:
    import pikepdf

    contents = page.obj.get("/Contents")
    return [
        item
        for item in (contents if isinstance(contents, pikepdf.Array) else [contents])
        if isinstance(item, pikepdf.Stream)
    ]


def check_page(page: Any, number: int, sizes: _StreamSizes, bounds: Bounds) -> None:
    """Refuse page ``number`` if what is drawn for it unpacks to more than the cap: its
    content streams and forms each once first (cheap), then forms as often as drawn."""
    try:
        streams = _page_streams(page)
    except Exception:  # a broken page is pdfium's to judge, within the child's limits
        return
    if sizes.over(streams, bounds.max_unpacked_bytes):
        raise _bomb(bounds, f"Seite {number} des PDF")
    try:
        _check_form_draws(page, _content_streams(page), number, sizes, bounds)
    except Refused:
        raise
    except Exception:  # broken forms: pdfium's to judge, within the child's limits
        return


def _check_pdf_objects(pdf: Any, bounds: Bounds) -> None:
    import pikepdf

    sizes = _StreamSizes(bounds.max_unpacked_bytes)
    filtered: list[Any] = []
    for obj in pdf.objects:
        if not isinstance(obj, pikepdf.Stream):
            continue
        if obj.get("/Subtype") == pikepdf.Name.Image:
            try:
                pixels = int(obj.get("/Width", 0)) * int(obj.get("/Height", 0))
            except (TypeError, ValueError):
                pixels = 0
            if pixels > bounds.max_pixels:
                raise _too_many_pixels(pixels, bounds, "Ein Bild im PDF")
        filters = _filters(obj)
        if not any(f in DECODABLE for f in filters):
            continue  # image codecs (DCT, JBIG2, CCITT, JPX): bounded by the pixel check
        filtered.append(obj)
        # Most streams are too short to reach the cap and cost no work here.
        if sizes.possible(obj) > bounds.max_unpacked_bytes and (
            sizes.unpacked(obj) > bounds.max_unpacked_bytes
        ):
            raise _bomb(bounds, "Ein Inhalt des PDF")
    # Every stream under the cap, but together (each counted once) ...
    if sizes.over(filtered, bounds.max_total_unpacked_bytes):
        raise _bomb(bounds, "Das PDF", limit=bounds.max_total_unpacked_bytes)
    # ... and per page, where one stream may be drawn many times: a 240 MB stream named
    # four times in one page's /Contents made pdfium hold 2 GB to show that page.
    for number, page in enumerate(pdf.pages, start=1):
        check_page(page, number, sizes, bounds)


def pdf_facts(data: bytes, bounds: Bounds, decrypted_path: str) -> dict[str, Any]:
    """Pages, text and encryption of a PDF, within the bounds. A PDF that only restricts
    permissions (owner password) is written decrypted to ``decrypted_path``; a PDF that
    needs a password to open is refused."""
    import pypdfium2 as pdfium

    try:
        doc = pdfium.PdfDocument(data)
    except pdfium.PdfiumError as exc:
        if exc.err_code == FPDF_ERR_PASSWORD:
            raise Refused("encrypted_pdf", LOCKED_PDF_MESSAGE) from exc
        raise Refused("corrupt_pdf", CORRUPT_PDF) from exc
    try:
        # pdfium reads the page tree's count at once; qpdf would parse every object first
        # (seconds for 100,000 pages), so the cheap refusal comes before it.
        count = len(doc)
        if count > bounds.max_pages:
            raise _too_many_pages(count, bounds)
        if count == 0:
            raise Refused("corrupt_pdf", "Das PDF enthält keine Seiten.")
        decrypted = _check_streams(data, bounds, decrypted_path)
        last = count if bounds.text_pages is None else min(count, bounds.text_pages)
        texts = [_page_text(doc, i) for i in range(last)]
    except pdfium.PdfiumError as exc:
        raise Refused(
            "corrupt_pdf", "Das PDF ist beschädigt: Eine Seite kann nicht gelesen werden."
        ) from exc
    finally:
        doc.close()
    return {
        "page_count": count,
        "texts": texts,
        "text_complete": last == count,
        "decrypted": decrypted,
    }


def _check_streams(data: bytes, bounds: Bounds, decrypted_path: str) -> bool:
    """Bound every stream and image of the PDF (the page tree too: a count may lie), and
    write an owner-password PDF decrypted. Returns whether it did."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except pikepdf.PasswordError as exc:
        raise Refused("encrypted_pdf", LOCKED_PDF_MESSAGE) from exc
    except (pikepdf.PdfError, ValueError, OSError) as exc:
        raise Refused("corrupt_pdf", CORRUPT_PDF) from exc
    with pdf:
        try:
            pages = len(pdf.pages)
        except pikepdf.PdfError as exc:
            raise Refused("corrupt_pdf", CORRUPT_PDF) from exc
        if pages > bounds.max_pages:
            raise _too_many_pages(pages, bounds)
        _check_pdf_objects(pdf, bounds)
        if not pdf.is_encrypted:
            return False
        # Keep every stream as it is (no re-encoding); only the encryption goes.
        pdf.save(decrypted_path, stream_decode_level=pikepdf.StreamDecodeLevel.none)
        return True


def _page_text(doc: Any, index: int) -> str:
    page = doc[index]
    try:
        return page_text(page)
    finally:
        page.close()


# --- Images (in the child) -------------------------------------------------------------------


def _too_many_pixels(pixels: int, bounds: Bounds, what: str) -> Refused:
    return Refused(
        "image_too_large",
        f"{what} hat zu viele Bildpunkte ({pixels / 1e6:.0f} Mio.; erlaubt sind "
        f"{bounds.max_pixels / 1e6:.0f} Mio.) und wird nicht angenommen.",
    )


def image_facts(data: bytes, bounds: Bounds) -> dict[str, Any]:
    """The number of frames (pages) of an image, every frame's size checked before it is
    decoded and then decoded once (which catches truncated files)."""
    from PIL import Image, UnidentifiedImageError

    Image.MAX_IMAGE_PIXELS = bounds.max_pixels  # Pillow's own bomb check, same bound
    try:
        with Image.open(io.BytesIO(data)) as img:
            frames = 0
            while True:
                frames += 1
                if frames > bounds.max_frames:
                    raise Refused(
                        "too_many_frames",
                        f"Das Bild hat mehr als {bounds.max_frames} Seiten (Einzelbilder); "
                        f"erlaubt sind höchstens {bounds.max_frames} je Datei. Bitte teilen "
                        "Sie es auf oder laden Sie es als PDF hoch.",
                    )
                pixels = img.width * img.height
                if pixels > bounds.max_pixels:
                    raise _too_many_pixels(pixels, bounds, "Das Bild")
                img.load()
                try:
                    img.seek(frames)
                except EOFError:
                    break
            return {"page_count": frames}
    except Image.DecompressionBombError as exc:
        raise Refused(
            "image_too_large", "Das Bild hat zu viele Bildpunkte und wird nicht angenommen."
        ) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as exc:
        raise Refused(
            "corrupt_image", "Das Bild ist beschädigt und kann nicht gelesen werden."
        ) from exc


# --- Page images (in the child) --------------------------------------------------------------

NO_PAGE = "no_page"
RENDER_LIMIT_MESSAGE = (
    "Diese Seite kann nicht angezeigt werden: Ihre Darstellung hat die Grenzen für Speicher "
    "oder Zeit überschritten ({memory}, {seconds} s). Solche Seiten enthalten meist extrem "
    "stark gepackte Inhalte. Sie können die Datei herunterladen und selbst öffnen."
)


def _not_shown(exc: Refused) -> Refused:
    """An upload refusal reworded for the viewer: the file is stored, only not shown."""
    message = exc.message.split(" und wird", 1)[0]
    return Refused(
        exc.code,
        f"{message} und wird deshalb nicht angezeigt (Schutz vor sogenannten "
        "Entpack-Bomben). Sie können die Datei herunterladen und selbst öffnen.",
    )


def render_page(
    kind: str, data: bytes, page: int, width: int, image_format: str, bounds: Bounds
) -> bytes:
    """Page ``page`` (1-based) of a PDF, or frame ``page`` of an image, ``width`` pixels
    wide, encoded as ``image_format`` ("webp" or "png")."""
    try:
        if kind == "pdf":
            image = render_pdf_page(data, page, width, bounds)
        else:
            image = render_image_frame(data, page, width, bounds)
    except Refused as exc:
        if exc.code != "unpacked_too_large":
            raise
        raise _not_shown(exc) from exc
    try:
        buffer = io.BytesIO()
        if image_format == "webp":
            image.save(buffer, "WEBP", quality=82, method=2)
        else:
            image.save(buffer, "PNG", optimize=False)
        return buffer.getvalue()
    finally:
        image.close()


def _check_rendered_page(data: bytes, page: int, bounds: Bounds) -> None:
    """The upload's page bound again, for files stored before it existed."""
    import pikepdf

    try:
        pdf = pikepdf.open(io.BytesIO(data))
    except (pikepdf.PdfError, ValueError, OSError):
        return  # pdfium may still show it, within the child's limits
    with pdf:
        try:
            pdf_page = pdf.pages[page - 1]
        except (IndexError, pikepdf.PdfError):
            return
        check_page(pdf_page, page, _StreamSizes(bounds.max_unpacked_bytes), bounds)


def render_pdf_page(data: bytes, page: int, width: int, bounds: Bounds) -> Any:
    import pypdfium2 as pdfium

    _check_rendered_page(data, page, bounds)
    doc = pdfium.PdfDocument(data)
    try:
        if page > len(doc):
            raise Refused(NO_PAGE, "Diese Seite gibt es nicht.")
        pdf_page = doc[page - 1]
        try:
            page_width, page_height = pdf_page.get_size()
            scale = width / max(page_width, 1.0)
            # A strip-shaped page must not become a gigantic bitmap.
            scale = min(scale, 4 * width / max(page_height, 1.0))
            bitmap = pdf_page.render(scale=scale, may_draw_forms=True)
            try:
                return bitmap.to_pil().convert("RGB")
            finally:
                bitmap.close()
        finally:
            pdf_page.close()
    finally:
        doc.close()


def render_image_frame(data: bytes, frame: int, width: int, bounds: Bounds) -> Any:
    """Frame ``frame`` (1-based; TIFF pages) of an image, at most ``width`` pixels wide,
    turned upright as the camera meant it."""
    from PIL import Image, ImageOps

    Image.MAX_IMAGE_PIXELS = bounds.max_pixels
    try:
        with Image.open(io.BytesIO(data)) as img:
            try:
                img.seek(frame - 1)
            except EOFError as exc:
                raise Refused(NO_PAGE, "Diese Seite gibt es nicht.") from exc
            pixels = img.width * img.height
            if pixels > bounds.max_pixels:
                raise _too_many_pixels(pixels, bounds, "Das Bild")
            upright = ImageOps.exif_transpose(img)
            if upright.mode not in ("RGB", "L"):
                upright = upright.convert("RGB")
            upright.thumbnail((width, 4 * width), Image.Resampling.LANCZOS)
            return upright.copy()
    except Image.DecompressionBombError as exc:
        raise Refused("image_too_large", "Das Bild hat zu viele Bildpunkte.") from exc


# --- The child process -----------------------------------------------------------------------

LIMIT_MESSAGE = (
    "Die Prüfung der Datei hat die Grenzen für Speicher oder Zeit überschritten ({memory}, "
    "{seconds} s); die Datei wird deshalb nicht angenommen. Solche Dateien enthalten meist "
    "extrem stark gepackte Inhalte. Bitte speichern Sie sie neu oder als PDF."
)


def _limit_refusal(bounds: Bounds, kind: str) -> Refused:
    if kind == "render":
        return Refused(
            "render_limit",
            RENDER_LIMIT_MESSAGE.format(memory=_mb(bounds.memory_bytes), seconds=bounds.seconds),
        )
    return Refused(
        "inspection_limit",
        LIMIT_MESSAGE.format(memory=_mb(bounds.memory_bytes), seconds=bounds.seconds),
    )


LIMIT_CODES = frozenset({"inspection_limit", "render_limit"})


class _Child:
    """One long-lived inspection process, reused for many files: starting Python with
    pdfium, qpdf and Pillow costs 0.2 s or more, too much for every file of an upload. Its
    address space is limited for its whole life; its CPU time is limited per file (the
    child raises its own soft limit before each file); it is replaced after a limit was
    hit, after a timeout and after ``FILES_PER_CHILD`` files."""

    FILES_PER_CHILD = 200

    def __init__(self, memory_bytes: int) -> None:
        package_root = str(Path(__file__).resolve().parents[3])
        path = os.pathsep.join(p for p in [package_root, os.environ.get("PYTHONPATH", "")] if p)
        self.memory_bytes = memory_bytes
        self.files = 0
        self.pid_of_parent = os.getpid()
        self.process = subprocess.Popen(  # noqa: S603 - fixed argument list, no shell
            [sys.executable, "-m", "koffer.records.dokumente.inspection", str(memory_bytes)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
            start_new_session=True,
        )

    def usable(self, bounds: Bounds) -> bool:
        return (
            self.process.poll() is None
            and self.pid_of_parent == os.getpid()  # not a handle inherited through fork
            and self.memory_bytes == bounds.memory_bytes
            and self.files < self.FILES_PER_CHILD
        )

    def ask(
        self, request: dict[str, Any], data: bytes, seconds: int
    ) -> tuple[dict[str, Any], bytes] | None:
        """The child's answer and the bytes it sent after it (a page image), or None when
        it died or overran the time (then it is gone)."""
        self.files += 1
        assert self.process.stdin is not None and self.process.stdout is not None
        try:
            self.process.stdin.write(json.dumps({**request, "size": len(data)}).encode() + b"\n")
            self.process.stdin.write(data)
            self.process.stdin.flush()
        except (BrokenPipeError, OSError):
            self.end()
            return None
        ready, _, _ = select.select([self.process.stdout], [], [], seconds + 5)
        line = self.process.stdout.readline() if ready else b""
        if not line.endswith(b"\n"):  # died at a limit, or still busy after the time allowed
            self.end()
            return None
        answer: dict[str, Any] = json.loads(line)
        size = int(answer.get("payload", 0))
        payload = self.process.stdout.read(size) if size else b""
        if len(payload) != size:
            self.end()
            return None
        return answer, payload

    def end(self) -> None:
        if self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        for pipe in (self.process.stdin, self.process.stdout):
            if pipe is not None:
                with contextlib.suppress(OSError):
                    pipe.close()


# One child for inspecting uploads and one for rendering page images, so that a viewer
# never waits for an upload's inspection (up to a minute) or the other way round.
_child_lock = {"inspect": threading.Lock(), "render": threading.Lock()}
_children: dict[str, _Child] = {}


def _run(
    purpose: str, request: dict[str, Any], data: bytes, bounds: Bounds
) -> tuple[dict[str, Any], bytes]:
    """Ask the child for ``purpose`` (started or replaced as needed). Raises Refused."""
    with _child_lock[purpose]:
        child = _children.get(purpose)
        if child is None or not child.usable(bounds):
            if child is not None:
                child.end()
            child = _children[purpose] = _Child(bounds.memory_bytes)
        reply = child.ask({**request, "bounds": asdict(bounds)}, data, bounds.seconds)
        if reply is None:
            del _children[purpose]
            raise _limit_refusal(bounds, request["kind"])
        answer, payload = reply
        if "refused" in answer:
            if answer["refused"][0] in LIMIT_CODES:
                child.end()  # after a MemoryError its heap is not to be trusted
                del _children[purpose]
            raise Refused(*answer["refused"])
        if "failed" in answer:
            raise RuntimeError(f"{request['kind']} failed in the child: {answer['failed']}")
        return answer, payload


def inspect_contained(
    kind: str, data: bytes, bounds: Bounds
) -> tuple[dict[str, Any], bytes | None]:
    """Run ``pdf_facts``, ``image_facts`` or ``check_zip`` in the inspection child (RLIMIT_AS, RLIMIT_CPU,
    a timeout). Returns the facts and, for an owner-password PDF, its decrypted bytes.
    Raises Refused."""
    with tempfile.TemporaryDirectory(prefix="koffer-inspect-") as tmp:
        decrypted = Path(tmp) / "entschluesselt.pdf"
        request = {"kind": kind, "decrypted_path": str(decrypted)}
        answer, _ = _run("inspect", request, data, bounds)
        facts: dict[str, Any] = answer["facts"]
        return facts, decrypted.read_bytes() if facts.get("decrypted") else None


def render_contained(
    source_kind: str,
    data: bytes,
    page: int,
    width: int,
    image_format: str,
    bounds: Bounds,
    *,
    path: str | None = None,
) -> bytes:
    """``render_page`` in the rendering child (its own RLIMIT_AS, RLIMIT_CPU, timeout):
    the encoded page image of ``data``, or of the file at ``path`` (read by the child).
    Raises Refused (code ``no_page`` for a page that is not there)."""
    request = {
        "path": path,
        "kind": "render",
        "source": source_kind,
        "page": page,
        "width": width,
        "format": image_format,
    }
    _, payload = _run("render", request, data, bounds)
    return payload


def _serve(memory_bytes: int) -> int:
    """The child's loop: one request per line (JSON, then the file's bytes), one JSON
    answer per line; ends when the parent closes the pipe."""
    # Import the libraries before the limit, so that the limit measures the files' work.
    import pikepdf  # noqa: F401
    import pypdfium2  # noqa: F401
    from PIL import Image  # noqa: F401

    resource.setrlimit(resource.RLIMIT_AS, (memory_bytes, memory_bytes))
    source, sink = sys.stdin.buffer, sys.stdout.buffer
    while line := source.readline():
        request = json.loads(line)
        data = source.read(request["size"])
        bounds = Bounds(**request["bounds"])
        used = resource.getrusage(resource.RUSAGE_SELF)
        spent = int(used.ru_utime + used.ru_stime)
        resource.setrlimit(resource.RLIMIT_CPU, (spent + bounds.seconds, resource.RLIM_INFINITY))
        answer, payload = _answer(request, data, bounds)
        del data
        if payload:
            answer["payload"] = len(payload)
        sink.write(json.dumps(answer).encode() + b"\n")
        sink.write(payload)
        sink.flush()
    return 0


def _answer(request: dict[str, Any], data: bytes, bounds: Bounds) -> tuple[dict[str, Any], bytes]:
    kind = request["kind"]
    try:
        if request.get("path"):
            data = Path(request["path"]).read_bytes()  # a blob of the local store
        if kind == "pdf":
            return {"facts": pdf_facts(data, bounds, request["decrypted_path"])}, b""
        if kind == "image":
            return {"facts": image_facts(data, bounds)}, b""
        if kind == "zip":
            check_zip(data, bounds)
            return {"facts": {}}, b""
        if kind == "render":
            image = render_page(
                request["source"],
                data,
                request["page"],
                request["width"],
                request["format"],
                bounds,
            )
            return {"rendered": True}, image
        return {"failed": f"unknown kind {kind!r}"}, b""
    except Refused as exc:
        return {"refused": [exc.code, exc.message]}, b""
    except MemoryError:
        refusal = _limit_refusal(bounds, kind)
        return {"refused": [refusal.code, refusal.message]}, b""
    except Exception as exc:  # reported to the parent, which logs it
        return {"failed": repr(exc)[:500]}, b""


if __name__ == "__main__":
    sys.exit(_serve(int(sys.argv[1])))
