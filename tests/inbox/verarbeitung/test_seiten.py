"""Pages of real scans: counted, rendered one at a time within a pixel bound, extracted
into PDFs without losing a pixel, turned."""

from __future__ import annotations

import io
import sys

import pikepdf
import pytest
from PIL import Image, ImageChops

from koffer.inbox.verarbeitung import seiten
from tests.inbox.verarbeitung import bilder


def blank_pdf(sizes: list[tuple[float, float]]) -> bytes:
    doc = pikepdf.new()
    for size in sizes:
        doc.add_blank_page(page_size=size)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def page_images_of(pdf: bytes) -> list[tuple[str, Image.Image, list[float]]]:
    """Per page: the image's filter, the image decoded, the MediaBox."""
    found = []
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        for page in doc.pages:
            (stream,) = page.get_images().values()
            image = pikepdf.PdfImage(stream)
            found.append((_filter(stream), image.as_pil_image(), [float(v) for v in page.mediabox]))
    return found


def _filter(stream: pikepdf.Object) -> str:
    value = stream.get("/Filter")
    return str(value[0] if isinstance(value, pikepdf.Array) else value)


def same_pixels(a: Image.Image, b: Image.Image) -> bool:
    a, b = a.convert("L"), b.convert("L")
    return a.size == b.size and ImageChops.difference(a, b).getbbox() is None


@pytest.fixture(scope="module")
def sheets() -> list[Image.Image]:
    """Three small grey pages at 100 dpi, each a little different."""
    return [bilder.page(dpi=100, seed=i, lines=5 + i) for i in range(3)]


# --- page_count and kinds -----------------------------------------------------------------


def test_page_count_of_pdf_and_tiff(sheets):
    assert seiten.page_count(bilder.pdf(sheets, dpi=100)) == 3
    black_white = [bilder.bilevel(s) for s in sheets]
    assert seiten.page_count(bilder.tiff(black_white, compression="group4", dpi=100)) == 3
    assert seiten.page_count(bilder.tiff(sheets[:2], compression="tiff_lzw", dpi=100)) == 2


@pytest.mark.parametrize(
    "data",
    [b"", b"Hallo Welt", b"\x89PNG\r\n\x1a\n" + b"\0" * 40, b"%PDF-1.7\nkaputt", b"II*\x00kaputt"],
)
@pytest.mark.filterwarnings("ignore::UserWarning")  # Pillow on the broken TIFF's header
def test_anything_else_is_unreadable(data):
    with pytest.raises(seiten.ScanUnreadable) as caught:
        seiten.page_count(data)
    assert caught.value.message


# --- page_images ----------------------------------------------------------------------------


def test_pdf_pages_are_rendered_in_the_order_asked_at_the_dpi_asked():
    data = blank_pdf([(595, 842), (842, 595), (300, 300)])
    rendered = list(seiten.page_images(data, [2, 0], dpi=144))
    assert [page for page, _ in rendered] == [2, 0]
    assert [image.size for _, image in rendered] == [(600, 600), (1190, 1684)]
    assert {image.mode for _, image in rendered} == {"RGB"}
    grey = dict(seiten.page_images(data, [1], dpi=72, grayscale=True))
    assert grey[1].mode == "L"
    assert grey[1].size == (842, 595)


def test_pages_are_rendered_one_at_a_time(monkeypatch):
    rendered: list[int] = []
    real = seiten._render_pdf_page

    def counting(doc, page, dpi, grayscale):
        rendered.append(page)
        return real(doc, page, dpi, grayscale)

    monkeypatch.setattr(seiten, "_render_pdf_page", counting)
    images = seiten.page_images(blank_pdf([(595, 842)] * 4), [0, 1, 2, 3], dpi=36)
    assert rendered == []
    next(images)
    assert rendered == [0]
    images.close()


def test_a_huge_pdf_page_is_rendered_within_the_pixel_bound():
    # 5000 × 5000 points (1.76 m square) at 150 dpi would be 108 megapixels.
    data = blank_pdf([(5000, 5000)])
    ((_, image),) = seiten.page_images(data, [0], dpi=150, grayscale=True)
    pixels = image.width * image.height
    assert 0.95 * seiten.MAX_PIXELS <= pixels <= seiten.MAX_PIXELS


def test_tiff_frames_are_scaled_down_to_the_dpi_but_never_up(sheets):
    at_100 = bilder.tiff(sheets, compression="tiff_lzw", dpi=100)
    (_, half), (_, same) = [
        *seiten.page_images(at_100, [1], dpi=50),
        *seiten.page_images(at_100, [1], dpi=300),
    ]
    assert half.size == (sheets[1].width // 2, sheets[1].height // 2)
    assert same.size == sheets[1].size
    assert same_pixels(same, sheets[1])


def test_black_and_white_tiff_frames_come_in_grey(sheets):
    data = bilder.tiff([bilder.bilevel(s) for s in sheets], compression="group4", dpi=100)
    ((page, image),) = seiten.page_images(data, [2], dpi=100)
    assert page == 2
    assert image.mode == "L"
    assert same_pixels(image, bilder.bilevel(sheets[2]))


def test_a_tiff_frame_is_turned_upright_by_its_orientation_tag():
    frame = Image.new("L", (60, 40), 255)
    frame.paste(0, (0, 0, 10, 10))  # a mark in the top left corner
    out = io.BytesIO()
    frame.save(out, "TIFF", compression="tiff_lzw", dpi=(100, 100), tiffinfo={0x0112: 3})
    ((_, image),) = seiten.page_images(out.getvalue(), [0], dpi=100)
    assert same_pixels(image, frame.rotate(180))
    ((_, extracted, _),) = page_images_of(seiten.extract_pdf(out.getvalue(), [0]))
    assert same_pixels(extracted, frame.rotate(180))


def test_a_big_tiff_frame_is_scaled_within_the_pixel_bound(monkeypatch, sheets):
    monkeypatch.setattr(seiten, "MAX_PIXELS", 100_000)
    data = bilder.tiff(sheets[:1], compression="tiff_lzw", dpi=100)
    ((_, image),) = seiten.page_images(data, [0], dpi=100)
    assert 90_000 <= image.width * image.height <= 100_000


def test_a_tiff_frame_over_the_decoding_bound_is_refused(monkeypatch, sheets):
    monkeypatch.setattr(seiten, "MAX_FRAME_PIXELS", 10_000)
    data = bilder.tiff(sheets[:2], compression="tiff_lzw", dpi=100)
    with pytest.raises(seiten.ScanUnreadable) as caught:
        list(seiten.page_images(data, [1]))
    assert caught.value.message.startswith("Seite 2 der TIFF-Datei hat zu viele Bildpunkte")


def test_a_page_outside_the_scan_is_the_callers_error():
    with pytest.raises(IndexError):
        list(seiten.page_images(blank_pdf([(595, 842)]), [1]))


# --- extract_pdf ----------------------------------------------------------------------------


def test_pdf_pages_are_copied_in_the_order_asked_without_encoding_again(sheets):
    scan = bilder.pdf(sheets, dpi=100)
    extract = seiten.extract_pdf(scan, [2, 0])
    with pikepdf.open(io.BytesIO(scan)) as source, pikepdf.open(io.BytesIO(extract)) as out:
        assert len(out.pages) == 2
        for out_page, source_index in zip(out.pages, [2, 0], strict=True):
            (original,) = source.pages[source_index].get_images().values()
            (copied,) = out_page.get_images().values()
            assert copied.read_raw_bytes() == original.read_raw_bytes()
            assert copied.get("/Filter") == original.get("/Filter")


INHERITING_PDF = b"""%PDF-1.4
1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj
2 0 obj << /Type /Pages /Kids [3 0 R 4 0 R] /Count 2 /MediaBox [0 0 300 400] /Rotate 90
  /Resources << /Font << /F1 5 0 R >> >> >> endobj
3 0 obj << /Type /Page /Parent 2 0 R /Contents 6 0 R >> endobj
4 0 obj << /Type /Page /Parent 2 0 R /Contents 7 0 R >> endobj
5 0 obj << /Type /Font /Subtype /Type1 /BaseFont /Helvetica >> endobj
6 0 obj << /Length 36 >> stream
BT /F1 24 Tf 20 200 Td (Eins) Tj ET
endstream endobj
7 0 obj << /Length 37 >> stream
BT /F1 24 Tf 20 200 Td (Zwei!) Tj ET
endstream endobj
trailer << /Root 1 0 R >>
%%EOF
"""


def test_inherited_page_attributes_are_taken_along():
    import pypdfium2 as pdfium

    extract = seiten.extract_pdf(INHERITING_PDF, [1])
    doc = pdfium.PdfDocument(extract)
    try:
        assert len(doc) == 1
        page = doc[0]
        assert page.get_size() == (400, 300)  # MediaBox 300 × 400, turned by 90 degrees
        assert page.get_textpage().get_text_range().strip() == "Zwei!"
    finally:
        doc.close()


def test_a_page_may_be_extracted_twice():
    extract = seiten.extract_pdf(blank_pdf([(595, 842), (300, 300)]), [1, 1])
    with pikepdf.open(io.BytesIO(extract)) as out:
        assert [float(p.mediabox[2]) for p in out.pages] == [300, 300]


def test_an_extract_needs_a_page():
    with pytest.raises(IndexError):
        seiten.extract_pdf(blank_pdf([(595, 842)]), [])


def test_g4_tiff_frames_become_ccitt_pages_without_losing_a_pixel(sheets):
    black_white = [bilder.bilevel(s) for s in sheets]
    scan = bilder.tiff(black_white, compression="group4", dpi=100)
    extracted = page_images_of(seiten.extract_pdf(scan, [1, 0]))
    assert [f for f, _, _ in extracted] == ["/CCITTFaxDecode"] * 2
    assert same_pixels(extracted[0][1], black_white[1])
    assert same_pixels(extracted[1][1], black_white[0])
    # The page has the paper's size: pixels at 100 dpi in points.
    width, height = sheets[1].size
    assert extracted[0][2] == pytest.approx([0, 0, width * 0.72, height * 0.72], abs=0.01)


def test_lzw_tiff_frames_become_pages_without_losing_a_pixel(sheets):
    black_white = [bilder.bilevel(s) for s in sheets]
    grey = bilder.tiff(sheets, compression="tiff_lzw", dpi=100)
    bw = bilder.tiff(black_white, compression="tiff_lzw", dpi=100)
    ((grey_filter, grey_image, _),) = page_images_of(seiten.extract_pdf(grey, [2]))
    ((bw_filter, bw_image, _),) = page_images_of(seiten.extract_pdf(bw, [2]))
    assert grey_filter == "/FlateDecode"
    assert same_pixels(grey_image, sheets[2])
    assert bw_filter == "/CCITTFaxDecode"
    assert same_pixels(bw_image, black_white[2])


def test_packbits_and_colour_tiff_frames_too(sheets):
    colour = [s.convert("RGB") for s in sheets]
    packbits = [bilder.bilevel(s) for s in sheets]
    for frames, compression in [(colour, "tiff_lzw"), (packbits, "packbits")]:
        scan = bilder.tiff(frames, compression=compression, dpi=100)
        ((_, image, _),) = page_images_of(seiten.extract_pdf(scan, [1]))
        assert same_pixels(image, frames[1])


@pytest.mark.parametrize("how", ["refuses", "missing"])
def test_without_img2pdf_frames_become_flate_pages_without_losing_a_pixel(monkeypatch, sheets, how):
    if how == "missing":
        monkeypatch.setitem(sys.modules, "img2pdf", None)
    else:
        import img2pdf

        def refuse(*args, **kwargs):
            raise img2pdf.ImageOpenError("refused")

        monkeypatch.setattr(img2pdf, "convert", refuse)
    black_white = [bilder.bilevel(s) for s in sheets]
    for frames, compression in [(black_white, "group4"), (sheets, "tiff_lzw")]:
        scan = bilder.tiff(frames, compression=compression, dpi=100)
        ((flate, image, box),) = page_images_of(seiten.extract_pdf(scan, [2]))
        assert flate == "/FlateDecode"
        assert same_pixels(image, frames[2])
        width, height = frames[2].size
        assert box == pytest.approx([0, 0, width * 0.72, height * 0.72], abs=0.01)


def test_a_transparent_tiff_frame_is_laid_on_white():
    frame = Image.new("RGBA", (50, 40), (0, 0, 0, 0))
    frame.paste((0, 0, 0, 255), (10, 10, 20, 20))
    scan = bilder.tiff([frame], compression="tiff_lzw", dpi=100)
    ((_, image, _),) = page_images_of(seiten.extract_pdf(scan, [0]))
    expected = Image.new("RGB", (50, 40), (255, 255, 255))
    expected.paste((0, 0, 0), (10, 10, 20, 20))
    assert same_pixels(image, expected)


def test_a_16_bit_grey_tiff_frame_is_scaled_to_8_bits_not_clipped():
    frame = Image.new("I;16", (40, 40))
    for x, value in enumerate([0, 1024, 32768, 65535]):
        frame.putpixel((x, 0), value)
    out = io.BytesIO()
    frame.save(out, "TIFF", dpi=(100, 100))
    expected = [0, 4, 128, 255]
    ((_, image),) = seiten.page_images(out.getvalue(), [0], dpi=100)
    assert [image.getpixel((x, 0)) for x in range(4)] == expected
    ((_, extracted, _),) = page_images_of(seiten.extract_pdf(out.getvalue(), [0]))
    assert [extracted.getpixel((x, 0)) for x in range(4)] == expected


def test_a_sliver_of_a_tiff_still_becomes_a_page():
    scan = bilder.tiff([Image.new("L", (2, 1), 0)], compression="tiff_lzw", dpi=300)
    ((_, image, box),) = page_images_of(seiten.extract_pdf(scan, [0]))
    assert image.size == (2, 1)
    assert box == [0, 0, 3, 3]


def test_a_tiff_without_resolution_is_taken_as_200_dpi():
    out = io.BytesIO()
    Image.new("L", (400, 200), 255).save(out, "TIFF", compression="tiff_lzw")
    ((_, _, box),) = page_images_of(seiten.extract_pdf(out.getvalue(), [0]))
    assert box == pytest.approx([0, 0, 144, 72], abs=0.01)


# --- rotate ---------------------------------------------------------------------------------


def test_rotate_turns_pages_on_top_of_their_turn_and_keeps_their_content(sheets):
    scan = bilder.pdf(sheets, dpi=100)
    with pikepdf.open(io.BytesIO(scan)) as doc:
        doc.pages[2].rotate(90, relative=False)
        out = io.BytesIO()
        doc.save(out)
        turned_before = out.getvalue()
    result = seiten.rotate(turned_before, {0: 90, 1: 180, 2: 270})
    with (
        pikepdf.open(io.BytesIO(turned_before)) as before,
        pikepdf.open(io.BytesIO(result)) as after,
    ):
        assert [int(p.obj.get("/Rotate", 0)) for p in after.pages] == [90, 180, 0]
        for old, new in zip(before.pages, after.pages, strict=True):
            (old_image,) = old.get_images().values()
            (new_image,) = new.get_images().values()
            assert new_image.read_raw_bytes() == old_image.read_raw_bytes()


def test_rotate_shows_on_the_rendered_page():
    turned = seiten.rotate(blank_pdf([(595, 842)]), {0: 90})
    ((_, image),) = seiten.page_images(turned, [0], dpi=72)
    assert image.size == (842, 595)


def test_rotate_takes_quarter_turns_only():
    with pytest.raises(ValueError):
        seiten.rotate(blank_pdf([(595, 842)]), {0: 45})
    with pytest.raises(IndexError):
        seiten.rotate(blank_pdf([(595, 842)]), {1: 90})
    unchanged = seiten.rotate(blank_pdf([(595, 842)]), {0: 0})
    with pikepdf.open(io.BytesIO(unchanged)) as doc:
        assert int(doc.pages[0].obj.get("/Rotate", 0)) == 0
