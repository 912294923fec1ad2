"""Layout measured, not looked at: text positions read back from the PDF (PDFium) show that
the table of contents keeps date and title apart and the receipt's header cells do not run
into each other – with Liberation Sans and with the wider DejaVu Sans fallback."""

from __future__ import annotations

from itertools import combinations, pairwise
from pathlib import Path

import pytest

from koffer.placements.meldungen import pdf as meldungen_pdf
from koffer.records.auszug import pdf as extract_pdf
from tests.pdf.samples import COVER, DEJAVU, LIBERATION, Box, boxes, only_fonts, overlap

FONT_STACKS = {
    "liberation": (LIBERATION, DEJAVU),
    "dejavu-fallback": (DEJAVU,),
}

# Neighbouring cells keep at least about a word space apart; touching is running together.
GAP = 2.5

HEADERS = ["Angebot", "Plätze", "Platztage", "Belegungstage", "Auslastung", "Aufn.", "Entl."]


def _stack(name: str) -> tuple[str, ...]:
    dirs = FONT_STACKS[name]
    if not all(Path(d).is_dir() for d in dirs):
        pytest.skip(f"fonts missing: {dirs} (scripts/system_packages.py installs them)")
    return dirs


def _one(found: dict[str, list[Box]], needle: str) -> Box:
    assert found[needle], f"„{needle}“ is not printed"
    return found[needle][0]


def _apart(found: dict[str, list[Box]]) -> None:
    for (a, boxes_a), (b, boxes_b) in combinations(found.items(), 2):
        for box_a in boxes_a:
            for box_b in boxes_b:
                assert not overlap(box_a, box_b), (a, box_a, b, box_b)


def _part(nr: int, title: str, sheets: int) -> extract_pdf.Part:
    return extract_pdf.Part(
        title=title,
        kind="Antrag",
        date=f"{nr:02d}.12.2026",
        vorgang="Antrag auf Leistungen",
        cancelled=False,
        cancel_reason="",
        pages=sheets,
        sha256=f"{nr:064d}",
    )


@pytest.mark.parametrize("stack", sorted(FONT_STACKS))
def test_contents_keep_date_title_and_sheets_apart(stack: str) -> None:
    titles = ["Antrag", "Widerspruchsbescheid mit Begründung", "Ärztliches Gutachten"]
    parts = [_part(nr, t, 60) for nr, t in enumerate(titles, start=20)]
    with only_fonts(*_stack(stack)):
        data = extract_pdf.front_matter(COVER, parts, extract_pdf.sheet_ranges(parts))
    found = boxes(data, 1, "Nr.", "Datum", "Dokument", "Blatt")
    _apart(found)
    for index, (nr, title) in enumerate(enumerate(titles, start=20), start=1):
        row = boxes(data, 1, str(index), f"{nr}.12.2026", title)
        date, heading = _one(row, f"{nr}.12.2026"), _one(row, title)
        assert heading[0] - date[2] >= GAP, (stack, date, heading)  # "02.01.2026Antrag" no more
        # The row's number is the leftmost match on the date's line.
        line = [b for b in row[str(index)] if min(b[3], date[3]) - max(b[1], date[1]) > 1]
        number = min(line, key=lambda b: b[0])
        assert date[0] - number[2] >= GAP, (stack, number, date)
    sheets = boxes(data, 1, "Bl. 61–120", "Bl. 121–180")
    heading = _one(boxes(data, 1, titles[1]), titles[1])
    assert _one(sheets, "Bl. 61–120")[0] - heading[2] >= GAP


def _receipt() -> bytes:
    return meldungen_pdf.render_quittung(
        {
            "landesjugendamt": "Landesjugendamt Musterland",
            "nummer": "M-2026-000123",
            "erstellt": "02.01.2026",
            "eingang_datum": "02.01.2026",
            "eingang_zeit": "10:15",
            "angaben": [
                ["Meldungsnummer", "M-2026-000123", "fett"],
                [
                    "Prüfwert des Inhalts (SHA-256)",
                    "0123abcd " * 4 + "\n" + "4567ef89 " * 4,
                    "mono",
                ],
            ],
            "jahr": {
                "jahr": 2025,
                "zeitraum": "01.01.2025–31.12.2025",
                "zeilen": [
                    ["Wohngruppe Sonnenblume", "112", "40.880", "39.012", "100,0 %", "17", "16"],
                    ["Summe", "112", "40.880", "39.012", "100,0 %", "17", "16"],
                ],
            },
            "hinweise": ["Ein Hinweis."],
        }
    )


@pytest.mark.parametrize("stack", sorted(FONT_STACKS))
def test_receipt_header_and_table_header_do_not_overlap(stack: str) -> None:
    with only_fonts(*_stack(stack)):
        data = _receipt()
    top = boxes(data, 0, "Landesjugendamt Musterland", "Aufsicht über Einrichtungen", "Erstellt am")
    _apart({k: v[:1] for k, v in top.items()})
    header = boxes(data, 0, *HEADERS)
    cells = [_one(header, h) for h in HEADERS]
    for left, right in pairwise(cells):
        assert right[0] - left[2] >= GAP, (stack, left, right)
    figures = boxes(data, 0, "40.880", "39.012", "100,0 %")
    assert _one(figures, "39.012")[0] - _one(figures, "40.880")[2] >= GAP
    assert _one(figures, "100,0 %")[0] - _one(figures, "39.012")[2] >= GAP
    labels = boxes(data, 0, "Meldungsnummer", "M-2026-000123", "Prüfwert des Inhalts")
    assert _one(labels, "M-2026-000123")[0] - _one(labels, "Meldungsnummer")[2] >= GAP
