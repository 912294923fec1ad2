"""The youth office's check of a sent invoice against its own Belegungen: the XML's facts
next to the days and amounts the office would compute itself."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from koffer import formats
from koffer.errors import DomainError
from koffer.placements.abrechnung.positions import (
    ABWESENHEIT,
    Sources,
    absent_days,
    belegung_period,
    belegung_positions,
    day_ranges,
    each_day,
    platz_period,
    position_days,
    standby_positions,
    total_of,
)
from koffer.placements.abrechnung.services import (
    belegung_qs,
    rechnung_xml,
)
from koffer.placements.models import (
    Leistungsnachweis,
    Rechnung,
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
    return f"{len(days)} ({formats.date_ranges(day_ranges(days))})" if days else "0"


def _diff_hint(billed: set[date], own: set[date]) -> str:
    parts = []
    if billed - own:
        parts.append(
            f"berechnet, aber laut Jugendamt nicht: {formats.date_ranges(day_ranges(billed - own))}"
        )
    if own - billed:
        parts.append(
            f"laut Jugendamt, aber nicht berechnet: {formats.date_ranges(day_ranges(own - billed))}"
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
    sources = Sources(rechnung.tenant_id)
    expected: list[dict[str, Any]] | None = None
    gap = ""
    if nachweis.belegung_id is not None:
        own = (
            belegung_qs(rechnung.tenant_id)
            .filter(pk=nachweis.belegung_id, jugendamt_id=jugendamt.pk)
            .first()
        )
        period = belegung_period(own, nachweis.monat) if own is not None else None
        own_days = set(each_day(*period)) if period else set()
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
            except DomainError as exc:
                gap = exc.message
    else:
        platz = nachweis.platz
        contracted = platz.is_standby and platz.standby_jugendamt_id == jugendamt.pk
        period = platz_period(platz, nachweis.monat) if contracted else None
        own_days = set(each_day(*period)) if period else set()
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
            except DomainError as exc:
                gap = exc.message
    invoiced = Decimal(facts["total"]) if facts.get("total") else None
    own_total = total_of(expected) if expected is not None else None
    punkte.append(
        Pruefpunkt(
            "Betrag",
            formats.euro(invoiced) if invoiced is not None else "fehlt",
            formats.euro(own_total) if own_total is not None else "nicht berechenbar",
            invoiced is not None and own_total is not None and invoiced == own_total,
            gap
            or (
                f"Differenz {formats.euro(invoiced - own_total)}"
                if invoiced is not None and own_total is not None and invoiced != own_total
                else ""
            ),
        )
    )
    return Pruefung(punkte=punkte)
