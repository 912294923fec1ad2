"""Every read of a pseudonymous child's data leaves a read event in the viewer's chain:
the Gesuch page, the provider's Anfragen und Belegungen, absences, Leistungsnachweis and
Rechnung pages and the XML downloads (page and API)."""

from __future__ import annotations

from datetime import date

import pytest
from django.urls import reverse
from django.utils import timezone

from koffer.audit.models import AuditEvent
from koffer.placements.abrechnung import services as billing
from koffer.placements.angebote import services as angebot_services
from koffer.placements.belegung import services as belegung_services
from koffer.placements.gesuche import services as gesuch_services
from koffer.placements.models import Platzgesuch
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in

# Written for one calendar: months are billed once they are over, on this day.
pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]
TODAY = date(2026, 11, 25)


def _reads(tenant: Mandant) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(tenant_id=tenant.pk, action="read").order_by("seq"))


def test_opening_a_gesuch_is_logged_for_the_youth_office(
    jugendamt, jugendamt_user, heim, region, angebot
):
    gesuch = gesuch_services.create_gesuch(
        actor=jugendamt_user,
        tenant=jugendamt,
        betreuungsform=heim,
        alter=9,
        geschlecht="d",
        ab_datum=timezone.localdate(),
        region=region,
    )
    client = signed_in(jugendamt_user)
    assert client.get(reverse("placements:gesuch", args=[gesuch.pk])).status_code == 200
    [event] = _reads(jugendamt)
    assert event.actor_id == jugendamt_user.pk
    assert event.object_type == Platzgesuch._meta.label_lower
    assert event.object_id == str(gesuch.pk)
    assert event.subject_id == str(gesuch.pk)
    assert event.reason == "Platzgesuch geöffnet"


def test_anfragen_page_logs_one_read_naming_every_child_shown(
    angebot, provider_user, traeger, jugendamt, jugendamt_user, heim, region
):
    plaetze = angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=2,
        valid_from=date(2026, 1, 1),
        frei_ab=timezone.localdate(),
    )
    gesuche = [
        gesuch_services.create_gesuch(
            actor=jugendamt_user,
            tenant=jugendamt,
            betreuungsform=heim,
            alter=12,
            geschlecht="w",
            ab_datum=timezone.localdate(),
            region=region,
        )
        for _ in range(2)
    ]
    belegung_services.reserve(actor=jugendamt_user, gesuch=gesuche[0], platz=plaetze[0])
    placed = belegung_services.reserve(actor=jugendamt_user, gesuch=gesuche[1], platz=plaetze[1])
    belegung = belegung_services.confirm(
        actor=provider_user,
        tenant=traeger,
        reservierung_id=placed.pk,
        beginn=timezone.localdate(),
    )
    client = signed_in(provider_user)
    before = len(_reads(traeger))
    assert client.get(reverse("placements:anfragen")).status_code == 200
    [event] = _reads(traeger)[before:]
    assert event.actor_id == provider_user.pk
    assert gesuche[0].pseudonym in event.reason and gesuche[1].pseudonym in event.reason
    assert event.reason.startswith("Anfragen und Belegungen angezeigt")
    # The absences page of one Belegung names its child.
    url = reverse("placements:belegung_abwesenheiten", args=[belegung.pk])
    assert client.get(url).status_code == 200
    last = _reads(traeger)[-1]
    assert last.subject_id == str(gesuche[1].pk)
    assert last.reason == "Abwesenheiten der Belegung angezeigt"


def test_billing_pages_and_xml_downloads_are_logged(
    make_belegung, provider_user, profil, rechnungsempfaenger, traeger, jugendamt, jugendamt_user
):
    belegung = make_belegung(date(2026, 10, 1))
    nachweis = billing.compute_nachweis(
        actor=provider_user, belegung=belegung, monat=date(2026, 10, 1), today=TODAY
    )
    billing.confirm_nachweis(actor=provider_user, nachweis=nachweis)
    rechnung = billing.create_rechnung(actor=provider_user, nachweis=nachweis, today=TODAY)
    billing.send_rechnung(actor=provider_user, rechnung=rechnung)
    child = str(belegung.gesuch_id)

    provider = signed_in(provider_user)
    before = len(_reads(traeger))
    assert (
        provider.get(reverse("placements:abrechnung_nachweis", args=[nachweis.pk])).status_code
        == 200
    )
    assert (
        provider.get(reverse("placements:abrechnung_rechnung", args=[rechnung.pk])).status_code
        == 200
    )
    assert (
        provider.get(reverse("placements:abrechnung_rechnung_xml", args=[rechnung.pk])).status_code
        == 200
    )
    events = _reads(traeger)[before:]
    assert [e.reason for e in events] == [
        "Leistungsnachweis geöffnet",
        "Rechnung geöffnet",
        "XRechnung heruntergeladen",
    ]
    assert {e.subject_id for e in events} == {child}
    assert events[0].object_id == str(nachweis.pk) and events[1].object_id == str(rechnung.pk)

    office = signed_in(jugendamt_user)
    before = len(_reads(jugendamt))
    xml = office.get(f"/api/v1/platzboerse/rechnungen/{rechnung.pk}/xml")
    assert xml.status_code == 200
    [event] = _reads(jugendamt)[before:]
    assert event.actor_id == jugendamt_user.pk
    assert event.object_id == str(rechnung.pk) and event.subject_id == child
    assert event.reason == "XRechnung über die API abgerufen"
    # A refused download (another Mandant's id) logs nothing.
    assert office.get(f"/api/v1/platzboerse/rechnungen/{nachweis.pk}/xml").status_code == 404
    assert len(_reads(jugendamt)) == before + 1


def test_running_placements_are_paged_and_only_the_page_shown_is_logged(
    make_belegung, provider_user, traeger, monkeypatch
):
    from koffer.placements.belegung import views

    monkeypatch.setattr(views, "BELEGUNGEN_PAGE_SIZE", 2)
    belegungen = [make_belegung(date(2026, 10, day)) for day in (1, 2, 3)]
    pseudonyms = [b.gesuch.pseudonym for b in belegungen]  # ordered by beginn
    client = signed_in(provider_user)

    first = client.get(reverse("placements:anfragen")).content.decode()
    assert pseudonyms[0] in first and pseudonyms[1] in first and pseudonyms[2] not in first
    assert "Seite 1 von 2" in first and "?seite=2" in first
    [event] = _reads(traeger)[-1:]
    assert pseudonyms[1] in event.reason and pseudonyms[2] not in event.reason

    second = client.get(reverse("placements:anfragen") + "?seite=2").content.decode()
    assert pseudonyms[2] in second and pseudonyms[0] not in second
    assert "Vorherige Seite" in second and "Nächste Seite" not in second
    [event] = _reads(traeger)[-1:]
    assert pseudonyms[2] in event.reason and pseudonyms[0] not in event.reason
    # A page number out of range shows the last page, as everywhere else.
    assert pseudonyms[2] in client.get(reverse("placements:anfragen") + "?seite=9").content.decode()
