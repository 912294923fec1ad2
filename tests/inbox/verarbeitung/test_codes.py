"""Codes read from real scans: QR codes made by segno and barcodes drawn by zxing-cpp's
writer, on skewed, noisy pages at 200 dpi, in image-only PDFs and TIFFs."""

from __future__ import annotations

import sys
import uuid

import pytest
from PIL import Image

from koffer.inbox.verarbeitung import StepUnavailable
from koffer.inbox.verarbeitung.codes import Code, read_codes
from koffer.records import antwortcode
from tests.inbox.verarbeitung import bilder

SEP = "KOFFER-TRENNBLATT"


@pytest.fixture(scope="module")
def separator_page() -> Image.Image:
    """A separator sheet scanned at 200 dpi: a 30 mm QR code, turned by 2°, with noise."""
    return bilder.page([bilder.qr(SEP, module_px=10)], angle=2.0, noise=0.01, seed=7)


@pytest.fixture(scope="module")
def letter_page() -> Image.Image:
    return bilder.page(angle=-1.5, noise=0.01, seed=8)


def test_a_qr_code_on_a_skewed_noisy_page_of_an_image_only_pdf(separator_page, letter_page):
    scan = bilder.pdf([letter_page, separator_page, letter_page])
    assert read_codes(scan) == [Code(page=1, format="QRCode", text=SEP)]


def test_a_qr_code_on_an_upside_down_page():
    upside_down = bilder.page([bilder.qr(SEP, module_px=10)], upside_down=True, seed=9)
    assert read_codes(bilder.pdf([upside_down])) == [Code(page=0, format="QRCode", text=SEP)]


@pytest.mark.parametrize("compression", ["group4", "tiff_lzw"])
def test_a_qr_code_in_a_black_and_white_tiff(separator_page, letter_page, compression):
    pages = [bilder.bilevel(letter_page), bilder.bilevel(separator_page)]
    scan = bilder.tiff(pages, compression=compression)
    assert read_codes(scan) == [Code(page=1, format="QRCode", text=SEP)]


def test_a_qr_code_in_a_grey_lzw_tiff(separator_page):
    scan = bilder.tiff([separator_page], compression="tiff_lzw")
    assert read_codes(scan) == [Code(page=0, format="QRCode", text=SEP)]


@pytest.mark.parametrize(("format", "scale"), [("Code128", 4), ("Code39", 4), ("DataMatrix", 10)])
def test_barcodes_drawn_by_zxing_cpp(format, scale):
    # Specks on 1 % of the pixels break every row of a barcode's bars: these are read in
    # the despeckled second reading.
    page = bilder.page([bilder.barcode("PATCH-T 4711", format, scale=scale)], angle=1.0, seed=3)
    assert read_codes(bilder.pdf([page])) == [Code(page=0, format=format, text="PATCH-T 4711")]


def test_several_codes_on_a_page_from_top_to_bottom():
    page = bilder.page(
        [bilder.qr("oben", module_px=8), bilder.barcode("unten", "Code128", scale=4)],
        angle=0.5,
        seed=4,
    )
    found = read_codes(bilder.pdf([page]))
    assert found == [Code(0, "QRCode", "oben"), Code(0, "Code128", "unten")]


def test_only_the_pages_asked(separator_page, letter_page):
    scan = bilder.pdf([separator_page, letter_page, separator_page])
    assert read_codes(scan, [2, 1]) == [Code(page=2, format="QRCode", text=SEP)]
    assert read_codes(scan, []) == []


def test_a_reply_code_printed_by_koffer_is_read_back(settings):
    code = antwortcode.Antwortcode(
        tenant_id=uuid.uuid4(), akte_id=uuid.uuid4(), vorgang_id=None, letter_id=uuid.uuid4()
    )
    printed = Image.open(__import__("io").BytesIO(antwortcode.qr_png(code, scale=5)))
    page = bilder.page([printed.convert("L")], angle=-2.0, seed=5)
    (found,) = read_codes(bilder.tiff([bilder.bilevel(page)], compression="group4"))
    assert found.format == "QRCode"
    assert antwortcode.decode(found.text) == code


def test_without_zxing_cpp_the_step_is_unavailable(monkeypatch, letter_page):
    monkeypatch.setitem(sys.modules, "zxingcpp", None)
    with pytest.raises(StepUnavailable) as caught:
        read_codes(bilder.pdf([letter_page]))
    assert "zxing-cpp" in caught.value.message
