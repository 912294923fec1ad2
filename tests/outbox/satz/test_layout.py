"""The letter's zones where DIN 5008 puts them, measured in the rendered PDF (PDFium's
glyph boxes and path objects), within 1 mm, for form A and B and on the fallback font."""

from __future__ import annotations

import dataclasses
import io

import pikepdf
import pypdfium2 as pdfium
import pytest
import zxingcpp

from koffer.outbox.satz import layout, muster, setze
from koffer.outbox.satz.muster import antwortcode_text
from koffer.pdf import pdfa
from tests.outbox.satz import messen
from tests.pdf.samples import DEJAVU, only_fonts

TOLERANCE = 1.0  # mm
# form: (address field top, information block top, fold marks)
DIN_5008 = {"A": (27.0, 32.0, (87.0, 192.0)), "B": (45.0, 50.0, (105.0, 210.0))}


@pytest.fixture(scope="module", params=["A", "B"])
def form(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="module")
def letter(form: str) -> bytes:
    return setze(muster(form))


def near(value: float, expected: float) -> bool:
    return abs(value - expected) <= TOLERANCE


def test_return_line_is_the_top_line_of_the_address_field(letter, form):
    left, top, right, _ = messen.text_box(letter, 0, "Jobcenter Landkreis Musterland · Postfach")
    assert near(left, 25.0)  # the Fluchtlinie, 5 mm inside the field
    assert near(top, DIN_5008[form][0])
    assert right <= 20.0 + 85.0


def test_remark_stands_on_the_last_line_of_the_vermerkzone(letter, form):
    _, top, _, bottom = messen.text_box(letter, 0, "Persönlich")
    zone_bottom = DIN_5008[form][0] + 17.7
    assert near(top, zone_bottom - 17.7 / 5)
    assert bottom <= zone_bottom


def test_address_starts_at_the_top_of_the_anschriftzone(letter, form):
    left, top, _, _ = messen.text_box(letter, 0, "Frau")
    assert near(left, 25.0)
    assert near(top, DIN_5008[form][0] + 17.7)  # 44.7 mm in form A, 62.7 mm in form B
    _, _, _, bottom = messen.text_box(letter, 0, "12347 Musterdorf")
    assert bottom <= DIN_5008[form][0] + 45.0


def test_information_block_at_125_mm(letter, form):
    left, top, _, _ = messen.text_box(letter, 0, "Ihr Zeichen")
    assert near(left, 125.0)
    assert near(top, DIN_5008[form][1])
    _, second, _, _ = messen.text_box(letter, 0, "123D456789")
    assert near(second, DIN_5008[form][1] + 4.23)


def test_fold_and_punch_marks_at_the_left_edge(letter, form):
    marks = [b for b in messen.objects(letter, 0, messen.PATH) if b[2] < 15.0]
    centres = sorted(round((b[1] + b[3]) / 2, 1) for b in marks)
    expected = sorted([*DIN_5008[form][2], 148.5])
    assert len(centres) == 3
    assert all(near(c, e) for c, e in zip(centres, expected, strict=True))
    assert all(b[0] >= layout.DRUCKRAND - 0.5 for b in marks)  # printable, at the edge
    # the pages after the first carry none
    assert not [b for b in messen.objects(letter, 1, messen.PATH) if b[2] < 15.0]


def test_reply_code_in_the_information_column_clear_of_window_and_fold(letter, form):
    (code,) = [
        b for b in messen.objects(letter, 0, messen.PATH) if near(b[0], 125.0) and b[2] - b[0] > 20
    ]
    left, top, _, bottom = code
    assert near(top, layout.FORMEN[form].qr_oben)
    assert left > 110.0  # right of the envelope window
    assert bottom < DIN_5008[form][2][0]  # above the first fold
    _, subject_top, _, _ = messen.text_box(letter, 0, "Aufforderung zur Mitwirkung")
    assert subject_top > bottom


def test_page_numbers_and_the_header_of_following_pages(letter):
    assert "Seite 1 von 2" in messen.page_text(letter, 0)
    second = messen.page_text(letter, 1)
    assert "Seite 2 von 2" in second
    assert "Aktenzeichen 123D456789" in second
    _, _, right, _ = messen.text_box(letter, 1, "Seite 2 von 2")
    assert right <= 190.0 + TOLERANCE


def test_a_one_page_letter_has_no_page_number():
    short = dataclasses.replace(muster("A"), body="Sehr geehrte Frau Beispiel,\n\nkurz und gut.")
    assert "Seite 1 von" not in messen.page_text(setze(short), 0)


def test_text_keeps_the_margins(letter):
    for page in (0, 1):
        for box in messen.objects(letter, page, pdfium.raw.FPDF_PAGEOBJ_TEXT):
            assert box[0] >= 25.0 - TOLERANCE
            assert box[2] <= 200.0  # the information block may reach 200 mm, body text 190


def test_positions_hold_on_the_fallback_font(form):
    with only_fonts(DEJAVU):
        letter = setze(muster(form))
    _, top, _, _ = messen.text_box(letter, 0, "Frau")
    assert near(top, DIN_5008[form][0] + 17.7)
    left, top, _, _ = messen.text_box(letter, 0, "Ihr Zeichen")
    assert near(left, 125.0) and near(top, DIN_5008[form][1])
    with pikepdf.open(io.BytesIO(letter)) as pdf:
        fonts = {str(f.get("/BaseFont")) for p in pdf.pages for f in p.Resources.Font.values()}
    assert all("DejaVu" in name for name in fonts), fonts


def test_pdfa_identification_fonts_and_structure_tree(letter):
    report = pdfa.check(letter)
    assert report.ok, report.summary()
    with pikepdf.open(io.BytesIO(letter)) as pdf:
        assert pdfa.claimed_level(pdf) == (2, "A")
        with pdf.open_metadata() as meta:
            assert "pdfuaid" in str(meta) or meta.get("pdfuaid:part") == "1"
        assert "/StructTreeRoot" in pdf.Root
        assert pdf.Root.MarkInfo.Marked
        assert str(pdf.Root.Lang).startswith("de")
        for page in pdf.pages:
            for font in page.Resources.Font.values():
                descendant = font.DescendantFonts[0] if "/DescendantFonts" in font else font
                assert (
                    "/FontFile2" in descendant.FontDescriptor
                    or "/FontFile3" in descendant.FontDescriptor
                )


@pytest.mark.parametrize("length", ["short", "all four ids"])
def test_reply_code_reads_back_from_page_one_at_150_dpi(form, length):
    text = (
        antwortcode_text(form)
        if length == "short"
        else antwortcode_text(form) + "ABCDEFGHIJKLMNOPQRSTUVWXY"
    )
    letter = setze(muster(form, antwortcode=text))
    doc = pdfium.PdfDocument(letter)
    try:
        image = doc[0].render(scale=150 / 72, grayscale=True).to_pil()
    finally:
        doc.close()
    found = zxingcpp.read_barcodes(image.convert("L"), formats=zxingcpp.BarcodeFormat.QRCode)
    assert [code.text for code in found] == [text]
    assert found[0].ec_level in ("M", "Q", "H")
