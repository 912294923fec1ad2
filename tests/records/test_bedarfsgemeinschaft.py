"""Bedarfsgemeinschaft (issue 5, item 2): members with roles are added and removed on a
page and through the API; a new Akte linked to an existing BG-Nummer brings its person in."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records import selectors, services
from koffer.records.models import Akte, Aktenplaneinheit, BgMitglied
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in


def _members(akte: Akte) -> list[tuple[str, str]]:
    return [
        (m.person.given_names, m.rolle) for m in selectors.bg_mitglieder(akte.bg_id, akte.tenant_id)
    ]


def test_page_adds_and_removes_members(akte: Akte, team_caseworker: User, tenant: Mandant) -> None:
    client = signed_in(team_caseworker)
    url = reverse("records:bedarfsgemeinschaft", args=[akte.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Mitglied hinzufügen" in page.content.decode()
    added = client.post(
        url,
        {
            "action": "add",
            "family_name": "Beispiel",
            "given_names": "Ben",
            "birth_date": "2015-04-01",
            "rolle": "kind",
        },
    )
    assert added.status_code == 302
    assert _members(akte) == [("Anna", "antragsteller"), ("Ben", "kind")]
    ben = next(m for m in selectors.bg_mitglieder(akte.bg_id, tenant.pk) if m.rolle == "kind")
    assert client.post(url, {"action": "remove", "mitglied": str(ben.pk)}).status_code == 400
    removed = client.post(
        url, {"action": "remove", "mitglied": str(ben.pk), "reason": "ausgezogen"}
    )
    assert removed.status_code == 302
    assert _members(akte) == [("Anna", "antragsteller")]
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.bg.member_remove").get()
    assert event.reason == "ausgezogen" and event.subject_id == str(ben.person_id)


def test_page_refuses_second_antragsteller_and_last_member(
    akte: Akte, team_caseworker: User, tenant: Mandant
) -> None:
    client = signed_in(team_caseworker)
    url = reverse("records:bedarfsgemeinschaft", args=[akte.pk])
    second = client.post(url, {"action": "add", "family_name": "Zwei", "rolle": "antragsteller"})
    assert second.status_code == 400 and "schon eine antragstellende" in second.content.decode()
    only = selectors.bg_mitglieder(akte.bg_id, tenant.pk).get()
    last = client.post(url, {"action": "remove", "mitglied": str(only.pk), "reason": "weg"})
    assert last.status_code == 400 and "letzte Mitglied" in last.content.decode()
    assert len(_members(akte)) == 1


def test_page_is_404_for_outsiders_and_read_only_without_edit(
    akte: Akte, tenant: Mandant, other_team: Organisationseinheit
) -> None:
    stranger = signed_in(factories.user(tenant, role="sachbearbeitung", unit_=other_team))
    url = reverse("records:bedarfsgemeinschaft", args=[akte.pk])
    assert stranger.get(url).status_code == 404
    assert (
        stranger.post(url, {"action": "add", "family_name": "X", "rolle": "kind"}).status_code
        == 404
    )


def test_new_akte_with_existing_bg_nummer_adds_the_person(
    akte: Akte,
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
) -> None:
    assert akte.bg is not None
    response = signed_in(team_caseworker).post(
        reverse("records:akte_create"),
        {
            "aktenplaneinheit": str(plan.pk),
            "unit": str(team.pk),
            "title": "Akte der Partnerin",
            "family_name": "Beispiel",
            "given_names": "Paula",
            "bg_nummer": akte.bg.bg_nummer,
            "bg_rolle": "partner",
        },
    )
    assert response.status_code == 302
    second = Akte.objects.for_tenant(tenant).get(title="Akte der Partnerin")
    assert second.bg_id == akte.bg_id
    assert _members(akte) == [("Anna", "antragsteller"), ("Paula", "partner")]


def test_existing_bg_default_role_is_sonstige(
    akte: Akte, tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit
) -> None:
    assert akte.bg is not None
    services.open_akte_for_person(
        actor=None,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=team,
        title="Noch eine",
        family_name="Beispiel",
        given_names="Oma",
        bg_nummer=akte.bg.bg_nummer,
    )
    assert ("Oma", BgMitglied.Rolle.SONSTIGE) in _members(akte)


def test_api_lists_adds_and_removes(akte: Akte, team_caseworker: User, tenant: Mandant) -> None:
    client = signed_in(team_caseworker)
    base = f"/api/v1/akten/{akte.pk}/bedarfsgemeinschaft"
    got = client.get(base).json()
    assert got["bg_nummer"] == "BG0000001" and [m["rolle"] for m in got["mitglieder"]] == [
        "antragsteller"
    ]
    assert AuditEvent.objects.filter(tenant_id=tenant.pk, action="read", object_id=str(akte.bg_id))
    created = client.post(
        f"{base}/mitglieder",
        data=json.dumps(
            {"rolle": "partner", "person": {"family_name": "Beispiel", "given_names": "Piet"}}
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    piet = next(m for m in created.json()["mitglieder"] if m["rolle"] == "partner")
    twice = client.post(
        f"{base}/mitglieder",
        data=json.dumps({"rolle": "kind", "person_id": piet["person_id"]}),
        content_type="application/json",
    )
    # Piet is a member but not a subject of a visible Akte: unknown through this door
    assert twice.status_code == 404
    anna = next(m for m in created.json()["mitglieder"] if m["rolle"] == "antragsteller")
    again = client.post(
        f"{base}/mitglieder",
        data=json.dumps({"rolle": "kind", "person_id": anna["person_id"]}),
        content_type="application/json",
    )
    assert again.status_code == 422 and again.json()["code"] == "bg_member_exists"
    removed = client.post(
        f"{base}/mitglieder/{piet['id']}/entfernen",
        data=json.dumps({"reason": "Trennung"}),
        content_type="application/json",
    )
    assert removed.status_code == 200
    assert [m["rolle"] for m in removed.json()["mitglieder"]] == ["antragsteller"]
    last = client.post(
        f"{base}/mitglieder/{anna['id']}/entfernen",
        data=json.dumps({"reason": "x"}),
        content_type="application/json",
    )
    assert last.status_code == 422 and last.json()["code"] == "bg_empty"


def test_api_needs_exactly_one_person_and_a_bg(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> None:
    no_bg = services.create_akte(
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=team, title="ohne BG"
    )
    client = signed_in(team_caseworker)
    assert client.get(f"/api/v1/akten/{no_bg.pk}/bedarfsgemeinschaft").json() == {
        "bg_nummer": None,
        "mitglieder": [],
    }
    response = client.post(
        f"/api/v1/akten/{no_bg.pk}/bedarfsgemeinschaft/mitglieder",
        data=json.dumps({"rolle": "kind", "person": {"family_name": "K"}}),
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["code"] == "akte_without_bg"


@pytest.mark.parametrize("body", [{"rolle": "kind"}])
def test_api_without_person_is_422(akte: Akte, team_caseworker: User, body: dict[str, str]) -> None:
    response = signed_in(team_caseworker).post(
        f"/api/v1/akten/{akte.pk}/bedarfsgemeinschaft/mitglieder",
        data=json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 422 and response.json()["code"] == "person_required"
