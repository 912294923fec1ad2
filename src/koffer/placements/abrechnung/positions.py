"""What a month of a Belegung or a standby place is worth: the positions (days, rate,
share, amount) both the provider's Leistungsnachweis and the youth office's check compute
the same way, with the months, days and amounts in words, and the batch loader of rates,
absences and addresses."""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from koffer import formats
from koffer.placements.errors import PlacementsError
from koffer.placements.models import (
    AbsenceRounding,
    Abwesenheit,
    Belegung,
    Entgelt,
    Fachbereich,
    Platz,
    Rechnungsanschrift,
    Traegerprofil,
)
from koffer.placements.xrechnung.document import (
    money,
)

HUNDRED = Decimal(100)

ANWESENHEIT = "anwesenheit"
ABWESENHEIT = "abwesenheit"
VORHALTUNG = "vorhaltung"
ART_LABELS = {
    ANWESENHEIT: "Anwesenheitstage",
    ABWESENHEIT: "Abwesenheitstage",
    VORHALTUNG: "Vorhaltetage",
}
_ART_ORDER = {ANWESENHEIT: 0, ABWESENHEIT: 1, VORHALTUNG: 2}


# --- months, days and amounts in words ----------------------------------------------------------


def month_bounds(monat: date) -> tuple[date, date]:
    """First and last day of the month ``monat`` lies in."""
    first = monat.replace(day=1)
    return first, first.replace(day=calendar.monthrange(first.year, first.month)[1])


def parse_monat(text: str) -> date:
    """``2026-10`` (as a month field sends it) as the first day of that month."""
    try:
        year, month = (int(part) for part in text.strip().split("-")[:2])
        return date(year, month, 1)
    except (ValueError, TypeError) as exc:
        raise PlacementsError("monat", "Bitte den Monat als JJJJ-MM angeben.") from exc


def euro_price(price: Decimal) -> str:
    """A day price: in cents like :func:`formats.euro`, but a price a contract rounds per
    line keeps its decimals (``136.875`` → ``136,875 €``)."""
    if price == money(price):
        return formats.euro(price)
    text = f"{price.normalize():,f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} €"


def each_day(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


def day_ranges(days: Iterable[date]) -> list[tuple[date, date]]:
    """Consecutive days joined into (first, last) ranges, in order."""
    ranges: list[tuple[date, date]] = []
    for day in sorted(set(days)):
        if ranges and ranges[-1][1] + timedelta(days=1) == day:
            ranges[-1] = (ranges[-1][0], day)
        else:
            ranges.append((day, day))
    return ranges


# --- positions: the one computation, shared by the provider's Nachweis and the youth
# office's check ----------------------------------------------------------------------------------


def _rate_on(entgelte: Sequence[Entgelt], day: date) -> Entgelt | None:
    for entgelt in entgelte:
        if entgelt.valid_from <= day and (entgelt.valid_to is None or day <= entgelt.valid_to):
            return entgelt
    return None


def positions_for(
    days: Iterable[tuple[date, str]],
    entgelte: Sequence[Entgelt],
    *,
    title: str,
    what: str,
    rounding: str = AbsenceRounding.PER_DAY,
) -> list[dict[str, Any]]:
    """Positions for (day, art) pairs: one per Entgelt, art and run of consecutive days,
    in the order of their first day, so that each position's (and invoice line's) period
    (BT-134/BT-135) holds exactly the days it bills. Raises ``rate_gap`` naming every day
    without a valid Entgelt.

    The price of a day is the Tagessatz times the share. At 100 % it is the Tagessatz, in
    cents. A reduced share (absence days) is rounded as the Angebot's contract says:
    ``tag`` (the default) rounds the day price half up to cents and multiplies it by the
    days; ``position`` keeps the exact day price and rounds the line amount once."""
    gaps: list[date] = []
    groups: dict[tuple[uuid.UUID, str], list[date]] = {}
    rates: dict[uuid.UUID, Entgelt] = {}
    for day, art in days:
        rate = _rate_on(entgelte, day)
        if rate is None:
            gaps.append(day)
            continue
        rates[rate.pk] = rate
        groups.setdefault((rate.pk, art), []).append(day)
    if gaps:
        raise PlacementsError(
            "rate_gap",
            f"{what}: Für {formats.date_ranges(day_ranges(gaps))} gilt kein Entgelt. Bitte zuerst "
            "das Entgelt für diese Tage vereinbaren; es wurde nichts gespeichert.",
        )
    runs = [
        (rate_id, art, run) for (rate_id, art), group in groups.items() for run in day_ranges(group)
    ]
    positions = []
    for rate_id, art, (start, end) in sorted(runs, key=lambda r: (r[2][0], _ART_ORDER[r[1]])):
        rate = rates[rate_id]
        share = rate.absence_share if art == ABWESENHEIT else HUNDRED
        exact = rate.tagessatz * share / HUNDRED
        price = exact if rounding == AbsenceRounding.PER_LINE else money(exact)
        price = price.normalize() if price != money(price) else money(price)
        tage = (end - start).days + 1
        label = f"{title} – {ART_LABELS[art]}"
        if art == ABWESENHEIT:
            label += f" ({formats.percent(share)})"
        positions.append(
            {
                "art": art,
                "bezeichnung": label,
                "von": start.isoformat(),
                "bis": end.isoformat(),
                "zeitraeume": [[start.isoformat(), end.isoformat()]],
                "tage": tage,
                "tagessatz": str(money(rate.tagessatz)),
                "anteil": str(share.quantize(Decimal("0.01"))),
                "preis": f"{price:f}",
                "betrag": str(money(price * tage)),
                "entgelt": str(rate.pk),
            }
        )
    return positions


def position_days(positions: Iterable[dict[str, Any]], art: str | None = None) -> set[date]:
    """Every day the positions bill (optionally of one art)."""
    days: set[date] = set()
    for position in positions:
        if art is not None and position.get("art") != art:
            continue
        for start, end in position.get("zeitraeume", []):
            days.update(each_day(date.fromisoformat(start), date.fromisoformat(end)))
    return days


def total_of(positions: Iterable[dict[str, Any]]) -> Decimal:
    return money(sum((Decimal(p["betrag"]) for p in positions), Decimal("0")))


def belegung_period(belegung: Belegung, monat: date) -> tuple[date, date] | None:
    """The Belegung's days within the month, or None when it did not run then."""
    first, last = month_bounds(monat)
    start = max(belegung.beginn, first)
    end = min(belegung.ende or last, last)
    return (start, end) if start <= end else None


def platz_period(platz: Platz, monat: date) -> tuple[date, date] | None:
    """The days of the month a (standby) place exists."""
    first, last = month_bounds(monat)
    start = max(platz.valid_from, first)
    end = min(platz.valid_to or last, last)
    return (start, end) if start <= end else None


def absent_days(abwesenheiten: Iterable[Abwesenheit], start: date, end: date) -> set[date]:
    days: set[date] = set()
    for item in abwesenheiten:
        days.update(each_day(max(item.von, start), min(item.bis, end)))
    return days


def belegung_label(belegung: Belegung) -> str:
    return f"{belegung.gesuch.pseudonym} ({belegung.einrichtung.name}, {belegung.platz.label})"


def platz_label(platz: Platz) -> str:
    return f"{platz.standby_label} ({platz.einrichtung.name})"


def _title(angebot: Any) -> str:
    return str(angebot.betreuungsform) or angebot.title


def belegung_positions(
    belegung: Belegung,
    monat: date,
    entgelte: Sequence[Entgelt],
    abwesenheiten: Iterable[Abwesenheit],
) -> tuple[tuple[date, date], list[dict[str, Any]]]:
    period = belegung_period(belegung, monat)
    if period is None:
        raise PlacementsError(
            "not_in_month",
            f"{belegung_label(belegung)}: Die Belegung bestand im {formats.month_label(monat)} nicht.",
        )
    start, end = period
    away = absent_days(abwesenheiten, start, end)
    days = ((day, ABWESENHEIT if day in away else ANWESENHEIT) for day in each_day(start, end))
    positions = positions_for(
        days,
        entgelte,
        title=_title(belegung.angebot),
        what=belegung_label(belegung),
        rounding=belegung.angebot.absence_rounding,
    )
    return period, positions


def standby_positions(
    platz: Platz, monat: date, entgelte: Sequence[Entgelt]
) -> tuple[tuple[date, date], list[dict[str, Any]]]:
    period = platz_period(platz, monat)
    if period is None:
        raise PlacementsError(
            "not_in_month",
            f"{platz_label(platz)}: Den Platz gab es im {formats.month_label(monat)} nicht.",
        )
    start, end = period
    days = ((day, VORHALTUNG) for day in each_day(start, end))
    return period, positions_for(
        days,
        entgelte,
        title=_title(platz.angebot),
        what=platz_label(platz),
        rounding=platz.angebot.absence_rounding,
    )


# --- loading what a computation needs, once per batch -------------------------------------------


class Sources:
    """Rates, absences, profile and invoice addresses of one provider, cached, so that a
    batch of Belegungen costs a handful of queries instead of several per Belegung."""

    def __init__(self, tenant_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self._entgelte: dict[uuid.UUID, list[Entgelt]] = {}
        self._abwesenheiten: dict[uuid.UUID, list[Abwesenheit]] = {}
        self._anschriften: dict[uuid.UUID, Rechnungsanschrift | None] = {}
        self._profil: Traegerprofil | None = None
        self._profil_loaded = False
        self._fachbereiche: dict[uuid.UUID, Fachbereich] | None = None

    def fachbereich(self, fachbereich_id: uuid.UUID) -> Fachbereich | None:
        """The (installation-wide, few) Fachbereiche, loaded once per batch."""
        if self._fachbereiche is None:
            self._fachbereiche = {fb.pk: fb for fb in Fachbereich.objects.all()}
        return self._fachbereiche.get(fachbereich_id)

    def entgelte(self, angebot_id: uuid.UUID) -> list[Entgelt]:
        if angebot_id not in self._entgelte:
            self.load_entgelte([angebot_id])
        return self._entgelte[angebot_id]

    def load_entgelte(self, angebot_ids: Iterable[uuid.UUID]) -> None:
        wanted = set(angebot_ids) - set(self._entgelte)
        if not wanted:
            return
        for angebot_id in wanted:
            self._entgelte[angebot_id] = []
        rows = (
            Entgelt.objects.for_tenant(self.tenant_id)
            .filter(angebot_id__in=wanted)
            .order_by("valid_from")
        )
        for row in rows:
            self._entgelte[row.angebot_id].append(row)

    def abwesenheiten(self, belegung_id: uuid.UUID) -> list[Abwesenheit]:
        if belegung_id not in self._abwesenheiten:
            self.load_abwesenheiten([belegung_id])
        return self._abwesenheiten[belegung_id]

    def load_abwesenheiten(self, belegung_ids: Iterable[uuid.UUID]) -> None:
        wanted = set(belegung_ids)
        for belegung_id in wanted:
            self._abwesenheiten[belegung_id] = []
        rows = Abwesenheit.objects.for_tenant(self.tenant_id).filter(belegung_id__in=wanted)
        for row in rows:
            self._abwesenheiten[row.belegung_id].append(row)

    def profil(self) -> Traegerprofil:
        if not self._profil_loaded:
            self._profil = Traegerprofil.objects.for_tenant(self.tenant_id).first()
            self._profil_loaded = True
        if self._profil is None:
            raise PlacementsError(
                "no_profile",
                "Bitte zuerst das Trägerprofil ausfüllen (Name, Anschrift, Bankverbindung, "
                "Ansprechpartner): ohne diese Angaben lässt sich keine Rechnung erstellen.",
            )
        return self._profil

    def anschrift(self, jugendamt_id: uuid.UUID) -> Rechnungsanschrift | None:
        if jugendamt_id not in self._anschriften:
            self.load_anschriften([jugendamt_id])
        return self._anschriften[jugendamt_id]

    def load_anschriften(self, jugendamt_ids: Iterable[uuid.UUID]) -> None:
        wanted = set(jugendamt_ids) - set(self._anschriften)
        if not wanted:
            return
        found = {
            a.tenant_id: a
            for a in Rechnungsanschrift.objects.unscoped().filter(tenant_id__in=wanted)
        }
        for jugendamt_id in wanted:
            self._anschriften[jugendamt_id] = found.get(jugendamt_id)
