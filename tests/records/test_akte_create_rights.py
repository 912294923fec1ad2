"""Who sees a new Akte (issue 12, item 2, at creation): an Akte opens with the access of
its plan unit, and a restricted one names its caseworker and the person opening it.
Deciding anything else (another access level, other named people) decides who sees the
Akte and needs ``records.assign`` in the owner unit, through the API, the web form and the
service alike. The caseworker of a restricted Akte is always among its named people.

Found by a security re-probe: a plain Sachbearbeitung created a restricted Akte naming
only a person of another department, who could read it, while she herself got 404."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.records import selectors, services
from koffer.records.errors import RecordsError, RecordsForbidden
from koffer.records.models import AccessLevel, Akte, Aktenplaneinheit, Person
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in


@pytest.fixture
def sozialamt(tenant: Mandant) -> User:
    return factories.user(tenant, role="sachbearbeitung", unit_=factories.unit(tenant, "Sozialamt"))


@pytest.fixture
def lead(tenant: Mandant, team: Organisationseinheit) -> User:
    return factories.user(tenant, role="teamleitung", unit_=team)


@pytest.fixture
def restricted_plan(tenant: Mandant, plan: Aktenplaneinheit) -> Aktenplaneinheit:
    return services.create_aktenplaneinheit(
        actor=None,
        tenant=tenant,
        parent=plan.parent,
        kennzeichen="50.9",
        title="Mitarbeiterakten",
        module="sgb2",
        default_access=AccessLevel.RESTRICTED,
    )


def _post(client: Client, plan: Aktenplaneinheit, unit: Organisationseinheit, **body: Any) -> Any:
    payload = {
        "aktenplaneinheit_id": str(plan.pk),
        "unit_id": str(unit.pk),
        "title": "Vertrauliche Akte",
        "person": {"family_name": "Geheim"},
        **body,
    }
    return client.post("/api/v1/akten", data=json.dumps(payload), content_type="application/json")


def _ids(*users: User) -> list[str]:
    return [str(u.pk) for u in users]


# --- API ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "names",
    [
        "sozialamt",  # the reported probe: only a stranger named
        "self_and_sozialamt",
        "none",  # restricting alone hides the Akte from the team: also a decision on who sees
    ],
)
def test_api_caseworker_cannot_decide_who_sees_a_new_akte(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    sozialamt: User,
    names: str,
) -> None:
    body: dict[str, Any] = {"access_level": "restricted"}
    if names == "sozialamt":
        body["named_user_ids"] = _ids(sozialamt)
    elif names == "self_and_sozialamt":
        body["named_user_ids"] = _ids(team_caseworker, sozialamt)
    response = _post(signed_in(team_caseworker), plan, team, **body)
    assert response.status_code == 403, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    problem = response.json()
    assert problem["code"] == "assign_forbidden" and problem["title"] == "Keine Berechtigung"
    assert "Akten zuweisen" in problem["detail"] and "Leistungsteam 1" in problem["detail"]
    assert not Akte.objects.for_tenant(tenant).exists()
    assert not Person.objects.for_tenant(tenant).exists()  # the person is rolled back too
    assert signed_in(sozialamt).get("/api/v1/akten").json()["items"] == []


def test_api_names_nobody_on_a_normal_akte(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    sozialamt: User,
) -> None:
    """Names on a normal Akte would widen it the day someone restricts it, keeping them."""
    response = _post(signed_in(team_caseworker), plan, team, named_user_ids=_ids(sozialamt))
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["access_level"] == "normal" and created["named_user_ids"] == []
    assert signed_in(sozialamt).get(f"/api/v1/akten/{created['id']}").status_code == 404


def test_api_lead_names_people_and_must_name_herself_as_caseworker(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, lead: User, sozialamt: User
) -> None:
    client = signed_in(lead)
    without = _post(client, plan, team, access_level="restricted", named_user_ids=_ids(sozialamt))
    assert without.status_code == 422, without.content
    assert without["Content-Type"].startswith("application/problem+json")
    assert without.json()["code"] == "caseworker_not_named"
    assert "muss ihre Sachbearbeitung" in without.json()["detail"]
    assert not Akte.objects.for_tenant(tenant).exists()

    response = _post(
        client, plan, team, access_level="restricted", named_user_ids=_ids(lead, sozialamt)
    )
    assert response.status_code == 201, response.content
    created = response.json()
    assert sorted(created["named_user_ids"]) == sorted(_ids(lead, sozialamt))
    assert created["caseworker_id"] == str(lead.pk)
    assert client.get(f"/api/v1/akten/{created['id']}").status_code == 200
    assert signed_in(sozialamt).get(f"/api/v1/akten/{created['id']}").status_code == 200


def test_api_lead_decides_only_where_she_assigns(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    other_team: Organisationseinheit,
    lead: User,
) -> None:
    factories.add_role(lead, tenant, "sachbearbeitung", other_team)  # edits there, no more
    client = signed_in(lead)
    refused = _post(client, plan, other_team, access_level="restricted")
    assert refused.status_code == 403 and refused.json()["code"] == "assign_forbidden"
    assert _post(client, plan, other_team).status_code == 201  # the plan's access: fine
    assert _post(client, plan, team, access_level="restricted").status_code == 201


def test_api_plan_with_restricted_access_needs_no_assign_right(
    tenant: Mandant,
    restricted_plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    sozialamt: User,
) -> None:
    """A plan unit that restricts its Akten by default is the plan's decision: a plain
    caseworker opens such an Akte (named: herself), but neither widens nor names others."""
    client = signed_in(team_caseworker)
    response = _post(client, restricted_plan, team)
    assert response.status_code == 201, response.content
    assert response.json()["access_level"] == "restricted"
    assert response.json()["named_user_ids"] == _ids(team_caseworker)
    explicit = _post(client, restricted_plan, team, named_user_ids=_ids(team_caseworker))
    assert explicit.status_code == 201, explicit.content
    for body in (
        {"named_user_ids": _ids(team_caseworker, sozialamt)},
        {"access_level": "normal"},
    ):
        refused = _post(client, restricted_plan, team, **body)
        assert refused.status_code == 403, (body, refused.content)
        assert refused.json()["code"] == "assign_forbidden"


# --- web form ------------------------------------------------------------------------------


def _form(plan: Aktenplaneinheit, unit: Organisationseinheit, **data: str) -> dict[str, str]:
    return {
        "aktenplaneinheit": str(plan.pk),
        "unit": str(unit.pk),
        "title": "Vertrauliche Akte",
        "family_name": "Geheim",
        **data,
    }


def test_form_does_not_offer_access_to_a_caseworker(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    page = client.get(reverse("records:akte_create")).content.decode()
    assert 'name="access_level"' not in page
    response = client.post(
        reverse("records:akte_create"), _form(plan, team, access_level="restricted")
    )
    assert response.status_code == 302
    created = Akte.objects.for_tenant(tenant).get()
    assert created.access_level == AccessLevel.NORMAL  # the plan's access, not the posted one


def test_form_lets_a_lead_restrict_where_she_assigns(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    restricted_plan: Aktenplaneinheit,
    team: Organisationseinheit,
    other_team: Organisationseinheit,
    lead: User,
) -> None:
    factories.add_role(lead, tenant, "sachbearbeitung", other_team)
    client = signed_in(lead)
    page = client.get(reverse("records:akte_create")).content.decode()
    assert 'name="access_level"' in page
    assert "50.9 Mitarbeiterakten (eingeschränkter Zugriff)" in page
    refused = client.post(
        reverse("records:akte_create"), _form(plan, other_team, access_level="restricted")
    )
    assert refused.status_code == 400
    assert "Akten zuweisen" in refused.content.decode()
    assert not Akte.objects.for_tenant(tenant).exists()
    response = client.post(
        reverse("records:akte_create"), _form(plan, team, access_level="restricted")
    )
    assert response.status_code == 302
    created = Akte.objects.for_tenant(tenant).get()
    assert created.access_level == AccessLevel.RESTRICTED
    assert list(selectors.named_users(created)) == [lead]


# --- service -------------------------------------------------------------------------------


def test_service_refuses_for_every_channel(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    sozialamt: User,
) -> None:
    with pytest.raises(RecordsForbidden) as exc:
        services.open_akte_for_person(
            actor=team_caseworker,
            tenant=tenant,
            aktenplaneinheit=plan,
            unit=team,
            title="Vertraulich",
            family_name="Geheim",
            access_level=AccessLevel.RESTRICTED,
            caseworker=team_caseworker,
            named_users=[sozialamt],
        )
    assert exc.value.code == "assign_forbidden"
    assert not Person.objects.for_tenant(tenant).exists()


def test_service_caseworker_rule_holds_for_the_system_too(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    sozialamt: User,
) -> None:
    """Imports and the demo act without a person's rights, but their data still obeys the
    caseworker rule (records.access.caseworkers)."""
    common: dict[str, Any] = {"actor": None, "tenant": tenant, "aktenplaneinheit": plan}
    with pytest.raises(RecordsError) as not_named:
        services.create_akte(
            **common,
            unit=team,
            title="x",
            caseworker=team_caseworker,
            access_level=AccessLevel.RESTRICTED,
            named_users=[sozialamt],
        )
    assert not_named.value.code == "caseworker_not_named"
    with pytest.raises(RecordsError) as elsewhere:
        services.create_akte(**common, unit=team, title="x", caseworker=sozialamt)
    assert elsewhere.value.code == "caseworker_not_eligible"
    assert not Akte.objects.for_tenant(tenant).exists()
