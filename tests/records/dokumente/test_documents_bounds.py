"""Uploads within bounds: decompression bombs (PDF, ZIP containers, images), page and frame
counts per Mandant, and PDFs encrypted with only an owner password. The bombs are built
on the fly: about 1 MB of file that would inflate to 1 GB."""

from __future__ import annotations

import io
import resource
import struct
import time
import zlib

import pikepdf
import pytest
from django.test import Client, override_settings
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.records.dokumente import limits, pages
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument, DokumentVersion
from koffer.tenancy.models import Mandant
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import (
    incoming,
    pdf_bytes,
    stored,
    text_pdf,
    tiff_bytes,
)

MB = 1024 * 1024
GB = 1024 * MB


# --- Bombs -------------------------------------------------------------------------------------


def zeros_deflated(size: int, *, raw: bool) -> bytes:
    """Deflate data of ``size`` zero bytes (a multiple of 1 MB) in milliseconds: after a
    full flush the compressor forgets its history, so the block for one more megabyte of
    zeros is always the same bytes and can be repeated."""
    chunk = bytes(MB)
    packer = zlib.compressobj(9, zlib.DEFLATED, -15 if raw else 15)
    first = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    again = packer.compress(chunk) + packer.flush(zlib.Z_FULL_FLUSH)
    end = packer.flush()
    body = first + again * (size // MB - 1)
    if raw:
        return body + end
    adler = ((size % 65521) << 16) | 1  # Adler-32 of zeros: a stays 1, b counts bytes
    return body + end[:-4] + struct.pack(">I", adler)


def pdf_bomb(unpacked: int = GB) -> bytes:
    """A one-page PDF whose content stream inflates to ``unpacked`` zero bytes."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    content = pikepdf.Stream(pdf, b"")
    content.write(zeros_deflated(unpacked, raw=False), filter=pikepdf.Name.FlateDecode)
    pdf.pages[0].Contents = content
    out = io.BytesIO()
    pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    return out.getvalue()


def pdf_page_bomb(stream_size: int = 200 * MB, references: int = 4) -> bytes:
    """A four-page PDF whose page 4 draws one zero-filled Flate stream ``references``
    times (``/Contents [7 0 R 7 0 R ...]``): each stream is under the per-stream cap,
    the page is not, and only three pages' text is read at upload."""
    pdf = pikepdf.new()
    for _ in range(4):
        pdf.add_blank_page(page_size=(595, 842))
    content = pikepdf.Stream(pdf, b"")
    content.write(zeros_deflated(stream_size, raw=False), filter=pikepdf.Name.FlateDecode)
    shared = pdf.make_indirect(content)
    pdf.pages[3].obj.Contents = pikepdf.Array([shared] * references)
    out = io.BytesIO()
    pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    return out.getvalue()


def pdf_form_bomb(form_size: int, draws: int, nesting: int = 0) -> bytes:
    """A one-page PDF drawing a zero-filled Flate form XObject of ``form_size`` bytes (a
    multiple of 1 MB, or 0 for a small square): the
    page draws it ``draws`` times (``/X Do``), or, with ``nesting``, draws the outermost of
    ``nesting`` forms each drawing the next ``draws`` times."""
    pdf = pikepdf.new()
    pdf.add_blank_page(page_size=(595, 842))
    form = pikepdf.Stream(pdf, b"0 0 10 10 re f\n")  # form_size 0: a small square
    if form_size:
        form.write(zeros_deflated(form_size, raw=False), filter=pikepdf.Name.FlateDecode)
    form.Type, form.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
    form.BBox = pikepdf.Array([0, 0, 10, 10])
    form = pdf.make_indirect(form)
    times = 1 if nesting else draws
    for _ in range(nesting):
        outer = pdf.make_indirect(pikepdf.Stream(pdf, b"q /X Do Q\n" * draws))
        outer.Type, outer.Subtype = pikepdf.Name.XObject, pikepdf.Name.Form
        outer.BBox = pikepdf.Array([0, 0, 10, 10])
        outer.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(X=form))
        form = outer
    page = pdf.pages[0]
    page.obj.Resources = pikepdf.Dictionary(XObject=pikepdf.Dictionary(X=form))
    page.obj.Contents = pdf.make_indirect(pikepdf.Stream(pdf, b"q /X Do Q\n" * times))
    out = io.BytesIO()
    pdf.save(out, stream_decode_level=pikepdf.StreamDecodeLevel.none, compress_streams=False)
    return out.getvalue()


def zip_with(members: list[tuple[str, bytes | int]], *, lie: bool = False) -> bytes:
    """A ZIP file written by hand: each member is either bytes (stored) or a size of zeros
    (deflated). With ``lie`` the deflated members declare 1 KB instead of their size."""
    out = io.BytesIO()
    central = []
    for name, member in members:
        encoded = name.encode()
        if isinstance(member, bytes):
            method, data, crc, size = 0, member, zlib.crc32(member), len(member)
        else:
            method, data, size = 8, zeros_deflated(member, raw=True), member
            crc = 0
            for _ in range(member // MB):
                crc = zlib.crc32(bytes(MB), crc)
        declared = 1024 if lie and method == 8 else size
        offset = out.tell()
        head = (method, 0, 0, crc, len(data), declared, len(encoded), 0)
        out.write(struct.pack("<IHHH", 0x04034B50, 20, 0, head[0]))
        out.write(struct.pack("<HHIIIHH", *head[1:]))
        out.write(encoded + data)
        central.append((encoded, head, offset))
    start = out.tell()
    for encoded, head, offset in central:
        out.write(struct.pack("<IHHHH", 0x02014B50, 20, 20, 0, head[0]))
        out.write(struct.pack("<HHIIIHHHHHII", *head[1:], 0, 0, 0, 0, offset))
        out.write(encoded)
    size = out.tell() - start
    out.write(
        struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, len(central), len(central), size, start, 0)
    )
    return out.getvalue()


ODT_MIME = b"application/vnd.oasis.opendocument.text"


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _nothing_stored(akte: Akte) -> None:
    assert Dokument.objects.for_tenant(akte.tenant_id).count() == 0
    assert DokumentVersion.objects.for_tenant(akte.tenant_id).count() == 0


# --- Decompression bombs -----------------------------------------------------------------------


def test_a_pdf_with_a_gigabyte_flate_stream_is_refused_without_growing_the_process(
    akte: Akte, team_caseworker: User
) -> None:
    bomb = pdf_bomb()
    assert len(bomb) < 2 * MB
    before = _peak_mb()
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("a.pdf", bomb))
    assert (result.outcome, result.code) == ("rejected", "unpacked_too_large")
    assert "Entpack-Bomben" in result.message and "256 MB" in result.message
    assert _peak_mb() - before < 200
    _nothing_stored(akte)


def test_a_page_drawing_one_stream_four_times_is_refused_at_upload(
    akte: Akte, team_caseworker: User
) -> None:
    bomb = pdf_page_bomb()
    assert len(bomb) < MB
    before = _peak_mb()
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("a.pdf", bomb))
    assert (result.outcome, result.code) == ("rejected", "unpacked_too_large")
    assert result.message.startswith("Seite 4 des PDF würde entpackt mehr als 256 MB")
    assert _peak_mb() - before < 200
    _nothing_stored(akte)


@pytest.mark.parametrize(
    ("form_size", "draws", "nesting"),
    [(24 * MB, 2000, 0), (4 * MB, 10, 5)],
    ids=["one-form-drawn-2000-times", "five-nested-forms-each-drawing-the-next-10-times"],
)
def test_a_page_drawing_form_xobjects_many_times_is_refused_quickly(
    akte: Akte, team_caseworker: User, form_size: int, draws: int, nesting: int
) -> None:
    # Before, only the CPU limit stopped these: 60 s of a web worker and of the child.
    bomb = pdf_form_bomb(form_size, draws, nesting)
    assert len(bomb) < 100 * 1024
    before, started = _peak_mb(), time.monotonic()
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("a.pdf", bomb))
    assert (result.outcome, result.code) == ("rejected", "unpacked_too_large")
    assert result.message.startswith(
        "Seite 1 des PDF würde beim Zeichnen mehr als 256 MB entpacken"
    )
    assert time.monotonic() - started < 10
    assert _peak_mb() - before < 200
    _nothing_stored(akte)


def test_forms_drawn_too_often_or_nested_too_deep_are_refused(
    akte: Akte, team_caseworker: User
) -> None:
    # Tiny forms, so only the number of draws and the nesting are over the bounds.
    many = pdf_form_bomb(0, 40, nesting=3)  # 64,000 draws of the innermost form
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("a.pdf", many))
    assert (result.code, result.message.split(" und wird")[0]) == (
        "unpacked_too_large",
        "Seite 1 des PDF würde beim Zeichnen mehr als 50.000 eingebettete Vorlagen zeichnen",
    )
    deep = pdf_form_bomb(0, 1, nesting=13)
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("b.pdf", deep))
    assert result.code == "unpacked_too_large"
    assert "12 Ebenen" in result.message
    _nothing_stored(akte)


def test_a_pdf_drawing_a_form_xobject_a_few_times_is_accepted(
    akte: Akte, team_caseworker: User
) -> None:
    # A letterhead drawn on a page five times (50 MB), and nested forms (16 x 1 MB).
    for name, pdf in [("a.pdf", pdf_form_bomb(10 * MB, 5)), ("b.pdf", pdf_form_bomb(MB, 4, 2))]:
        result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming(name, pdf))
        assert result.outcome == "stored", result.message


def test_all_streams_of_a_pdf_together_are_bounded_each_counted_once(
    akte: Akte, team_caseworker: User
) -> None:
    # One stream drawn once per page: no page over the cap, but the document is.
    bomb = pdf_page_bomb(references=1)
    with override_settings(KOFFER_INSPECT_MAX_PDF_TOTAL_BYTES=100 * MB):
        result = documents.ingest_file(
            actor=team_caseworker, akte=akte, file=incoming("a.pdf", bomb)
        )
    assert result.code == "unpacked_too_large"
    assert result.message.startswith("Das PDF würde entpackt mehr als 100 MB")
    # Within the total it is a valid (if odd) PDF.
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("a.pdf", bomb))
    assert result.ok, result.message


def _stored_unchecked(akte: Akte, actor: User, client: Client, data: bytes) -> str:
    """A version whose blob was swapped for ``data`` behind the upload check's back (as
    files stored before the check existed); the URL of its page 4 in the viewer."""
    doc = stored(akte, actor, "alt.pdf", text_pdf(4))
    ref = get_store().put(data)
    DokumentVersion.objects.for_tenant(akte.tenant_id).filter(dokument=doc).update(
        sha256=ref.sha256, size=len(data)
    )
    return reverse("records:dokument_page", args=[doc.pk, 1, 4, pages.ZOOM_WIDTH])


def test_the_viewer_refuses_a_page_bomb_stored_before_the_upload_check(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    url = _stored_unchecked(akte, team_caseworker, client_cw, pdf_page_bomb())
    before = _peak_mb()
    response = client_cw.get(url)
    assert _peak_mb() - before < 200
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"  # a placeholder saying why
    assert response["Cache-Control"] == "private, no-store"
    version = DokumentVersion.objects.for_tenant(akte.tenant_id).get(dokument__akte=akte)
    with pytest.raises(pages.PageRefused) as refused:
        pages.page_image(version, 4, pages.ZOOM_WIDTH)
    assert refused.value.message.startswith(
        "Seite 4 des PDF würde entpackt mehr als 256 MB ergeben und wird deshalb nicht angezeigt"
    )
    assert "herunterladen" in refused.value.message

    def no_rendering(*args: object) -> None:
        raise AssertionError("the refusal is remembered")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(pages, "render", no_rendering)
        assert client_cw.get(url)["Content-Type"] == "image/png"
    # the other pages are shown
    assert client_cw.get(url.replace("/seiten/4/", "/seiten/1/"))["Content-Type"] == (
        pages.IMAGE_MIME
    )


def test_the_viewer_refuses_a_form_xobject_bomb_stored_before_the_upload_check(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    url = _stored_unchecked(akte, team_caseworker, client_cw, pdf_form_bomb(24 * MB, 2000))
    url = url.replace("/seiten/4/", "/seiten/1/")
    started = time.monotonic()
    assert client_cw.get(url)["Content-Type"] == "image/png"  # a placeholder saying why
    assert time.monotonic() - started < 10
    version = DokumentVersion.objects.for_tenant(akte.tenant_id).get(dokument__akte=akte)
    with pytest.raises(pages.PageRefused) as refused:
        pages.page_image(version, 1, pages.ZOOM_WIDTH)
    assert refused.value.message.startswith(
        "Seite 1 des PDF würde beim Zeichnen mehr als 256 MB entpacken und wird deshalb nicht "
        "angezeigt"
    )


def test_a_page_over_the_rendering_memory_limit_gets_a_placeholder(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    # Past the page check (raised), into pdfium: the child's memory limit stops it.
    url = _stored_unchecked(akte, team_caseworker, client_cw, pdf_page_bomb())
    before = _peak_mb()
    with override_settings(
        KOFFER_INSPECT_MAX_UNPACKED_BYTES=4 * GB, KOFFER_RENDER_MEMORY_BYTES=600 * MB
    ):
        response = client_cw.get(url)
        assert _peak_mb() - before < 200
        assert response.status_code == 200 and response["Content-Type"] == "image/png"
        version = DokumentVersion.objects.for_tenant(akte.tenant_id).get(dokument__akte=akte)
        with pytest.raises(pages.PageRefused) as refused:
            pages.page_image(version, 4, pages.ZOOM_WIDTH)
    assert refused.value.message.startswith("Diese Seite kann nicht angezeigt werden")
    assert "600 MB" in refused.value.message


@pytest.mark.parametrize("lie", [False, True], ids=["honest-sizes", "lying-sizes"])
def test_an_odt_whose_first_member_inflates_to_a_gigabyte_is_refused(
    akte: Akte, team_caseworker: User, lie: bool
) -> None:
    bomb = zip_with([("mimetype", GB), ("content.xml", b"<x/>")], lie=lie)
    assert len(bomb) < 2 * MB
    before = _peak_mb()
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("a.odt", bomb))
    assert result.outcome == "rejected"
    if lie:  # inflating stops at the declared size, then the checksum fails
        assert result.code == "corrupt_file" and "beschädigt" in result.message
    else:
        assert result.code == "unpacked_too_large" and "Entpack-Bomben" in result.message
    assert _peak_mb() - before < 200
    _nothing_stored(akte)


def test_a_docx_with_a_bomb_member_is_refused_before_libreoffice_sees_it(
    akte: Akte, team_caseworker: User
) -> None:
    bomb = zip_with([("[Content_Types].xml", b"<Types/>"), ("word/document.xml", GB)])
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("b.docx", bomb))
    assert result.code == "unpacked_too_large"
    _nothing_stored(akte)


def test_an_image_with_too_many_pixels_is_refused(akte: Akte, team_caseworker: User) -> None:
    from PIL import Image

    out = io.BytesIO()
    Image.new("1", (12_000, 12_000)).save(out, "PNG")  # 144 million pixels, 200 KB
    with override_settings(KOFFER_INSPECT_MAX_PIXELS=100_000_000):
        result = documents.ingest_file(
            actor=team_caseworker, akte=akte, file=incoming("riesig.png", out.getvalue())
        )
    assert result.code == "image_too_large"
    assert "144 Mio." in result.message
    _nothing_stored(akte)


def test_a_child_over_its_memory_limit_is_refused_with_the_reason(
    akte: Akte, team_caseworker: User
) -> None:
    # Below the per-stream cap, but far above the memory the child is given.
    with override_settings(
        KOFFER_INSPECT_MEMORY_BYTES=300 * MB, KOFFER_INSPECT_MAX_UNPACKED_BYTES=2 * GB
    ):
        result = documents.ingest_file(
            actor=team_caseworker, akte=akte, file=incoming("a.pdf", pdf_bomb(512 * MB))
        )
    assert result.outcome == "rejected"
    assert result.code in {"inspection_limit", "unpacked_too_large"}
    _nothing_stored(akte)


# --- Page and frame counts ---------------------------------------------------------------------


def raw_pdf_with_pages(count: int) -> bytes:
    """A PDF of ``count`` empty pages written directly (pikepdf needs minutes for 100,000)."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Count %d /Kids [%s] >>"
        % (count, b" ".join(b"%d 0 R" % (i + 3) for i in range(count))),
    ]
    objects += [b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>"] * count
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n%s\nendobj\n" % (number, body))
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.write(b"".join(b"%010d 00000 n \n" % o for o in offsets))
    out.write(
        b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    )
    return out.getvalue()


def test_a_pdf_with_100000_pages_is_refused_by_default(akte: Akte, team_caseworker: User) -> None:
    data = raw_pdf_with_pages(100_000)
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("d.pdf", data))
    assert result.code == "too_many_pages"
    assert "100.000 Seiten" in result.message and "höchstens 2.000 Seiten" in result.message
    _nothing_stored(akte)


def test_the_mandant_sets_its_own_page_limit(akte: Akte, team_caseworker: User) -> None:
    Mandant.objects.filter(pk=akte.tenant_id).update(max_pages_per_file=5)
    refused = documents.ingest_file(
        actor=team_caseworker, akte=akte, file=incoming("sechs.pdf", text_pdf(6))
    )
    assert refused.code == "too_many_pages"
    assert "höchstens 5 Seiten" in refused.message
    assert documents.ingest_file(
        actor=team_caseworker, akte=akte, file=incoming("fuenf.pdf", text_pdf(5))
    ).ok


def test_a_tiff_with_300_frames_is_refused_and_the_mandant_may_allow_more(
    akte: Akte, team_caseworker: User
) -> None:
    data = tiff_bytes(300)
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("f.tif", data))
    assert result.code == "too_many_frames"
    assert "höchstens 200" in result.message
    _nothing_stored(akte)
    Mandant.objects.filter(pk=akte.tenant_id).update(max_image_frames=300)
    stored = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("f.tif", data))
    assert stored.ok and stored.dokument is not None
    assert stored.dokument.page_count == 300


# --- Encrypted PDFs ----------------------------------------------------------------------------


def _owner_only_pdf() -> bytes:
    source = pikepdf.open(io.BytesIO(text_pdf(2, marker="Geheimvermerk")))
    out = io.BytesIO()
    source.save(
        out,
        encryption=pikepdf.Encryption(
            user="", owner="nur-fuer-den-absender", allow=pikepdf.Permissions(extract=False)
        ),
    )
    return out.getvalue()


def test_a_pdf_with_only_an_owner_password_is_decrypted_and_the_original_kept(
    akte: Akte, team_caseworker: User, client_cw: Client
) -> None:
    original = _owner_only_pdf()
    assert pikepdf.open(io.BytesIO(original)).is_encrypted
    result = documents.ingest_file(
        actor=team_caseworker, akte=akte, file=incoming("bescheid.pdf", original)
    )
    assert result.ok, result.message
    assert any("entschlüsselte Kopie" in n for n in result.notes)
    version = result.version
    assert version is not None
    assert "Geheimvermerk" in version.text
    with get_store().open(version.sha256) as stream:
        assert stream.read() == original  # as delivered
    assert version.pdf_sha256
    with get_store().open(version.pdf_sha256) as stream:
        copy = pikepdf.open(io.BytesIO(stream.read()))
    assert not copy.is_encrypted and len(copy.pages) == 2
    event = AuditEvent.objects.get(tenant_id=akte.tenant_id, action="records.dokument.create")
    assert event.changes["pdf_sha256"] == version.pdf_sha256
    assert event.changes["decrypted"] is True
    # the viewer shows the decrypted copy
    assert pages.source_of(version) == pages.PageSource("pdf", version.pdf_sha256)
    assert result.dokument is not None
    url = reverse("records:dokument_page", args=[result.dokument.pk, 1, 1, pages.VIEW_WIDTH])
    assert client_cw.get(url).status_code == 200


def test_a_pdf_that_needs_a_password_to_open_is_refused_saying_why(
    akte: Akte, team_caseworker: User
) -> None:
    data = pdf_bytes(["Vertraulich"], encrypt="geheim")
    result = documents.ingest_file(actor=team_caseworker, akte=akte, file=incoming("g.pdf", data))
    assert result.code == "encrypted_pdf"
    assert "Kennwort zum Öffnen" in result.message
    _nothing_stored(akte)


@override_settings(KOFFER_INSPECT_SECONDS=20, KOFFER_INSPECT_JOB_SECONDS=60)
def test_an_upload_waits_less_for_inspection_than_the_full_text_job() -> None:
    # A web worker waits for the upload's inspection; nobody waits for the job's.
    assert limits.inspection_bounds(None).seconds == 20
    assert limits.inspection_bounds(None, text_pages=None).seconds == 60
