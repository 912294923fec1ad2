"""Vertretungen: the citizen asks, the office confirms with the person of the Akte (only
who may edit that Akte), and acting without a confirmed, valid one is refused, audited."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.test import Client
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.portal import access, vertretungen
from koffer.portal.errors import Forbidden
from koffer.portal.models import Buergerkonto, Vertretung
from koffer.records import services as records
from koffer.records.models import Aktenplaneinheit, AkteSubjekt, Person
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.factories import portal as portal_factories

GEBOREN = date(1941, 3, 9)
STAFF_URL = "/verwaltung/portal/vertretungen/"


@pytest.fixture
def betreute(plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User) -> Person:
    akte = records.open_akte_for_person(
        actor=team_caseworker,
        tenant=plan.tenant,
        aktenplaneinheit=plan,
        unit=team,
        title="Grundsicherung Alt",
        family_name="Alt",
        given_names="Hedwig",
        birth_date=GEBOREN,
        bg_nummer="neu",
        caseworker=team_caseworker,
    )
    return AkteSubjekt.objects.for_tenant(plan.tenant).get(akte=akte).person


@pytest.fixture
def betreuer(tenant: Mandant) -> Buergerkonto:
    return portal_factories.buergerkonto(tenant, given_names="Petra", family_name="Sorge")


def _beantragen(client: Client, tenant: Mandant, **extra: str) -> object:
    data = {
        "family_name": "Alt",
        "given_names": "Hedwig",
        "birth_date": GEBOREN.isoformat(),
        "art": "betreuung",
        "nachweis": "Betreuerausweis AG Prüfstadt 12 XVII 34/25",
        **extra,
    }
    return client.post(f"/portal/{tenant.slug}/vertretungen/", data)


def test_request_confirm_and_act(
    tenant: Mandant,
    betreute: Person,
    betreuer: Buergerkonto,
    team_caseworker: User,
    settings: object,
) -> None:
    settings.KOFFER_REQUIRE_OTP = False  # type: ignore[attr-defined]
    citizen = portal_factories.buerger_client(betreuer)
    assert _beantragen(citizen, tenant).status_code == 302  # type: ignore[attr-defined]
    page = citizen.get(f"/portal/{tenant.slug}/vertretungen/").content.decode()
    assert "Hedwig Alt" in page and "wird geprüft" in page
    assert access.personen_des_kontos(betreuer) == []
    with pytest.raises(Forbidden) as refused:
        vertretungen.handeln_fuer(konto=betreuer, person=betreute)
    assert "noch nicht von der Verwaltung bestätigt" in refused.value.message

    staff = signed_in(team_caseworker)
    listing = staff.get(STAFF_URL)
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "Betreuerausweis AG Prüfstadt" in html and str(betreute.pk) in html
    vertretung = Vertretung.objects.for_tenant(tenant).get()
    response = staff.post(STAFF_URL, {"vertretung": str(vertretung.pk), "person": str(betreute.pk)})
    assert response.status_code == 302

    vertretung.refresh_from_db()
    assert (
        vertretung.person_id == betreute.pk and vertretung.bestaetigt_von_id == team_caseworker.pk
    )
    assert access.personen_des_kontos(betreuer) == [betreute]
    vertretungen.handeln_fuer(konto=betreuer, person=betreute)  # no error
    actions = list(
        AuditEvent.objects.filter(tenant_id=tenant.pk, action__startswith="portal.vertretung")
        .order_by("seq")
        .values_list("action", "actor_id")
    )
    assert actions == [
        ("portal.vertretung.create", betreuer.pk),
        ("portal.vertretung.verweigert", betreuer.pk),
        ("portal.vertretung.bestaetigt", team_caseworker.pk),
    ]


def test_only_who_may_edit_the_persons_akte_confirms(
    tenant: Mandant,
    betreute: Person,
    betreuer: Buergerkonto,
    other_team: Organisationseinheit,
    settings: object,
) -> None:
    settings.KOFFER_REQUIRE_OTP = False  # type: ignore[attr-defined]
    vertretung = vertretungen.beantragen(
        actor=betreuer,
        family_name="Alt",
        given_names="Hedwig",
        birth_date=GEBOREN,
        art="betreuung",
        nachweis="Ausweis",
        gueltig_bis=None,
    )
    fremd = factories.user(tenant, role="sachbearbeitung", unit_=other_team)
    staff = signed_in(fremd)
    assert str(betreute.pk) not in staff.get(STAFF_URL).content.decode()
    response = staff.post(STAFF_URL, {"vertretung": str(vertretung.pk), "person": str(betreute.pk)})
    assert response.status_code == 400
    assert "dürfen ihre Akte nicht bearbeiten" in response.content.decode()
    vertretung.refresh_from_db()
    assert vertretung.bestaetigt_am is None


def test_an_expired_vertretung_no_longer_counts(
    tenant: Mandant, betreute: Person, betreuer: Buergerkonto, team_caseworker: User
) -> None:
    heute = timezone.localdate()
    vertretung = vertretungen.beantragen(
        actor=betreuer,
        family_name="Alt",
        given_names="Hedwig",
        birth_date=GEBOREN,
        art="vollmacht",
        nachweis="Vollmacht vom 1.2.2025",
        gueltig_bis=heute,
    )
    from koffer.accounts.access import Access

    vertretungen.bestaetigen(
        actor=team_caseworker,
        access=Access.for_user(team_caseworker.pk, tenant.pk),
        vertretung_id=vertretung.pk,
        person_id=betreute.pk,
    )
    assert access.personen_des_kontos(betreuer) == [betreute]

    import time_machine

    with time_machine.travel(timezone.now() + timedelta(days=1)):
        assert access.personen_des_kontos(betreuer) == []
        with pytest.raises(Forbidden) as refused:
            vertretungen.handeln_fuer(konto=betreuer, person=betreute)
    assert f"am {heute:%d.%m.%Y} abgelaufen" in refused.value.message
    event = AuditEvent.objects.filter(
        tenant_id=tenant.pk, action="portal.vertretung.verweigert"
    ).get()
    assert event.changes["grund"] == "abgelaufen" and event.subject_id == str(betreute.pk)


def test_request_needs_a_proof(tenant: Mandant, betreuer: Buergerkonto) -> None:
    response = _beantragen(portal_factories.buerger_client(betreuer), tenant, nachweis="")
    assert response.status_code == 400  # type: ignore[attr-defined]
    assert "Bitte prüfen Sie Ihre Eingaben" in response.content.decode()  # type: ignore[attr-defined]
    assert not Vertretung.objects.for_tenant(tenant).exists()


def test_a_citizen_sees_only_own_vertretungen(tenant: Mandant, betreuer: Buergerkonto) -> None:
    vertretungen.beantragen(
        actor=betreuer,
        family_name="Geheim",
        given_names="Gerda",
        birth_date=GEBOREN,
        art="vollmacht",
        nachweis="x",
        gueltig_bis=None,
    )
    anderer = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    assert "Geheim" not in anderer.get(f"/portal/{tenant.slug}/vertretungen/").content.decode()
