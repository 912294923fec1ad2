"""Charts of the statistics page as server-rendered inline SVG: no JavaScript, no style
attributes (the CSP forbids them; SVG presentation attributes such as ``fill`` are
markup, not style). Each chart is ``role="img"`` with a title and a description, and
the page always shows the data table next to it, so the chart is never the only way to
the numbers. Colours reach at least 5:1 against white, and series differ by more than
colour: value labels on bars, marker shapes and dash patterns on lines."""

from __future__ import annotations

import math
from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from koffer.placements.statistik.export import display
from koffer.placements.statistik.tables import Cell, Series, Unit

TEXT = "#1f2937"
GRID = "#d0d7de"
AXIS = "#4b5563"
BAR_COLORS = ("#00386b", "#b54708")
LINE_STYLES: tuple[tuple[str, str, str], ...] = (  # colour, marker, dash pattern
    ("#00386b", "circle", ""),
    ("#b54708", "square", "7 4"),
    ("#1b6e3a", "triangle", "2 3"),
    ("#7a2e8e", "diamond", "9 3 2 3"),
    ("#a0153e", "circle", "4 4"),
    ("#0e6e80", "square", "1 2"),
    ("#5b4a00", "triangle", "12 4"),
)
TOTAL_STYLE = (TEXT, "circle", "")
WIDTH = 720
FONT = 13


def _num(x: float) -> str:
    return f"{x:.1f}".rstrip("0").rstrip(".")


def _nice_max(value: float) -> tuple[float, float]:
    """An axis maximum ≥ value and a tick step (1, 2 or 5 × 10^n), about five ticks."""
    if value <= 0:
        return 1.0, 1.0
    raw = value / 5
    magnitude = 10 ** math.floor(math.log10(raw))
    # Whole numbers only: the figures are counts, days, whole-percent ticks.
    step = max(1.0, next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw))
    return step * math.ceil(value / step), step


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _open(chart_id: str, title: str, desc: str, height: float) -> list[str]:
    return [
        f'<svg class="koffer-chart" role="img" aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f' viewBox="0 0 {WIDTH} {_num(height)}" width="{WIDTH}" height="{_num(height)}"'
        f' font-size="{FONT}" fill="{TEXT}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{WIDTH}" height="{_num(height)}" fill="#ffffff"/>',
    ]


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[Cell]]],
) -> SafeString:
    """Horizontal grouped bars: one group per category, one bar per series, the value
    (or the sign of a suppressed cell) written at the end of each bar."""
    label_w, right = 270.0, 56.0
    plot_w = WIDTH - label_w - right
    bar_h, gap = 16.0, 14.0
    top = 56.0
    group_h = len(series) * bar_h + gap
    height = top + len(categories) * group_h + 28
    values = [float(c.value) for _, cells in series for c in cells if c.value is not None]
    vmax, step = _nice_max(max(values, default=0.0))
    parts = _open(chart_id, title, desc, height)
    # Legend
    x = label_w
    for i, (name, _) in enumerate(series):
        color = BAR_COLORS[i % len(BAR_COLORS)]
        parts.append(f'<rect x="{_num(x)}" y="12" width="14" height="14" fill="{color}"/>')
        parts.append(f'<text x="{_num(x + 20)}" y="24">{escape(name)}</text>')
        x += 40 + 8 * len(name)
    # Grid and ticks
    axis_y = height - 24
    ticks = round(vmax / step)
    for t in range(ticks + 1):
        tx = label_w + plot_w * t / ticks
        parts.append(
            f'<line x1="{_num(tx)}" y1="{_num(top - 6)}" x2="{_num(tx)}" y2="{_num(axis_y)}"'
            f' stroke="{GRID}" stroke-width="1"/>'
        )
        tick = display(Cell(int(step * t)), "count")
        parts.append(
            f'<text x="{_num(tx)}" y="{_num(axis_y + 16)}" text-anchor="middle">{tick}</text>'
        )
    # Bars
    for g, category in enumerate(categories):
        y0 = top + g * group_h
        center = y0 + len(series) * bar_h / 2
        parts.append(
            f'<text x="{_num(label_w - 8)}" y="{_num(center + 4)}" text-anchor="end">'
            f"{escape(_short(category, 38))}</text>"
        )
        for i, (_, cells) in enumerate(series):
            cell = cells[g]
            y = y0 + i * bar_h
            value = float(cell.value) if cell.value is not None else 0.0
            w = plot_w * value / vmax
            color = BAR_COLORS[i % len(BAR_COLORS)]
            if w > 0:
                parts.append(
                    f'<rect x="{_num(label_w)}" y="{_num(y + 1)}" width="{_num(w)}"'
                    f' height="{_num(bar_h - 2)}" fill="{color}"/>'
                )
            parts.append(
                f'<text x="{_num(label_w + w + 4)}" y="{_num(y + bar_h - 3)}">'
                f"{escape(display(cell, 'count'))}</text>"
            )
    parts.append(
        f'<line x1="{_num(label_w)}" y1="{_num(top - 6)}" x2="{_num(label_w)}"'
        f' y2="{_num(axis_y)}" stroke="{AXIS}" stroke-width="1"/>'
    )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped


def _marker(shape: str, x: float, y: float, color: str) -> str:
    if shape == "square":
        return f'<rect x="{_num(x - 4)}" y="{_num(y - 4)}" width="8" height="8" fill="{color}"/>'
    if shape == "triangle":
        points = f"{_num(x)},{_num(y - 5)} {_num(x + 5)},{_num(y + 4)} {_num(x - 5)},{_num(y + 4)}"
        return f'<polygon points="{points}" fill="{color}"/>'
    if shape == "diamond":
        points = f"{_num(x)},{_num(y - 5)} {_num(x + 5)},{_num(y)} {_num(x)},{_num(y + 5)} {_num(x - 5)},{_num(y)}"
        return f'<polygon points="{points}" fill="{color}"/>'
    return f'<circle cx="{_num(x)}" cy="{_num(y)}" r="4" fill="{color}"/>'


def line_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    x_labels: Sequence[str],
    series: Sequence[Series],
    unit: Unit,
) -> SafeString:
    """Lines over the months; a missing value (suppressed, after the "Stand", no places)
    breaks the line. Percentages run from 0 to at least 100."""
    left, right, top, plot_h = 64.0, 24.0, 16.0, 240.0
    plot_w = WIDTH - left - right
    legend_top = top + plot_h + 40
    height = legend_top + len(series) * 22 + 8
    values = [float(v) for s in series for v in s.values if v is not None]
    peak = max(values, default=0.0)
    vmax, step = _nice_max(max(peak, 100.0) if unit == "percent" else peak)
    parts = _open(chart_id, title, desc, height)
    base_y = top + plot_h
    n = len(x_labels)

    def px(i: int) -> float:
        return left + plot_w * (i + 0.5) / n

    def py(v: float) -> float:
        return base_y - plot_h * v / vmax

    ticks = round(vmax / step)
    for t in range(ticks + 1):
        y = py(step * t)
        parts.append(
            f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(left + plot_w)}" y2="{_num(y)}"'
            f' stroke="{GRID}" stroke-width="1"/>'
        )
        label = display(Cell(int(step * t)), "count") + (" %" if unit == "percent" else "")
        parts.append(
            f'<text x="{_num(left - 8)}" y="{_num(y + 4)}" text-anchor="end">{label}</text>'
        )
    for i, label in enumerate(x_labels):
        parts.append(
            f'<text x="{_num(px(i))}" y="{_num(base_y + 20)}" text-anchor="middle">'
            f"{escape(label)}</text>"
        )
    parts.append(
        f'<line x1="{_num(left)}" y1="{_num(base_y)}" x2="{_num(left + plot_w)}"'
        f' y2="{_num(base_y)}" stroke="{AXIS}" stroke-width="1"/>'
    )
    styles = []
    plain = 0
    for s in series:
        if s.total:
            styles.append(TOTAL_STYLE)
        else:
            styles.append(LINE_STYLES[plain % len(LINE_STYLES)])
            plain += 1
    for s, (color, shape, dash) in zip(series, styles, strict=True):
        width = 3 if s.total else 2
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        segment: list[str] = []
        segments: list[list[str]] = []
        for i, v in enumerate(s.values):
            if v is None:
                if segment:
                    segments.append(segment)
                segment = []
                continue
            segment.append(f"{_num(px(i))},{_num(py(float(v)))}")
        if segment:
            segments.append(segment)
        for seg in segments:
            if len(seg) > 1:
                parts.append(
                    f'<polyline points="{" ".join(seg)}" fill="none" stroke="{color}"'
                    f' stroke-width="{width}"{dash_attr}/>'
                )
        for i, v in enumerate(s.values):
            if v is not None:
                parts.append(_marker(shape, px(i), py(float(v)), color))
    for row, (s, (color, shape, dash)) in enumerate(zip(series, styles, strict=True)):
        y = legend_top + row * 22
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(left + 36)}" y2="{_num(y)}"'
            f' stroke="{color}" stroke-width="{3 if s.total else 2}"{dash_attr}/>'
        )
        parts.append(_marker(shape, left + 18, y, color))
        parts.append(
            f'<text x="{_num(left + 46)}" y="{_num(y + 4)}">{escape(_short(s.label, 80))}</text>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
