"""Statistik Platzbörse: charts and tables for one year, CSV and XLSX export. Thin:
parse the GET form, call :func:`koffer.placements.statistik.builders.statistik`, render."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import SafeString
from django.views.decorators.http import require_GET

from koffer.accounts.access import requires
from koffer.accounts.http import TenantRequest
from koffer.placements.models import Fachbereich
from koffer.placements.statistik import builders
from koffer.placements.statistik.charts import PHONE_WIDTH, WIDTH, bar_chart, line_chart
from koffer.placements.statistik.export import csv_bytes, display, notes, xlsx_bytes
from koffer.placements.statistik.forms import StatistikForm
from koffer.placements.statistik.scopes import scope_for, scopes_for, sees_statistik
from koffer.placements.statistik.tables import MONTH_NAMES, MONTHS, Statistik
from koffer.shell.breadcrumbs import trail


def _query(request: TenantRequest) -> tuple[StatistikForm, Statistik | None]:
    """The form and, when it is valid, the statistics it asks for."""
    today = timezone.localdate()
    scopes = scopes_for(request.access, request.tenant)
    data = {"jahr": str(today.year), "fachbereich": "", "sicht": scopes[0].kind}
    data |= {k: request.GET[k] for k in data if k in request.GET}
    form = StatistikForm(data, scopes=scopes, today=today)
    if not form.is_valid():
        return form, None
    wanted = form.cleaned_data.get("sicht") or None
    scope = scope_for(request.access, request.tenant, wanted)
    if scope is None:  # pragma: no cover - the decorator checked it
        raise PermissionDenied
    code = form.cleaned_data.get("fachbereich") or ""
    fachbereich = Fachbereich.objects.filter(code=code).first() if code else None
    stat = builders.statistik(
        scope=scope, year=form.cleaned_data["jahr"], fachbereich=fachbereich, today=today
    )
    return form, stat


def _params(stat: Statistik) -> dict[str, str]:
    return {
        "jahr": str(stat.year),
        "fachbereich": stat.fachbereich.code if stat.fachbereich else "",
        "sicht": stat.scope.kind,
    }


def _table_context(stat: Statistik) -> dict[str, list[dict[str, Any]]]:
    """Per section, each table with its display strings and CSV link; the table of the
    line chart comes first in its section, right under the chart."""
    params = _params(stat)
    sections: dict[str, list[dict[str, Any]]] = {}
    line_table = _line_table_key(stat)
    tables = sorted(stat.tables, key=lambda t: t.key != line_table)
    for table in tables:
        rows = [
            {
                "total": row.total,
                "labels": [
                    {"text": text, "span": span}
                    for text, span in zip(row.labels, row.spans, strict=True)
                    if span
                ],
                "cells": [
                    {"text": display(c, table.unit), "sign": c.sign, "total": row.total}
                    for c in row.cells
                ],
            }
            for row in table.rows
        ]
        sections.setdefault(table.section, []).append(
            {
                "table": table,
                "rows": rows,
                "columns": [
                    {"text": c, "title": MONTH_NAMES[MONTHS.index(c)] if c in MONTHS else ""}
                    for c in table.columns
                ],
                "csv_url": reverse("placements:statistik_csv")
                + "?"
                + urlencode({**params, "tabelle": table.key}),
            }
        )
    return sections


def _charts(stat: Statistik) -> dict[str, Any]:
    """Each chart twice: wide, and narrow for phones (CSS shows one of them)."""
    wide, phone = _chart_pair(stat, WIDTH, ""), _chart_pair(stat, PHONE_WIDTH, "-schmal")
    return {
        "bars": wide["bars"],
        "lines": wide["lines"],
        "bars_phone": phone["bars"],
        "lines_phone": phone["lines"],
        "line_table": _line_table_key(stat),
    }


def _chart_pair(stat: Statistik, width: int, suffix: str) -> dict[str, SafeString]:
    overview = stat.table("uebersicht")
    categories = [r.labels[0] for r in overview.rows]
    bars = bar_chart(
        chart_id=f"chart-bewegungen{suffix}",
        width=width,
        title=overview.title,
        desc=(
            "Balkendiagramm: je Betreuungsform ein Balken für begonnene und einer für "
            "beendete Belegungen. Die Zahlen stehen in der Tabelle unter dem Diagramm."
        ),
        categories=categories,
        series=[
            ("begonnen", [r.cells[0] for r in overview.rows]),
            ("beendet", [r.cells[1] for r in overview.rows]),
        ],
    )
    lines = line_chart(
        chart_id=f"chart-auslastung{suffix}",
        width=width,
        title=stat.line_title,
        desc=(
            "Liniendiagramm: je Betreuungsform und insgesamt eine Linie über die Monate "
            "Januar bis Dezember. Fehlende Werte unterbrechen die Linie. Die Zahlen stehen "
            "in der Tabelle unter dem Diagramm."
        ),
        x_labels=MONTHS,
        series=stat.line_series,
        unit=stat.line_unit,
    )
    return {"bars": bars, "lines": lines}


def _line_table_key(stat: Statistik) -> str:
    return (
        "auslastung_betreuungsform"
        if stat.line_unit == "percent"
        else "belegungstage_betreuungsform"
    )


@require_GET
@requires(sees_statistik)
def statistik(request: TenantRequest) -> HttpResponse:
    form, stat = _query(request)
    context: dict[str, Any] = {
        "form": form,
        "stat": stat,
        "page_title": "Statistik Platzbörse",
        "breadcrumbs": trail(("Statistik Platzbörse", None)),
    }
    if stat is None:
        return render(request, "placements/statistik.html", context, status=400)
    params = urlencode(_params(stat))
    context |= {
        "sections": _table_context(stat),
        "charts": _charts(stat),
        "notes": notes(stat),
        "xlsx_url": reverse("placements:statistik_xlsx") + "?" + params,
    }
    return render(request, "placements/statistik.html", context)


def _bad_request(form: StatistikForm) -> HttpResponse:
    messages = [str(e) for errors in form.errors.values() for e in errors]
    return HttpResponse(
        "Die Auswahl ist ungültig: " + " ".join(messages),
        status=400,
        content_type="text/plain; charset=utf-8",
    )


def _filename(stat: Statistik, suffix: str) -> str:
    field = f"-{stat.fachbereich.code}" if stat.fachbereich else ""
    return f"statistik-platzboerse-{stat.year}{field}{suffix}"


@require_GET
@requires(sees_statistik)
def statistik_csv(request: TenantRequest) -> HttpResponse:
    """One table as CSV (``tabelle`` = its key)."""
    form, stat = _query(request)
    if stat is None:
        return _bad_request(form)
    key = request.GET.get("tabelle", "")
    try:
        table = stat.table(key)
    except KeyError:
        return HttpResponse(
            "Diese Tabelle gibt es nicht. Bitte den Link auf der Statistikseite verwenden.",
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    response = HttpResponse(csv_bytes(stat, table), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="{_filename(stat, "-" + table.key.replace("_", "-"))}.csv"'
    )
    return response


@require_GET
@requires(sees_statistik)
def statistik_xlsx(request: TenantRequest) -> HttpResponse:
    """Every table of the page, one sheet each."""
    form, stat = _query(request)
    if stat is None:
        return _bad_request(form)
    response = HttpResponse(
        xlsx_bytes(stat),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_filename(stat, "")}.xlsx"'
    return response
