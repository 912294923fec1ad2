"""The citizen's session: its own keys, one Mandant's portal, never a staff session."""

from __future__ import annotations

from datetime import date, timedelta

from django.utils import timezone

from koffer.portal import access
from koffer.portal.models import Vertretung
from koffer.records import services as records
from koffer.records.models import Person
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.factories import portal as portal_factories


def test_start_page_sends_an_anonymous_visitor_to_the_sign_in_page(tenant: Mandant) -> None:
    from django.test import Client

    response = Client().get(f"/portal/{tenant.slug}/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/portal/{tenant.slug}/anmelden/?next=")


def test_signed_in_citizen_sees_the_start_page_with_logout(tenant: Mandant) -> None:
    konto = portal_factories.buergerkonto(tenant, given_names="Bea", family_name="Beispiel")
    response = portal_factories.buerger_client(konto).get(f"/portal/{tenant.slug}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Bea Beispiel" in html
    assert "Abmelden" in html
    assert tenant.name in html


def test_a_staff_session_is_no_citizen_session(tenant: Mandant) -> None:
    staff = signed_in(factories.user(tenant))
    response = staff.get(f"/portal/{tenant.slug}/")
    assert response.status_code == 302
    assert "/anmelden/" in response["Location"]


def test_a_citizen_session_is_no_staff_session(tenant: Mandant) -> None:
    konto = portal_factories.buergerkonto(tenant)
    client = portal_factories.buerger_client(konto)
    assert client.get("/").status_code == 302  # staff start page: to the staff sign-in
    assert client.get("/api/v1/me").status_code in (401, 403)


def test_a_citizen_of_one_mandant_is_not_signed_in_at_another(
    tenant: Mandant, other_tenant: Mandant
) -> None:
    konto = portal_factories.buergerkonto(tenant)
    response = portal_factories.buerger_client(konto).get(f"/portal/{other_tenant.slug}/")
    assert response.status_code == 302
    assert response["Location"].startswith(f"/portal/{other_tenant.slug}/anmelden/")


def test_abmelden_ends_the_session(tenant: Mandant) -> None:
    konto = portal_factories.buergerkonto(tenant)
    client = portal_factories.buerger_client(konto)
    response = client.post(f"/portal/{tenant.slug}/abmelden/")
    assert response.status_code == 302
    assert client.get(f"/portal/{tenant.slug}/").status_code == 302


def _person(tenant: Mandant, family_name: str) -> Person:
    return records.create_person(
        actor=None, tenant=tenant, family_name=family_name, given_names="Eva"
    )


def test_personen_des_kontos_only_confirmed_valid_vertretungen(tenant: Mandant) -> None:
    staff = factories.user(tenant)
    selbst = _person(tenant, family_name="Selbst")
    betreut = _person(tenant, family_name="Betreut")
    abgelaufen = _person(tenant, family_name="Abgelaufen")
    offen = _person(tenant, family_name="Offen")
    konto = portal_factories.buergerkonto(tenant, person=selbst)
    jetzt = timezone.now()
    heute = timezone.localdate()

    def vertretung(person: object, **fields: object) -> None:
        Vertretung.objects.create(
            tenant=tenant,
            konto=konto,
            person=person,
            family_name="x",
            given_names="y",
            birth_date=date(1950, 1, 1),
            art=Vertretung.Art.BETREUUNG,
            nachweis="AG Prüfstadt 12 XVII 34/25",
            **fields,
        )

    vertretung(betreut, bestaetigt_von=staff, bestaetigt_am=jetzt, gueltig_bis=heute)
    vertretung(
        abgelaufen, bestaetigt_von=staff, bestaetigt_am=jetzt, gueltig_bis=heute - timedelta(days=1)
    )
    vertretung(offen)

    assert [p.family_name for p in access.personen_des_kontos(konto)] == ["Selbst", "Betreut"]
