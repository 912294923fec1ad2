"""Schräglage (issue 15, OCR speed): askew scanned pages are measured and turned straight
before OCR, straight pages and pages that are no scans are left byte for byte."""

from __future__ import annotations

import io

import pikepdf
import pytest
from PIL import Image

from koffer.inbox.verarbeitung import schraeglage, seiten
from koffer.pdf import typesetting
from tests.inbox import scans
from tests.inbox.verarbeitung import bilder


@pytest.mark.parametrize("angle", [-2.7, -1.2, 0.8, 2.0, 3.5])
def test_the_skew_of_a_text_page_is_measured_within_a_tenth_of_a_degree(angle: float) -> None:
    image = bilder.page(angle=angle, dpi=100, noise=0.005)

    assert schraeglage.skew(image) == pytest.approx(-angle, abs=0.1)


def test_a_straight_page_and_a_blank_page_need_no_turn() -> None:
    assert abs(schraeglage.skew(bilder.page(angle=0.0, dpi=100))) < schraeglage.MIN_DEGREES
    assert schraeglage.skew(Image.new("L", (827, 1169), 255)) == 0.0


LINES = [
    f"Sehr geehrte Damen und Herren, Ihr Bescheid vom {n}. Juli ist falsch." for n in range(12)
]


def test_pages_of_text_upside_down_are_hinted_and_upright_ones_and_separators_not() -> None:
    askew = scans.letter(LINES, upside_down=True).rotate(
        1.5, resample=Image.Resampling.BICUBIC, fillcolor=255
    )
    pdf = bilder.pdf(
        [
            scans.letter(LINES),
            scans.letter(LINES, upside_down=True),
            askew,
            scans.letter(LINES[:5], upside_down=True),  # too few lines to tell
            scans.separator(),
        ]
    )

    found = [seite and seite.upside_down for seite in schraeglage.measured(pdf)]

    assert found == [False, True, True, False, False]


def _images(pdf: bytes) -> list[tuple[object, ...]]:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        found = []
        for page in doc.pages:
            (image,) = page.get_images().values()
            found.append(
                (
                    int(image.Width),
                    int(image.Height),
                    [str(name) for name in pikepdf.PdfImage(image).filters],
                    int(image.BitsPerComponent),
                    image.read_raw_bytes(),
                    [round(float(v), 1) for v in page.mediabox],
                )
            )
        return found


def test_only_the_askew_page_is_turned_and_keeps_its_size_and_kind() -> None:
    pdf = bilder.pdf([bilder.page(angle=0.1), bilder.page(angle=2.0, seed=2)])

    straight, turned = schraeglage.straightened(pdf)

    assert turned == [1]
    before, after = _images(pdf), _images(straight)
    assert after[0] == before[0]  # the straight page keeps its very bytes
    _, _, kind, bits, data, box = after[1]
    assert (kind, bits, box) == (before[1][2], before[1][3], before[1][5])
    assert data != before[1][4]
    _, image = next(seiten.page_images(straight, [1], dpi=100, grayscale=True))
    assert abs(schraeglage.skew(image)) < schraeglage.MIN_DEGREES


def test_a_black_and_white_page_stays_black_and_white() -> None:
    tiff = bilder.tiff([bilder.bilevel(bilder.page(angle=-1.5))], compression="group4")
    pdf = seiten.extract_pdf(tiff, [0])

    straight, turned = schraeglage.straightened(pdf)

    assert turned == [0]
    (found,) = _images(straight)
    assert found[2:4] == (["/CCITTFaxDecode"], 1)


def test_pages_without_a_scan_and_straight_files_come_back_unchanged() -> None:
    letter = typesetting.typeset(
        '#set page(paper: "a4")\nSehr geehrte Damen und Herren,', {}, standards=[], tagged=False
    )
    assert schraeglage.straightened(letter) == (letter, [])
    straight = bilder.pdf([bilder.page(angle=0.0)])
    assert schraeglage.straightened(straight) == (straight, [])
