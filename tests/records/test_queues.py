from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records import services
from koffer.records.models import Akte, FristRegel, VorgangTyp, Wiedervorlage
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in

# Data built from today's date: make test-dates runs these on several days.
pytestmark = pytest.mark.calendar


def test_my_queue_buckets_overdue_today_upcoming(akte: Akte, team_caseworker: User) -> None:
    today = timezone.localdate()
    for delta, note in [(-2, "alt"), (0, "heute"), (5, "später")]:
        services.set_wiedervorlage(
            actor=team_caseworker,
            akte=akte,
            due_date=today + timedelta(days=delta),
            assignee=team_caseworker,
            note=note,
            # An overdue one is set while its day still lay ahead.
            today=today + timedelta(days=min(delta, 0)),
        )
    response = signed_in(team_caseworker).get(reverse("records:wiedervorlagen"))
    buckets = response.context["buckets"]
    assert [w.note for w in buckets.overdue] == ["alt"]
    assert [w.note for w in buckets.today] == ["heute"]
    assert [w.note for w in buckets.upcoming] == ["später"]


def test_team_queue_shows_colleagues_items_but_not_other_teams(
    akte: Akte,
    tenant: Mandant,
    team: Organisationseinheit,
    other_team: Organisationseinheit,
    team_caseworker: User,
) -> None:
    colleague = factories.user(tenant, role="sachbearbeitung", unit_=team)
    stranger = factories.user(tenant, role="sachbearbeitung", unit_=other_team)
    services.set_wiedervorlage(
        actor=team_caseworker,
        akte=akte,
        due_date=timezone.localdate(),
        assignee=team_caseworker,
        note="Team-WV",
    )
    assert (
        "Team-WV"
        in signed_in(colleague).get(reverse("records:wiedervorlagen") + "?team=1").content.decode()
    )
    assert (
        "Team-WV"
        not in signed_in(stranger)
        .get(reverse("records:wiedervorlagen") + "?team=1")
        .content.decode()
    )


def test_complete_wiedervorlage(akte: Akte, team_caseworker: User, tenant: Mandant) -> None:
    wv = services.set_wiedervorlage(
        actor=team_caseworker, akte=akte, due_date=timezone.localdate(), assignee=team_caseworker
    )
    response = signed_in(team_caseworker).post(reverse("records:wiedervorlage_done", args=[wv.pk]))
    assert response.status_code == 302
    assert Wiedervorlage.objects.for_tenant(tenant).get(pk=wv.pk).done_at is not None
    assert AuditEvent.objects.filter(
        tenant_id=tenant.pk, action="records.wiedervorlage.done"
    ).exists()


def test_calendar_lists_fristen_of_the_month(
    akte: Akte, team_caseworker: User, tenant: Mandant
) -> None:
    typ = VorgangTyp.objects.for_tenant(tenant).get(module="sgb2", code="widerspruch")
    vorgang = services.create_vorgang(actor=team_caseworker, akte=akte, typ=typ, title="W")
    regel = FristRegel.objects.for_tenant(tenant).get(code="widerspruchsfrist")
    frist = services.add_frist(
        actor=team_caseworker, vorgang=vorgang, base_date=timezone.localdate(), regel=regel
    )
    url = reverse("records:fristen") + f"?jahr={frist.due_date.year}&monat={frist.due_date.month}"
    body = signed_in(team_caseworker).get(url).content.decode()
    assert frist.due_date.strftime("%d.%m.%Y") in body and akte.aktenzeichen in body
    assert (
        signed_in(team_caseworker).get(reverse("records:fristen") + "?jahr=x&monat=13").status_code
        == 200
    )


def test_wiedervorlage_from_vorgang_returns_to_it(
    akte: Akte, team_caseworker: User, tenant: Mandant
) -> None:
    typ = VorgangTyp.objects.for_tenant(tenant).get(module="sgb2", code="antrag")
    vorgang = services.create_vorgang(actor=team_caseworker, akte=akte, typ=typ, title="Antrag")
    back = reverse("records:vorgang_detail", args=[vorgang.pk])
    due = (timezone.localdate() + timedelta(days=7)).isoformat()
    response = signed_in(team_caseworker).post(
        reverse("records:wiedervorlage_create", args=[akte.pk]),
        {"due_date": due, "note": "Antwort abwarten", "vorgang": str(vorgang.pk), "next": back},
    )
    assert response.status_code == 302 and response["Location"] == back
    wv = Wiedervorlage.objects.for_tenant(tenant).get(note="Antwort abwarten")
    assert wv.vorgang_id == vorgang.pk and wv.akte_id == akte.pk


@pytest.mark.parametrize(
    "back", ["//evil.example/", "/\\evil.example/", "https://evil.example/", "javascript:x"]
)
def test_wiedervorlage_never_returns_to_another_site(
    akte: Akte, team_caseworker: User, back: str
) -> None:
    response = signed_in(team_caseworker).post(
        reverse("records:wiedervorlage_create", args=[akte.pk]),
        {"due_date": timezone.localdate().isoformat(), "note": "x", "next": back},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("records:akte_detail", args=[akte.pk])


def test_wiedervorlage_ignores_vorgang_of_another_akte(
    akte: Akte,
    team_caseworker: User,
    tenant: Mandant,
    plan,
    team,  # type: ignore[no-untyped-def]
) -> None:
    other = services.create_akte(
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=team, title="Andere"
    )
    typ = VorgangTyp.objects.for_tenant(tenant).get(module="sgb2", code="antrag")
    foreign_vorgang = services.create_vorgang(
        actor=team_caseworker, akte=other, typ=typ, title="fremd"
    )
    signed_in(team_caseworker).post(
        reverse("records:wiedervorlage_create", args=[akte.pk]),
        {
            "due_date": timezone.localdate().isoformat(),
            "note": "x",
            "vorgang": str(foreign_vorgang.pk),
        },
    )
    assert Wiedervorlage.objects.for_tenant(tenant).get(note="x").vorgang_id is None
