"""Reads of the billing pages and API, already scoped to the Mandant.

A provider sees its own Leistungsnachweise and Rechnungen; a youth office sees an invoice
(and the Nachweis behind it) only once it was sent to it.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Sum

from koffer.placements.abrechnung.monatsabrechnung import billable_belegungen, standby_plaetze
from koffer.placements.abrechnung.positions import belegung_period, month_bounds, platz_period
from koffer.placements.abrechnung.services import SENT_STATES
from koffer.placements.models import Belegung, Leistungsnachweis, Platz, Rechnung, with_gesuch
from koffer.tenancy.models import Mandant

NACHWEIS_FILTERS = {
    "offen": "ohne Leistungsnachweis",
    "entwurf": "Entwurf",
    "bestaetigt": "bestätigt",
    "abgerechnet": "abgerechnet",
}


@dataclass(frozen=True)
class Zeile:
    """One Belegung or standby place of the month with its Nachweis and invoice."""

    belegung: Belegung | None
    platz: Platz
    period: tuple[date, date] | None
    nachweis: Leistungsnachweis | None
    rechnung: Rechnung | None


@dataclass(frozen=True)
class Uebersicht:
    belegungen: int
    vorhalteplaetze: int
    nachweise: dict[str, int]
    rechnungen: dict[str, int]
    summe: Decimal

    @property
    def ohne_nachweis(self) -> int:
        return max(0, self.belegungen + self.vorhalteplaetze - sum(self.nachweise.values()))


def uebersicht(tenant: Mandant, monat: date) -> Uebersicht:
    """Counts of the month for the provider (four aggregate queries)."""
    nachweise = dict(
        _month_nachweise(tenant, monat)
        .values("status")
        .annotate(n=Count("pk"))
        .order_by()
        .values_list("status", "n")
    )
    rechnungen = (
        Rechnung.objects.for_tenant(tenant)
        .filter(nachweis__monat=monat)
        .values("status")
        .annotate(n=Count("pk"), summe=Sum("total"))
        .order_by()
    )
    return Uebersicht(
        belegungen=billable_belegungen(tenant.pk, monat).count(),
        vorhalteplaetze=standby_plaetze(tenant.pk, monat).count(),
        nachweise={str(k): int(v) for k, v in nachweise.items()},
        rechnungen={str(r["status"]): int(r["n"]) for r in rechnungen},
        summe=sum((r["summe"] or Decimal("0") for r in rechnungen), Decimal("0.00")),
    )


def _month_nachweise(tenant: Mandant, monat: date) -> QuerySet[Leistungsnachweis]:
    """The month's current Nachweise: one replaced by a correction is history."""
    return (
        Leistungsnachweis.objects.for_tenant(tenant)
        .filter(monat=monat)
        .exclude(status=Leistungsnachweis.Status.ERSETZT)
    )


def belegungen_im_monat(tenant: Mandant, monat: date, status: str = "") -> QuerySet[Belegung]:
    """The month's billable Belegungen, optionally only those whose Nachweis has a status
    (``offen``: none yet)."""
    qs = billable_belegungen(tenant.pk, monat)
    if status == "offen":
        qs = qs.filter(~Exists(_month_nachweise(tenant, monat).filter(belegung_id=OuterRef("pk"))))
    elif status in NACHWEIS_FILTERS:
        qs = qs.filter(
            Exists(
                _month_nachweise(tenant, monat).filter(belegung_id=OuterRef("pk"), status=status)
            )
        )
    return with_gesuch(
        qs.select_related("einrichtung", "platz", "jugendamt").order_by(
            "einrichtung__name", "platz__label", "beginn", "pk"
        )
    )


def zeilen(tenant: Mandant, monat: date, belegungen: list[Belegung]) -> list[Zeile]:
    """Rows for one page of Belegungen (two more queries, whatever the page size)."""
    nachweise = {
        n.belegung_id: n
        for n in _month_nachweise(tenant, monat).filter(belegung_id__in=[b.pk for b in belegungen])
    }
    rechnungen = {
        r.nachweis_id: r
        for r in Rechnung.objects.for_tenant(tenant).filter(
            nachweis_id__in=[n.pk for n in nachweise.values()]
        )
    }
    rows = []
    for belegung in belegungen:
        nachweis = nachweise.get(belegung.pk)
        rows.append(
            Zeile(
                belegung=belegung,
                platz=belegung.platz,
                period=belegung_period(belegung, monat),
                nachweis=nachweis,
                rechnung=rechnungen.get(nachweis.pk) if nachweis else None,
            )
        )
    return rows


def vorhalte_zeilen(tenant: Mandant, monat: date, limit: int = 200) -> list[Zeile]:
    plaetze = list(
        standby_plaetze(tenant.pk, monat)
        .select_related("einrichtung", "standby_jugendamt")
        .order_by("einrichtung__name", "label")[:limit]
    )
    nachweise = {
        n.platz_id: n
        for n in _month_nachweise(tenant, monat).filter(
            belegung__isnull=True, platz_id__in=[p.pk for p in plaetze]
        )
    }
    rechnungen = {
        r.nachweis_id: r
        for r in Rechnung.objects.for_tenant(tenant).filter(
            nachweis_id__in=[n.pk for n in nachweise.values()]
        )
    }
    rows = []
    for platz in plaetze:
        nachweis = nachweise.get(platz.pk)
        rows.append(
            Zeile(
                belegung=None,
                platz=platz,
                period=platz_period(platz, monat),
                nachweis=nachweis,
                rechnung=rechnungen.get(nachweis.pk) if nachweis else None,
            )
        )
    return rows


def nachweise_des_traegers(
    tenant: Mandant, monat: date | None = None
) -> QuerySet[Leistungsnachweis]:
    qs = Leistungsnachweis.objects.for_tenant(tenant)
    if monat is not None:
        qs = qs.filter(monat=month_bounds(monat)[0])
    return with_gesuch(qs.select_related("belegung", "platz", "jugendamt"), "belegung__gesuch")


def rechnungen_des_traegers(
    tenant: Mandant, *, status: str = "", monat: date | None = None
) -> QuerySet[Rechnung]:
    qs = Rechnung.objects.for_tenant(tenant)
    if status in Rechnung.Status.values:
        qs = qs.filter(status=status)
    if monat is not None:
        qs = qs.filter(nachweis__monat=month_bounds(monat)[0])
    return with_gesuch(
        qs.select_related("jugendamt", "nachweis__belegung", "nachweis__platz"),
        "nachweis__belegung__gesuch",
    )


def rechnungseingang(tenant: Mandant, *, status: str = "") -> QuerySet[Rechnung]:
    """Invoices sent to the youth office, the open ones first."""
    qs = Rechnung.objects.for_party(tenant).filter(jugendamt=tenant, status__in=SENT_STATES)
    if status in SENT_STATES:
        qs = qs.filter(status=status)
    return with_gesuch(
        qs.select_related("tenant", "nachweis__belegung", "nachweis__platz"),
        "nachweis__belegung__gesuch",
    )


def sichtbare_rechnungen(tenant: Mandant) -> QuerySet[Rechnung]:
    """Every invoice the Mandant is a party of: its own, or sent to it."""
    return Rechnung.objects.for_party(tenant).filter(
        Q(tenant=tenant) | Q(jugendamt=tenant, status__in=SENT_STATES)
    )


def rechnungen_der_partei(tenant: Mandant, *, own: bool, received: bool) -> QuerySet[Rechnung]:
    """The Mandant's own invoices (as provider) and/or those sent to it (as payer)."""
    condition = Q(pk__in=[])
    if own:
        condition |= Q(tenant=tenant)
    if received:
        condition |= Q(jugendamt=tenant, status__in=SENT_STATES)
    return (
        Rechnung.objects.for_party(tenant)
        .filter(condition)
        .select_related("tenant", "jugendamt", "nachweis")
    )


def rechnung_for(tenant: Mandant, rechnung_id: uuid.UUID) -> Rechnung | None:
    """The invoice if the Mandant may see it; None (→ 404) for everything else."""
    return with_gesuch(
        sichtbare_rechnungen(tenant)
        .select_related(
            "tenant",
            "jugendamt",
            "decided_by",
            "nachweis__belegung__einrichtung",
            "nachweis__platz__einrichtung__fachbereich",
        )
        .filter(pk=rechnung_id),
        "nachweis__belegung__gesuch",
    ).first()


def nachweis_for(tenant: Mandant, nachweis_id: uuid.UUID) -> Leistungsnachweis | None:
    """The provider's own Nachweis, or one whose invoice was sent to the youth office."""
    sent = Rechnung.objects.unscoped().filter(  # the provider's invoice: the Nachweis' Mandant
        tenant_id=OuterRef("tenant_id"),
        nachweis_id=OuterRef("pk"),
        jugendamt_id=tenant.pk,
        status__in=SENT_STATES,
    )
    return with_gesuch(
        Leistungsnachweis.objects.for_party(tenant)
        .filter(Q(tenant=tenant) | (Q(jugendamt=tenant) & Exists(sent)))
        .select_related(
            "tenant",
            "jugendamt",
            "confirmed_by",
            "belegung__einrichtung",
            "platz__einrichtung",
        )
        .filter(pk=nachweis_id),
        "belegung__gesuch",
    ).first()


def rechnung_of(nachweis: Leistungsnachweis) -> Rechnung | None:
    return Rechnung.objects.for_tenant(nachweis.tenant_id).filter(nachweis=nachweis).first()


def korrektur_of(nachweis: Leistungsnachweis) -> Leistungsnachweis | None:
    """The Nachweis that replaced this one after its invoice was rejected."""
    return (
        Leistungsnachweis.objects.for_tenant(nachweis.tenant_id)
        .filter(korrektur_von=nachweis)
        .first()
    )


def status_counts(qs: QuerySet[Rechnung]) -> dict[str, Any]:
    return dict(qs.values("status").annotate(n=Count("pk")).order_by().values_list("status", "n"))
