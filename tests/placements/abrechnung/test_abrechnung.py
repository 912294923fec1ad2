"""Abrechnung: Leistungsnachweise, XRechnungen and the youth office's decision.

Amounts are checked to the cent; invoices are checked the way the youth office receives
them: the XML from the blob store against all three official checks.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

import pytest
from django.urls import reverse
from lxml import etree

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.audit.reasons import ReasonError
from koffer.jobs import runner
from koffer.jobs.models import Job, JobStep
from koffer.placements.abrechnung import monatsabrechnung as month_end
from koffer.placements.abrechnung import pruefung
from koffer.placements.abrechnung import services as billing
from koffer.placements.angebote import services as angebot_services
from koffer.placements.belegung import services as belegung_services
from koffer.placements.errors import Conflict, NotFound, PlacementsError
from koffer.placements.gesuche import services as gesuch_services
from koffer.placements.models import (
    Angebot,
    Belegung,
    Entgelt,
    Leistungsnachweis,
    Platz,
    Rechnung,
    Rechnungsanschrift,
)
from koffer.placements.xrechnung import validate
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in

# Written for one calendar: months are billed once they are over, on this day.
pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]

OCTOBER = date(2026, 10, 1)
MARCH = date(2026, 3, 1)
TODAY = date(2026, 11, 25)  # every month billed here is over
NS = {
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}
# The angebot fixture's Tagessatz: 150.00 + 20.50 + 12.00
RATE = Decimal("182.50")


def _compute(user: User, belegung: Belegung, monat: date = OCTOBER) -> Leistungsnachweis:
    return billing.compute_nachweis(actor=user, belegung=belegung, monat=monat, today=TODAY)


# --- amounts -----------------------------------------------------------------------------------


def test_full_month_with_absence_days_at_75_percent(make_belegung, provider_user):
    belegung = make_belegung(date(2026, 9, 1))
    belegung_services.record_abwesenheit(
        actor=provider_user,
        belegung=belegung,
        von=date(2026, 10, 10),
        bis=date(2026, 10, 12),
        grund="Wochenende bei der Familie",
    )
    nachweis = _compute(provider_user, belegung)
    assert (nachweis.period_start, nachweis.period_end) == (date(2026, 10, 1), date(2026, 10, 31))
    assert (nachweis.anwesenheitstage, nachweis.abwesenheitstage) == (28, 3)
    # 28 × 182.50 = 5110.00; 182.50 × 75 % = 136.875 → 136.88; 3 × 136.88 = 410.64
    assert nachweis.betrag == Decimal("5520.64")
    # One position per run of days, so each carries exactly its days as its period.
    assert [
        (p["art"], p["von"], p["bis"], p["tage"], p["preis"], p["betrag"])
        for p in nachweis.positionen
    ] == [
        ("anwesenheit", "2026-10-01", "2026-10-09", 9, "182.50", "1642.50"),
        ("abwesenheit", "2026-10-10", "2026-10-12", 3, "136.88", "410.64"),
        ("anwesenheit", "2026-10-13", "2026-10-31", 19, "182.50", "3467.50"),
    ]
    assert nachweis.positionen[1]["zeitraeume"] == [["2026-10-10", "2026-10-12"]]
    assert nachweis.status == Leistungsnachweis.Status.ENTWURF
    # Stored as JSON with Decimal strings
    nachweis.refresh_from_db()
    assert nachweis.positionen[0]["tagessatz"] == "182.50"


def test_rate_change_mid_month_gives_two_positions(make_belegung, provider_user, angebot: Angebot):
    entgelt = Entgelt.objects.for_tenant(angebot.tenant_id).get(angebot=angebot)
    angebot_services.end_entgelt(actor=provider_user, entgelt=entgelt, valid_to=date(2026, 3, 15))
    angebot_services.set_entgelt(
        actor=provider_user,
        angebot=angebot,
        valid_from=date(2026, 3, 16),
        valid_to=None,
        leistungsentgelt=Decimal("160.00"),
        grundleistung=Decimal("20.50"),
        investitionsbetrag=Decimal("12.00"),
        absence_share=Decimal("80"),
    )
    belegung = make_belegung(date(2026, 2, 1))
    belegung_services.record_abwesenheit(
        actor=provider_user,
        belegung=belegung,
        von=date(2026, 3, 14),
        bis=date(2026, 3, 17),
        grund="Krankenhaus",
    )
    nachweis = _compute(provider_user, belegung, MARCH)
    rows = [(p["art"], p["von"], p["bis"], p["tage"], p["preis"]) for p in nachweis.positionen]
    assert rows == [
        ("anwesenheit", "2026-03-01", "2026-03-13", 13, "182.50"),
        ("abwesenheit", "2026-03-14", "2026-03-15", 2, "136.88"),
        ("abwesenheit", "2026-03-16", "2026-03-17", 2, "154.00"),  # 192.50 × 80 %
        ("anwesenheit", "2026-03-18", "2026-03-31", 14, "192.50"),
    ]
    # 13 × 182.50 + 2 × 136.88 + 2 × 154.00 + 14 × 192.50
    assert nachweis.betrag == Decimal("2372.50") + Decimal("273.76") + Decimal("308.00") + Decimal(
        "2695.00"
    )
    assert (nachweis.anwesenheitstage, nachweis.abwesenheitstage) == (27, 4)


def test_belegung_starting_and_ending_mid_month(make_belegung, provider_user):
    starting = make_belegung(date(2026, 10, 20))
    nachweis = _compute(provider_user, starting)
    # 20.10.–31.10., both days included: 12 days
    assert (nachweis.period_start, nachweis.anwesenheitstage) == (date(2026, 10, 20), 12)
    assert nachweis.betrag == Decimal("2190.00")

    ending = make_belegung(date(2026, 8, 3), ende=date(2026, 10, 5))
    nachweis = _compute(provider_user, ending)
    assert (nachweis.period_start, nachweis.period_end) == (date(2026, 10, 1), date(2026, 10, 5))
    assert nachweis.anwesenheitstage == 5
    assert nachweis.betrag == Decimal("912.50")

    both = make_belegung(date(2026, 10, 7), ende=date(2026, 10, 7))
    assert _compute(provider_user, both).betrag == RATE  # one day


def test_not_in_month_and_not_yet(make_belegung, provider_user):
    belegung = make_belegung(date(2026, 10, 20))
    with pytest.raises(PlacementsError) as err:
        _compute(provider_user, belegung, date(2026, 9, 1))
    assert err.value.code == "not_in_month"
    with pytest.raises(PlacementsError) as err:
        billing.compute_nachweis(
            actor=provider_user, belegung=belegung, monat=OCTOBER, today=date(2026, 10, 25)
        )
    assert err.value.code == "not_yet"
    assert "31.10.2026" in err.value.message
    assert not Leistungsnachweis.objects.for_tenant(belegung.tenant_id).exists()


# --- bad input: rate gaps, already billed -----------------------------------------------------------


def test_rate_gap_names_the_dates_and_stores_nothing(make_belegung, provider_user, angebot):
    entgelt = Entgelt.objects.for_tenant(angebot.tenant_id).get(angebot=angebot)
    angebot_services.end_entgelt(actor=provider_user, entgelt=entgelt, valid_to=date(2026, 10, 9))
    angebot_services.set_entgelt(
        actor=provider_user,
        angebot=angebot,
        valid_from=date(2026, 10, 13),
        valid_to=None,
        leistungsentgelt=Decimal("150"),
    )
    belegung = make_belegung(date(2026, 9, 1))
    with pytest.raises(PlacementsError) as err:
        _compute(provider_user, belegung)
    assert err.value.code == "rate_gap"
    assert "10.10.2026–12.10.2026" in err.value.message
    assert not Leistungsnachweis.objects.for_tenant(belegung.tenant_id).exists()


def test_recompute_while_draft_then_already_billed(make_belegung, provider_user):
    belegung = make_belegung(date(2026, 9, 1))
    first = _compute(provider_user, belegung)
    assert first.betrag == 31 * RATE
    belegung_services.record_abwesenheit(
        actor=provider_user,
        belegung=belegung,
        von=date(2026, 10, 1),
        bis=date(2026, 10, 1),
        grund="Familienbesuch",
    )
    again = _compute(provider_user, belegung)
    assert again.pk == first.pk and again.betrag == 30 * RATE + Decimal("136.88")
    billing.confirm_nachweis(actor=provider_user, nachweis=again)
    with pytest.raises(Conflict) as err:
        _compute(provider_user, belegung)
    assert err.value.code == "already_billed"
    assert "Oktober 2026" in err.value.message
    with pytest.raises(Conflict):
        billing.confirm_nachweis(actor=provider_user, nachweis=again)
    again.refresh_from_db()
    assert again.betrag == 30 * RATE + Decimal("136.88")
    assert Leistungsnachweis.objects.for_tenant(belegung.tenant_id).count() == 1


# --- standby places ------------------------------------------------------------------------


def test_standby_place_billed_every_day_to_its_youth_office(
    angebot, provider_user, jugendamt, jugendamt_user, heim, region
):
    platz = angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=1,
        valid_from=date(2026, 10, 6),
        frei_ab=date(2026, 10, 6),
        standby_jugendamt=jugendamt,
    )[0]
    nachweis = billing.compute_standby_nachweis(
        actor=provider_user, platz=platz, monat=OCTOBER, today=TODAY
    )
    assert nachweis.belegung_id is None and nachweis.jugendamt_id == jugendamt.pk
    assert nachweis.vorhaltetage == 26 and nachweis.betrag == 26 * RATE
    assert nachweis.positionen[0]["art"] == "vorhaltung"

    # A Belegung on the standby place is paid by the standby Nachweis, not on its own.
    gesuch = gesuch_services.create_gesuch(
        actor=jugendamt_user,
        tenant=jugendamt,
        betreuungsform=heim,
        alter=10,
        geschlecht="m",
        ab_datum=date(2026, 10, 10),
        region=region,
    )
    hold = belegung_services.reserve(actor=jugendamt_user, gesuch=gesuch, platz=platz)
    belegung = belegung_services.confirm(
        actor=provider_user,
        tenant=platz.tenant,
        reservierung_id=hold.pk,
        beginn=date(2026, 10, 10),
    )
    with pytest.raises(PlacementsError) as err:
        _compute(provider_user, belegung)
    assert err.value.code == "standby_place"
    ordinary = Platz.objects.for_tenant(angebot.tenant_id).exclude(pk=platz.pk).first()
    if ordinary is not None:
        with pytest.raises(PlacementsError):
            billing.compute_standby_nachweis(
                actor=provider_user, platz=ordinary, monat=OCTOBER, today=TODAY
            )


# --- invoices --------------------------------------------------------------------------------


def _invoiced(user: User, belegung: Belegung, monat: date = OCTOBER) -> Rechnung:
    nachweis = _compute(user, belegung, monat)
    billing.confirm_nachweis(actor=user, nachweis=nachweis)
    return billing.create_rechnung(actor=user, nachweis=nachweis, today=TODAY)


def describe(findings: list[dict[str, str]]) -> str:
    return "\n".join(f"{f['rule_id']} {f['field']}: {f['message']}" for f in findings)


def test_invoice_passes_all_three_checks_from_the_blob_store(
    make_belegung, provider_user, profil, rechnungsempfaenger
):
    belegung = make_belegung(date(2026, 9, 1))
    belegung_services.record_abwesenheit(
        actor=provider_user,
        belegung=belegung,
        von=date(2026, 10, 10),
        bis=date(2026, 10, 12),
        grund="Wochenende bei der Familie",
    )
    rechnung = _invoiced(provider_user, belegung)
    assert rechnung.status == Rechnung.Status.BEREIT, describe(rechnung.findings)
    assert rechnung.number == "RE-2026-00001"
    assert rechnung.total == Decimal("5520.64")
    assert rechnung.leitweg_id == "09999000-KREIS-21"
    xml = billing.rechnung_xml(rechnung)
    report = validate(xml)
    assert report.is_valid and not report.warnings, report.errors
    assert {f.check for f in report.errors} == set()
    root = etree.fromstring(xml)
    assert root.findtext(".//ram:BuyerReference", namespaces=NS) == "09999000-KREIS-21"
    assert root.findtext(".//ram:DuePayableAmount", namespaces=NS) == "5520.64"
    assert [q.text for q in root.iterfind(".//ram:BilledQuantity", NS)] == ["9", "3", "19"]
    # Each line's period (BT-134/BT-135) is the days it bills, not the whole month.
    periods = [
        tuple(
            d.text for d in line.iterfind(".//ram:BillingSpecifiedPeriod//udt:DateTimeString", NS)
        )
        for line in root.iterfind(".//ram:IncludedSupplyChainTradeLineItem", NS)
    ]
    assert periods == [
        ("20261001", "20261009"),
        ("20261010", "20261012"),
        ("20261013", "20261031"),
    ]
    assert root.findtext(".//ram:SpecifiedLegalOrganization/ram:ID", namespaces=NS) == (
        "VR 4711, Amtsgericht Musterstadt"
    )
    nachweis = Leistungsnachweis.objects.for_tenant(belegung.tenant_id).get()
    assert nachweis.status == Leistungsnachweis.Status.ABGERECHNET
    # Gap-free per provider and year
    second = _invoiced(provider_user, make_belegung(date(2026, 10, 2)))
    assert second.number == "RE-2026-00002"


def test_invoice_needs_a_confirmed_nachweis_and_only_one(
    make_belegung, provider_user, profil, rechnungsempfaenger
):
    belegung = make_belegung(date(2026, 9, 1))
    nachweis = _compute(provider_user, belegung)
    with pytest.raises(PlacementsError) as err:
        billing.create_rechnung(actor=provider_user, nachweis=nachweis, today=TODAY)
    assert err.value.code == "not_confirmed"
    billing.confirm_nachweis(actor=provider_user, nachweis=nachweis)
    billing.create_rechnung(actor=provider_user, nachweis=nachweis, today=TODAY)
    with pytest.raises(Conflict) as err:
        billing.create_rechnung(actor=provider_user, nachweis=nachweis, today=TODAY)
    assert err.value.code == "already_invoiced"
    assert Rechnung.objects.for_tenant(belegung.tenant_id).count() == 1


def test_missing_profile_is_a_clear_error(make_belegung, provider_user, rechnungsempfaenger):
    belegung = make_belegung(date(2026, 9, 1))
    nachweis = _compute(provider_user, belegung)
    billing.confirm_nachweis(actor=provider_user, nachweis=nachweis)
    with pytest.raises(PlacementsError) as err:
        billing.create_rechnung(actor=provider_user, nachweis=nachweis, today=TODAY)
    assert err.value.code == "no_profile"
    nachweis.refresh_from_db()
    assert nachweis.status == Leistungsnachweis.Status.BESTAETIGT  # nothing half-done


def test_youth_office_without_leitweg_id_gets_an_invalid_invoice_with_br_de_15(
    make_belegung, provider_user, profil, jugendamt, jugendamt_user
):
    billing.save_rechnungsanschrift(
        actor=jugendamt_user, tenant=jugendamt, street="Amtsweg 1", postcode="60000", city="Ort"
    )
    assert jugendamt.leitweg_id == ""
    rechnung = _invoiced(provider_user, make_belegung(date(2026, 9, 1)))
    assert rechnung.status == Rechnung.Status.UNGUELTIG
    rules = {f["rule_id"] for f in rechnung.findings}
    assert "BR-DE-15" in rules, describe(rechnung.findings)
    finding = next(f for f in rechnung.findings if f["rule_id"] == "BR-DE-15")
    assert finding["field"] == "Leitweg-ID (BT-10)"
    # Cannot be sent; the error lists the rules.
    with pytest.raises(PlacementsError) as err:
        billing.send_rechnung(actor=provider_user, rechnung=rechnung)
    assert err.value.code == "invalid_invoice"
    assert "BR-DE-15 (Leitweg-ID (BT-10))" in err.value.message
    rechnung.refresh_from_db()
    assert rechnung.status == Rechnung.Status.UNGUELTIG and rechnung.sent_at is None
    # Once the youth office has its Leitweg-ID, the same invoice is built again and passes.
    jugendamt.leitweg_id = "09999000-KREIS-21"
    jugendamt.save(update_fields=["leitweg_id"])
    rebuilt = billing.create_rechnung(actor=provider_user, nachweis=rechnung.nachweis, today=TODAY)
    assert rebuilt.pk == rechnung.pk and rebuilt.number == rechnung.number
    assert rebuilt.status == Rechnung.Status.BEREIT, describe(rebuilt.findings)
    assert rebuilt.findings == []


def test_send_approve_reject_rules(
    make_belegung, provider_user, profil, rechnungsempfaenger, jugendamt, jugendamt_user, traeger
):
    rechnung = _invoiced(provider_user, make_belegung(date(2026, 9, 1)))
    # Not sent: the youth office cannot decide (it does not even see it).
    with pytest.raises(NotFound):
        billing.approve_rechnung(actor=jugendamt_user, tenant=jugendamt, rechnung=rechnung)
    sent = billing.send_rechnung(actor=provider_user, rechnung=rechnung)
    assert sent.status == Rechnung.Status.VERSENDET and sent.sent_at is not None
    assert AuditEvent.objects.filter(
        tenant_id=jugendamt.pk, action="placements.rechnung.send"
    ).exists()
    with pytest.raises(Conflict) as err:
        billing.send_rechnung(actor=provider_user, rechnung=sent)
    assert err.value.code == "already_sent"
    # The provider is no party to the decision.
    with pytest.raises(NotFound):
        billing.approve_rechnung(actor=provider_user, tenant=traeger, rechnung=sent)
    with pytest.raises(ReasonError) as err:
        billing.reject_rechnung(actor=jugendamt_user, tenant=jugendamt, rechnung=sent, reason=" ")
    assert err.value.code == "reason_required"
    approved = billing.approve_rechnung(actor=jugendamt_user, tenant=jugendamt, rechnung=sent)
    assert approved.status == Rechnung.Status.FREIGEGEBEN and approved.decided_by == jugendamt_user
    with pytest.raises(Conflict) as err:
        billing.reject_rechnung(
            actor=jugendamt_user, tenant=jugendamt, rechnung=approved, reason="zu spät"
        )
    assert err.value.code == "already_decided"

    other = billing.send_rechnung(
        actor=provider_user,
        rechnung=_invoiced(provider_user, make_belegung(date(2026, 10, 15))),
    )
    rejected = billing.reject_rechnung(
        actor=jugendamt_user,
        tenant=jugendamt,
        rechnung=other,
        reason="Aufnahme laut Hilfeplan erst am 16.10.",
    )
    assert rejected.status == Rechnung.Status.ABGELEHNT
    assert rejected.decision_reason == "Aufnahme laut Hilfeplan erst am 16.10."
    assert AuditEvent.objects.filter(
        tenant_id=traeger.pk, action="placements.rechnung.reject"
    ).exists()


def test_check_summary_shows_the_differences(
    make_belegung, provider_user, profil, rechnungsempfaenger, traeger
):
    belegung = make_belegung(date(2026, 9, 1))
    rechnung = billing.send_rechnung(
        actor=provider_user, rechnung=_invoiced(provider_user, belegung)
    )
    check = pruefung.check_rechnung(rechnung)
    assert check.ok, check.punkte
    assert [p.label for p in check.punkte] == [
        "Leitweg-ID",
        "Belegungstage",
        "Abwesenheitstage",
        "Betrag",
    ]
    # Afterwards the Belegung turns out to have ended on 28.10. and the child was away
    # on 3.10.: the check shows exactly these days and the difference in money.
    belegung_services.end_belegung(
        actor=provider_user,
        tenant=traeger,
        belegung=belegung,
        ende=date(2026, 10, 28),
        grund="rueckfuehrung",
    )
    belegung_services.record_abwesenheit(
        actor=provider_user,
        belegung=Belegung.objects.for_tenant(traeger).get(pk=belegung.pk),
        von=date(2026, 10, 3),
        bis=date(2026, 10, 3),
        grund="Familie",
    )
    check = pruefung.check_rechnung(rechnung)
    assert not check.ok and check.abweichungen == 3
    by_label = {p.label: p for p in check.punkte}
    assert by_label["Leitweg-ID"].ok
    assert "berechnet, aber laut Jugendamt nicht: 29.10.2026–31.10.2026" in (
        by_label["Belegungstage"].hinweis
    )
    assert (
        "laut Jugendamt, aber nicht berechnet: 03.10.2026" in by_label["Abwesenheitstage"].hinweis
    )
    # 31 × 182.50 = 5657.50 billed; own: 27 × 182.50 + 136.88 = 5064.38
    assert by_label["Betrag"].laut_rechnung == "5.657,50 €"
    assert by_label["Betrag"].laut_jugendamt == "5.064,38 €"
    assert by_label["Betrag"].hinweis == "Differenz 593,12 €"


# --- month-end billing ------------------------------------------------------------------------


@pytest.fixture
def month(make_belegung, provider_user, angebot, jugendamt) -> dict[str, object]:
    """Three Belegungen in October (one already computed as a draft, one confirmed),
    one that ended in September, and a standby place."""
    draft = make_belegung(date(2026, 9, 1))
    confirmed = make_belegung(date(2026, 10, 10))
    plain = make_belegung(date(2026, 10, 30))
    make_belegung(date(2026, 8, 1), ende=date(2026, 9, 30))  # not in October
    _compute(provider_user, draft)
    billing.confirm_nachweis(actor=provider_user, nachweis=_compute(provider_user, confirmed))
    standby = angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=1,
        valid_from=date(2026, 10, 1),
        standby_jugendamt=jugendamt,
    )[0]
    return {"draft": draft, "confirmed": confirmed, "plain": plain, "standby": standby}


def test_month_end_bills_everything_once(
    month, provider_user, traeger, profil, rechnungsempfaenger
):
    result = month_end.run_month_end(
        actor=provider_user, tenant=traeger, monat=OCTOBER, today=TODAY, batch_size=2
    )
    assert (result.total, result.valid, result.invalid, result.skipped) == (4, 4, 0, 0)
    assert result.failed == []
    rechnungen = Rechnung.objects.for_tenant(traeger).order_by("number")
    assert [r.number for r in rechnungen] == [f"RE-2026-0000{n}" for n in range(1, 5)]
    assert all(r.status == Rechnung.Status.BEREIT for r in rechnungen)
    totals = {r.nachweis.belegung_id or r.nachweis.platz_id: r.total for r in rechnungen}
    assert totals[month["draft"].pk] == 31 * RATE
    assert totals[month["confirmed"].pk] == 22 * RATE
    assert totals[month["plain"].pk] == 2 * RATE
    assert totals[month["standby"].pk] == 31 * RATE
    # Again: nothing is done twice.
    again = month_end.run_month_end(actor=provider_user, tenant=traeger, monat=OCTOBER, today=TODAY)
    assert (again.skipped, again.valid) == (4, 0)
    assert Rechnung.objects.for_tenant(traeger).count() == 4
    assert Leistungsnachweis.objects.for_tenant(traeger).count() == 4


def test_month_end_reports_what_cannot_be_billed_and_bills_the_rest(
    month, provider_user, traeger, profil, rechnungsempfaenger, angebot
):
    entgelt = Entgelt.objects.for_tenant(traeger).get(angebot=angebot)
    angebot_services.end_entgelt(actor=provider_user, entgelt=entgelt, valid_to=date(2026, 10, 30))
    result = month_end.run_month_end(
        actor=provider_user, tenant=traeger, monat=OCTOBER, today=TODAY
    )
    # draft, plain and standby reach 31.10.; only "confirmed" (computed before) is billed
    assert result.valid == 1
    assert {f["code"] for f in result.failed} == {"rate_gap"}
    assert len(result.failed) == 3
    assert "31.10.2026" in result.failed[0]["grund"]
    assert "nicht abrechenbar" in result.message(OCTOBER)
    # Nothing half-done: the draft is still a draft, no invoice without its Nachweis.
    draft = Leistungsnachweis.objects.for_tenant(traeger).get(belegung=month["draft"])
    assert draft.status == Leistungsnachweis.Status.ENTWURF
    assert Rechnung.objects.for_tenant(traeger).count() == 1


def test_month_end_refuses_months_not_over_and_without_profile(
    month, provider_user, traeger, rechnungsempfaenger
):
    with pytest.raises(PlacementsError) as err:
        month_end.run_month_end(
            actor=provider_user, tenant=traeger, monat=OCTOBER, today=date(2026, 10, 30)
        )
    assert err.value.code == "not_yet"
    with pytest.raises(PlacementsError) as err:
        month_end.run_month_end(actor=provider_user, tenant=traeger, monat=OCTOBER, today=TODAY)
    assert err.value.code == "no_profile"


def test_month_end_job_resumes_after_a_crash_without_doing_anything_twice(
    month, provider_user, traeger, profil, rechnungsempfaenger, monkeypatch
):
    real = billing.build_invoice
    calls = {"n": 0}

    def crash_on_third(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("Worker stirbt mitten im Stapel")
        return real(*args, **kwargs)

    monkeypatch.setattr(billing, "build_invoice", crash_on_third)
    job = month_end.start_month_end(actor=provider_user, tenant=traeger, monat=OCTOBER)
    with pytest.raises(Conflict) as err:
        month_end.start_month_end(actor=provider_user, tenant=traeger, monat=OCTOBER)
    assert err.value.code == "already_running"
    assert runner.execute(job.pk) == "failed"
    assert Rechnung.objects.for_tenant(traeger).count() == 2
    monkeypatch.setattr(billing, "build_invoice", real)
    from koffer.jobs import services as jobs

    jobs.retry_job(actor=provider_user, job=Job.objects.for_tenant(traeger).get(pk=job.pk))
    assert runner.execute(job.pk) == "done"
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.percent == 100
    assert "2 Rechnungen erstellt" in job.message and "2 waren schon abgerechnet" in job.message
    rechnungen = list(Rechnung.objects.for_tenant(traeger).order_by("number"))
    assert [r.number for r in rechnungen] == [f"RE-2026-0000{n}" for n in range(1, 5)]
    assert len({r.nachweis_id for r in rechnungen}) == 4
    steps = set(JobStep.objects.for_tenant(traeger).filter(job=job).values_list("key", flat=True))
    assert {"auswahl", "stapel-0"} <= steps


# --- pages -----------------------------------------------------------------------------------


def test_provider_pages_compute_confirm_invoice_send(
    make_belegung, provider_user, profil, rechnungsempfaenger
):
    belegung = make_belegung(date(2026, 10, 20))
    client = signed_in(provider_user)
    page = client.get(reverse("placements:abrechnung"), {"monat": "2026-10"})
    assert page.status_code == 200
    body = page.content.decode()
    assert "Abrechnung Oktober 2026" in body and belegung.gesuch.pseudonym in body
    assert "Monatsabrechnung starten" in body
    bad = client.get(reverse("placements:abrechnung"), {"monat": "Oktober"})
    assert bad.status_code == 200 and "JJJJ-MM" in bad.content.decode()

    done = client.post(
        reverse("placements:abrechnung_berechnen"), {"monat": "2026-10", "belegung": belegung.pk}
    )
    assert done.status_code == 302
    nachweis = Leistungsnachweis.objects.for_tenant(belegung.tenant_id).get()
    assert nachweis.betrag == 12 * RATE
    detail = client.get(reverse("placements:abrechnung_nachweis", args=[nachweis.pk]))
    assert "2.190,00 €" in detail.content.decode()
    client.post(reverse("placements:abrechnung_nachweis_bestaetigen", args=[nachweis.pk]))
    made = client.post(reverse("placements:abrechnung_nachweis_rechnung", args=[nachweis.pk]))
    rechnung = Rechnung.objects.for_tenant(belegung.tenant_id).get()
    assert made["Location"] == reverse("placements:abrechnung_rechnung", args=[rechnung.pk])
    page = client.get(made["Location"]).content.decode()
    assert "bereit zum Versand" in page and "versenden" in page
    xml = client.get(reverse("placements:abrechnung_rechnung_xml", args=[rechnung.pk]))
    assert xml["Content-Type"].startswith("application/xml")
    assert validate(xml.content).is_valid
    client.post(reverse("placements:abrechnung_rechnung_versenden", args=[rechnung.pk]))
    rechnung.refresh_from_db()
    assert rechnung.status == Rechnung.Status.VERSENDET
    listing = client.get(reverse("placements:abrechnung_rechnungen")).content.decode()
    assert rechnung.number in listing


def test_failing_invoice_shows_rule_and_field_on_the_page(
    make_belegung, provider_user, profil, jugendamt
):
    rechnung = _invoiced(provider_user, make_belegung(date(2026, 9, 1)))
    assert rechnung.status == Rechnung.Status.UNGUELTIG
    client = signed_in(provider_user)
    body = client.get(reverse("placements:abrechnung_rechnung", args=[rechnung.pk])).content
    text = body.decode()
    assert "Verletzte Prüfregeln" in text
    for expected in ("BR-DE-15", "Leitweg-ID (BT-10)", "BR-DE-8", "Ort des Käufers (BT-52)"):
        assert expected in text
    assert "Neu erstellen und prüfen" in text
    refused = client.post(
        reverse("placements:abrechnung_rechnung_versenden", args=[rechnung.pk]), follow=True
    )
    assert "BR-DE-15 (Leitweg-ID (BT-10))" in refused.content.decode()


def test_youth_office_checks_approves_and_rejects(
    make_belegung, provider_user, profil, rechnungsempfaenger, jugendamt_user
):
    first = _invoiced(provider_user, make_belegung(date(2026, 9, 1)))
    hidden = _invoiced(provider_user, make_belegung(date(2026, 10, 15)))
    billing.send_rechnung(actor=provider_user, rechnung=first)
    office = signed_in(jugendamt_user)
    inbox = office.get(reverse("placements:abrechnung_eingang")).content.decode()
    assert first.number in inbox and hidden.number not in inbox
    # Not sent yet: does not exist for the youth office.
    assert (
        office.get(reverse("placements:abrechnung_rechnung", args=[hidden.pk])).status_code == 404
    )
    assert (
        office.get(reverse("placements:abrechnung_rechnung_xml", args=[hidden.pk])).status_code
        == 404
    )
    page = office.get(reverse("placements:abrechnung_rechnung", args=[first.pk])).content.decode()
    assert "Abgleich mit den eigenen Belegungsdaten" in page
    assert "stimmt mit den eigenen Daten überein" in page
    xml = office.get(reverse("placements:abrechnung_rechnung_xml", args=[first.pk]))
    assert xml.status_code == 200 and xml["Content-Type"].startswith("application/xml")

    empty = office.post(reverse("placements:abrechnung_rechnung_ablehnen", args=[first.pk]), {})
    assert empty.status_code == 400
    assert "Begründung der Ablehnung" in empty.content.decode()
    office.post(reverse("placements:abrechnung_rechnung_freigeben", args=[first.pk]))
    first.refresh_from_db()
    assert first.status == Rechnung.Status.FREIGEGEBEN
    again = office.post(
        reverse("placements:abrechnung_rechnung_ablehnen", args=[first.pk]),
        {"reason": "zu spät"},
        follow=True,
    )
    assert "bereits entschieden" in again.content.decode()

    billing.send_rechnung(actor=provider_user, rechnung=hidden)
    office.post(
        reverse("placements:abrechnung_rechnung_ablehnen", args=[hidden.pk]),
        {"reason": "Aufnahme erst am 16.10."},
    )
    hidden.refresh_from_db()
    assert hidden.status == Rechnung.Status.ABGELEHNT
    # The provider sees the reason.
    provider_page = signed_in(provider_user).get(
        reverse("placements:abrechnung_rechnung", args=[hidden.pk])
    )
    assert "Aufnahme erst am 16.10." in provider_page.content.decode()
    # The youth office cannot send, the provider cannot approve.
    assert (
        office.post(
            reverse("placements:abrechnung_rechnung_versenden", args=[hidden.pk])
        ).status_code
        == 404
    )


def test_youth_office_sets_its_invoice_address(jugendamt, jugendamt_user):
    office = signed_in(jugendamt_user)
    page = office.get(reverse("placements:abrechnung_anschrift"))
    assert page.status_code == 200
    bad = office.post(reverse("placements:abrechnung_anschrift"), {"street": "x"})
    assert bad.status_code == 400
    office.post(
        reverse("placements:abrechnung_anschrift"),
        {"bezeichnung": "Jugendamt", "street": "Amtsweg 1", "postcode": "60000", "city": "Ort"},
    )
    anschrift = Rechnungsanschrift.objects.for_tenant(jugendamt).get()
    assert (anschrift.city, anschrift.bezeichnung) == ("Ort", "Jugendamt")


def test_other_tenants_get_404(
    make_belegung, provider_user, profil, rechnungsempfaenger, catalogue
):
    rechnung = billing.send_rechnung(
        actor=provider_user, rechnung=_invoiced(provider_user, make_belegung(date(2026, 9, 1)))
    )
    other_provider = factories.user(
        factories.mandant("Anderer Träger", kind=Mandant.Kind.TRAEGER), role="platzverwaltung"
    )
    other_office = factories.user(factories.mandant("Anderer Kreis"), role="sachbearbeitung")
    for user in (other_provider, other_office):
        client = signed_in(user)
        for name in (
            "abrechnung_rechnung",
            "abrechnung_rechnung_xml",
        ):
            assert client.get(reverse(f"placements:{name}", args=[rechnung.pk])).status_code == 404
        for name in (
            "abrechnung_rechnung_versenden",
            "abrechnung_rechnung_freigeben",
            "abrechnung_rechnung_ablehnen",
            "abrechnung_rechnung_neu",
        ):
            assert client.post(reverse(f"placements:{name}", args=[rechnung.pk])).status_code == 404
        nachweis_url = reverse("placements:abrechnung_nachweis", args=[rechnung.nachweis_id])
        assert client.get(nachweis_url).status_code == 404
        assert client.get(f"/api/v1/platzboerse/rechnungen/{rechnung.pk}/xml").status_code == 404
        listing = client.get("/api/v1/platzboerse/rechnungen").json()
        assert listing["items"] == []
    # Computing for another provider's Belegung
    response = signed_in(other_provider).post(
        reverse("placements:abrechnung_berechnen"),
        {"monat": "2026-10", "belegung": rechnung.nachweis.belegung_id},
    )
    assert response.status_code == 404


# --- API ---------------------------------------------------------------------------------------


def test_api_compute_invoice_download_and_decide(
    make_belegung, provider_user, profil, rechnungsempfaenger, jugendamt_user, angebot
):
    belegung = make_belegung(date(2026, 9, 1))
    provider = signed_in(provider_user)
    url = "/api/v1/platzboerse/leistungsnachweise"
    created = provider.post(
        url, {"monat": "2026-10", "belegung_id": str(belegung.pk)}, content_type="application/json"
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["betrag"] == "5657.50" and body["positionen"][0]["tage"] == 31
    bad = provider.post(url, {"monat": "2026-13"}, content_type="application/json")
    assert bad.status_code == 422
    listed = provider.get(url, {"monat": "2026-10"}).json()
    assert [n["id"] for n in listed["items"]] == [body["id"]]

    confirmed = provider.post(f"{url}/{body['id']}/bestaetigung")
    assert confirmed.json()["status"] == "bestaetigt"
    again = provider.post(
        url, {"monat": "2026-10", "belegung_id": str(belegung.pk)}, content_type="application/json"
    )
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")
    assert again.json()["code"] == "already_billed"
    invoice = provider.post(f"{url}/{body['id']}/rechnung")
    assert invoice.status_code == 201
    rechnung = invoice.json()
    assert rechnung["status"] == "bereit" and rechnung["findings"] == []

    xml = provider.get(f"/api/v1/platzboerse/rechnungen/{rechnung['id']}/xml")
    assert xml.status_code == 200
    assert xml["Content-Type"].startswith("application/xml")
    assert validate(xml.content).is_valid

    office = signed_in(jugendamt_user)
    assert office.get("/api/v1/platzboerse/rechnungen").json()["items"] == []
    assert (
        office.post(f"/api/v1/platzboerse/rechnungen/{rechnung['id']}/freigabe").status_code == 404
    )
    sent = provider.post(f"/api/v1/platzboerse/rechnungen/{rechnung['id']}/versand")
    assert sent.json()["status"] == "versendet"
    inbox = office.get("/api/v1/platzboerse/rechnungen").json()["items"]
    assert [r["number"] for r in inbox] == ["RE-2026-00001"]
    detail = office.get(f"/api/v1/platzboerse/rechnungen/{rechnung['id']}").json()
    assert all(p["ok"] for p in detail["pruefung"])
    office_xml = office.get(f"/api/v1/platzboerse/rechnungen/{rechnung['id']}/xml")
    assert office_xml.content == xml.content
    empty = office.post(
        f"/api/v1/platzboerse/rechnungen/{rechnung['id']}/ablehnung",
        {"reason": ""},
        content_type="application/json",
    )
    assert empty.status_code == 422
    rejected = office.post(
        f"/api/v1/platzboerse/rechnungen/{rechnung['id']}/ablehnung",
        {"reason": "Tage stimmen nicht"},
        content_type="application/json",
    )
    assert rejected.json()["status"] == "abgelehnt"
    twice = office.post(f"/api/v1/platzboerse/rechnungen/{rechnung['id']}/freigabe")
    assert twice.status_code == 409 and twice.json()["code"] == "already_decided"


def test_api_rate_gap_is_a_problem_naming_the_dates(make_belegung, provider_user, angebot, traeger):
    entgelt = Entgelt.objects.for_tenant(traeger).get(angebot=angebot)
    angebot_services.end_entgelt(actor=provider_user, entgelt=entgelt, valid_to=date(2026, 10, 15))
    belegung = make_belegung(date(2026, 9, 1))
    response = signed_in(provider_user).post(
        "/api/v1/platzboerse/leistungsnachweise",
        {"monat": "2026-10", "belegung_id": str(belegung.pk)},
        content_type="application/json",
    )
    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "rate_gap" and "16.10.2026–31.10.2026" in problem["detail"]
    assert not Leistungsnachweis.objects.for_tenant(traeger).exists()
    assert json.loads(response.content)["status"] == 422
