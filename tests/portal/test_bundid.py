"""BundID sign-in by SAML against a real pysaml2 IdP in a thread: success at both levels,
and every kind of bad answer refused with a German message and audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from koffer.audit.models import AuditEvent
from koffer.portal import saml, sitzung
from koffer.portal.models import Buergerkonto
from koffer.records import services as records
from koffer.tenancy.models import Mandant
from tests.portal.conftest import ACS, ERIKA, zum_idp
from tests.portal.idp import Nutzer, TestIdp


def _events(tenant: Mandant, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(tenant_id=tenant.pk, action=action).order_by("seq"))


def _abgelehnt(response: object, text: str) -> None:
    assert response.status_code == 400  # type: ignore[attr-defined]
    html = response.content.decode()  # type: ignore[attr-defined]
    assert "Anmeldung nicht möglich" in html
    assert text in html


def test_sign_in_at_level_substantiell_creates_the_account(tenant: Mandant, idp: TestIdp) -> None:
    client = Client()
    fields = zum_idp(client, tenant, idp)
    request = idp.letzte_anfrage
    assert request.requested_authn_context.authn_context_class_ref[0].text == "STORK-QAA-Level-3"

    response = client.post(ACS, fields)

    assert response.status_code == 302
    assert response["Location"] == f"/portal/{tenant.slug}/"
    konto = Buergerkonto.objects.for_tenant(tenant).get()
    assert konto.kennung == "bPK2-ERIKA-0001"
    assert konto.art == Buergerkonto.Art.BUNDID
    assert konto.vertrauensniveau == "substantiell"
    assert (konto.given_names, konto.family_name) == ("Erika", "Müller")
    assert konto.birth_date == date(1964, 8, 12)
    assert (konto.street, konto.postal_code, konto.city) == ("Heidestraße 17", "51147", "Köln")
    assert konto.email == "erika@example.org"
    assert konto.person_id is None  # "substantiell" never links automatically
    assert client.session[sitzung.SESSION_NIVEAU] == "substantiell"
    page = client.get(f"/portal/{tenant.slug}/")
    assert page.status_code == 200 and "Erika Müller" in page.content.decode()
    [event] = _events(tenant, "portal.anmeldung")
    assert event.actor_id == konto.pk
    assert event.actor_label.startswith("Bürger:in bPK2-ERI")
    assert event.changes["vertrauensniveau"] == "substantiell"


def test_sign_in_at_level_hoch_links_the_one_matching_person(tenant: Mandant, idp: TestIdp) -> None:
    person = records.create_person(
        actor=None,
        tenant=tenant,
        family_name="Mueller",
        given_names="Erika",
        birth_date=date(1964, 8, 12),
    )
    records.create_person(  # same name, another birth date: no match
        actor=None,
        tenant=tenant,
        family_name="Müller",
        given_names="Erika",
        birth_date=date(1970, 1, 1),
    )
    idp.niveau = "STORK-QAA-Level-4"
    client = Client()

    response = client.post(ACS, zum_idp(client, tenant, idp, niveau="hoch"))

    assert response.status_code == 302
    konto = Buergerkonto.objects.for_tenant(tenant).get()
    assert konto.vertrauensniveau == "hoch"
    assert konto.person_id == person.pk
    [event] = _events(tenant, "portal.anmeldung")
    assert event.subject_id == str(person.pk)
    assert event.changes["person_verknuepft"] is True


def test_two_matching_persons_leave_the_account_unlinked(tenant: Mandant, idp: TestIdp) -> None:
    for _ in range(2):
        records.create_person(
            actor=None,
            tenant=tenant,
            family_name="Müller",
            given_names="Erika",
            birth_date=date(1964, 8, 12),
        )
    idp.niveau = "STORK-QAA-Level-4"
    client = Client()
    client.post(ACS, zum_idp(client, tenant, idp, niveau="hoch"))
    assert Buergerkonto.objects.for_tenant(tenant).get().person_id is None


def test_an_expired_answer_is_refused(tenant: Mandant, idp: TestIdp) -> None:
    idp.lebensdauer = 1
    client = Client()
    fields = zum_idp(client, tenant, idp)

    with time_machine.travel(timezone.now() + timedelta(minutes=3)):
        response = client.post(ACS, fields)

    _abgelehnt(response, saml.ABGELAUFEN)
    assert not Buergerkonto.objects.for_tenant(tenant).exists()
    [event] = _events(tenant, "portal.anmeldung.fehlgeschlagen")
    assert event.changes["grund"] == "abgelaufen"


def test_an_answer_signed_with_another_key_is_refused(tenant: Mandant, idp: TestIdp) -> None:
    idp.faelscher = True
    client = Client()

    response = client.post(ACS, zum_idp(client, tenant, idp))

    _abgelehnt(response, saml.FALSCHE_SIGNATUR)
    assert not Buergerkonto.objects.for_tenant(tenant).exists()
    assert _events(tenant, "portal.anmeldung.fehlgeschlagen")[0].changes["grund"] == "signatur"


def test_a_replayed_assertion_is_refused(tenant: Mandant, idp: TestIdp) -> None:
    client = Client()
    fields = zum_idp(client, tenant, idp)
    cookie = client.cookies[saml.COOKIE].value
    assert client.post(ACS, fields).status_code == 302

    # The same answer again, even with the browser's own cookie of that sign-in.
    replay = Client()
    replay.cookies[saml.COOKIE] = cookie
    replay.cookies[saml.COOKIE]["path"] = ACS
    response = replay.post(ACS, fields)

    _abgelehnt(response, saml.WIEDERHOLT)
    assert _events(tenant, "portal.anmeldung.fehlgeschlagen")[0].changes["grund"] == "wiederholt"
    assert len(_events(tenant, "portal.anmeldung")) == 1


def test_an_answer_without_the_browsers_sign_in_cookie_is_refused(
    tenant: Mandant, idp: TestIdp
) -> None:
    fields = zum_idp(Client(), tenant, idp)
    response = Client().post(ACS, fields)  # another browser: login CSRF
    _abgelehnt(response, saml.ABGELAUFEN)


def test_an_answer_to_another_request_is_refused(tenant: Mandant, idp: TestIdp) -> None:
    client = Client()
    erste = zum_idp(client, tenant, idp)
    zum_idp(client, tenant, idp)  # a newer sign-in replaces the cookie
    response = client.post(ACS, erste)
    _abgelehnt(response, saml.ABGELAUFEN)


def test_an_answer_for_another_audience_is_refused(tenant: Mandant, idp: TestIdp) -> None:
    idp.audience = "https://anderes-portal.example/saml/metadata/"
    client = Client()

    response = client.post(ACS, zum_idp(client, tenant, idp))

    _abgelehnt(response, saml.NICHT_FUER_UNS)
    assert _events(tenant, "portal.anmeldung.fehlgeschlagen")[0].changes["grund"] == "audience"


def test_a_level_below_the_requested_one_is_refused(tenant: Mandant, idp: TestIdp) -> None:
    idp.niveau = "STORK-QAA-Level-3"  # substantiell, though "hoch" was asked for
    client = Client()

    response = client.post(ACS, zum_idp(client, tenant, idp, niveau="hoch"))

    _abgelehnt(response, "Vertrauensniveau „hoch“")
    assert _events(tenant, "portal.anmeldung.fehlgeschlagen")[0].changes["grund"] == "niveau"


def test_the_sign_in_returns_to_the_page_asked_for(tenant: Mandant, idp: TestIdp) -> None:
    client = Client()
    fields = zum_idp(client, tenant, idp, next_url=f"/portal/{tenant.slug}/?x=1")
    assert client.post(ACS, fields)["Location"] == f"/portal/{tenant.slug}/?x=1"
    fields = zum_idp(client, tenant, idp, next_url="https://evil.example/")
    assert client.post(ACS, fields)["Location"] == f"/portal/{tenant.slug}/"


def test_sp_metadata_names_entity_id_acs_and_certificate(idp: TestIdp) -> None:
    response = Client().get("/portal/saml/metadata/")
    assert response.status_code == 200
    xml = response.content.decode()
    assert 'entityID="http://testserver/portal/saml/metadata/"' in xml
    assert 'Location="http://testserver/portal/saml/acs/"' in xml
    assert "X509Certificate" in xml


@pytest.mark.parametrize("method", ["get"])
def test_acs_only_takes_posts(method: str, db: None) -> None:
    assert Client().get(ACS).status_code == 405


def test_a_second_sign_in_updates_the_same_account(tenant: Mandant, idp: TestIdp) -> None:
    client = Client()
    assert client.post(ACS, zum_idp(client, tenant, idp)).status_code == 302
    idp.nutzer = Nutzer(
        kennung=ERIKA.kennung,
        attribute={**ERIKA.attribute, "urn:oid:2.5.4.7": ["Bonn"]},
    )
    assert client.post(ACS, zum_idp(client, tenant, idp)).status_code == 302

    konto = Buergerkonto.objects.for_tenant(tenant).get()
    assert konto.city == "Bonn"
    first, second = _events(tenant, "portal.anmeldung")
    assert first.changes["neu"] is True and second.changes["neu"] is False
    assert second.changes["city"] == {"old": "Köln", "new": "Bonn"}
