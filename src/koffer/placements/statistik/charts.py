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
BAR_COLORS = ("#00386b", "#b54708", "#1b6e3a", "#7a2e8e")  # 2 for the statistics
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
# The phone variant (shown below 40rem instead of the wide one): at 360 px drawn on a
# 375 px screen the text keeps about its 13 px, where the wide chart would shrink it to 6.
PHONE_WIDTH = 360
FONT = 13
# A category label wraps beyond this width rather than squeezing the bars.
MAX_LABEL_WIDTH = 260.0


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


# Advance widths of Fira Sans (the page font) and of the fallback sans fonts, in em,
# rounded up: a label's estimated extent is never shorter than the drawn one. The chart
# is laid out from these, so no label is cut off or shortened, however long.
_NARROW = set("iljtfrI.,:;'!|()[]/- ")
_WIDE = set("mwMWÄÖÜOQGDHNCK%@&—–§")
LINE_HEIGHT = 16.0


def text_width(text: str, size: float = FONT) -> float:
    """Estimated width in px of ``text`` set at ``size`` px."""
    em = 0.0
    for char in text:
        if char in _NARROW:
            em += 0.34
        elif char in _WIDE:
            em += 0.86
        elif char.isupper():
            em += 0.68
        else:  # lower case, digits, the rest
            em += 0.58
    return em * size


def wrap(text: str, width: float, size: float = FONT) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` px (a single word
    wider than that is broken where it must be)."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if text_width(candidate, size) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while len(word) > 1 and text_width(word, size) > width:
            fits = (n for n in range(len(word) - 1, 0, -1) if text_width(word[:n], size) <= width)
            cut = next(fits, 1)
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines or [""]


def _lines(x: float, y: float, lines: Sequence[str], anchor: str = "start") -> str:
    """A text of one or more lines, the first with its baseline at ``y``."""
    anchor_attr = f' text-anchor="{anchor}"' if anchor != "start" else ""
    if len(lines) == 1:
        return f'<text x="{_num(x)}" y="{_num(y)}"{anchor_attr}>{escape(lines[0])}</text>'
    spans = "".join(
        f'<tspan x="{_num(x)}" dy="{0 if i == 0 else _num(LINE_HEIGHT)}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    return f'<text x="{_num(x)}" y="{_num(y)}"{anchor_attr}>{spans}</text>'


def _open(chart_id: str, title: str, desc: str, width: float, height: float) -> list[str]:
    variant = " koffer-chart--phone" if width < WIDTH else ""
    return [
        f'<svg class="koffer-chart{variant}" role="img"'
        f' aria-labelledby="{chart_id}-title {chart_id}-desc"'
        f' viewBox="0 0 {_num(width)} {_num(height)}" width="{_num(width)}" height="{_num(height)}"'
        f' font-size="{FONT}" fill="{TEXT}" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
        f'<rect x="0" y="0" width="{_num(width)}" height="{_num(height)}" fill="#ffffff"/>',
    ]


def bar_chart(
    *,
    chart_id: str,
    title: str,
    desc: str,
    categories: Sequence[str],
    series: Sequence[tuple[str, Sequence[Cell]]],
    width: float = WIDTH,
) -> SafeString:
    """Horizontal grouped bars: one group per category, one bar per series, the value
    (or the sign of a suppressed cell) written at the end of each bar. The category
    labels wrap onto as many lines as they need; the margins are as wide as the longest
    label line and the longest value."""
    bar_h, gap, pad = 16.0, 14.0, 8.0
    label_lines = [wrap(c, min(MAX_LABEL_WIDTH, width * 0.36)) for c in categories]
    label_w = max((text_width(line) for lines in label_lines for line in lines), default=0.0)
    label_w = pad + label_w + pad
    value_texts = [display(c, "count") for _, cells in series for c in cells]
    right = 4 + max((text_width(v) for v in value_texts), default=0.0) + pad
    plot_w = width - label_w - right
    # Legend: entries side by side, a new row where the next would not fit; it starts
    # above the bars, or at the left edge where a name would not fit there, and a name
    # wider than the chart wraps.
    names = [name for name, _ in series]
    start = label_w if all(label_w + 40 + text_width(n) <= width for n in names) else pad
    legend: list[tuple[float, float, int, list[str]]] = []
    x, y, row_h = start, 12.0, 22.0
    for i, name in enumerate(names):
        lines = wrap(name, width - start - 20 - pad)
        entry_w = 20 + max(text_width(line) for line in lines) + 20
        if x > start and (x + entry_w > width or len(lines) > 1):
            x, y, row_h = start, y + row_h, 22.0
        legend.append((x, y, i, lines))
        x += entry_w
        row_h = max(row_h, 22 + (len(lines) - 1) * LINE_HEIGHT)
    top = y + row_h + 22
    groups_h = [max(len(series) * bar_h, len(lines) * LINE_HEIGHT) + gap for lines in label_lines]
    height = top + sum(groups_h) + 28
    values = [float(c.value) for _, cells in series for c in cells if c.value is not None]
    vmax, step = _nice_max(max(values, default=0.0))
    parts = _open(chart_id, title, desc, width, height)
    for lx, ly, i, lines in legend:
        color = BAR_COLORS[i % len(BAR_COLORS)]
        parts.append(f'<rect x="{_num(lx)}" y="{_num(ly)}" width="14" height="14" fill="{color}"/>')
        parts.append(_lines(lx + 20, ly + 12, lines))
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
    y0 = top
    for g, lines in enumerate(label_lines):
        group_h = groups_h[g] - gap
        center = y0 + group_h / 2
        first_baseline = center + 4 - (len(lines) - 1) * LINE_HEIGHT / 2
        parts.append(_lines(label_w - pad, first_baseline, lines, anchor="end"))
        bars_top = y0 + (group_h - len(series) * bar_h) / 2
        for i, (_, cells) in enumerate(series):
            cell = cells[g]
            y = bars_top + i * bar_h
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
        y0 += groups_h[g]
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
    width: float = WIDTH,
) -> SafeString:
    """Lines over the months; a missing value (suppressed, after the "Stand", no places)
    breaks the line. Percentages run from 0 to at least 100."""
    right, top, plot_h = 24.0, 16.0, 240.0
    values = [float(v) for s in series for v in s.values if v is not None]
    peak = max(values, default=0.0)
    vmax, step = _nice_max(max(peak, 100.0) if unit == "percent" else peak)
    ticks = round(vmax / step)
    tick_labels = [
        display(Cell(int(step * t)), "count") + (" %" if unit == "percent" else "")
        for t in range(ticks + 1)
    ]
    left = 8 + max(text_width(label) for label in tick_labels) + 8
    plot_w = width - left - right
    legend_top = top + plot_h + 40
    legend_left = min(left, 8.0 if width < WIDTH else left)
    legend_x = legend_left + 46
    legend_lines = [wrap(s.label, width - legend_x - 8) for s in series]
    legend_ys: list[float] = []
    y = legend_top
    for lines in legend_lines:
        legend_ys.append(y)
        y += (len(lines) - 1) * LINE_HEIGHT + 22
    height = y + 8
    parts = _open(chart_id, title, desc, width, height)
    base_y = top + plot_h
    n = len(x_labels)

    def px(i: int) -> float:
        return left + plot_w * (i + 0.5) / n

    def py(v: float) -> float:
        return base_y - plot_h * v / vmax

    for t, label in enumerate(tick_labels):
        y = py(step * t)
        parts.append(
            f'<line x1="{_num(left)}" y1="{_num(y)}" x2="{_num(left + plot_w)}" y2="{_num(y)}"'
            f' stroke="{GRID}" stroke-width="1"/>'
        )
        parts.append(
            f'<text x="{_num(left - 8)}" y="{_num(y + 4)}" text-anchor="end">{label}</text>'
        )
    # Every month where there is room, else every second or third (the table has them all).
    slot = plot_w / max(n, 1)
    widest = max((text_width(label) for label in x_labels), default=0.0) + 6
    every = max(1, math.ceil(widest / slot))
    for i, label in enumerate(x_labels):
        if i % every:
            continue
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
        y = legend_ys[row]
        dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
        parts.append(
            f'<line x1="{_num(legend_left)}" y1="{_num(y)}" x2="{_num(legend_left + 36)}"'
            f' y2="{_num(y)}" stroke="{color}" stroke-width="{3 if s.total else 2}"{dash_attr}/>'
        )
        parts.append(_marker(shape, legend_left + 18, y, color))
        parts.append(_lines(legend_x, y + 4, legend_lines[row]))
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every text above is escaped
