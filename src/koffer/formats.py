"""German formats for what people read: month names, dates and date ranges, numbers,
euro amounts and percentages, written once for pages, PDFs, CSV files and messages.

It sits at the root beside ``errors.py`` (no layer of its own) because services write
these texts too (invoices, § 47 reports, audit notes), not only the web shell.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

MONTH_NAMES = (
    "Januar",
    "Februar",
    "März",
    "April",
    "Mai",
    "Juni",
    "Juli",
    "August",
    "September",
    "Oktober",
    "November",
    "Dezember",
)
MONTH_ABBREVIATIONS = (
    "Jan",
    "Feb",
    "Mär",
    "Apr",
    "Mai",
    "Jun",
    "Jul",
    "Aug",
    "Sep",
    "Okt",
    "Nov",
    "Dez",
)
CENT = Decimal("0.01")


def month_label(month: date) -> str:
    """``2026-10-01`` → ``Oktober 2026``."""
    return f"{MONTH_NAMES[month.month - 1]} {month.year}"


def german_date(day: date) -> str:
    """``2026-10-03`` → ``03.10.2026``."""
    return f"{day:%d.%m.%Y}"


def date_range(first: date, last: date, *, between: str = " bis ") -> str:
    """``03.12.2026 bis 04.12.2026``."""
    return f"{german_date(first)}{between}{german_date(last)}"


def date_ranges(ranges: Iterable[tuple[date, date]]) -> str:
    """Several day ranges, compact: ``01.10.2026–03.10.2026, 07.10.2026``."""
    return ", ".join(
        german_date(first) if first == last else date_range(first, last, between="–")
        for first, last in ranges
    )


def counted(n: int, one: str, many: str) -> str:
    """ "1 Monat", "3 Monate", "0 Tage": a count with its noun in singular or plural."""
    return f"{n} {one if n == 1 else many}"


def number(value: int | Decimal, places: int = 0, *, thousands: bool = True) -> str:
    """``1234.5`` → ``1.234,5`` (``places=1``); without ``thousands`` → ``1234,5``, as
    spreadsheets read it back."""
    text = f"{value:,.{places}f}" if thousands else f"{value:.{places}f}"
    return text.replace(",", "\0").replace(".", ",").replace("\0", "." if thousands else "")


def euro(amount: Decimal | int) -> str:
    """``1234.5`` → ``1.234,50 €``, rounded half up to the cent (kaufmännisch)."""
    return f"{number(Decimal(amount).quantize(CENT, rounding=ROUND_HALF_UP), 2)} €"


def percent_of(part: int, whole: int) -> Decimal | None:
    """``part`` as a share of ``whole`` in percent, one decimal, rounded half up
    (``2`` of ``3`` → ``66.7``); None when there is no whole to be a part of."""
    if whole <= 0:
        return None
    return (Decimal(part * 100) / Decimal(whole)).quantize(Decimal("0.1"), ROUND_HALF_UP)


def percent(share: Decimal, places: int | None = None) -> str:
    """``75.00`` → ``75 %``, ``62.50`` → ``62,5 %``; with ``places`` that many decimals
    (``62.0``, ``places=1`` → ``62,0 %``)."""
    text = f"{share.normalize():f}" if places is None else f"{share:.{places}f}"
    return f"{text.replace('.', ',')} %"


# A cell starting like a formula is run by spreadsheet programs (Excel); a leading
# apostrophe keeps it text. Cells of CSV files people open hold anyone's text.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_text(value: str) -> str:
    """``value`` as a CSV cell that a spreadsheet shows as text, never runs."""
    return "'" + value if value.startswith(FORMULA_START) else value


def iban(value: str) -> str:
    """An IBAN as printed, in groups of four (``DE02 1203 0000 0000 2020 51``)."""
    return " ".join(value[i : i + 4] for i in range(0, len(value), 4))
