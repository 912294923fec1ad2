"""Work queues by Frist (issue 5, item 6): legal deadlines that are overdue, end today or
soon appear in "Meine Wiedervorlagen" and the team queue, can be filtered, and are
marked done there or through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records import services
from koffer.records.models import Akte, Frist, Vorgang, VorgangTyp
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in

# Data built from today's date: make test-dates runs these on several days.
pytestmark = pytest.mark.calendar


def _vorgang(akte: Akte, actor: User, caseworker: User | None = None) -> Vorgang:
    typ = VorgangTyp.objects.for_tenant(akte.tenant_id).get(module="sgb2", code="widerspruch")
    return services.create_vorgang(
        actor=actor, akte=akte, typ=typ, title="Widerspruch", caseworker=caseworker
    )


def _frist(vorgang: Vorgang, days: int, label: str) -> Frist:
    today = timezone.localdate()
    return services.add_frist(
        actor=None, vorgang=vorgang, base_date=today, label=label, due=today + timedelta(days=days)
    )


def test_fristen_appear_in_my_queue_by_urgency(akte: Akte, team_caseworker: User) -> None:
    vorgang = _vorgang(akte, team_caseworker)
    for days, label in [(-1, "verpasst"), (0, "heute"), (10, "bald"), (40, "später")]:
        _frist(vorgang, days, label)
    response = signed_in(team_caseworker).get(reverse("records:wiedervorlagen"))
    fristen = response.context["frist_buckets"]
    assert [f.label for f in fristen.overdue] == ["verpasst"]
    assert [f.label for f in fristen.today] == ["heute"]
    assert [f.label for f in fristen.upcoming] == ["bald"]  # 40 days: only in the calendar
    body = response.content.decode()
    assert "Fristen überschritten" in body and "verpasst" in body and "später" not in body


def test_filter_by_kind(akte: Akte, team_caseworker: User) -> None:
    _frist(_vorgang(akte, team_caseworker), 0, "Widerspruchsfrist")
    services.set_wiedervorlage(
        actor=team_caseworker,
        akte=akte,
        due_date=timezone.localdate(),
        assignee=team_caseworker,
        note="Nachfrage",
    )
    client = signed_in(team_caseworker)
    only_fristen = client.get(reverse("records:wiedervorlagen") + "?art=fristen")
    assert only_fristen.context["buckets"] is None
    assert "Widerspruchsfrist" in only_fristen.content.decode()
    assert "Nachfrage" not in only_fristen.content.decode()
    only_wv = client.get(reverse("records:wiedervorlagen") + "?art=wiedervorlagen")
    assert only_wv.context["frist_buckets"] is None
    assert "Nachfrage" in only_wv.content.decode()
    assert "Widerspruchsfrist" not in only_wv.content.decode()


def test_my_queue_has_my_vorgaenge_team_queue_has_all(
    akte: Akte, team_caseworker: User, tenant: Mandant, team: Organisationseinheit
) -> None:
    colleague = factories.user(tenant, role="sachbearbeitung", unit_=team)
    _frist(_vorgang(akte, team_caseworker), 0, "meine")  # the Akte's caseworker by default
    _frist(_vorgang(akte, team_caseworker, caseworker=colleague), 0, "ihre")
    mine = signed_in(team_caseworker).get(reverse("records:wiedervorlagen"))
    assert [f.label for f in mine.context["frist_buckets"].today] == ["meine"]
    hers = signed_in(colleague).get(reverse("records:wiedervorlagen"))
    assert [f.label for f in hers.context["frist_buckets"].today] == ["ihre"]
    team_view = signed_in(colleague).get(reverse("records:wiedervorlagen") + "?team=1")
    assert sorted(f.label for f in team_view.context["frist_buckets"].today) == ["ihre", "meine"]


def test_other_team_never_sees_the_fristen(
    akte: Akte, team_caseworker: User, tenant: Mandant, other_team: Organisationseinheit
) -> None:
    frist = _frist(_vorgang(akte, team_caseworker), 0, "geheim")
    stranger = signed_in(factories.user(tenant, role="sachbearbeitung", unit_=other_team))
    response = stranger.get(reverse("records:wiedervorlagen") + "?team=1")
    assert "geheim" not in response.content.decode()
    assert stranger.post(reverse("records:frist_done", args=[frist.pk])).status_code == 404
    assert stranger.get("/api/v1/fristen/faellig?ansicht=team").json()["items"] == []
    assert stranger.post(f"/api/v1/fristen/{frist.pk}/erledigt").status_code == 404


def test_marking_a_frist_done_removes_it_and_is_audited(
    akte: Akte, team_caseworker: User, tenant: Mandant
) -> None:
    vorgang = _vorgang(akte, team_caseworker)
    frist = _frist(vorgang, -2, "Klagefrist")
    client = signed_in(team_caseworker)
    response = client.post(reverse("records:frist_done", args=[frist.pk]))
    assert response.status_code == 302
    after = client.get(reverse("records:wiedervorlagen"))
    assert after.context["frist_buckets"].overdue == []
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.frist.done").get()
    assert event.object_id == str(frist.pk)
    assert vorgang.schritte.filter(action="frist_erledigt").exists()
    # done twice: it is no longer in the queue, so 404
    assert client.post(reverse("records:frist_done", args=[frist.pk])).status_code == 404


def test_api_frist_queue_and_done(akte: Akte, team_caseworker: User) -> None:
    vorgang = _vorgang(akte, team_caseworker)
    for days, label in [(-1, "verpasst"), (0, "heute"), (3, "bald"), (30, "fern")]:
        _frist(vorgang, days, label)
    client: Client = signed_in(team_caseworker)
    queue = client.get("/api/v1/fristen/faellig").json()
    assert [(f["label"], f["lage"]) for f in queue["items"]] == [
        ("verpasst", "ueberfaellig"),
        ("heute", "heute"),
        ("bald", "spaeter"),
    ]
    due = client.get("/api/v1/fristen/faellig?faellig=faellig").json()
    assert [f["label"] for f in due["items"]] == ["verpasst", "heute"]
    wide = client.get("/api/v1/fristen/faellig?tage=60").json()
    assert [f["label"] for f in wide["items"]][-1] == "fern"
    assert client.get("/api/v1/fristen/faellig?tage=-1").json()["code"] == "invalid_days"
    first = queue["items"][0]["id"]
    done = client.post(f"/api/v1/fristen/{first}/erledigt")
    assert done.status_code == 200 and done.json()["lage"] == "erledigt"
    assert [f["label"] for f in client.get("/api/v1/fristen/faellig").json()["items"]] == [
        "heute",
        "bald",
    ]
