"""The statistics charts leave no label cut off: every text's estimated extent (the same
advance widths the layout uses, rounded up) lies inside the SVG's viewBox, and no label
is shortened with "…", however long the names of the Leistungsarten and however large
the figures, in the wide chart and in the phone variant."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from decimal import Decimal

import pytest

from koffer.placements.statistik.charts import (
    FONT,
    LINE_HEIGHT,
    PHONE_WIDTH,
    WIDTH,
    bar_chart,
    line_chart,
    text_width,
)
from koffer.placements.statistik.tables import Cell, Series

SVG = "{http://www.w3.org/2000/svg}"
LONG = [
    "§ 34 SGB VIII Heimerziehung, sonstige betreute Wohnform (Kinder- und Jugendhilfe)",
    "§ 42 SGB VIII Inobhutnahme (Kinder- und Jugendhilfe)",
    "§ 35a SGB VIII Eingliederungshilfe für seelisch behinderte Kinder und Jugendliche",
    "Insgesamt",
]
MONTHS = ["Jan", "Feb", "Mär", "Apr", "Mai", "Jun", "Jul", "Aug", "Sep", "Okt", "Nov", "Dez"]


def _extents(svg: str) -> tuple[float, float, list[tuple[str, float, float, float]]]:
    """The viewBox (width, height) and each line of text as (text, left, right, baseline)."""
    root = ET.fromstring(svg)  # noqa: S314 - our own SVG
    _, _, width, height = (float(v) for v in root.attrib["viewBox"].split())
    found = []
    for text in root.iter(f"{SVG}text"):
        anchor = text.attrib.get("text-anchor", "start")
        x, y = float(text.attrib["x"]), float(text.attrib["y"])
        spans = list(text.iter(f"{SVG}tspan"))
        lines = [(x, 0.0, text.text or "")] if not spans else []
        lines += [(float(s.attrib["x"]), float(s.attrib.get("dy", 0)), s.text or "") for s in spans]
        for line_x, dy, content in lines:
            y += dy
            w = text_width(content)
            left = {"start": line_x, "middle": line_x - w / 2, "end": line_x - w}[anchor]
            found.append((content, left, left + w, y))
    return width, height, found


def _assert_inside(svg: str) -> None:
    width, height, texts = _extents(svg)
    assert texts
    outside = [t for t in texts if t[1] < 0 or t[2] > width or t[3] - FONT < 0 or t[3] + 4 > height]
    assert outside == [], f"Beschriftungen außerhalb von 0 0 {width} {height}: {outside}"
    assert not any("…" in t[0] for t in texts), "eine Beschriftung ist gekürzt"


def _overlapping(
    texts: list[tuple[str, float, float, float]],
) -> list[tuple[str, str]]:
    """Pairs of text lines on the same baseline whose extents overlap."""
    return [
        (a[0], b[0])
        for i, a in enumerate(texts)
        for b in texts[i + 1 :]
        if abs(a[3] - b[3]) < FONT and a[1] < b[2] and b[1] < a[2]
    ]


@pytest.mark.parametrize("width", [WIDTH, PHONE_WIDTH])
@pytest.mark.parametrize("scale", [1, 1000, 1_000_000])
def test_bar_chart_labels_lie_inside(scale: int, width: int) -> None:
    series = [
        ("begonnen", [Cell(12 * scale), Cell(3), Cell(None, suppressed=True), Cell(28 * scale)]),
        ("beendet", [Cell(11 * scale), Cell(3), Cell(8), Cell(27 * scale)]),
    ]
    svg = bar_chart(chart_id="c", title="T", desc="D", categories=LONG, series=series, width=width)
    _assert_inside(str(svg))
    _, _, texts = _extents(str(svg))
    # The long names are all there, over as many lines as they need.
    shown = " ".join(t[0] for t in texts)
    for words in (name.split() for name in LONG):
        assert all(w in shown for w in words)


@pytest.mark.parametrize("width", [WIDTH, PHONE_WIDTH])
def test_bar_chart_legend_wraps_when_the_series_names_are_long(width: int) -> None:
    names = [f"Belegungen mit einer sehr langen Bezeichnung Nummer {n}" for n in range(6)]
    series = [(name, [Cell(5)]) for name in names]
    svg = bar_chart(
        chart_id="c", title="T", desc="D", categories=["Insgesamt"], series=series, width=width
    )
    _assert_inside(str(svg))
    _, _, texts = _extents(str(svg))
    assert not _overlapping(texts)


@pytest.mark.parametrize("width", [WIDTH, PHONE_WIDTH])
@pytest.mark.parametrize("unit", ["percent", "count"])
def test_line_chart_labels_lie_inside(unit: str, width: int) -> None:
    peak = Decimal("87.5") if unit == "percent" else 1_234_567
    series = [
        Series(
            label=label, values=tuple([peak, None, *([Decimal(3)] * 10)]), total=label == LONG[-1]
        )
        for label in LONG * 2
    ]
    svg = line_chart(
        chart_id="c",
        title="T",
        desc="D",
        x_labels=MONTHS,
        series=series,
        unit=unit,  # type: ignore[arg-type]
        width=width,
    )
    _assert_inside(str(svg))
    _, _, texts = _extents(str(svg))
    assert not _overlapping(texts)
    months = [t for t in texts if t[0] in MONTHS]
    assert months[0][0] == "Jan"
    if width == WIDTH:
        assert [t[0] for t in months] == MONTHS


def test_wrapped_label_lines_are_spaced_by_the_line_height() -> None:
    svg = bar_chart(
        chart_id="c", title="T", desc="D", categories=[LONG[0]], series=[("a", [Cell(1)])]
    )
    root = ET.fromstring(str(svg))  # noqa: S314 - our own SVG
    spans = [s for s in root.iter(f"{SVG}tspan")]
    assert len(spans) >= 2
    assert {float(s.attrib["dy"]) for s in spans[1:]} == {LINE_HEIGHT}
