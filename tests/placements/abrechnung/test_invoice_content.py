"""What an invoice says (issue 14, items 11 and 15): the VAT exemption and the paying
office of each Fachbereich, the youth office's Kostenzusage as contract reference (BT-12),
a standby place named once, line periods that hold only the line's days, and the
contract's rounding of absence prices."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pypdfium2 as pdfium
import pytest
from django.urls import reverse
from lxml import etree

from koffer.audit.models import AuditEvent
from koffer.pdf import pdfa
from koffer.placements.abrechnung import services as billing
from koffer.placements.angebote import services as angebot_services
from koffer.placements.belegung import services as belegung_services
from koffer.placements.gesuche import services as gesuch_services
from koffer.placements.models import (
    AbsenceRounding,
    Betreuungsform,
    Fachbereich,
    Leistungsnachweis,
    Rechnung,
)
from koffer.placements.xrechnung import validate
from tests.conftest import signed_in
from tests.factories import placements as placement_factories

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]

OCTOBER = date(2026, 10, 1)
TODAY = date(2026, 11, 25)
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}


def _invoice(user, belegung) -> tuple[Rechnung, etree._Element]:
    nachweis = billing.compute_nachweis(actor=user, belegung=belegung, monat=OCTOBER, today=TODAY)
    billing.confirm_nachweis(actor=user, nachweis=nachweis)
    rechnung = billing.create_rechnung(actor=user, nachweis=nachweis, today=TODAY)
    xml = billing.rechnung_xml(rechnung)
    report = validate(xml)
    assert report.is_valid and not report.warnings, report.errors
    assert rechnung.status == Rechnung.Status.BEREIT
    return rechnung, etree.fromstring(xml)


# The shipped Fachbereiche of the demo, each with a form of care and an age it serves.
DEMO = [
    (
        "jugendhilfe",
        "heim-34",
        12,
        "Umsatzsteuerfrei gemäß § 4 Nr. 25 UStG (Leistungen der Kinder- und Jugendhilfe)",
        "VATEX-EU-132-1H",
        "Landkreis Test, Jugendamt",
    ),
    (
        "pflege",
        "vollstationaer",
        82,
        "Umsatzsteuerfrei gemäß § 4 Nr. 16 UStG (Betreuungs- und Pflegeleistungen)",
        "VATEX-EU-132-1G",
        "Landkreis Test, Sozialamt",
    ),
    (
        "fluechtlinge",
        "gemeinschaftsunterkunft",
        34,
        "Umsatzsteuerfrei gemäß § 4 Nr. 18 UStG (eng mit der Sozialfürsorge verbundene "
        "Leistungen, Art. 132 Abs. 1 Buchst. g MwStSystRL)",
        "VATEX-EU-132-1G",
        "Landkreis Test, Sozialamt",
    ),
]


@pytest.mark.parametrize(("code", "form_code", "alter", "reason", "vatex", "buyer"), DEMO)
def test_each_fachbereich_invoices_with_its_own_exemption_and_paying_office(
    catalogue,
    traeger,
    provider_user,
    jugendamt,
    jugendamt_user,
    region,
    profil,
    rechnungsempfaenger,
    code,
    form_code,
    alter,
    reason,
    vatex,
    buyer,
):
    fachbereich = Fachbereich.objects.get(code=code)
    form = Betreuungsform.objects.get(fachbereich=fachbereich, code=form_code)
    einrichtung = placement_factories.einrichtung(
        actor=provider_user,
        tenant=traeger,
        fachbereich=fachbereich,
        formen=[form],
        age_min=0,
        age_max=120,
    )
    angebot = placement_factories.angebot(actor=provider_user, einrichtung=einrichtung, form=form)
    belegung = placement_factories.belegung(
        angebot,
        provider_user,
        jugendamt,
        jugendamt_user,
        form,
        region,
        date(2026, 9, 1),
        alter=alter,
    )
    _, root = _invoice(provider_user, belegung)
    tax = root.find(".//ram:ApplicableHeaderTradeSettlement/ram:ApplicableTradeTax", NS)
    assert tax.findtext("ram:CategoryCode", namespaces=NS) == "E"
    assert tax.findtext("ram:ExemptionReason", namespaces=NS) == reason  # BT-120
    assert tax.findtext("ram:ExemptionReasonCode", namespaces=NS) == vatex  # BT-121
    assert {c.text for c in root.iterfind(".//ram:CategoryCode", NS)} == {"E"}
    assert root.findtext(".//ram:BuyerTradeParty/ram:Name", namespaces=NS) == buyer


def test_the_exemption_is_configuration(
    make_belegung, provider_user, profil, rechnungsempfaenger, catalogue
):
    catalogue.tax_exemption_reason = "Umsatzsteuerfrei gemäß § 4 Nr. 23 UStG"
    catalogue.tax_exemption_code = "VATEX-EU-132-1I"
    catalogue.payer_label = "Amt für Familie"
    catalogue.save()
    _, root = _invoice(provider_user, make_belegung(date(2026, 9, 1)))
    assert root.findtext(".//ram:ExemptionReasonCode", namespaces=NS) == "VATEX-EU-132-1I"
    assert root.findtext(".//ram:BuyerTradeParty/ram:Name", namespaces=NS) == (
        "Landkreis Test, Amt für Familie"
    )


def test_the_page_shows_the_exemption_the_invoice_states(
    make_belegung, provider_user, profil, rechnungsempfaenger, catalogue
):
    """The invoice page says what the sent XML says (BT-120), also after the Fachbereich's
    configuration changed."""
    rechnung, root = _invoice(provider_user, make_belegung(date(2026, 9, 1)))
    stated = root.findtext(".//ram:ExemptionReason", namespaces=NS)
    catalogue.tax_exemption_reason = "Umsatzsteuerfrei gemäß § 4 Nr. 23 UStG"
    catalogue.save()
    page = signed_in(provider_user).get(
        reverse("placements:abrechnung_rechnung", args=[rechnung.pk])
    )
    text = page.content.decode()
    assert page.status_code == 200
    assert f"({stated})" in text
    assert "§ 4 Nr. 23 UStG" not in text


def test_kostenzusage_is_the_contract_reference(
    angebot, provider_user, jugendamt, jugendamt_user, heim, region, profil, rechnungsempfaenger
):
    belegung = placement_factories.belegung(
        angebot, provider_user, jugendamt, jugendamt_user, heim, region, date(2026, 9, 1)
    )
    _, root = _invoice(provider_user, belegung)
    assert root.find(".//ram:ContractReferencedDocument", NS) is None  # unknown: left out

    later = placement_factories.belegung(
        angebot, provider_user, jugendamt, jugendamt_user, heim, region, date(2026, 9, 1)
    )
    gesuch_services.set_kostenzusage(
        actor=jugendamt_user, gesuch=later.gesuch, kostenzusage="  51.2-4711/26 "
    )
    later.gesuch.refresh_from_db()
    _, root = _invoice(provider_user, later)
    assert (
        root.findtext(".//ram:ContractReferencedDocument/ram:IssuerAssignedID", namespaces=NS)
        == "51.2-4711/26"
    )


def test_standby_place_is_named_once(
    angebot, provider_user, jugendamt, profil, rechnungsempfaenger
):
    platz = angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=1,
        valid_from=date(2026, 1, 1),
        standby_jugendamt=jugendamt,
        label_prefix="Vorhalteplatz",
    )[0]
    assert platz.label.startswith("Vorhalteplatz")
    nachweis = billing.compute_standby_nachweis(
        actor=provider_user, platz=platz, monat=OCTOBER, today=TODAY
    )
    billing.confirm_nachweis(actor=provider_user, nachweis=nachweis)
    rechnung = billing.create_rechnung(actor=provider_user, nachweis=nachweis, today=TODAY)
    xml = billing.rechnung_xml(rechnung).decode()
    assert "Vorhalteplatz Vorhalteplatz" not in xml
    assert f"{platz.label} (" in xml


def test_absence_rounding_per_day_or_per_line_differs_by_a_cent(
    make_belegung, provider_user, angebot, profil, rechnungsempfaenger
):
    """182.50 × 75 % = 136.875 a day. Per day (the default): 136.88 × 3 = 410.64. Per
    line: 136.875 × 3 = 410.625 → 410.63."""
    assert angebot.absence_rounding == AbsenceRounding.PER_DAY

    def absent(belegung):
        belegung_services.record_abwesenheit(
            actor=provider_user,
            belegung=belegung,
            von=date(2026, 10, 10),
            bis=date(2026, 10, 12),
            grund="Krankenhaus",
        )
        return belegung

    per_day, root = _invoice(provider_user, absent(make_belegung(date(2026, 9, 1))))
    assert per_day.total == Decimal("5520.64")
    prices = [p.text for p in root.iterfind(".//ram:ChargeAmount", NS)]
    assert prices == ["182.50", "136.88", "182.50"]

    angebot_services.set_absence_rounding(
        actor=provider_user, angebot=angebot, absence_rounding=AbsenceRounding.PER_LINE
    )
    per_line, root = _invoice(provider_user, absent(make_belegung(date(2026, 9, 1))))
    assert per_line.total == Decimal("5520.63")
    prices = [p.text for p in root.iterfind(".//ram:ChargeAmount", NS)]
    assert prices == ["182.50", "136.875", "182.50"]
    amounts = [
        a.text
        for a in root.iterfind(
            ".//ram:SpecifiedTradeSettlementLineMonetarySummation/ram:LineTotalAmount", NS
        )
    ]
    assert amounts == ["1642.50", "410.63", "3467.50"]
    nachweis = Leistungsnachweis.objects.for_tenant(per_line.tenant_id).get(pk=per_line.nachweis_id)
    assert nachweis.positionen[1]["preis"] == "136.875"
    assert nachweis.betrag == per_line.total


def test_present_days_lines_carry_only_their_days(
    make_belegung, provider_user, profil, rechnungsempfaenger
):
    belegung = make_belegung(date(2026, 10, 5), date(2026, 10, 20))
    belegung_services.record_abwesenheit(
        actor=provider_user,
        belegung=belegung,
        von=date(2026, 10, 8),
        bis=date(2026, 10, 9),
        grund="Besuch bei den Eltern",
    )
    _, root = _invoice(provider_user, belegung)
    periods = [
        tuple(
            d.text for d in line.iterfind(".//ram:BillingSpecifiedPeriod//udt:DateTimeString", NS)
        )
        for line in root.iterfind(".//ram:IncludedSupplyChainTradeLineItem", NS)
    ]
    assert periods == [
        ("20261005", "20261007"),
        ("20261008", "20261009"),
        ("20261010", "20261020"),
    ]


def test_provider_and_youth_office_download_the_invoice_as_pdf(
    make_belegung, provider_user, jugendamt_user, profil, rechnungsempfaenger
):
    belegung = make_belegung(date(2026, 9, 1))
    rechnung, _ = _invoice(provider_user, belegung)
    page = reverse("placements:abrechnung_rechnung_pdf", args=[rechnung.pk])
    api = f"/api/v1/platzboerse/rechnungen/{rechnung.pk}/pdf"
    provider, office = signed_in(provider_user), signed_in(jugendamt_user)

    assert (
        "Rechnung als PDF herunterladen"
        in provider.get(
            reverse("placements:abrechnung_rechnung", args=[rechnung.pk])
        ).content.decode()
    )
    for client, url in ((provider, page), (provider, api)):
        response = client.get(url)
        assert response.status_code == 200, response.content[:300]
        assert response["Content-Type"] == "application/pdf"
        assert response["Content-Disposition"] == f'attachment; filename="{rechnung.number}.pdf"'
        assert pdfa.check(response.content).ok
    # The youth office sees it once it was sent to it, like the XML.
    assert office.get(page).status_code == 404
    assert office.get(api).status_code == 404
    billing.send_rechnung(actor=provider_user, rechnung=rechnung)
    assert office.get(page)["Content-Type"] == "application/pdf"
    shown = office.get(api)
    assert shown.status_code == 200
    text = "".join(pdfium.PdfDocument(shown.content)[0].get_textpage().get_text_range().split())
    assert "".join(f"Rechnung{rechnung.number}".split()) in text
    assert "§4Nr.25UStG" in text
    assert AuditEvent.objects.filter(
        action="read", reason="Rechnung als PDF über die API abgerufen"
    ).exists()
