"""The pages: „Postausgang: Versand“ (batches, alarms) for the mail room and those who
send letters, a batch's letters, a letter's timeline, and the administration's
providers, cut-offs and alarms."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.outbox.models import Brief, Versandregeln
from koffer.outbox.versand import selectors, services, tasks
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.outbox.factories import released_letter
from tests.outbox.versand.conftest import Provider
from tests.outbox.versand.test_stapel import at

pytestmark = pytest.mark.django_db


@pytest.fixture
def mail_room(tenant: Mandant, team: Organisationseinheit) -> User:
    return factories.user(tenant, role="poststelle", unit_=team)


def _batches(tenant: Mandant, akte: Akte, caseworker: User, days: int) -> None:
    for day in range(days):
        released_letter(tenant, akte, actor=caseworker, freigegeben_at=at(9, days=-day - 1))
        assert tasks.runde(now=at(10, days=-day - 1))


def test_the_dispatch_page_lists_batches_at_a_fixed_query_count(
    tenant: Mandant, akte: Akte, team_caseworker: User, mail_room: User, provider: Provider
) -> None:
    client = signed_in(mail_room)
    url = reverse("outbox:versand")

    def count() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as seen:
            response = client.get(url)
        assert response.status_code == 200
        return len(seen.captured_queries)

    _batches(tenant, akte, team_caseworker, 1)
    few = count()
    _batches(tenant, akte, team_caseworker, 0)
    for day in range(1, 4):
        released_letter(tenant, akte, actor=team_caseworker, freigegeben_at=at(14, days=-day))
        tasks.runde(now=at(15, days=-day))
    assert count() == few
    page = client.get(url).content.decode()
    assert page.count("<h1") == 1 and "Druckhaus 1" in page


def test_alarms_list_letters_stuck_longer_than_allowed_in_the_users_units(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    mail_room: User,
    provider: Provider,
    other_team: Organisationseinheit,
) -> None:
    brief = released_letter(tenant, akte, actor=team_caseworker, freigegeben_at=at(9, days=-3))
    tasks.runde(now=at(10, days=-3))
    Brief.objects.for_tenant(tenant).filter(pk=brief.pk).update(
        status="abgeholt", updated_at=timezone.now() - timedelta(hours=25)
    )
    fresh = released_letter(tenant, akte, actor=team_caseworker)
    Brief.objects.for_tenant(tenant).filter(pk=fresh.pk).update(
        status="gedruckt", updated_at=timezone.now() - timedelta(hours=30)
    )  # gedruckt: alarm after 48 hours only
    found = selectors.alarms(Access.for_user(mail_room.pk, tenant.pk), tenant)
    assert [a.brief.pk for a in found] == [brief.pk]
    assert "abgeholt" in found[0].grund
    page = signed_in(mail_room).get(reverse("outbox:versand")).content.decode()
    assert brief.betreff in page and fresh.betreff not in page
    elsewhere = factories.user(tenant, role="poststelle", unit_=other_team)
    assert selectors.alarms(Access.for_user(elsewhere.pk, tenant.pk), tenant) == []


def test_batch_page_lists_the_letters_of_the_users_units_and_links_their_timeline(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    mail_room: User,
    provider: Provider,
    other_team: Organisationseinheit,
) -> None:
    brief = released_letter(tenant, akte, actor=team_caseworker, freigegeben_at=at(9))
    [stapel] = tasks.runde(now=at(10))
    page = signed_in(mail_room).get(reverse("outbox:versandstapel", args=[stapel.pk]))
    assert page.status_code == 200
    timeline_url = reverse("outbox:brief_versand", args=[brief.pk])
    assert timeline_url in page.content.decode()
    timeline = signed_in(team_caseworker).get(timeline_url)
    assert timeline.status_code == 200
    text = timeline.content.decode()
    assert "im Versandstapel" in text and stapel.nummer in text
    stranger = factories.user(tenant, role="sachbearbeitung", unit_=other_team)
    assert signed_in(stranger).get(timeline_url).status_code == 404
    other = signed_in(factories.user(tenant, role="poststelle", unit_=other_team))
    assert (
        brief.betreff
        not in other.get(reverse("outbox:versandstapel", args=[stapel.pk])).content.decode()
    )


def test_mail_room_senders_and_administration_see_the_dispatch_page_others_not(
    tenant: Mandant, admin_user: User, dpo: User
) -> None:
    assert signed_in(dpo).get(reverse("outbox:versand")).status_code == 403
    assert signed_in(admin_user).get(reverse("outbox:versand")).status_code == 200
    placements = factories.mandant("Träger", kind=Mandant.Kind.TRAEGER)
    provider_admin = factories.user(placements, role="mandant_admin")
    assert signed_in(provider_admin).get(reverse("outbox:versand")).status_code == 403


def test_the_administration_sets_cut_offs_alarms_and_providers(
    tenant: Mandant, admin_user: User, team_caseworker: User, zentrale: Organisationseinheit
) -> None:
    client = signed_in(admin_user)
    url = reverse("outbox:versand_regeln")
    page = client.get(url)
    assert page.status_code == 200 and page.content.decode().count("<h1") == 1
    alarms = {f"regeln-alarm_{s}": "12" for s in services.ALARM_STATUSES}
    bad = client.post(url, {"teil": "regeln", "regeln-annahmeschluss": "10 Uhr", **alarms})
    assert bad.status_code == 200 and "Uhrzeit wie 10:00" in bad.content.decode()
    done = client.post(url, {"teil": "regeln", "regeln-annahmeschluss": "15:30, 09:00", **alarms})
    assert done.status_code == 302
    rules = Versandregeln.objects.for_tenant(tenant).get()
    assert rules.annahmeschluss == ["09:00", "15:30"] and rules.alarm_stunden["gedruckt"] == 12

    konto = factories.user(tenant, role="druckdienst", unit_=zentrale, is_machine=True)
    added = client.post(
        url,
        {
            "teil": "dienst",
            "dienst-konto": str(konto.pk),
            "dienst-name": "Druckhaus Nord",
            "dienst-rang": "1",
            "dienst-bestaetigung_minuten": "120",
            "dienst-is_active": "on",
        },
    )
    assert added.status_code == 302
    assert "Druckhaus Nord" in client.get(url).content.decode()
    assert (
        AuditEvent.objects.filter(
            tenant_id=tenant.pk, action__in=["outbox.versand.regeln", "outbox.druckdienst.create"]
        ).count()
        == 2
    )
    assert signed_in(team_caseworker).get(url).status_code == 403


def test_a_person_account_cannot_be_a_provider_and_a_rank_is_taken_once(
    tenant: Mandant, admin_user: User, team_caseworker: User, provider: Provider
) -> None:
    access = Access.for_user(admin_user.pk, tenant.pk)
    with pytest.raises(services.Invalid):
        services.save_druckdienst(
            actor=admin_user,
            access=access,
            tenant=tenant,
            konto=team_caseworker,
            name="X",
            rang=2,
            bestaetigung_minuten=60,
        )
    other = factories.user(tenant, role="druckdienst", is_machine=True)
    with pytest.raises(services.Conflict):
        services.save_druckdienst(
            actor=admin_user,
            access=access,
            tenant=tenant,
            konto=other,
            name="Y",
            rang=1,
            bestaetigung_minuten=60,
        )
    with pytest.raises(services.Forbidden):
        services.save_regeln(
            actor=team_caseworker,
            access=Access.for_user(team_caseworker.pk, tenant.pk),
            tenant=tenant,
            annahmeschluss=["10:00"],
            alarm_stunden={},
        )
