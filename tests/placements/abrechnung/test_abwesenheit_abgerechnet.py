"""Absences are edited and deleted by the provider; a change that falls into a month already
billed is kept, but the provider is told that the invoice stays as sent, and offered the
correction once the youth office rejected it (issue 14, items 5 and 6)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse

from koffer.audit.models import AuditEvent
from koffer.placements.abrechnung import services as billing
from koffer.placements.abrechnung.abgerechnet import abgerechnete_monate
from koffer.placements.belegung import services as belegung_services
from koffer.placements.errors import Conflict
from koffer.placements.models import Abwesenheit, Belegung, Leistungsnachweis, Rechnung
from tests.conftest import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]

OCTOBER = date(2026, 10, 1)
TODAY = date(2026, 11, 25)


@pytest.fixture
def belegung(make_belegung) -> Belegung:
    return make_belegung(date(2026, 9, 1))


@pytest.fixture
def sent(belegung, provider_user, profil, rechnungsempfaenger) -> Rechnung:
    nachweis = billing.compute_nachweis(
        actor=provider_user, belegung=belegung, monat=OCTOBER, today=TODAY
    )
    billing.confirm_nachweis(actor=provider_user, nachweis=nachweis)
    rechnung = billing.create_rechnung(actor=provider_user, nachweis=nachweis, today=TODAY)
    return billing.send_rechnung(actor=provider_user, rechnung=rechnung)


def _events(tenant_id, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(tenant_id=tenant_id, action=action).order_by("seq"))


def test_provider_edits_and_deletes_an_absence_on_its_page(belegung, provider_user, traeger):
    item = belegung_services.record_abwesenheit(
        actor=provider_user,
        belegung=belegung,
        von=date(2026, 11, 3),
        bis=date(2026, 11, 4),
        grund="Heimfahrt",
    )
    client = signed_in(provider_user)
    page_url = reverse("placements:belegung_abwesenheiten", args=[belegung.pk])
    page = client.get(page_url).content.decode()
    edit_url = reverse("placements:abwesenheit_bearbeiten", args=[item.pk])
    delete_url = reverse("placements:abwesenheit_loeschen", args=[item.pk])
    assert edit_url in page and delete_url in page
    form = client.get(edit_url).content.decode()
    assert 'value="2026-11-03"' in form and 'value="Heimfahrt"' in form

    changed = client.post(edit_url, {"von": "2026-11-03", "bis": "2026-11-06", "grund": "Klinik"})
    assert changed.status_code == 302
    item.refresh_from_db()
    assert (item.bis, item.grund) == (date(2026, 11, 6), "Klinik")
    [event] = _events(traeger.pk, "placements.abwesenheit.change")
    assert event.changes["abwesenheit"] == {
        "old": "2026-11-03–2026-11-04",
        "new": "2026-11-03–2026-11-06",
    }
    assert "abgerechnet" not in event.changes  # November is not billed
    assert len(_events(belegung.jugendamt_id, "placements.abwesenheit.change")) == 1

    # The rules of a new absence hold for a change too.
    outside = client.post(edit_url, {"von": "2026-08-30", "bis": "2026-09-02", "grund": "x"})
    assert outside.status_code == 400
    assert "außerhalb der Belegung" in outside.content.decode()

    assert client.post(delete_url).status_code == 302
    assert not Abwesenheit.objects.for_tenant(traeger).exists()
    [gone] = _events(traeger.pk, "placements.abwesenheit.delete")
    assert gone.changes["abwesenheit"]["old"] == "2026-11-03–2026-11-06"
    assert client.get(delete_url).status_code == 405


def test_another_providers_absence_is_not_found(belegung, provider_user, jugendamt_user):
    item = belegung_services.record_abwesenheit(
        actor=provider_user,
        belegung=belegung,
        von=date(2026, 11, 3),
        bis=date(2026, 11, 4),
        grund="Heimfahrt",
    )
    office = signed_in(jugendamt_user)
    assert office.get(reverse("placements:abwesenheit_bearbeiten", args=[item.pk])).status_code in (
        403,
        404,
    )
    assert office.post(reverse("placements:abwesenheit_loeschen", args=[item.pk])).status_code in (
        403,
        404,
    )
    assert Abwesenheit.objects.for_tenant(belegung.tenant_id).filter(pk=item.pk).exists()


def test_absence_in_an_invoiced_month_warns_and_names_the_invoice(
    sent, belegung, provider_user, traeger
):
    client = signed_in(provider_user)
    url = reverse("placements:belegung_abwesenheiten", args=[belegung.pk])
    made = client.post(
        url, {"von": "2026-10-03", "bis": "2026-10-04", "grund": "Heimfahrt"}, follow=True
    )
    page = made.content.decode()
    assert f"Rechnung {sent.number}, versendet). Die Rechnung bleibt unverändert." in page
    assert "sobald das Jugendamt die Rechnung abgelehnt hat" in page
    # The page lists the billed month with its invoice; no correction is offered yet.
    assert reverse("placements:abrechnung_rechnung", args=[sent.pk]) in page
    korrigieren = reverse("placements:abrechnung_nachweis_korrigieren", args=[sent.nachweis_id])
    assert korrigieren not in page
    assert "(Monat abgerechnet)" in page
    # The write is kept, the invoice is not touched, and the audit says which invoice misses it.
    sent.refresh_from_db()
    assert sent.status == Rechnung.Status.VERSENDET and sent.nachweis.abwesenheitstage == 0
    [event] = _events(traeger.pk, "placements.abwesenheit.create")
    assert event.changes["abgerechnet"]["new"] == [f"2026-10 {sent.number}"]


def test_after_a_rejection_the_page_offers_the_correction(
    sent, belegung, provider_user, jugendamt, jugendamt_user
):
    billing.reject_rechnung(
        actor=jugendamt_user, tenant=jugendamt, rechnung=sent, reason="Heimfahrt fehlt"
    )
    client = signed_in(provider_user)
    url = reverse("placements:belegung_abwesenheiten", args=[belegung.pk])
    page = client.post(
        url, {"von": "2026-10-03", "bis": "2026-10-04", "grund": "Heimfahrt"}, follow=True
    ).content.decode()
    assert "Das Jugendamt hat die Rechnung abgelehnt: Legen Sie eine Korrektur an" in page
    korrigieren = reverse("placements:abrechnung_nachweis_korrigieren", args=[sent.nachweis_id])
    assert f'action="{korrigieren}"' in page
    # The button leads into the existing correction path, which now counts the absence.
    done = client.post(korrigieren)
    assert done.status_code == 302
    # October is open again: the correction is a draft, computed from the data as it is.
    assert abgerechnete_monate(belegung, (date(2026, 10, 1), date(2026, 10, 31))) == []
    korrektur = Leistungsnachweis.objects.for_tenant(belegung.tenant_id).get(
        korrektur_von=sent.nachweis
    )
    assert korrektur.abwesenheitstage == 2


def test_api_reports_the_billed_month_on_create_change_and_delete(sent, belegung, provider_user):
    client = signed_in(provider_user)
    made = client.post(
        f"/api/v1/platzboerse/belegungen/{belegung.pk}/abwesenheiten",
        {"von": "2026-10-03", "bis": "2026-10-04", "grund": "Heimfahrt"},
        content_type="application/json",
    )
    assert made.status_code == 201, made.content
    [billed] = made.json()["abgerechnet"]
    assert billed["rechnung"] == sent.number and billed["korrigierbar"] is False
    assert billed["monat"] == "2026-10-01" and "bleibt unverändert" in billed["warnung"]

    url = f"/api/v1/platzboerse/abwesenheiten/{made.json()['id']}"
    # Moved out of October into November: October's invoice is still named.
    moved = client.put(
        url,
        {"von": "2026-11-03", "bis": "2026-11-04", "grund": "Heimfahrt"},
        content_type="application/json",
    )
    assert moved.status_code == 200, moved.content
    assert moved.json()["von"] == "2026-11-03"
    assert [b["rechnung"] for b in moved.json()["abgerechnet"]] == [sent.number]
    gone = client.delete(url)
    assert gone.status_code == 200 and gone.json() == {"abgerechnet": []}
    assert client.delete(url).status_code == 404


def test_absences_elsewhere_do_not_warn(sent, belegung, provider_user):
    item = belegung_services.record_abwesenheit(
        actor=provider_user,
        belegung=belegung,
        von=date(2026, 11, 3),
        bis=date(2026, 11, 4),
        grund="Heimfahrt",
    )
    assert abgerechnete_monate(belegung, (item.von, item.bis)) == []
    with pytest.raises(Conflict):
        belegung_services.change_abwesenheit(
            actor=provider_user,
            abwesenheit=belegung_services.record_abwesenheit(
                actor=provider_user,
                belegung=belegung,
                von=date(2026, 11, 10),
                bis=date(2026, 11, 10),
                grund="Arzt",
            ),
            von=date(2026, 11, 4),
            bis=date(2026, 11, 10),
            grund="Arzt",
        )
