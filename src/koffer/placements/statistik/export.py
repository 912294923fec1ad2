"""The statistics tables as text: German number formats for the page, CSV (UTF-8 with
BOM, semicolon, decimal comma, as Excel in Germany opens it) and XLSX (one sheet per
table). All three read the same suppressed cells from :mod:`koffer.placements.statistik.builders`."""

from __future__ import annotations

import csv
import io
import re

import xlsxwriter

from koffer import formats
from koffer.placements.statistik.tables import SIGN_NOTES, Cell, Statistik, Table, Unit


def _places(unit: Unit) -> int:
    return {"percent": 1, "euro": 2}.get(unit, 0)


def display(cell: Cell, unit: Unit) -> str:
    """For the page: 1.234 · 87,5 · 12.345,67, or the official sign."""
    if cell.value is None:
        return cell.sign
    return formats.number(cell.value, _places(unit))


def plain(cell: Cell, unit: Unit) -> str:
    """For CSV: no thousands separator, decimal comma, or the official sign."""
    if cell.value is None:
        return cell.sign
    return formats.number(cell.value, _places(unit), thousands=False)


def notes(stat: Statistik, table: Table | None = None) -> list[str]:
    """Footnotes: the signs the table (or the page) uses, and where the figures end."""
    signs = table.signs if table is not None else stat.signs
    lines = [SIGN_NOTES[s] for s in SIGN_NOTES if s in signs]
    if table is not None and table.note:
        lines.append(table.note)
    lines.append(
        f"Stand: {stat.stand:%d.%m.%Y}. Sicht: {stat.scope.label} ({stat.scope.tenant_name})."
    )
    return lines


def csv_bytes(stat: Statistik, table: Table) -> bytes:
    """One table: title, header, rows, a blank line, the footnotes."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    width = len(table.stub) + len(table.columns)
    writer.writerow([table.title] + [""] * (width - 1))
    writer.writerow([*table.stub, *table.columns])
    for row in table.rows:
        writer.writerow([*row.labels, *(plain(c, table.unit) for c in row.cells)])
    writer.writerow([])
    for line in notes(stat, table):
        writer.writerow([line])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


NUMBER_FORMATS = {"count": "#,##0", "days": "#,##0", "percent": "0.0", "euro": "#,##0.00"}
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


def sheet_name(table: Table, used: set[str]) -> str:
    """Excel allows 31 characters and no []:*?/\\ in a sheet name, unique per file."""
    base = _SHEET_FORBIDDEN.sub("-", table.key.replace("_", " ").title())[:31]
    name, n = base, 2
    while name.casefold() in used:
        suffix = f" {n}"
        name = base[: 31 - len(suffix)] + suffix
        n += 1
    used.add(name.casefold())
    return name


def xlsx_bytes(stat: Statistik) -> bytes:
    """Every table on its own sheet: title in A1, header in row 3, numbers as numbers
    (signs as text), footnotes below."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    title = book.add_format({"bold": True, "font_size": 12})
    header = book.add_format({"bold": True, "bottom": 1, "text_wrap": True, "valign": "top"})
    formats = {u: book.add_format({"num_format": f}) for u, f in NUMBER_FORMATS.items()}
    total_formats = {
        u: book.add_format({"num_format": f, "bold": True}) for u, f in NUMBER_FORMATS.items()
    }
    sign = book.add_format({"align": "right"})
    used: set[str] = set()
    for table in stat.tables:
        sheet = book.add_worksheet(sheet_name(table, used))
        sheet.write_string(0, 0, table.title, title)
        for col, text in enumerate([*table.stub, *table.columns]):
            sheet.write_string(2, col, text, header)
        first = len(table.stub)
        for r, row in enumerate(table.rows, start=3):
            for col, label in enumerate(row.labels):
                sheet.write_string(r, col, label, bold if row.total else None)
            number = total_formats[table.unit] if row.total else formats[table.unit]
            for col, cell in enumerate(row.cells, start=first):
                if cell.value is None:
                    sheet.write_string(r, col, cell.sign, sign)
                else:
                    sheet.write_number(r, col, float(cell.value), number)
        end = 3 + len(table.rows) + 1
        for i, line in enumerate(notes(stat, table)):
            sheet.write_string(end + i, 0, line)
        for col in range(first):
            width = max([len(table.stub[col]), *(len(r.labels[col]) for r in table.rows)])
            sheet.set_column(col, col, min(60, max(10, width + 2)))
        sheet.set_column(first, first + len(table.columns) - 1, 11)
        sheet.freeze_panes(3, first)
    book.close()
    return buffer.getvalue()
