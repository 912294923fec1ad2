"""Which months of a Belegung are already billed: what a change of its absences no longer
reaches.

A confirmed Leistungsnachweis is never recomputed and a sent invoice never changes. So an
absence entered, changed or deleted for such a month leaves the invoice as it was; the
provider is told so, and offered the correction that exists for a rejected invoice
(``services.correct_nachweis``: a new Nachweis from the data as it is now, its invoice
naming the rejected one, BT-25).

Reads only models, so the exchange's services can ask it without importing billing's.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from koffer import formats
from koffer.placements.models import Belegung, Leistungsnachweis, Rechnung


@dataclass(frozen=True)
class AbgerechneterMonat:
    """A month whose Nachweis is confirmed or billed, with its invoice if there is one."""

    monat: date
    nachweis_id: uuid.UUID
    rechnung_id: uuid.UUID | None
    rechnung_number: str
    rechnung_status: str
    # The youth office rejected the invoice: the correction path is open now.
    korrigierbar: bool

    @property
    def label(self) -> str:
        return formats.month_label(self.monat)

    @property
    def warnung(self) -> str:
        """The German sentence shown on the page and returned by the API."""
        if self.rechnung_number:
            billed = (
                f"Der {self.label} ist bereits abgerechnet (Rechnung {self.rechnung_number}, "
                f"{self.rechnung_status}). Die Rechnung bleibt unverändert."
            )
        else:
            billed = (
                f"Der Leistungsnachweis für {self.label} ist bereits bestätigt und bleibt "
                "unverändert."
            )
        if self.korrigierbar:
            return (
                f"{billed} Das Jugendamt hat die Rechnung abgelehnt: Legen Sie eine Korrektur "
                "an; sie rechnet mit den Abwesenheiten, wie sie jetzt erfasst sind."
            )
        return (
            f"{billed} Eine Korrekturrechnung ist möglich, sobald das Jugendamt die Rechnung "
            "abgelehnt hat; bitte verständigen Sie es."
        )

    def audit_text(self) -> str:
        return f"{self.monat:%Y-%m} {self.rechnung_number or 'Nachweis bestätigt'}"


def _months(von: date, bis: date) -> list[date]:
    months, current = [], von.replace(day=1)
    while current <= bis:
        months.append(current)
        current = date(current.year + current.month // 12, current.month % 12 + 1, 1)
    return months


def abgerechnete_monate(
    belegung: Belegung, *perioden: tuple[date, date]
) -> list[AbgerechneterMonat]:
    """The billed months among those the periods touch (an edit names old and new)."""
    months = sorted({m for von, bis in perioden for m in _months(von, bis)})
    if not months:
        return []
    nachweise = (
        Leistungsnachweis.objects.for_tenant(belegung.tenant_id)
        .filter(belegung_id=belegung.pk, monat__in=months)
        .exclude(status__in=[Leistungsnachweis.Status.ENTWURF, Leistungsnachweis.Status.ERSETZT])
        .order_by("monat")
    )
    rechnungen = {
        r.nachweis_id: r
        for r in Rechnung.objects.for_tenant(belegung.tenant_id).filter(nachweis__in=nachweise)
    }
    result = []
    for n in nachweise:
        r = rechnungen.get(n.pk)
        result.append(
            AbgerechneterMonat(
                monat=n.monat,
                nachweis_id=n.pk,
                rechnung_id=r.pk if r else None,
                rechnung_number=r.number if r else "",
                rechnung_status=r.get_status_display() if r else "",
                korrigierbar=r is not None and r.status == Rechnung.Status.ABGELEHNT,
            )
        )
    return result
