"""Billing of the Platzbörse: Leistungsnachweis → XRechnung → the youth office's decision.

Once a month the provider computes a Leistungsnachweis for every Belegung: the days of the
Belegung within the month (first and last day included), absence days (Abwesenheit rows)
paid at the share agreed in the Entgelt, every day at the Tagessatz valid on that day, so
a rate change in mid-month gives two positions. A day without a valid Entgelt stops the
computation with the dates named (nothing is stored). The provider confirms the
Nachweis; the confirmed Nachweis becomes one XRechnung (CII) to the youth office's
Leitweg-ID, checked against the XML schema, EN 16931 and the KoSIT XRechnung rules. Only
an invoice that passed all three checks can be sent; one that failed keeps its findings
(rule, field, message) and can be built again after the data was fixed. The youth office
checks each sent invoice against its own Belegungen (:func:`check_rechnung`) and
approves it or rejects it with a reason.

Standby places (Vorhalteplätze) are paid by their contracting youth office for every day
the place exists in the month, occupied or not, at the full Tagessatz
(:func:`compute_standby_nachweis`). A Belegung on a standby place is therefore never billed
on its own: the place's standby Nachweis already pays for those days, and billing the
Belegung as well would pay them twice.

Amounts are Decimal: a position's price is the Tagessatz times the share, rounded half up
to cents, and its amount the number of days times that price, rounded again, which is
exactly how the XRechnung line amount (BT-131) is computed, so the Nachweis and its
invoice agree to the cent by construction.

:func:`run_month_end` bills a provider's whole month (compute, confirm, invoice) in
batches, as the job kind ``placements.monatsabrechnung`` with progress. Every Belegung
commits on its own, and a rerun skips what is already invoiced, so no step is done twice
after a restart.
"""

from __future__ import annotations

import calendar
import uuid
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from lxml import etree

from koffer.accounts.roles import Perm
from koffer.blobs.store import BlobNotFound, get_store
from koffer.jobs import registry
from koffer.jobs import services as jobs
from koffer.jobs.models import Job
from koffer.jobs.runner import JobError, JobRun, Outcome
from koffer.placements import events
from koffer.placements.access import AGGREGATE_ONLY_KINDS
from koffer.placements.errors import Conflict, NotFound, PlacementsError
from koffer.placements.models import (
    Abwesenheit,
    Belegung,
    Entgelt,
    Leistungsnachweis,
    Platz,
    Rechnung,
    Rechnungsanschrift,
    Traegerprofil,
)
from koffer.placements.numbering import next_number
from koffer.placements.xrechnung import Finding, build_cii, validate
from koffer.placements.xrechnung.document import (
    Address,
    BillingBasis,
    Buyer,
    ElectronicAddress,
    Invoice,
    InvoiceLine,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Seller,
    SellerContact,
    UnitCode,
    money,
)
from koffer.tenancy.models import Mandant

JOB_KIND = "placements.monatsabrechnung"
BATCH_SIZE = 200
PAYMENT_DAYS = 30
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

# What the youth office sees: an invoice exists for it only once the provider sent it.
SENT_STATES = (
    Rechnung.Status.VERSENDET,
    Rechnung.Status.FREIGEGEBEN,
    Rechnung.Status.ABGELEHNT,
)

MONATSNAMEN = (
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


def monat_label(monat: date) -> str:
    return f"{MONATSNAMEN[monat.month - 1]} {monat.year}"


def euro(amount: Decimal) -> str:
    """``1234.5`` → ``1.234,50 €``."""
    text = f"{money(amount):,.2f}".replace(",", "_").replace(".", ",").replace("_", ".")
    return f"{text} €"


def percent(share: Decimal) -> str:
    """``75.00`` → ``75 %``, ``62.50`` → ``62,5 %``."""
    text = f"{share.normalize():f}".replace(".", ",")
    return f"{text} %"


def _days(start: date, end: date) -> Iterator[date]:
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


def format_ranges(ranges: Iterable[tuple[date, date]]) -> str:
    parts = [f"{a:%d.%m.%Y}" if a == b else f"{a:%d.%m.%Y}–{b:%d.%m.%Y}" for a, b in ranges]
    return ", ".join(parts)


# --- positions: the one computation, shared by the provider's Nachweis and the youth
# office's check ----------------------------------------------------------------------------------


def _rate_on(entgelte: Sequence[Entgelt], day: date) -> Entgelt | None:
    for entgelt in entgelte:
        if entgelt.valid_from <= day and (entgelt.valid_to is None or day <= entgelt.valid_to):
            return entgelt
    return None


def positions_for(
    days: Iterable[tuple[date, str]], entgelte: Sequence[Entgelt], *, title: str, what: str
) -> list[dict[str, Any]]:
    """Positions for (day, art) pairs: one per Entgelt and art, in the order of their first
    day. Raises ``rate_gap`` naming every day without a valid Entgelt."""
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
            f"{what}: Für {format_ranges(day_ranges(gaps))} gilt kein Entgelt. Bitte zuerst "
            "das Entgelt für diese Tage vereinbaren; es wurde nichts gespeichert.",
        )
    positions = []
    ordered = sorted(groups.items(), key=lambda item: (item[1][0], _ART_ORDER[item[0][1]]))
    for (rate_id, art), group in ordered:
        rate = rates[rate_id]
        share = rate.absence_share if art == ABWESENHEIT else HUNDRED
        price = money(rate.tagessatz * share / HUNDRED)
        label = f"{title} – {ART_LABELS[art]}"
        if art == ABWESENHEIT:
            label += f" ({percent(share)})"
        ranges = day_ranges(group)
        positions.append(
            {
                "art": art,
                "bezeichnung": label,
                "von": group[0].isoformat(),
                "bis": group[-1].isoformat(),
                "zeitraeume": [[a.isoformat(), b.isoformat()] for a, b in ranges],
                "tage": len(group),
                "tagessatz": str(money(rate.tagessatz)),
                "anteil": str(share.quantize(Decimal("0.01"))),
                "preis": str(price),
                "betrag": str(money(price * len(group))),
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
            days.update(_days(date.fromisoformat(start), date.fromisoformat(end)))
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
        days.update(_days(max(item.von, start), min(item.bis, end)))
    return days


def _belegung_label(belegung: Belegung) -> str:
    return f"{belegung.gesuch.pseudonym} ({belegung.einrichtung.name}, {belegung.platz.label})"


def _platz_label(platz: Platz) -> str:
    return f"Vorhalteplatz {platz.label} ({platz.einrichtung.name})"


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
            f"{_belegung_label(belegung)}: Die Belegung bestand im {monat_label(monat)} nicht.",
        )
    start, end = period
    away = absent_days(abwesenheiten, start, end)
    days = ((day, ABWESENHEIT if day in away else ANWESENHEIT) for day in _days(start, end))
    positions = positions_for(
        days, entgelte, title=_title(belegung.angebot), what=_belegung_label(belegung)
    )
    return period, positions


def standby_positions(
    platz: Platz, monat: date, entgelte: Sequence[Entgelt]
) -> tuple[tuple[date, date], list[dict[str, Any]]]:
    period = platz_period(platz, monat)
    if period is None:
        raise PlacementsError(
            "not_in_month",
            f"{_platz_label(platz)}: Den Platz gab es im {monat_label(monat)} nicht.",
        )
    start, end = period
    days = ((day, VORHALTUNG) for day in _days(start, end))
    return period, positions_for(
        days, entgelte, title=_title(platz.angebot), what=_platz_label(platz)
    )


# --- loading what a computation needs, once per batch -------------------------------------------


class _Sources:
    """Rates, absences, profile and invoice addresses of one provider, cached, so that a
    batch of Belegungen costs a handful of queries instead of several per Belegung."""

    def __init__(self, tenant_id: uuid.UUID) -> None:
        self.tenant_id = tenant_id
        self._entgelte: dict[uuid.UUID, list[Entgelt]] = {}
        self._abwesenheiten: dict[uuid.UUID, list[Abwesenheit]] = {}
        self._anschriften: dict[uuid.UUID, Rechnungsanschrift | None] = {}
        self._profil: Traegerprofil | None = None
        self._profil_loaded = False

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


# --- the youth office's invoice address -----------------------------------------------------------


def save_rechnungsanschrift(
    *,
    actor: Any,
    tenant: Mandant,
    street: str,
    postcode: str,
    city: str,
    bezeichnung: str = "",
) -> Rechnungsanschrift:
    """Where the youth office receives invoices (buyer name and address on every
    XRechnung to it); invoices built afterwards carry it."""
    values = {
        "bezeichnung": " ".join(bezeichnung.split())[:200],
        "street": " ".join(street.split())[:200],
        "postcode": postcode.strip()[:10],
        "city": " ".join(city.split())[:100],
    }
    if not values["postcode"] or not values["city"]:
        raise PlacementsError(
            "address_required", "Postleitzahl und Ort der Rechnungsanschrift sind Pflicht."
        )
    if tenant.kind in AGGREGATE_ONLY_KINDS:
        raise PlacementsError("not_a_payer", "Aufsichtsbehörden erhalten keine Rechnungen.")
    with transaction.atomic():
        anschrift = Rechnungsanschrift.objects.for_tenant(tenant).select_for_update().first()
        old = {k: getattr(anschrift, k) for k in values} if anschrift else {}
        if anschrift is None:
            anschrift = Rechnungsanschrift.objects.create(tenant=tenant, **values)
        else:
            for key, value in values.items():
                setattr(anschrift, key, value)
            anschrift.save(update_fields=list(values))
        events.record(
            actor,
            [tenant.pk],
            "placements.rechnungsanschrift.save",
            anschrift,
            {k: {"old": old.get(k), "new": v} for k, v in values.items() if old.get(k) != v},
        )
    return anschrift


# --- Leistungsnachweis ------------------------------------------------------------------------


def _check_done(end: date, today: date) -> None:
    if end > today:
        raise PlacementsError(
            "not_yet",
            f"Abgerechnet werden nur erbrachte Leistungen: der {end:%d.%m.%Y} liegt noch in der "
            "Zukunft. Bitte nach dem Monatsende erneut berechnen.",
        )


def _already_billed(nachweis: Leistungsnachweis, what: str) -> Conflict:
    rechnung = Rechnung.objects.for_tenant(nachweis.tenant_id).filter(nachweis=nachweis).first()
    suffix = f", Rechnung {rechnung.number}" if rechnung is not None else ""
    return Conflict(
        "already_billed",
        f"{what}: Der {monat_label(nachweis.monat)} ist bereits abgerechnet (Leistungsnachweis "
        f"{nachweis.get_status_display()}{suffix}). Ein bestätigter Leistungsnachweis wird "
        "nicht neu berechnet; korrigiert werden kann er, wenn das Jugendamt die Rechnung "
        "abgelehnt hat.",
    )


def _nachweis_values(period: tuple[date, date], positions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "period_start": period[0],
        "period_end": period[1],
        "anwesenheitstage": sum(p["tage"] for p in positions if p["art"] == ANWESENHEIT),
        "abwesenheitstage": sum(p["tage"] for p in positions if p["art"] == ABWESENHEIT),
        "vorhaltetage": sum(p["tage"] for p in positions if p["art"] == VORHALTUNG),
        "positionen": positions,
        "betrag": total_of(positions),
    }


def _store_nachweis(
    *,
    actor: Any,
    existing: Leistungsnachweis | None,
    tenant_id: uuid.UUID,
    belegung: Belegung | None,
    platz: Platz,
    jugendamt: Mandant,
    monat: date,
    period: tuple[date, date],
    positions: list[dict[str, Any]],
    what: str,
) -> Leistungsnachweis:
    """Create the Nachweis, or recompute a draft in place; a confirmed one is left alone."""
    if existing is not None and existing.status != Leistungsnachweis.Status.ENTWURF:
        raise _already_billed(existing, what)
    values = _nachweis_values(period, positions)
    if existing is not None:
        old = existing.betrag
        for key, value in values.items():
            setattr(existing, key, value)
        existing.save(update_fields=list(values))
        nachweis = existing
        action = "placements.nachweis.recompute"
    else:
        old = None
        try:
            with transaction.atomic():
                nachweis = Leistungsnachweis.objects.create(
                    tenant_id=tenant_id,
                    belegung=belegung,
                    platz=platz,
                    jugendamt=jugendamt,
                    monat=monat,
                    **values,
                )
        except IntegrityError as exc:
            raise Conflict(
                "concurrent_change",
                f"{what}: Der Leistungsnachweis wurde gerade gleichzeitig erstellt. Bitte die "
                "Seite neu laden.",
            ) from exc
        action = "placements.nachweis.compute"
    # Belongs to the provider alone until an invoice is sent.
    events.record(
        actor,
        [tenant_id],
        action,
        nachweis,
        {
            "monat": {"old": None, "new": monat.isoformat()[:7]},
            "betrag": {"old": old and str(old), "new": str(nachweis.betrag)},
        },
    )
    return nachweis


def _existing(
    tenant_id: uuid.UUID, *, belegung_id: uuid.UUID | None, platz_id: uuid.UUID, monat: date
) -> Leistungsnachweis | None:
    qs = (
        Leistungsnachweis.objects.for_tenant(tenant_id)
        .filter(monat=monat)
        .exclude(status=Leistungsnachweis.Status.ERSETZT)
    )
    if belegung_id is not None:
        qs = qs.filter(belegung_id=belegung_id)
    else:
        qs = qs.filter(belegung__isnull=True, platz_id=platz_id)
    return qs.select_for_update().first()


def _compute_belegung(
    actor: Any,
    belegung: Belegung,
    monat: date,
    sources: _Sources,
    today: date,
    existing: Leistungsnachweis | None,
) -> Leistungsnachweis:
    what = _belegung_label(belegung)
    if belegung.platz.is_standby:
        raise PlacementsError(
            "standby_place",
            f"{what}: Belegungen auf Vorhalteplätzen werden nicht einzeln abgerechnet; die Tage "
            "sind mit dem Leistungsnachweis des Vorhalteplatzes bezahlt.",
        )
    if existing is not None and existing.status != Leistungsnachweis.Status.ENTWURF:
        raise _already_billed(existing, what)
    period, positions = belegung_positions(
        belegung,
        monat,
        sources.entgelte(belegung.angebot_id),
        sources.abwesenheiten(belegung.pk),
    )
    _check_done(period[1], today)
    return _store_nachweis(
        actor=actor,
        existing=existing,
        tenant_id=belegung.tenant_id,
        belegung=belegung,
        platz=belegung.platz,
        jugendamt=belegung.jugendamt,
        monat=monat,
        period=period,
        positions=positions,
        what=what,
    )


def _compute_standby(
    actor: Any,
    platz: Platz,
    monat: date,
    sources: _Sources,
    today: date,
    existing: Leistungsnachweis | None,
) -> Leistungsnachweis:
    what = _platz_label(platz)
    if not platz.is_standby or platz.standby_jugendamt is None:
        raise PlacementsError("not_standby", f"{what}: Dieser Platz ist kein Vorhalteplatz.")
    if existing is not None and existing.status != Leistungsnachweis.Status.ENTWURF:
        raise _already_billed(existing, what)
    period, positions = standby_positions(platz, monat, sources.entgelte(platz.angebot_id))
    _check_done(period[1], today)
    return _store_nachweis(
        actor=actor,
        existing=existing,
        tenant_id=platz.tenant_id,
        belegung=None,
        platz=platz,
        jugendamt=platz.standby_jugendamt,
        monat=monat,
        period=period,
        positions=positions,
        what=what,
    )


def _belegung_qs(tenant_id: uuid.UUID) -> Any:
    return Belegung.objects.for_tenant(tenant_id).select_related(
        "platz", "einrichtung", "angebot__betreuungsform", "gesuch", "jugendamt"
    )


def _platz_qs(tenant_id: uuid.UUID) -> Any:
    return Platz.objects.for_tenant(tenant_id).select_related(
        "einrichtung", "angebot__betreuungsform", "standby_jugendamt"
    )


def compute_nachweis(
    *, actor: Any, belegung: Belegung, monat: date, today: date | None = None
) -> Leistungsnachweis:
    """The Leistungsnachweis of one Belegung for the month ``monat`` (any day of it).

    Creates it, or recomputes it while it is a draft (Entwurf). After the youth office
    rejected its invoice it is corrected (see :func:`correct_nachweis`). Raises
    ``already_billed`` once it is confirmed or billed otherwise, ``rate_gap`` naming the days without a valid Entgelt,
    ``not_in_month``, ``not_yet`` for days still to come, ``standby_place`` for a Belegung
    on a standby place. On any error nothing is stored."""
    monat = month_bounds(monat)[0]
    today = today or timezone.localdate()
    with transaction.atomic():
        fresh = _belegung_qs(belegung.tenant_id).filter(pk=belegung.pk).first()
        if fresh is None:
            raise NotFound("not_found", "Diese Belegung gibt es nicht.")
        existing = _existing(
            fresh.tenant_id, belegung_id=fresh.pk, platz_id=fresh.platz_id, monat=monat
        )
        if existing is not None and _rejected_invoice(existing) is not None:
            # Locked as correct_nachweis does: two computes at once must not both replace it.
            return _correct(actor, _lock_nachweis(existing), _Sources(fresh.tenant_id), today)
        return _compute_belegung(actor, fresh, monat, _Sources(fresh.tenant_id), today, existing)


def compute_standby_nachweis(
    *, actor: Any, platz: Platz, monat: date, today: date | None = None
) -> Leistungsnachweis:
    """The Leistungsnachweis of a standby place (Vorhalteplatz) for the month: every day the
    place exists in the month at the full Tagessatz, billed to the contracting youth office
    (``standby_jugendamt``). Belegungen on the place are not billed separately."""
    monat = month_bounds(monat)[0]
    today = today or timezone.localdate()
    with transaction.atomic():
        fresh = _platz_qs(platz.tenant_id).filter(pk=platz.pk).first()
        if fresh is None:
            raise NotFound("not_found", "Diesen Platz gibt es nicht.")
        existing = _existing(fresh.tenant_id, belegung_id=None, platz_id=fresh.pk, monat=monat)
        if existing is not None and _rejected_invoice(existing) is not None:
            # Locked as correct_nachweis does: two computes at once must not both replace it.
            return _correct(actor, _lock_nachweis(existing), _Sources(fresh.tenant_id), today)
        return _compute_standby(actor, fresh, monat, _Sources(fresh.tenant_id), today, existing)


def _rejected_invoice(nachweis: Leistungsnachweis) -> Rechnung | None:
    return (
        Rechnung.objects.for_tenant(nachweis.tenant_id)
        .filter(nachweis=nachweis, status=Rechnung.Status.ABGELEHNT)
        .first()
    )


def _correct(
    actor: Any, old: Leistungsnachweis, sources: _Sources, today: date
) -> Leistungsnachweis:
    if old.status == Leistungsnachweis.Status.ERSETZT:
        raise Conflict("already_corrected", "Dieser Leistungsnachweis wurde bereits korrigiert.")
    rejected = _rejected_invoice(old)
    if rejected is None:
        raise Conflict(
            "not_rejected",
            "Korrigiert wird ein Leistungsnachweis erst, wenn das Jugendamt seine Rechnung "
            "abgelehnt hat.",
        )
    if old.belegung_id is not None:
        belegung = _belegung_qs(old.tenant_id).get(pk=old.belegung_id)
        what = _belegung_label(belegung)
        period, positions = belegung_positions(
            belegung,
            old.monat,
            sources.entgelte(belegung.angebot_id),
            sources.abwesenheiten(belegung.pk),
        )
        platz, jugendamt_id = belegung.platz, belegung.jugendamt_id
    else:
        platz = _platz_qs(old.tenant_id).get(pk=old.platz_id)
        what = _platz_label(platz)
        if not platz.is_standby or platz.standby_jugendamt_id is None:
            raise PlacementsError("not_standby", f"{what}: Dieser Platz ist kein Vorhalteplatz.")
        period, positions = standby_positions(platz, old.monat, sources.entgelte(platz.angebot_id))
        jugendamt_id = platz.standby_jugendamt_id
    _check_done(period[1], today)
    # The rejected invoice and its Nachweis stay exactly as they were sent.
    old.status = Leistungsnachweis.Status.ERSETZT
    old.save(update_fields=["status"])
    nachweis = Leistungsnachweis.objects.create(
        tenant_id=old.tenant_id,
        belegung_id=old.belegung_id,
        platz=platz,
        jugendamt_id=jugendamt_id,
        monat=old.monat,
        korrektur_von=old,
        **_nachweis_values(period, positions),
    )
    events.record(
        actor,
        [old.tenant_id],
        "placements.nachweis.correct",
        nachweis,
        {
            "ersetzt": {"old": str(old.pk), "new": str(nachweis.pk)},
            "rechnung": rejected.number,
            "betrag": {"old": str(old.betrag), "new": str(nachweis.betrag)},
        },
        reason=f"{what}: Rechnung {rejected.number} abgelehnt: {rejected.decision_reason}",
    )
    return nachweis


def correct_nachweis(
    *, actor: Any, nachweis: Leistungsnachweis, today: date | None = None
) -> Leistungsnachweis:
    """After the youth office rejected the invoice of ``nachweis``: a new draft Nachweis
    for the same month, computed from the data as it is now (corrected Belegung, absences,
    rates), takes its place; the rejected invoice and its Nachweis stay as they were sent
    (status ERSETZT). Confirmed, the draft gets a new invoice with a new number that names
    the rejected one (BT-25) and passes the three XRechnung checks again. Refused with
    ``not_rejected`` for any Nachweis whose invoice was not rejected."""
    today = today or timezone.localdate()
    with transaction.atomic():
        fresh = _lock_nachweis(nachweis)
        return _correct(actor, fresh, _Sources(fresh.tenant_id), today)


def _confirm(actor: Any, nachweis: Leistungsnachweis) -> Leistungsnachweis:
    if nachweis.status != Leistungsnachweis.Status.ENTWURF:
        raise Conflict(
            "already_confirmed",
            f"Der Leistungsnachweis ist bereits {nachweis.get_status_display()}.",
        )
    nachweis.status = Leistungsnachweis.Status.BESTAETIGT
    nachweis.confirmed_by = actor if getattr(actor, "pk", None) else None
    nachweis.confirmed_at = timezone.now()
    nachweis.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    events.record(
        actor,
        [nachweis.tenant_id],
        "placements.nachweis.confirm",
        nachweis,
        {"status": {"old": "entwurf", "new": "bestaetigt"}},
    )
    return nachweis


def _lock_nachweis(nachweis: Leistungsnachweis) -> Leistungsnachweis:
    fresh = (
        Leistungsnachweis.objects.for_tenant(nachweis.tenant_id)
        .select_for_update(of=("self",))
        .select_related(
            "belegung__gesuch",
            "belegung__einrichtung",
            "belegung__platz",
            "platz__einrichtung",
            "platz__angebot__betreuungsform",
            "jugendamt",
        )
        .filter(pk=nachweis.pk)
        .first()
    )
    if fresh is None:
        raise NotFound("not_found", "Diesen Leistungsnachweis gibt es nicht.")
    return fresh


def confirm_nachweis(*, actor: Any, nachweis: Leistungsnachweis) -> Leistungsnachweis:
    """The provider confirms the Nachweis as computed; from now on it is billed as it is."""
    with transaction.atomic():
        return _confirm(actor, _lock_nachweis(nachweis))


# --- Rechnung ---------------------------------------------------------------------------------


def invoice_number(tenant_id: uuid.UUID, year: int) -> str:
    """The next gap-free invoice number of the provider in ``year``: RE-2026-00001."""
    return f"RE-{year}-{next_number(tenant_id, f'rechnung-{year}'):05d}"


def _finding(finding: Finding) -> dict[str, str]:
    return {
        "rule_id": finding.rule_id,
        "flag": finding.flag or "fatal",
        "field": finding.field,
        "message": finding.message,
        "location": finding.location,
        "check": finding.check,
    }


def _what(nachweis: Leistungsnachweis) -> str:
    if nachweis.belegung is not None:
        return _belegung_label(nachweis.belegung)
    return _platz_label(nachweis.platz)


def _ranges_text(position: dict[str, Any]) -> str:
    return format_ranges(
        (date.fromisoformat(a), date.fromisoformat(b)) for a, b in position["zeitraeume"]
    )


def invoice_document(
    *,
    nachweis: Leistungsnachweis,
    number: str,
    issue_date: date,
    profil: Traegerprofil,
    jugendamt: Mandant,
    anschrift: Rechnungsanschrift | None,
    replaces: Rechnung | None = None,
) -> Invoice:
    """The XRechnung of a Nachweis as plain data. Missing data is left empty on purpose:
    the official rules then name it (a missing Leitweg-ID is BR-DE-15)."""
    lines = tuple(
        InvoiceLine(
            line_id=str(number_),
            name=position["bezeichnung"],
            description=(
                f"{_what(nachweis)}: {position['tage']} Tage à {euro(Decimal(position['preis']))}"
                f" ({_ranges_text(position)})"
            ),
            quantity=Decimal(position["tage"]),
            net_price=Decimal(position["preis"]),
            unit=UnitCode.DAY,
            period=Period(date.fromisoformat(position["von"]), date.fromisoformat(position["bis"])),
        )
        for number_, position in enumerate(nachweis.positionen, start=1)
    )
    seller = Seller(
        name=profil.legal_name,
        address=Address(street=profil.street, postcode=profil.postcode, city=profil.city),
        contact=SellerContact(
            name=profil.contact_name, phone=profil.contact_phone, email=profil.contact_email
        ),
        electronic_address=ElectronicAddress(profil.contact_email),
        vat_id=profil.vat_id,
        tax_number=profil.tax_number,
        legal_registration_id=profil.registereintrag,
    )
    buyer = Buyer(
        name=(anschrift.bezeichnung if anschrift and anschrift.bezeichnung else jugendamt.name),
        address=Address(
            street=anschrift.street if anschrift else "",
            postcode=anschrift.postcode if anschrift else "",
            city=anschrift.city if anschrift else "",
        ),
        electronic_address=ElectronicAddress(jugendamt.leitweg_id, scheme="0204"),
    )
    belegung_ref = str(nachweis.belegung_id or nachweis.platz_id)
    return Invoice(
        number=number,
        issue_date=issue_date,
        buyer_reference=jugendamt.leitweg_id,
        seller=seller,
        buyer=buyer,
        payment=PaymentMeans(iban=profil.iban, account_name=profil.legal_name, bic=profil.bic),
        period=Period(nachweis.period_start, nachweis.period_end),
        lines=lines,
        payment_terms=f"Zahlbar innerhalb von {PAYMENT_DAYS} Tagen ohne Abzug.",
        due_date=issue_date + timedelta(days=PAYMENT_DAYS),
        basis=BillingBasis(
            leistungsnachweis_id=str(nachweis.pk),
            leistungsnachweis_title=f"Leistungsnachweis {monat_label(nachweis.monat)}",
            belegung_id=belegung_ref,
        ),
        notes=(
            f"Leistungsnachweis {monat_label(nachweis.monat)}: {_what(nachweis)}.",
            *(
                (
                    f"Ersetzt die abgelehnte Rechnung {replaces.number} vom "
                    f"{replaces.issue_date:%d.%m.%Y}.",
                )
                if replaces is not None
                else ()
            ),
        ),
        preceding_invoice=(
            PrecedingInvoice(replaces.number, replaces.issue_date) if replaces is not None else None
        ),
    )


def _invoice(
    actor: Any,
    nachweis: Leistungsnachweis,
    sources: _Sources,
    today: date,
    existing: Rechnung | None,
) -> Rechnung:
    if nachweis.status == Leistungsnachweis.Status.ENTWURF:
        raise PlacementsError(
            "not_confirmed", "Bitte den Leistungsnachweis zuerst prüfen und bestätigen."
        )
    if existing is not None and existing.status != Rechnung.Status.UNGUELTIG:
        raise Conflict(
            "already_invoiced",
            f"Für diesen Leistungsnachweis gibt es schon die Rechnung {existing.number} "
            f"({existing.get_status_display()}).",
        )
    profil = sources.profil()
    jugendamt = nachweis.jugendamt
    # An invoice that failed the checks was never sent: it is built again under its number.
    number = (
        existing.number if existing is not None else invoice_number(nachweis.tenant_id, today.year)
    )
    replaces = (
        Rechnung.objects.for_tenant(nachweis.tenant_id)
        .filter(nachweis_id=nachweis.korrektur_von_id)
        .first()
        if nachweis.korrektur_von_id
        else None
    )
    document = invoice_document(
        nachweis=nachweis,
        number=number,
        issue_date=today,
        profil=profil,
        jugendamt=jugendamt,
        anschrift=sources.anschrift(jugendamt.pk),
        replaces=replaces,
    )
    xml = build_cii(document)
    report = validate(xml)
    ref = get_store().put(xml)
    values = {
        "issue_date": today,
        "leitweg_id": jugendamt.leitweg_id,
        "total": document.totals.due_payable,
        "xml_sha256": ref.sha256,
        "findings": [_finding(f) for f in (*report.errors, *report.warnings)],
        "status": Rechnung.Status.BEREIT if report.is_valid else Rechnung.Status.UNGUELTIG,
    }
    if existing is not None:
        for key, value in values.items():
            setattr(existing, key, value)
        existing.save(update_fields=list(values))
        rechnung = existing
        action = "placements.rechnung.rebuild"
    else:
        try:
            with transaction.atomic():
                rechnung = Rechnung.objects.create(
                    tenant_id=nachweis.tenant_id,
                    nachweis=nachweis,
                    jugendamt=jugendamt,
                    number=number,
                    **values,
                )
        except IntegrityError as exc:
            raise Conflict(
                "concurrent_change",
                "Für diesen Leistungsnachweis wurde gerade gleichzeitig eine Rechnung erstellt.",
            ) from exc
        action = "placements.rechnung.create"
    if nachweis.status != Leistungsnachweis.Status.ABGERECHNET:
        nachweis.status = Leistungsnachweis.Status.ABGERECHNET
        nachweis.save(update_fields=["status"])
    events.record(
        actor,
        [nachweis.tenant_id],
        action,
        rechnung,
        {
            "number": {"old": None, "new": number},
            "status": {"old": None, "new": rechnung.status},
            "total": {"old": None, "new": str(rechnung.total)},
            "rules": sorted({f.rule_id for f in report.errors}),
        }
        | ({"ersetzt": replaces.number} if replaces is not None else {}),
    )
    return rechnung


def create_rechnung(
    *, actor: Any, nachweis: Leistungsnachweis, today: date | None = None
) -> Rechnung:
    """The XRechnung of a confirmed Nachweis: numbered gap-free per provider and year
    (RE-2026-00001), built from the Trägerprofil, the youth office (name, Leitweg-ID,
    Rechnungsanschrift) and the positions, checked with all three official checks and
    stored in the blob store. Status BEREIT when it passed, UNGUELTIG with the findings
    otherwise; an UNGUELTIG invoice is built again (same number) by calling this again."""
    today = today or timezone.localdate()
    with transaction.atomic():
        fresh = _lock_nachweis(nachweis)
        existing = Rechnung.objects.for_tenant(fresh.tenant_id).filter(nachweis=fresh).first()
        return _invoice(actor, fresh, _Sources(fresh.tenant_id), today, existing)


def rechnung_xml(rechnung: Rechnung) -> bytes:
    """The invoice's XML as stored (and sent)."""
    try:
        with get_store().open(rechnung.xml_sha256) as stream:
            return stream.read()
    except BlobNotFound as exc:
        raise Conflict(
            "xml_missing", "Die XML-Datei dieser Rechnung fehlt im Dokumentenspeicher."
        ) from exc


def broken_rules(findings: Iterable[dict[str, Any]]) -> str:
    errors = [f for f in findings if f.get("flag", "fatal") in ("", "fatal", "error")]
    return "; ".join(f"{f['rule_id']} ({f['field']})" for f in errors)


def _lock_rechnung(rechnung: Rechnung) -> Rechnung:
    fresh = (
        Rechnung.objects.for_tenant(rechnung.tenant_id)
        .select_for_update()
        .filter(pk=rechnung.pk)
        .first()
    )
    if fresh is None:
        raise NotFound("not_found", "Diese Rechnung gibt es nicht.")
    return fresh


def send_rechnung(*, actor: Any, rechnung: Rechnung) -> Rechnung:
    """Send a checked invoice to the youth office's Rechnungseingang. Only from BEREIT;
    the stored XML is checked once more right before, so a rule update in between
    cannot let an invalid invoice out. An invalid one is refused naming the rules."""
    with transaction.atomic():
        fresh = _lock_rechnung(rechnung)
        if fresh.status == Rechnung.Status.UNGUELTIG:
            raise PlacementsError(
                "invalid_invoice",
                f"Die Rechnung {fresh.number} verletzt Prüfregeln und kann nicht versendet "
                f"werden: {broken_rules(fresh.findings)}.",
            )
        if fresh.status != Rechnung.Status.BEREIT:
            raise Conflict(
                "already_sent",
                f"Die Rechnung {fresh.number} ist bereits {fresh.get_status_display()}.",
            )
        report = validate(rechnung_xml(fresh))
        if not report.is_valid:
            fresh.status = Rechnung.Status.UNGUELTIG
            fresh.findings = [_finding(f) for f in (*report.errors, *report.warnings)]
            fresh.save(update_fields=["status", "findings"])
            events.record(
                actor,
                [fresh.tenant_id],
                "placements.rechnung.invalid",
                fresh,
                {"rules": sorted({f.rule_id for f in report.errors})},
            )
        else:
            fresh.status = Rechnung.Status.VERSENDET
            fresh.sent_at = timezone.now()
            fresh.save(update_fields=["status", "sent_at"])
            events.record(
                actor,
                [fresh.tenant_id, fresh.jugendamt_id],
                "placements.rechnung.send",
                fresh,
                {"status": {"old": "bereit", "new": "versendet"}, "number": fresh.number},
            )
    if fresh.status == Rechnung.Status.UNGUELTIG:
        raise PlacementsError(
            "invalid_invoice",
            f"Die Rechnung {fresh.number} verletzt Prüfregeln und kann nicht versendet werden: "
            f"{broken_rules(fresh.findings)}.",
        )
    return fresh


def send_ready_rechnungen(*, actor: Any, tenant: Mandant, monat: date) -> tuple[int, list[str]]:
    """Send every checked invoice of the month; each one on its own. Returns how many
    were sent and the messages of those that could not be."""
    monat = month_bounds(monat)[0]
    ids = list(
        Rechnung.objects.for_tenant(tenant)
        .filter(status=Rechnung.Status.BEREIT, nachweis__monat=monat)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    sent, problems = 0, []
    for rechnung_id in ids:
        rechnung = Rechnung.objects.for_tenant(tenant).filter(pk=rechnung_id).first()
        if rechnung is None:
            continue
        try:
            send_rechnung(actor=actor, rechnung=rechnung)
        except PlacementsError as exc:
            problems.append(exc.message)
        else:
            sent += 1
    return sent, problems


def _decide(
    actor: Any, tenant: Mandant, rechnung: Rechnung, status: str, reason: str, action: str
) -> Rechnung:
    if rechnung.jugendamt_id != tenant.pk:
        raise NotFound("not_found", "Diese Rechnung gibt es nicht.")
    with transaction.atomic():
        fresh = _lock_rechnung(rechnung)
        if fresh.status not in SENT_STATES:
            raise NotFound("not_found", "Diese Rechnung gibt es nicht.")
        if fresh.status != Rechnung.Status.VERSENDET:
            raise Conflict(
                "already_decided",
                f"Über die Rechnung {fresh.number} wurde bereits entschieden "
                f"({fresh.get_status_display()}).",
            )
        fresh.status = status
        fresh.decided_at = timezone.now()
        fresh.decided_by = actor if getattr(actor, "pk", None) else None
        fresh.decision_reason = reason
        fresh.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            action,
            fresh,
            {"status": {"old": "versendet", "new": status}, "number": fresh.number},
            reason=reason,
        )
    return fresh


def approve_rechnung(*, actor: Any, tenant: Mandant, rechnung: Rechnung) -> Rechnung:
    """The youth office releases a sent invoice for payment."""
    return _decide(
        actor, tenant, rechnung, Rechnung.Status.FREIGEGEBEN, "", "placements.rechnung.approve"
    )


def reject_rechnung(*, actor: Any, tenant: Mandant, rechnung: Rechnung, reason: str) -> Rechnung:
    """The youth office rejects a sent invoice; the reason is required and goes to the
    provider."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise PlacementsError(
            "reason_required", "Bitte geben Sie an, warum die Rechnung abgelehnt wird."
        )
    if len(reason) > 500:
        raise PlacementsError("reason_too_long", "Die Begründung ist länger als 500 Zeichen.")
    return _decide(
        actor, tenant, rechnung, Rechnung.Status.ABGELEHNT, reason, "placements.rechnung.reject"
    )


# --- the youth office's check -------------------------------------------------------------------


@dataclass(frozen=True)
class Pruefpunkt:
    """One comparison: what the invoice says, what the youth office's own rows say."""

    label: str
    laut_rechnung: str
    laut_jugendamt: str
    ok: bool
    hinweis: str = ""


@dataclass(frozen=True)
class Pruefung:
    punkte: list[Pruefpunkt] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(p.ok for p in self.punkte)

    @property
    def abweichungen(self) -> int:
        return sum(1 for p in self.punkte if not p.ok)


_NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
_SAFE_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)


def _xml_facts(xml: bytes) -> dict[str, str]:
    try:
        root = etree.fromstring(xml, parser=_SAFE_PARSER)
    except etree.XMLSyntaxError:
        return {}

    def text(path: str) -> str:
        return (root.findtext(path, namespaces=_NS) or "").strip()

    return {
        "number": text("rsm:ExchangedDocument/ram:ID"),
        "leitweg_id": text(".//ram:ApplicableHeaderTradeAgreement/ram:BuyerReference"),
        "total": text(
            ".//ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:DuePayableAmount"
        ),
    }


def _days_text(days: set[date]) -> str:
    return f"{len(days)} ({format_ranges(day_ranges(days))})" if days else "0"


def _diff_hint(billed: set[date], own: set[date]) -> str:
    parts = []
    if billed - own:
        parts.append(
            f"berechnet, aber laut Jugendamt nicht: {format_ranges(day_ranges(billed - own))}"
        )
    if own - billed:
        parts.append(
            f"laut Jugendamt, aber nicht berechnet: {format_ranges(day_ranges(own - billed))}"
        )
    return "; ".join(parts)


def check_rechnung(rechnung: Rechnung) -> Pruefung:
    """Compare a received invoice with the youth office's own records: its Leitweg-ID, the
    billed days against its Belegung (or standby contract), the absence days, and the
    amount recomputed from its own rows at the agreed rates. Reads only."""
    nachweis = (
        Leistungsnachweis.objects.for_tenant(rechnung.tenant_id)
        .select_related("belegung__platz", "platz", "jugendamt")
        .get(pk=rechnung.nachweis_id)
    )
    jugendamt = nachweis.jugendamt
    facts = _xml_facts(rechnung_xml(rechnung))
    punkte = [
        Pruefpunkt(
            "Leitweg-ID",
            facts.get("leitweg_id", "") or "fehlt",
            jugendamt.leitweg_id or "nicht hinterlegt",
            bool(jugendamt.leitweg_id) and facts.get("leitweg_id") == jugendamt.leitweg_id,
        )
    ]
    billed = position_days(nachweis.positionen)
    sources = _Sources(rechnung.tenant_id)
    expected: list[dict[str, Any]] | None = None
    gap = ""
    if nachweis.belegung_id is not None:
        own = (
            _belegung_qs(rechnung.tenant_id)
            .filter(pk=nachweis.belegung_id, jugendamt_id=jugendamt.pk)
            .first()
        )
        period = belegung_period(own, nachweis.monat) if own is not None else None
        own_days = set(_days(*period)) if period else set()
        punkte.append(
            Pruefpunkt(
                "Belegungstage",
                _days_text(billed),
                _days_text(own_days) if own is not None else "keine Belegung des Jugendamts",
                own is not None and billed == own_days,
                _diff_hint(billed, own_days),
            )
        )
        if own is not None and period is not None:
            own_away = absent_days(sources.abwesenheiten(own.pk), *period)
            billed_away = position_days(nachweis.positionen, ABWESENHEIT)
            punkte.append(
                Pruefpunkt(
                    "Abwesenheitstage",
                    _days_text(billed_away),
                    _days_text(own_away),
                    billed_away == own_away,
                    _diff_hint(billed_away, own_away),
                )
            )
            try:
                _, expected = belegung_positions(
                    own,
                    nachweis.monat,
                    sources.entgelte(own.angebot_id),
                    sources.abwesenheiten(own.pk),
                )
            except PlacementsError as exc:
                gap = exc.message
    else:
        platz = nachweis.platz
        contracted = platz.is_standby and platz.standby_jugendamt_id == jugendamt.pk
        period = platz_period(platz, nachweis.monat) if contracted else None
        own_days = set(_days(*period)) if period else set()
        punkte.append(
            Pruefpunkt(
                "Vorhaltetage",
                _days_text(billed),
                _days_text(own_days) if contracted else "kein Vorhalteplatz dieses Jugendamts",
                contracted and billed == own_days,
                _diff_hint(billed, own_days),
            )
        )
        if contracted:
            try:
                _, expected = standby_positions(
                    platz, nachweis.monat, sources.entgelte(platz.angebot_id)
                )
            except PlacementsError as exc:
                gap = exc.message
    invoiced = Decimal(facts["total"]) if facts.get("total") else None
    own_total = total_of(expected) if expected is not None else None
    punkte.append(
        Pruefpunkt(
            "Betrag",
            euro(invoiced) if invoiced is not None else "fehlt",
            euro(own_total) if own_total is not None else "nicht berechenbar",
            invoiced is not None and own_total is not None and invoiced == own_total,
            gap
            or (
                f"Differenz {euro(invoiced - own_total)}"
                if invoiced is not None and own_total is not None and invoiced != own_total
                else ""
            ),
        )
    )
    return Pruefung(punkte=punkte)


# --- month-end billing ----------------------------------------------------------------------------


@dataclass
class MonthEndResult:
    """What a month-end run did; also the JSON of each batch step."""

    total: int = 0
    skipped: int = 0
    valid: int = 0
    invalid: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)

    def add(self, other: dict[str, Any]) -> None:
        self.skipped += int(other.get("skipped", 0))
        self.valid += int(other.get("valid", 0))
        self.invalid += int(other.get("invalid", 0))
        self.failed.extend(other.get("failed", []))

    def as_json(self) -> dict[str, Any]:
        return {
            "skipped": self.skipped,
            "valid": self.valid,
            "invalid": self.invalid,
            "failed": self.failed,
        }

    def message(self, monat: date) -> str:
        text = (
            f"Monatsabrechnung {monat_label(monat)}: {self.valid + self.invalid} Rechnungen "
            f"erstellt ({self.valid} geprüft und versandbereit, {self.invalid} fehlerhaft)"
        )
        if self.skipped:
            text += f"; {self.skipped} waren schon abgerechnet"
        if self.failed:
            text += f"; {len(self.failed)} nicht abrechenbar"
            shown = "; ".join(f["grund"] for f in self.failed[:5])
            more = f" (und {len(self.failed) - 5} weitere)" if len(self.failed) > 5 else ""
            text += f": {shown}{more}"
        return text + "."


def billable_belegungen(tenant_id: uuid.UUID, monat: date) -> Any:
    """Belegungen that ran in the month, except those on standby places."""
    first, last = month_bounds(monat)
    return (
        Belegung.objects.for_tenant(tenant_id)
        .filter(Q(ende__isnull=True) | Q(ende__gte=first), beginn__lte=last)
        .exclude(platz__is_standby=True)
    )


def standby_plaetze(tenant_id: uuid.UUID, monat: date) -> Any:
    """Standby places that existed in the month."""
    first, last = month_bounds(monat)
    return Platz.objects.for_tenant(tenant_id).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=first), is_standby=True, valid_from__lte=last
    )


def _bill_batch(
    actor: Any,
    tenant_id: uuid.UUID,
    monat: date,
    today: date,
    items: list[list[str]],
    sources: _Sources,
) -> dict[str, Any]:
    """Compute, confirm and invoice each item of the batch, one transaction each; what
    is already invoiced (and valid) is skipped, an invalid invoice is built again."""
    result = MonthEndResult()
    belegung_ids = [uuid.UUID(i) for kind, i in items if kind == "b"]
    platz_ids = [uuid.UUID(i) for kind, i in items if kind == "p"]
    belegungen = {b.pk: b for b in _belegung_qs(tenant_id).filter(pk__in=belegung_ids)}
    plaetze = {p.pk: p for p in _platz_qs(tenant_id).filter(pk__in=platz_ids)}
    nachweise = (
        Leistungsnachweis.objects.for_tenant(tenant_id)
        .filter(monat=monat)
        .exclude(status=Leistungsnachweis.Status.ERSETZT)
    )
    by_belegung = {n.belegung_id: n for n in nachweise.filter(belegung_id__in=belegung_ids)}
    by_platz = {
        n.platz_id: n for n in nachweise.filter(belegung__isnull=True, platz_id__in=platz_ids)
    }
    rechnungen = {
        r.nachweis_id: r
        for r in Rechnung.objects.for_tenant(tenant_id).filter(
            nachweis_id__in=[n.pk for n in (*by_belegung.values(), *by_platz.values())]
        )
    }
    sources.load_entgelte(
        {b.angebot_id for b in belegungen.values()} | {p.angebot_id for p in plaetze.values()}
    )
    sources.load_abwesenheiten(list(belegungen))
    sources.load_anschriften(
        {b.jugendamt_id for b in belegungen.values()}
        | {p.standby_jugendamt_id for p in plaetze.values() if p.standby_jugendamt_id}
    )
    for kind, raw in items:
        key = uuid.UUID(raw)
        subject: Belegung | Platz | None = (belegungen if kind == "b" else plaetze).get(key)
        if subject is None:
            continue  # gone meanwhile (cannot happen with PROTECT, but never crash on it)
        existing = (by_belegung if kind == "b" else by_platz).get(key)
        invoice = rechnungen.get(existing.pk) if existing is not None else None
        if invoice is not None and invoice.status != Rechnung.Status.UNGUELTIG:
            result.skipped += 1
            continue
        try:
            with transaction.atomic():
                nachweis = existing
                if nachweis is None or nachweis.status == Leistungsnachweis.Status.ENTWURF:
                    if isinstance(subject, Belegung):
                        nachweis = _compute_belegung(
                            actor, subject, monat, sources, today, nachweis
                        )
                    else:
                        nachweis = _compute_standby(actor, subject, monat, sources, today, nachweis)
                if nachweis.status == Leistungsnachweis.Status.ENTWURF:
                    _confirm(actor, nachweis)
                if isinstance(subject, Belegung):
                    nachweis.belegung = subject
                nachweis.platz = subject if isinstance(subject, Platz) else subject.platz
                nachweis.jugendamt = (
                    subject.jugendamt
                    if isinstance(subject, Belegung)
                    else subject.standby_jugendamt
                )
                rechnung = _invoice(actor, nachweis, sources, today, invoice)
        except PlacementsError as exc:
            label = (
                _belegung_label(subject) if isinstance(subject, Belegung) else _platz_label(subject)
            )
            result.failed.append({"was": label, "grund": exc.message, "code": exc.code})
            continue
        if rechnung.status == Rechnung.Status.BEREIT:
            result.valid += 1
        else:
            result.invalid += 1
    return result.as_json()


def run_month_end(
    *,
    actor: Any,
    tenant: Mandant,
    monat: date,
    run: JobRun | None = None,
    today: date | None = None,
    batch_size: int = BATCH_SIZE,
) -> MonthEndResult:
    """Bill the provider's month: for every Belegung that ran in it (and every standby
    place) compute the Leistungsnachweis, confirm it and create its checked XRechnung.

    Works in batches; each Belegung commits on its own, and what is already invoiced is
    skipped, so a run that stopped half-way (a restart, a killed worker) continues without
    doing anything twice. A Belegung that cannot be billed (a rate gap) is reported and
    does not stop the others. With ``run`` (the job) the selection and every batch are
    job steps and progress is reported."""
    monat = month_bounds(monat)[0]
    today = today or timezone.localdate()
    if tenant.kind in AGGREGATE_ONLY_KINDS:
        raise PlacementsError("not_a_provider", "Aufsichtsbehörden rechnen keine Plätze ab.")
    last = month_bounds(monat)[1]
    if last > today:
        raise PlacementsError(
            "not_yet",
            f"Der {monat_label(monat)} ist noch nicht zu Ende; die Monatsabrechnung ist ab dem "
            f"{last + timedelta(days=1):%d.%m.%Y} möglich.",
        )
    sources = _Sources(tenant.pk)
    sources.profil()  # no profile, no invoices: say so before doing anything

    def select() -> list[list[str]]:
        belegungen = (
            billable_belegungen(tenant.pk, monat).order_by("pk").values_list("pk", flat=True)
        )
        plaetze = standby_plaetze(tenant.pk, monat).order_by("pk").values_list("pk", flat=True)
        return [["b", str(pk)] for pk in belegungen] + [["p", str(pk)] for pk in plaetze]

    items: list[list[str]] = run.step("auswahl", select, atomic=False) if run else select()
    result = MonthEndResult(total=len(items))
    if run is not None:
        run.progress(
            0, len(items), f"{len(items)} Belegungen und Vorhalteplätze werden abgerechnet …"
        )
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]

        def work(batch: list[list[str]] = batch) -> dict[str, Any]:
            return _bill_batch(actor, tenant.pk, monat, today, batch, sources)

        if run is not None:
            done = run.step(f"stapel-{start // batch_size}", work, atomic=False)
            run.progress(
                start + len(batch),
                len(items),
                f"{start + len(batch)} von {len(items)} abgerechnet",
            )
        else:
            done = work()
        result.add(done)
    return result


def running_month_end(tenant: Mandant, monat: date) -> Job | None:
    """The latest month-end job of this month (running or finished)."""
    return (
        Job.objects.for_tenant(tenant)
        .filter(kind=JOB_KIND, params__monat=month_bounds(monat)[0].isoformat()[:7])
        .order_by("-created_at")
        .first()
    )


def start_month_end(*, actor: Any, tenant: Mandant, monat: date, today: date | None = None) -> Job:
    """Start the month-end billing as a background job (one at a time per month)."""
    monat = month_bounds(monat)[0]
    today = today or timezone.localdate()
    if tenant.kind in AGGREGATE_ONLY_KINDS:
        raise PlacementsError("not_a_provider", "Aufsichtsbehörden rechnen keine Plätze ab.")
    last = month_bounds(monat)[1]
    if last > today:
        raise PlacementsError(
            "not_yet",
            f"Der {monat_label(monat)} ist noch nicht zu Ende; die Monatsabrechnung ist ab dem "
            f"{last + timedelta(days=1):%d.%m.%Y} möglich.",
        )
    _Sources(tenant.pk).profil()
    latest = running_month_end(tenant, monat)
    if latest is not None and not latest.is_finished:
        raise Conflict(
            "already_running", f"Die Monatsabrechnung {monat_label(monat)} läuft bereits."
        )
    try:
        return jobs.start_job(
            actor=actor,
            tenant=tenant,
            kind=JOB_KIND,
            title=f"Monatsabrechnung {monat_label(monat)}",
            params={"monat": monat.isoformat()[:7]},
        )
    except jobs.JobRefused as exc:
        raise PlacementsError(exc.code, exc.message) from exc


def _month_end_job(run: JobRun) -> Outcome:
    tenant = Mandant.objects.filter(pk=run.tenant_id).first()
    if tenant is None:
        raise JobError("Diesen Mandanten gibt es nicht mehr.")
    try:
        monat = parse_monat(str(run.params.get("monat", "")))
        result = run_month_end(actor=run.job.created_by, tenant=tenant, monat=monat, run=run)
    except PlacementsError as exc:
        raise JobError(exc.message) from exc
    return Outcome(result.message(monat), needs_attention=bool(result.invalid or result.failed))


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=JOB_KIND,
            label="Monatsabrechnung",
            description="Berechnet, bestätigt und prüft die Leistungsnachweise und "
            "XRechnungen aller Belegungen eines Monats.",
            handler=_month_end_job,
            permission=Perm.PLACEMENTS_MANAGE,
            offered=False,
        )
    )
