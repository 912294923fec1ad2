"""The E-Akte's tasks on the start page (issue 14, item 1): my due Wiedervorlagen and the
Fristen of my Vorgänge ending within a week, most urgent first, with true counts, only on
Akten I may open, in two queries."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from pytest_django import DjangoAssertNumQueries

from koffer.accounts.models import User
from koffer.records import aufgaben, services
from koffer.records.models import AccessLevel, Akte, Vorgang, VorgangTyp
from koffer.shell.tasks_registry import LISTED, StartTasks
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in, start_request

# Data built from today's date: make test-dates runs these on several days.
pytestmark = pytest.mark.calendar


def _tasks(user: User) -> StartTasks:
    response = Client()
    response.force_login(user)
    tasks = response.get("/").context["tasks"]
    assert isinstance(tasks, StartTasks)
    return tasks


def _vorgang(akte: Akte, actor: User) -> Vorgang:
    typ = VorgangTyp.objects.for_tenant(akte.tenant_id).get(module="sgb2", code="widerspruch")
    return services.create_vorgang(actor=actor, akte=akte, typ=typ, title="Widerspruch")


def _wv(akte: Akte, user: User, days: int, note: str) -> None:
    services.set_wiedervorlage(
        actor=user,
        akte=akte,
        due_date=timezone.localdate() + timedelta(days=days),
        assignee=user,
        note=note,
        # Set back when the day was still ahead (a past date cannot be set today).
        today=min(timezone.localdate(), timezone.localdate() + timedelta(days=days)),
    )


def _frist(vorgang: Vorgang, days: int, label: str) -> None:
    today = timezone.localdate()
    services.add_frist(
        actor=None, vorgang=vorgang, base_date=today, label=label, due=today + timedelta(days=days)
    )


def test_due_wiedervorlagen_and_near_fristen_most_urgent_first(
    akte: Akte, team_caseworker: User
) -> None:
    _wv(akte, team_caseworker, 3, "später")  # not due yet: not a task
    _wv(akte, team_caseworker, 0, "heute")
    _wv(akte, team_caseworker, -2, "vorgestern")
    vorgang = _vorgang(akte, team_caseworker)
    _frist(vorgang, 5, "Anhörung")
    _frist(vorgang, -1, "Widerspruchsfrist")
    _frist(vorgang, 8, "zu weit")  # beyond the week
    tasks = _tasks(team_caseworker)
    assert [t.label for t in tasks.tasks] == [
        "Wiedervorlage: vorgestern",
        "Frist: Widerspruchsfrist",
        "Wiedervorlage: heute",
        "Frist: Anhörung",
    ]
    assert [overdue for _, overdue in tasks.rows] == [True, True, False, False]
    first = tasks.tasks[0]
    assert first.kind == aufgaben.WV_OVERDUE
    assert first.detail == f"Akte {akte.aktenzeichen}"
    assert first.url == reverse("records:akte_detail", args=[akte.pk])
    assert {c.kind: c.text for c in tasks.counts} == {
        aufgaben.WV_OVERDUE: "1 Wiedervorlage überfällig",
        aufgaben.WV_TODAY: "1 Wiedervorlage heute fällig",
        aufgaben.FRIST_PASSED: "1 Frist überschritten",
        aufgaben.FRIST_ENDING: "1 Frist endet in den nächsten 7 Tagen",
    }


def test_the_page_shows_the_tasks_and_counts(akte: Akte, team_caseworker: User) -> None:
    _wv(akte, team_caseworker, -1, "Unterlagen anfordern")
    _wv(akte, team_caseworker, -3, "Bescheid prüfen")
    body = signed_in(team_caseworker).get("/").content.decode()
    assert "2 Wiedervorlagen überfällig" in body
    assert "Wiedervorlage: Bescheid prüfen" in body
    assert body.index("Bescheid prüfen") < body.index("Unterlagen anfordern")
    assert "Keine offenen Aufgaben" not in body


def test_counts_are_totals_beyond_the_listed(akte: Akte, team_caseworker: User) -> None:
    for i in range(LISTED + 5):
        _wv(akte, team_caseworker, -1 - i % 3, f"Nr. {i}")
    tasks = _tasks(team_caseworker)
    assert len(tasks.tasks) == LISTED
    assert tasks.total == LISTED + 5
    assert tasks.more == 5
    body = signed_in(team_caseworker).get("/").content.decode()
    assert f"{LISTED + 5} Wiedervorlagen überfällig" in body


def test_nothing_of_others_or_of_akten_out_of_reach(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    other_team: Organisationseinheit,
    team: Organisationseinheit,
) -> None:
    colleague = factories.user(tenant, role="sachbearbeitung", unit_=team)
    stranger = factories.user(tenant, role="sachbearbeitung", unit_=other_team)
    mailroom = factories.user(tenant, role="poststelle", unit_=team)
    _wv(akte, team_caseworker, -1, "meine")
    _frist(_vorgang(akte, team_caseworker), 1, "meine Frist")
    assert _tasks(colleague).tasks == []  # assigned to someone else
    assert _tasks(stranger).tasks == []
    assert _tasks(mailroom).tasks == []
    # Assigned to me, but the Akte became restricted without naming me: not listed.
    services.set_wiedervorlage(
        actor=team_caseworker,
        akte=akte,
        due_date=timezone.localdate(),
        assignee=colleague,
        note="geheim",
    )
    Akte.objects.for_tenant(tenant).filter(pk=akte.pk).update(access_level=AccessLevel.RESTRICTED)
    assert _tasks(colleague).tasks == []
    assert _tasks(team_caseworker).tasks == []


def test_two_queries_and_none_without_tasks(
    akte: Akte,
    team_caseworker: User,
    tenant: Mandant,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    request = start_request(team_caseworker, tenant)
    with django_assert_num_queries(1):  # only the counts: nothing is due
        assert aufgaben.open_tasks(request).tasks == []
    for i in range(5):
        _wv(akte, team_caseworker, -i, f"Nr. {i}")
        _frist(_vorgang(akte, team_caseworker), i, f"Frist {i}")
    with django_assert_num_queries(2):
        batch = aufgaben.open_tasks(request)
    assert len(batch.tasks) == 10
    mailroom = start_request(factories.user(tenant, role="poststelle", unit_=akte.unit), tenant)
    with django_assert_num_queries(0):
        assert aufgaben.open_tasks(mailroom).tasks == []


def test_whole_start_page_with_tasks(
    akte: Akte, team_caseworker: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    _wv(akte, team_caseworker, -1, "Rückruf")
    client = signed_in(team_caseworker)
    assert client.get("/").status_code == 200  # the first request writes the session
    # session, user, memberships; jobs; E-Akte counts and list; Platzbörse counts;
    # Posteingang: documents waiting in the team's triage
    with django_assert_num_queries(8):
        body = client.get("/").content.decode()
    assert "Wiedervorlage: Rückruf" in body
