"""A rejected invoice is corrected: the provider fixes the data, the Leistungsnachweis is
computed again as a new draft, and a new invoice (new number, naming the rejected one)
passes the XRechnung checks again. Before a rejection nothing of that is possible."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from lxml import etree

from koffer.audit.models import AuditEvent
from koffer.placements.abrechnung import monatsabrechnung as month_end
from koffer.placements.abrechnung import pruefung
from koffer.placements.abrechnung import services as billing
from koffer.placements.belegung import services as belegung_services
from koffer.placements.errors import Conflict
from koffer.placements.models import Belegung, Leistungsnachweis, Rechnung
from koffer.placements.xrechnung import validate
from tests.conftest import signed_in

# Written for one calendar: months are billed once they are over, on this day.
pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]

OCTOBER = date(2026, 10, 1)
TODAY = date(2026, 11, 25)
NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
}


@pytest.fixture
def sent(make_belegung, provider_user, profil, rechnungsempfaenger) -> Rechnung:
    belegung = make_belegung(date(2026, 9, 1))
    nachweis = billing.compute_nachweis(
        actor=provider_user, belegung=belegung, monat=OCTOBER, today=TODAY
    )
    billing.confirm_nachweis(actor=provider_user, nachweis=nachweis)
    rechnung = billing.create_rechnung(actor=provider_user, nachweis=nachweis, today=TODAY)
    return billing.send_rechnung(actor=provider_user, rechnung=rechnung)


def _reject(rechnung: Rechnung, user, tenant) -> Rechnung:
    return billing.reject_rechnung(
        actor=user, tenant=tenant, rechnung=rechnung, reason="Heimfahrt 3.–4.10. fehlt"
    )


def test_no_correction_before_a_rejection(sent, provider_user, jugendamt, jugendamt_user):
    nachweis = sent.nachweis
    with pytest.raises(Conflict) as err:
        billing.correct_nachweis(actor=provider_user, nachweis=nachweis, today=TODAY)
    assert err.value.code == "not_rejected"
    with pytest.raises(Conflict) as err:
        billing.compute_nachweis(
            actor=provider_user, belegung=nachweis.belegung, monat=OCTOBER, today=TODAY
        )
    assert err.value.code == "already_billed"
    # Approved is final as well.
    billing.approve_rechnung(actor=jugendamt_user, tenant=jugendamt, rechnung=sent)
    with pytest.raises(Conflict) as err:
        billing.correct_nachweis(actor=provider_user, nachweis=nachweis, today=TODAY)
    assert err.value.code == "not_rejected"


def test_rejected_invoice_is_corrected_and_reissued_under_a_new_number(
    sent, provider_user, traeger, jugendamt, jugendamt_user
):
    old_nachweis = sent.nachweis
    _reject(sent, jugendamt_user, jugendamt)
    # The provider enters the absence the youth office pointed out.
    belegung = Belegung.objects.for_tenant(traeger).get(pk=old_nachweis.belegung_id)
    belegung_services.record_abwesenheit(
        actor=provider_user,
        belegung=belegung,
        von=date(2026, 10, 3),
        bis=date(2026, 10, 4),
        grund="Heimfahrt",
    )
    korrektur = billing.correct_nachweis(actor=provider_user, nachweis=old_nachweis, today=TODAY)
    assert korrektur.status == Leistungsnachweis.Status.ENTWURF
    assert korrektur.korrektur_von_id == old_nachweis.pk
    assert (korrektur.anwesenheitstage, korrektur.abwesenheitstage) == (29, 2)
    assert korrektur.betrag < old_nachweis.betrag
    old_nachweis.refresh_from_db()
    assert old_nachweis.status == Leistungsnachweis.Status.ERSETZT
    sent.refresh_from_db()
    assert sent.status == Rechnung.Status.ABGELEHNT  # history stays as it was sent
    [event] = AuditEvent.objects.filter(tenant_id=traeger.pk, action="placements.nachweis.correct")
    assert event.object_id == str(korrektur.pk)
    assert event.changes["rechnung"] == sent.number
    assert "Heimfahrt 3.–4.10. fehlt" in event.reason
    with pytest.raises(Conflict) as err:
        billing.correct_nachweis(actor=provider_user, nachweis=old_nachweis, today=TODAY)
    assert err.value.code == "already_corrected"

    billing.confirm_nachweis(actor=provider_user, nachweis=korrektur)
    neu = billing.create_rechnung(actor=provider_user, nachweis=korrektur, today=TODAY)
    assert neu.status == Rechnung.Status.BEREIT, neu.findings
    assert neu.number != sent.number and neu.total == korrektur.betrag
    xml = billing.rechnung_xml(neu)
    assert validate(xml).is_valid
    tree = etree.fromstring(xml)
    preceding = tree.xpath(
        "//ram:InvoiceReferencedDocument/ram:IssuerAssignedID/text()", namespaces=NS
    )
    assert preceding == [sent.number]
    sent_again = billing.send_rechnung(actor=provider_user, rechnung=neu)
    assert sent_again.status == Rechnung.Status.VERSENDET
    assert pruefung.check_rechnung(sent_again).ok


def test_recomputing_after_rejection_is_the_correction_and_month_end_reissues(
    sent, provider_user, traeger, jugendamt, jugendamt_user
):
    _reject(sent, jugendamt_user, jugendamt)
    belegung = Belegung.objects.for_tenant(traeger).get(pk=sent.nachweis.belegung_id)
    korrektur = billing.compute_nachweis(
        actor=provider_user, belegung=belegung, monat=OCTOBER, today=TODAY
    )
    assert korrektur.korrektur_von_id == sent.nachweis_id
    # A second computation recomputes the draft in place, it does not correct again.
    again = billing.compute_nachweis(
        actor=provider_user, belegung=belegung, monat=OCTOBER, today=TODAY
    )
    assert again.pk == korrektur.pk
    assert (
        Leistungsnachweis.objects.for_tenant(traeger)
        .filter(belegung=belegung, monat=OCTOBER)
        .count()
        == 2
    )
    # The month-end run bills the correction (new number) and leaves the rejected one alone.
    result = month_end.run_month_end(
        actor=provider_user, tenant=traeger, monat=OCTOBER, today=TODAY
    )
    assert result.valid == 1 and not result.failed
    neu = Rechnung.objects.for_tenant(traeger).get(nachweis=korrektur)
    assert neu.status == Rechnung.Status.BEREIT and neu.number != sent.number
    sent.refresh_from_db()
    assert sent.status == Rechnung.Status.ABGELEHNT


def test_correction_on_the_pages_and_in_the_api(
    sent, provider_user, traeger, jugendamt, jugendamt_user
):
    provider = signed_in(provider_user)
    # Before the rejection the page offers no correction and the API refuses it.
    page = provider.get(reverse("placements:abrechnung_rechnung", args=[sent.pk])).content.decode()
    assert "Leistungsnachweis korrigieren" not in page
    refused = provider.post(f"/api/v1/platzboerse/leistungsnachweise/{sent.nachweis_id}/korrektur")
    assert refused.status_code == 409 and refused.json()["code"] == "not_rejected"
    assert refused["Content-Type"] == "application/problem+json"

    _reject(sent, jugendamt_user, jugendamt)
    page = provider.get(reverse("placements:abrechnung_rechnung", args=[sent.pk])).content.decode()
    assert "Leistungsnachweis korrigieren" in page
    assert "Heimfahrt 3.–4.10. fehlt" in page
    done = provider.post(
        reverse("placements:abrechnung_nachweis_korrigieren", args=[sent.nachweis_id])
    )
    assert done.status_code == 302
    korrektur = Leistungsnachweis.objects.for_tenant(traeger).get(korrektur_von=sent.nachweis_id)
    assert done["Location"] == reverse("placements:abrechnung_nachweis", args=[korrektur.pk])
    draft = provider.get(done["Location"]).content.decode()
    assert "Leistungsnachweis bestätigen" in draft and "Korrektur von" in draft
    # The month page shows the correction, not the replaced Nachweis.
    month = provider.get(reverse("placements:abrechnung"), {"monat": "2026-10"}).content.decode()
    assert "Bestätigen" in month
    twice = provider.post(f"/api/v1/platzboerse/leistungsnachweise/{sent.nachweis_id}/korrektur")
    assert twice.status_code == 409 and twice.json()["code"] == "already_corrected"
    # The youth office cannot correct the provider's Nachweis.
    office = signed_in(jugendamt_user)
    other = office.post(f"/api/v1/platzboerse/leistungsnachweise/{korrektur.pk}/korrektur")
    assert other.status_code in (403, 404)
