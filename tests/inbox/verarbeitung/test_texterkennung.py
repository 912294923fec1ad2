"""Texterkennung (issue 15, item 2): real scans made on the spot with Pillow (German text
in DejaVu or Liberation at 200 dpi, one page upside down, one skewed), a typeset letter with
a real text layer, garbage text layers, broken files and a machine without tesseract.

OCR tests run ocrmypdf for real (a few seconds a page on two cores), so they use few,
sparse pages; they are marked ``ocr`` and skipped where the OCR chain is not installed."""

from __future__ import annotations

import io
import os
import stat
import tempfile
import time
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from PIL import Image, ImageDraw, ImageFont

from koffer.inbox.verarbeitung import StepUnavailable, schraeglage, texterkennung
from koffer.inbox.verarbeitung.texterkennung import OcrFailed, real_text_layer, recognise
from koffer.pdf import fonts, pdfa, typesetting
from tests.inbox import scans

DPI = 200
LETTER = [
    "Jobcenter Landkreis Musterstadt, Am Markt 1, 12345 Musterstadt",
    "Frau Erika Müller, Lindenstraße 7, 12345 Musterstadt",
    "Bescheid über Leistungen zur Sicherung des Lebensunterhalts",
    "Sehr geehrte Frau Müller,",
    "Ihr Antrag vom 12. Oktober 2026 wurde geprüft. Die Bewilligung",
    "erfolgt für den Zeitraum von sechs Monaten. Bitte reichen Sie die",
    "Mietbescheinigung und die Lohnabrechnung bis zum Monatsende ein.",
    "Gegen diesen Bescheid kann innerhalb eines Monats nach Bekanntgabe",
    "Widerspruch erhoben werden. Der Widerspruch ist schriftlich oder",
    "zur Niederschrift beim Jobcenter Landkreis Musterstadt einzulegen.",
    "Mit freundlichen Grüßen, Ihr Jobcenter",
]
OCR_READY = not texterkennung.availability()
needs_ocr = pytest.mark.skipif(
    not OCR_READY, reason="ocrmypdf, tesseract (deu) oder Ghostscript fehlt"
)


def _font(size: int) -> ImageFont.FreeTypeFont:
    for folder in fonts.font_dirs():
        for name in ("DejaVuSans.ttf", "LiberationSans-Regular.ttf"):
            if (Path(folder) / name).is_file():
                return ImageFont.truetype(str(Path(folder) / name), size)
    pytest.skip("keine Schrift (fonts-dejavu-core oder fonts-liberation2) installiert")


def page(lines: list[str], *, turn: int = 0, skew: float = 0.0) -> Image.Image:
    """An A4 page at 200 dpi with ``lines`` in 11 pt, turned by ``turn`` degrees and
    skewed by ``skew`` degrees, as a scanner would deliver it (greyscale)."""
    size = (int(8.27 * DPI), int(11.69 * DPI))
    image = Image.new("L", size, 255)
    draw = ImageDraw.Draw(image)
    font = _font(int(DPI * 11 / 72))
    for number, line in enumerate(lines):
        draw.text((int(DPI * 0.9), DPI + number * int(DPI * 0.28)), line, font=font, fill=0)
    if skew:
        image = image.rotate(skew, resample=Image.Resampling.BICUBIC, fillcolor=255)
    return image.rotate(turn) if turn else image


def image_pdf(images: list[Image.Image]) -> bytes:
    """An image-only PDF, one page per image (no text layer)."""
    out = io.BytesIO()
    images[0].save(out, "PDF", save_all=True, append_images=images[1:], resolution=DPI)
    return out.getvalue()


def bilevel_tiff(images: list[Image.Image]) -> bytes:
    """A multi-page CCITT G4 TIFF, as document scanners write them."""
    frames = [i.point(lambda v: 255 if v > 128 else 0, "1") for i in images]
    out = io.BytesIO()
    frames[0].save(
        out, "TIFF", save_all=True, append_images=frames[1:], dpi=(DPI, DPI), compression="group4"
    )
    return out.getvalue()


def text_layer(pdf: bytes, texts: list[str]) -> bytes:
    """``pdf`` with an invisible text layer (render mode 3) carrying ``texts``, one per page."""
    doc = pikepdf.open(io.BytesIO(pdf))
    font = doc.make_indirect(
        pikepdf.Dictionary(
            Type=pikepdf.Name.Font, Subtype=pikepdf.Name.Type1, BaseFont=pikepdf.Name.Helvetica
        )
    )
    for pdf_page, text in zip(doc.pages, texts, strict=True):
        pdf_page.add_resource(font, pikepdf.Name.Font, "/FOcr")
        lines = [
            f"BT /FOcr 10 Tf 3 Tr 60 {780 - 14 * n} Td ({line}) Tj ET"
            for n, line in enumerate(text.split("\n"))
        ]
        pdf_page.contents_add(doc.make_stream("\n".join(lines).encode("latin-1")), prepend=False)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def typeset_letter(pages: int, *, standards: list[str]) -> bytes:
    source = """
#set page(paper: "a4", margin: 25mm)
#for i in range(d.pages) {
  if i > 0 { pagebreak() }
  [Seite #(i + 1)]
  for line in d.lines { par(line) }
}
"""
    return typesetting.typeset(
        source, {"pages": pages, "lines": LETTER}, standards=standards, tagged=False
    )


def no_leftovers(folder: Path) -> bool:
    return not any(folder.glob("koffer-ocr-*"))


@pytest.fixture
def own_tempdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Temporary files of the step go here, so the test can see that none are left."""
    folder = tmp_path / "tmp"
    folder.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(folder))
    return folder


# --- the real text layer ---------------------------------------------------------------


def test_a_typeset_letter_has_a_real_text_layer_and_is_kept_without_ocr() -> None:
    letter = typeset_letter(6, standards=typesetting.PDFA_2B)
    texts = real_text_layer(letter)
    assert texts is not None and len(texts) == 6
    assert "Mietbescheinigung" in texts[0] and "Seite 6" in texts[5]

    started = time.perf_counter()
    result = recognise(letter)
    seconds = time.perf_counter() - started
    assert result.ocr_done is False
    assert result.pdf == letter
    assert result.page_texts == texts
    assert result.pdfa is True  # typst's PDF/A-2b passes koffer's check
    assert result.rotated_pages == []
    assert seconds < 6 / 20 + 1  # far from OCR; the benchmark measures pages per second


def test_a_kept_text_layer_without_pdfa_is_not_called_pdfa() -> None:
    result = recognise(typeset_letter(1, standards=[]))
    assert result.ocr_done is False and result.pdfa is False


def test_blank_pages_between_text_pages_do_not_need_ocr() -> None:
    letter = typeset_letter(2, standards=[])
    doc = pikepdf.open(io.BytesIO(letter))
    doc.add_blank_page(page_size=(595, 842))
    out = io.BytesIO()
    doc.save(out)
    texts = real_text_layer(out.getvalue())
    assert texts is not None and texts[2] == ""


def test_an_image_only_scan_has_no_text_layer() -> None:
    assert real_text_layer(image_pdf([page(LETTER)])) is None
    assert real_text_layer(scans.pdf(2)) is None  # blank pages: nothing real anywhere


def test_a_few_characters_on_a_scanned_page_are_no_text_layer() -> None:
    scan = image_pdf([page(LETTER), page(LETTER)])
    assert real_text_layer(text_layer(scan, ["Seite 1", "Seite 2"])) is None


def test_an_invisible_garbage_layer_is_no_text_layer() -> None:
    garbage = (
        "USYNAD UOy>IIPUNaA} AN ul3 Spussjeuoyy WnNZ sIq Bunuy>algeuyo7 aIp pun\n"
        "Bunsslulsydssgga1y Ip SIS uoy>DIaI ayIq sjeuoy Sy>3s An} 26jous Bunssijjimag\n"
        "ynIda6ss apunm J8egopIO ZT Won beuuy Ay| xQ7wZ kLmN0p"
    )
    scan = image_pdf([page(LETTER)])
    assert real_text_layer(text_layer(scan, [garbage])) is None


def test_a_plausible_invisible_layer_on_every_scanned_page_counts_as_real() -> None:
    scan = image_pdf([page(LETTER), page(LETTER)])
    texts = real_text_layer(text_layer(scan, ["\n".join(LETTER), "\n".join(LETTER[3:])]))
    assert texts is not None and "Bewilligung" in texts[1]


def test_one_scanned_page_without_text_among_text_pages_needs_ocr() -> None:
    scan = image_pdf([page(LETTER), page(LETTER)])
    assert real_text_layer(text_layer(scan, ["\n".join(LETTER), ""])) is None


# --- OCR -------------------------------------------------------------------------------


@pytest.mark.ocr
@needs_ocr
def test_a_scan_is_recognised_turned_and_made_pdfa(own_tempdir: Path, settings: Any) -> None:
    settings.KOFFER_INBOX_OCR_ENGINE = texterkennung.OCRMYPDF
    scan = image_pdf([page(LETTER), page(LETTER[3:], turn=180), page(LETTER[1:], skew=2.0)])
    result = recognise(scan, jobs=2, timeout_s=300)

    assert result.ocr_done is True
    assert len(result.page_texts) == 3
    assert "Mietbescheinigung" in result.page_texts[0]
    assert "Lebensunterhalts" in result.page_texts[0]
    assert "Widerspruch" in result.page_texts[1]  # read after turning it upright
    assert "Bewilligung" in result.page_texts[2]
    assert result.rotated_pages == [1]
    assert result.pdfa is True
    assert pdfa.check(result.pdf, part=2, conformance="B").ok
    with pikepdf.open(io.BytesIO(result.pdf)) as out:
        assert len(out.pages) == 3
    assert real_text_layer(result.pdf) == result.page_texts
    assert result.seconds > 0
    assert no_leftovers(own_tempdir)


@pytest.mark.ocr
@needs_ocr
def test_documents_recognised_together_come_back_apart(own_tempdir: Path, settings: Any) -> None:
    settings.KOFFER_INBOX_OCR_ENGINE = texterkennung.OCRMYPDF
    first = image_pdf([page(LETTER[:6]), page(LETTER[3:], turn=180)])
    typeset = typeset_letter(1, standards=[])
    second = image_pdf([page(LETTER[6:], skew=1.5)])

    results = texterkennung.recognise_together([first, typeset, second], jobs=2)

    assert [r.ocr_done for r in results] == [True, False, True]
    assert results[1].pdf == typeset  # a real text layer is kept byte for byte
    assert [len(r.page_texts) for r in results] == [2, 1, 1]
    assert "Lindenstraße" in results[0].page_texts[0]
    assert "Widerspruch" in results[0].page_texts[1]  # turned upright in the second pass
    assert results[0].rotated_pages == [1]
    assert results[2].rotated_pages == []
    assert "Niederschrift" in results[2].page_texts[0]
    for part in (results[0], results[2]):
        assert part.pdfa is True
        assert pdfa.check(part.pdf, part=2, conformance="B").ok
        assert real_text_layer(part.pdf) == part.page_texts
    with pikepdf.open(io.BytesIO(results[0].pdf)) as out:
        assert len(out.pages) == 2
    assert no_leftovers(own_tempdir)


@pytest.mark.ocr
@needs_ocr
def test_a_multi_page_tiff_becomes_a_searchable_pdf(settings: Any) -> None:
    settings.KOFFER_INBOX_OCR_ENGINE = texterkennung.OCRMYPDF
    result = recognise(bilevel_tiff([page(LETTER[:6]), page(LETTER[6:])]), timeout_s=300)
    assert result.ocr_done is True
    assert result.pdf.startswith(b"%PDF-")
    assert len(result.page_texts) == 2
    assert "Lindenstraße" in result.page_texts[0]
    assert "Niederschrift" in result.page_texts[1]
    assert result.rotated_pages == []


@pytest.mark.ocr
@needs_ocr
def test_tesseract_itself_reads_turns_and_makes_pdfa(own_tempdir: Path, settings: Any) -> None:
    """KOFFER_INBOX_OCR_ENGINE=tesseract (the default, set here all the same): no
    ocrmypdf for an image-only scan; the scan's straight page keeps its image's very
    bytes under the text layer."""
    settings.KOFFER_INBOX_OCR_ENGINE = texterkennung.TESSERACT
    scan = image_pdf([page(LETTER), page(LETTER[3:], turn=180), page(LETTER[1:], skew=2.0)])
    results = texterkennung.recognise_together([scan, image_pdf([page(LETTER[5:])])], jobs=2)

    result = results[0]
    assert result.ocr_done is True
    assert "Mietbescheinigung" in result.page_texts[0]
    assert "Widerspruch" in result.page_texts[1]  # read after turning it upright
    assert "Bewilligung" in result.page_texts[2]
    assert result.rotated_pages == [1]
    assert "Niederschrift" in results[1].page_texts[0]
    for part in results:
        assert part.pdfa is True
        assert pdfa.check(part.pdf, part=2, conformance="B").ok
        assert real_text_layer(part.pdf) == part.page_texts
    with pikepdf.open(io.BytesIO(scan)) as before, pikepdf.open(io.BytesIO(result.pdf)) as after:
        assert int(after.pages[1].obj.Rotate) == 180  # turned by /Rotate, image untouched
        for index in (0, 1):
            (old,) = before.pages[index].get_images().values()
            (new,) = after.pages[index].get_images().values()
            assert new.read_raw_bytes() == old.read_raw_bytes()
    assert no_leftovers(own_tempdir)


@pytest.mark.ocr
@needs_ocr
def test_pages_hinted_upside_down_are_turned_before_they_are_read(settings: Any) -> None:
    """Pages whose lines look upside down (``schraeglage.upside_down``) get tesseract's
    orientation detection before they are read, straight or askew; they come back upright
    with their text read, as a page found doubtful after reading does."""
    settings.KOFFER_INBOX_OCR_ENGINE = texterkennung.TESSERACT
    scan = image_pdf([page(LETTER, turn=180), page(LETTER[1:], turn=180, skew=1.5)])
    assert [seite and seite.upside_down for seite in schraeglage.measured(scan)] == [True, True]

    result = recognise(scan, timeout_s=300)

    assert result.rotated_pages == [0, 1]
    assert all("Widerspruch" in text for text in result.page_texts)
    assert result.pdfa is True


@pytest.mark.ocr
@needs_ocr
def test_a_garbage_layer_is_replaced_by_real_text() -> None:
    scan = text_layer(image_pdf([page(LETTER)]), ["Xq#7 }{ WnNZ Bunuy>algeuyo7 " * 6])
    result = recognise(scan, timeout_s=300)
    assert result.ocr_done is True
    assert "Mietbescheinigung" in result.page_texts[0]
    assert "WnNZ" not in result.page_texts[0]


@pytest.mark.ocr
@needs_ocr
@pytest.mark.parametrize("engine", [texterkennung.OCRMYPDF, texterkennung.TESSERACT])
def test_a_run_over_its_time_is_stopped_and_leaves_nothing(
    own_tempdir: Path, settings: Any, engine: str
) -> None:
    settings.KOFFER_INBOX_OCR_ENGINE = engine
    with pytest.raises(OcrFailed) as failed:
        recognise(image_pdf([page(LETTER)]), timeout_s=0.5)
    assert failed.value.code == "timeout"
    assert "abgebrochen" in failed.value.message
    assert no_leftovers(own_tempdir)


# --- files that cannot be processed -----------------------------------------------------


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"%PDF-1.7\n1 0 obj << /Type /Catalog >>\nkaputt", "corrupt"),
        (scans.pdf(2)[:300], "corrupt"),
        (scans.encrypted_pdf(1), "encrypted"),
        (b"II*\x00" + b"\x00" * 64, "corrupt"),
        (b"\x89PNG\r\n\x1a\n" + b"\x00" * 64, "not_a_scan"),
        (b"", "not_a_scan"),
    ],
    ids=["corrupt", "truncated", "password", "broken-tiff", "png", "empty"],
)
def test_files_that_cannot_be_read_fail_with_a_german_reason(data: bytes, code: str) -> None:
    with pytest.raises(OcrFailed) as failed:
        recognise(data)
    assert failed.value.code == code
    assert failed.value.message in (
        texterkennung.CORRUPT,
        texterkennung.LOCKED,
        texterkennung.NOT_A_SCAN,
    )
    assert real_text_layer(data) is None


# --- degraded mode ---------------------------------------------------------------------


def _fake_tesseract(folder: Path, languages: str) -> None:
    program = folder / "tesseract"
    program.write_text(
        f'#!/bin/sh\necho "List of available languages (2):"\nprintf "{languages}"\n'
    )
    program.chmod(program.stat().st_mode | stat.S_IXUSR)


def test_without_tesseract_a_scan_is_unavailable_but_text_pdfs_still_work(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    missing = texterkennung.availability()
    assert any("tesseract-ocr fehlt" in line for line in missing)

    with pytest.raises(StepUnavailable) as unavailable:
        recognise(image_pdf([page(LETTER)]))
    assert unavailable.value.message.startswith("Texterkennung aus: tesseract-ocr")
    assert "in der Suche nicht gefunden" in unavailable.value.message

    assert recognise(typeset_letter(1, standards=[])).ocr_done is False


def test_without_german_language_data_a_scan_is_unavailable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_tesseract(tmp_path, "eng\\nosd\\n")
    monkeypatch.setenv("PATH", f"{tmp_path}{os.pathsep}{os.environ['PATH']}")
    assert any("tesseract-ocr-deu fehlt" in line for line in texterkennung.availability())
    with pytest.raises(StepUnavailable, match="tesseract-ocr-deu"):
        recognise(image_pdf([page(LETTER)]))
