"""The rollout per Standort as a bar chart (server-rendered SVG, the statistics' own
chart, so it looks and reads like the other charts: role img, title, description, values
on the bars; the table beside it holds the same numbers)."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.safestring import SafeString

from koffer.inbox.rueckscan.selectors import Stand
from koffer.placements.statistik.charts import PHONE_WIDTH, bar_chart
from koffer.placements.statistik.tables import Cell

TITLE = "Rückscan je Standort"


def rollout_charts(staende: Sequence[Stand]) -> tuple[SafeString, SafeString]:
    """The chart wide and for phones."""
    series: list[tuple[str, list[Cell]]] = [
        ("geplant", [Cell(s.geplant) for s in staende]),
        ("gescannt", [Cell(s.gescannt) for s in staende]),
        ("offene Probleme", [Cell(s.probleme) for s in staende]),
    ]
    if any(s.importiert is not None for s in staende):
        series.append(("importiert", [Cell(s.importiert or 0) for s in staende]))
    desc = "; ".join(
        f"{s.name}: {s.geplant} geplant, {s.gescannt} gescannt, {s.probleme} offene Probleme"
        for s in staende
    )
    args = {
        "title": TITLE,
        "desc": desc,
        "categories": [s.name for s in staende],
        "series": series,
    }
    return (
        bar_chart(chart_id="rueckscan", **args),  # type: ignore[arg-type]
        bar_chart(chart_id="rueckscan-phone", width=PHONE_WIDTH, **args),  # type: ignore[arg-type]
    )
