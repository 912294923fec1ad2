"""The PDF building blocks of the Aktenauszug, alone: images and texts as pages, stamps on
rotated and cropped pages, what PDF/A forbids is dropped, the veraPDF verdict."""

from __future__ import annotations

import io
import stat
from pathlib import Path

import pikepdf
import pypdfium2 as pdfium
import pytest
from django.test import override_settings
from PIL import Image

from koffer.records.auszug import pdf as extract_pdf
from tests.records.dokumente.test_documents_fixtures import pdf_bytes, tiff_bytes

COVER = extract_pdf.Cover(
    behoerde="Landratsamt Musterkreis",
    einheit="Schwerbehindertenrecht",
    aktenzeichen="SB-2026-00042",
    akte_titel="Feststellung GdB",
    person="Beispiel, Anna, geb. 01.02.1970",
    aktenplan="50.9 Schwerbehindertenrecht",
    zweck="Aktenauszug für das Sozialgericht",
    datum="25.11.2026",
    ersteller="Erika Muster",
)


def _image(mode: str, size: tuple[int, int], fmt: str, **save: object) -> bytes:
    img = Image.new(mode, size, "white" if mode != "RGBA" else (255, 0, 0, 128))
    out = io.BytesIO()
    img.save(out, fmt, **save)
    return out.getvalue()


_open: list[pikepdf.Pdf] = []  # kept open while a test looks at the pages


def _pages(data: bytes) -> list[pikepdf.Page]:
    pdf = pikepdf.open(io.BytesIO(data))
    _open.append(pdf)
    return list(pdf.pages)


def _image_of(page: pikepdf.Page) -> pikepdf.Stream:
    (image,) = page.get_images().values()
    return image


def test_plain_jpeg_is_embedded_without_recompression() -> None:
    jpeg = _image("RGB", (1240, 1754), "JPEG", dpi=(150, 150))
    pages = _pages(extract_pdf.image_to_pdf(jpeg))
    assert len(pages) == 1
    image = _image_of(pages[0])
    assert image.Filter == "/DCTDecode" and image.read_raw_bytes() == jpeg
    width, height = (float(v) for v in pages[0].mediabox[2:])
    assert (round(width), round(height)) == (595, 842)  # A4 portrait


def test_rotated_landscape_and_transparent_images() -> None:
    img = Image.new("RGB", (800, 400), "white")
    exif = img.getexif()
    exif[0x0112] = 6  # the camera was turned: show it rotated by 90 degrees
    out = io.BytesIO()
    img.save(out, "JPEG", exif=exif.tobytes())
    upright = _pages(extract_pdf.image_to_pdf(out.getvalue()))[0]
    image = _image_of(upright)
    assert (int(image.Width), int(image.Height)) == (400, 800)  # turned, then re-encoded
    wide = _pages(extract_pdf.image_to_pdf(_image("RGB", (1600, 900), "PNG")))[0]
    assert float(wide.mediabox[2]) > float(wide.mediabox[3])  # A4 landscape
    transparent = _pages(extract_pdf.image_to_pdf(_image("RGBA", (300, 300), "PNG")))[0]
    flat = _image_of(transparent)
    assert flat.ColorSpace == "/DeviceRGB" and "/SMask" not in flat


def test_tiff_frames_become_pages_and_bilevel_stays_one_bit() -> None:
    assert len(_pages(extract_pdf.image_to_pdf(tiff_bytes(3)))) == 3
    scan = _image("1", (2480, 3508), "TIFF", compression="group4", dpi=(300, 300))
    image = _image_of(_pages(extract_pdf.image_to_pdf(scan))[0])
    assert int(image.BitsPerComponent) == 1
    with pytest.raises(extract_pdf.Unusable):
        extract_pdf.image_to_pdf(b"\x89PNG\r\n\x1a\nkaputt")


def test_text_is_typeset_as_written_and_huge_text_is_refused() -> None:
    pdf = extract_pdf.text_to_pdf("Zeile 1\n\tEingerückt #set $x$ <b>\n", "notiz.txt")
    doc = pdfium.PdfDocument(pdf)
    text = doc[0].get_textpage().get_text_range()
    assert "#set $x$ <b>" in text and "notiz.txt" in text
    with pytest.raises(extract_pdf.Unusable) as too_long:
        extract_pdf.text_to_pdf("x" * (extract_pdf.MAX_TEXT_CHARS + 1), "gross.txt")
    assert "zu lang" in too_long.value.reason


def _rotated_and_cropped() -> bytes:
    pdf = pikepdf.open(io.BytesIO(pdf_bytes(["Gedreht", "Beschnitten", "Mit Aktion"])))
    pdf.pages[0].obj.Rotate = 90
    pdf.pages[1].obj.CropBox = [100, 100, 500, 700]
    page = pdf.pages[2].obj
    page.AA = pikepdf.Dictionary(O=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(1)"))
    page.Annots = pdf.make_indirect(
        pikepdf.Array(
            [
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot,
                    Subtype=pikepdf.Name.Link,
                    Rect=[0, 0, 10, 10],
                    F=2,
                    A=pikepdf.Dictionary(S=pikepdf.Name.JavaScript, JS="app.alert(2)"),
                ),
                pikepdf.Dictionary(
                    Type=pikepdf.Name.Annot, Subtype=pikepdf.Name.FileAttachment, Rect=[0, 0, 5, 5]
                ),
            ]
        )
    )
    out = io.BytesIO()
    pdf.save(out)
    return out.getvalue()


def test_stamps_sit_top_right_of_the_page_as_shown() -> None:
    source = _rotated_and_cropped()
    parts = [
        extract_pdf.Part("Gemischt", "Schreiben", "01.01.2026", "", False, "", 3, "x"),
    ]
    built = extract_pdf.assemble(COVER, parts, lambda part: io.BytesIO(source))
    doc = pdfium.PdfDocument(built.pdf)
    for index in range(built.front_pages, len(doc)):
        page = doc[index]
        width, height = page.get_size()  # as shown, after the rotation
        textpage = page.get_textpage()
        text = textpage.get_text_range()
        sheet = index - built.front_pages + 1
        found = textpage.search(f"Bl. {sheet}")
        assert found.get_next() is not None, text
        left, bottom, _, _ = textpage.get_charbox(text.index(f"Bl. {sheet}"))
        assert left > width * 0.6 and bottom > height * 0.85, (sheet, left, bottom, width, height)
    assert doc[built.front_pages].get_size()[0] > doc[built.front_pages].get_size()[1]

    with pikepdf.open(io.BytesIO(built.pdf)) as pdf:
        last = pdf.pages[-1].obj
        assert "/AA" not in last
        # The part fails the PDF/A check, so where Ghostscript is installed it converts the
        # part and drops the now action-less link; without it the link stays, disarmed.
        annots = list(last.get("/Annots", []))
        assert [str(a.Subtype) for a in annots] in (["/Link"], [])
        assert all("/A" not in a and int(a.F) == 4 for a in annots)


def test_parts_that_are_left_out_get_no_sheets() -> None:
    parts = [
        extract_pdf.Part("A", "Antrag", "01.01.2026", "", False, "", 2, "a"),
        extract_pdf.Part("B", "Gutachten", "02.01.2026", "", False, "", 0, None, reason="x"),
        extract_pdf.Part("C", "Bescheid", "03.01.2026", "", True, "Irrtum", 1, "c"),
    ]
    assert extract_pdf.sheet_ranges(parts) == [(1, 2), None, (3, 3)]
    assert [extract_pdf.sheet_label(r) for r in extract_pdf.sheet_ranges(parts)] == [
        "Bl. 1–2",
        "",
        "Bl. 3",
    ]
    data = extract_pdf.front_matter_data(COVER, parts, extract_pdf.sheet_ranges(parts))
    assert data["eintraege"][1]["hinweis"] == "Nicht enthalten: x"
    assert data["eintraege"][2]["hinweis"] == "Storniert: Irrtum"


def _fake_verapdf(tmp_path: Path, verdict: str) -> str:
    script = tmp_path / f"verapdf-{verdict.lower()}"
    script.write_text(f'#!/bin/sh\necho "{verdict} $5 2b"\n')
    script.chmod(script.stat().st_mode | stat.S_IEXEC)
    return str(script)


def test_verapdf_verdict(tmp_path: Path) -> None:
    pdf = extract_pdf.text_to_pdf("Hallo", "a.txt")
    with override_settings(KOFFER_VERAPDF=""):
        assert extract_pdf.validate_pdfa(pdf) is None
    with override_settings(KOFFER_VERAPDF=_fake_verapdf(tmp_path, "PASS")):
        assert extract_pdf.validate_pdfa(pdf) is True
    with override_settings(KOFFER_VERAPDF=_fake_verapdf(tmp_path, "FAIL")):
        assert extract_pdf.validate_pdfa(pdf) is False
    assert extract_pdf.pdfa_status(pdf) == "2B"
