"""Who may change who sees an Akte, and who may be its caseworker (issue 12, items 2 and 3).

Moving an Akte to another Organisationseinheit, changing its access level or its named
people needs ``records.assign`` where the Akte lies now (source) and, for a move, in the
new unit (target), through the API, the web form and the service alike; the reason is
audited. The caseworker rule is one function, ``records.access.caseworkers``: the form
offers exactly the people the API accepts."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records import services
from koffer.records.errors import RecordsForbidden
from koffer.records.models import AccessLevel, Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in


def _patch(client: Client, akte: Akte, **body: Any) -> Any:
    return client.patch(
        f"/api/v1/akten/{akte.pk}",
        data=json.dumps({"reason": "Zuständigkeitswechsel", **body}),
        content_type="application/json",
    )


def _is_problem(response: Any, status: int, code: str) -> dict[str, Any]:
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/problem+json")
    body: dict[str, Any] = response.json()
    assert body["code"] == code and body["status"] == status
    return body


def _changes(tenant: Mandant, akte: Akte) -> Any:
    return AuditEvent.objects.filter(
        tenant_id=tenant.pk, action="records.akte.change", object_id=str(akte.pk)
    )


def _unit_of(akte: Akte) -> Any:
    akte.refresh_from_db()
    return akte.unit_id


# --- item 2: moving, restricting, naming ----------------------------------------------------


def test_api_caseworker_cannot_move_an_akte(
    akte: Akte, tenant: Mandant, team: Organisationseinheit, other_team: Organisationseinheit
) -> None:
    # She edits Akten in both teams, but distributing them is the team lead's right.
    mover = factories.user(tenant, role="sachbearbeitung", unit_=team)
    factories.add_role(mover, tenant, "sachbearbeitung", other_team)
    response = _patch(signed_in(mover), akte, unit_id=str(other_team.pk))
    body = _is_problem(response, 403, "assign_forbidden")
    assert "Akten zuweisen" in body["detail"] and body["title"] == "Keine Berechtigung"
    assert _unit_of(akte) == team.pk
    assert not _changes(tenant, akte).exists()


@pytest.mark.parametrize(
    "body",
    [
        {"access_level": "restricted"},
        {"access_level": "restricted", "named_user_ids": []},  # refused before validation
    ],
)
def test_api_caseworker_cannot_restrict_or_name(
    akte: Akte, tenant: Mandant, team_caseworker: User, body: dict[str, Any]
) -> None:
    response = _patch(signed_in(team_caseworker), akte, **body)
    _is_problem(response, 403, "assign_forbidden")
    akte.refresh_from_db()
    assert akte.access_level == AccessLevel.NORMAL


def test_api_caseworker_still_closes_and_reassigns_within_the_team(
    akte: Akte, tenant: Mandant, team: Organisationseinheit, team_caseworker: User
) -> None:
    colleague = factories.user(tenant, role="sachbearbeitung", unit_=team)
    response = _patch(
        signed_in(team_caseworker),
        akte,
        unit_id=str(team.pk),  # unchanged owner: no assign right needed
        caseworker_id=str(colleague.pk),
        status="closed",
    )
    assert response.status_code == 200, response.content
    assert response.json()["caseworker_id"] == str(colleague.pk)


def test_api_lead_moves_within_reach_and_the_reason_is_audited(
    akte: Akte,
    tenant: Mandant,
    team: Organisationseinheit,
    other_team: Organisationseinheit,
    team_caseworker: User,
) -> None:
    lead = factories.user(tenant, role="teamleitung")  # at the root: both teams below
    response = _patch(signed_in(lead), akte, unit_id=str(other_team.pk), reason="Umzug der Familie")
    assert response.status_code == 200, response.content
    assert response.json()["unit_id"] == str(other_team.pk)
    event = _changes(tenant, akte).get()
    assert event.reason == "Umzug der Familie" and event.actor_id == lead.pk
    assert event.changes["unit"] == {"old": str(team.pk), "new": str(other_team.pk)}
    # the old owner's caseworker loses sight of it, the new team gains it
    assert signed_in(team_caseworker).get(f"/api/v1/akten/{akte.pk}").status_code == 404
    newcomer = factories.user(tenant, role="sachbearbeitung", unit_=other_team)
    assert signed_in(newcomer).get(f"/api/v1/akten/{akte.pk}").status_code == 200


def test_api_move_needs_a_reason(akte: Akte, tenant: Mandant, other_team: Any) -> None:
    lead = factories.user(tenant, role="teamleitung")
    response = _patch(signed_in(lead), akte, unit_id=str(other_team.pk), reason="   ")
    body = _is_problem(response, 422, "reason_required")
    assert body["detail"] == "Bitte geben Sie einen Grund an."
    assert not _changes(tenant, akte).exists()


def test_api_lead_cannot_hand_an_akte_out_of_reach(
    akte: Akte, tenant: Mandant, team: Organisationseinheit, other_team: Organisationseinheit
) -> None:
    lead = factories.user(tenant, role="teamleitung", unit_=team)
    response = _patch(signed_in(lead), akte, unit_id=str(other_team.pk))
    body = _is_problem(response, 403, "assign_target_forbidden")
    assert "Leistungsteam 2" in body["detail"] and "außerhalb Ihres Bereichs" in body["detail"]
    assert _unit_of(akte) == team.pk


def test_api_being_named_on_a_foreign_restricted_akte_does_not_allow_moving_it(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    other_team: Organisationseinheit,
) -> None:
    lead = factories.user(tenant, role="teamleitung", unit_=team)
    foreign = services.create_akte(
        actor=None,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=other_team,
        title="Personalakte",
        access_level=AccessLevel.RESTRICTED,
        named_users=[lead],
    )
    client = signed_in(lead)
    assert client.get(f"/api/v1/akten/{foreign.pk}").status_code == 200  # named: may read
    _is_problem(_patch(client, foreign, unit_id=str(team.pk)), 403, "assign_forbidden")
    _is_problem(_patch(client, foreign, access_level="normal"), 403, "assign_forbidden")
    assert _unit_of(foreign) == other_team.pk


def test_service_refuses_a_move_without_the_right_whatever_the_caller(
    akte: Akte, team_caseworker: User, other_team: Organisationseinheit
) -> None:
    for actor in (team_caseworker, None):  # a command acting as the system holds no right
        with pytest.raises(RecordsForbidden) as exc:
            services.change_akte(actor=actor, akte=akte, reason="Umzug", unit=other_team)
        assert exc.value.code in {"assign_forbidden", "forbidden"}
    assert _unit_of(akte) != other_team.pk


def _change_form(akte: Akte, **data: Any) -> dict[str, Any]:
    return {
        "unit": str(akte.unit_id),
        "caseworker": str(akte.caseworker_id or ""),
        "status": akte.status,
        "access_level": akte.access_level,
        "reason": "Zuständigkeitswechsel",
        **data,
    }


def test_web_form_offers_caseworkers_no_owner_or_access_fields(
    akte: Akte, tenant: Mandant, team: Organisationseinheit, other_team: Organisationseinheit
) -> None:
    mover = factories.user(tenant, role="sachbearbeitung", unit_=team)
    factories.add_role(mover, tenant, "sachbearbeitung", other_team)
    client = signed_in(mover)
    url = reverse("records:akte_change", args=[akte.pk])
    page = client.get(url).content.decode()
    assert 'name="caseworker"' in page and 'name="status"' in page
    assert 'name="unit"' not in page and 'name="access_level"' not in page
    response = client.post(
        url,
        _change_form(akte, unit=str(other_team.pk), access_level=AccessLevel.RESTRICTED),
    )
    assert response.status_code == 302  # the rest of the form is saved ...
    akte.refresh_from_db()  # ... but not who sees the Akte
    assert akte.unit_id == team.pk and akte.access_level == AccessLevel.NORMAL


def test_web_lead_moves_within_reach_and_not_beyond(
    akte: Akte,
    tenant: Mandant,
    team: Organisationseinheit,
    other_team: Organisationseinheit,
) -> None:
    # Leads team 1, edits in team 2 as well: may hand Akten only to where she assigns.
    lead = factories.user(tenant, role="teamleitung", unit_=team)
    factories.add_role(lead, tenant, "sachbearbeitung", other_team)
    sub_team = factories.unit(tenant, "Leistungsteam 1a", parent=team)
    client = signed_in(lead)
    url = reverse("records:akte_change", args=[akte.pk])
    page = client.get(url).content.decode()
    assert str(sub_team.pk) in page and str(other_team.pk) not in page
    refused = client.post(url, _change_form(akte, unit=str(other_team.pk)))
    assert refused.status_code == 400 and _unit_of(akte) == team.pk
    moved = client.post(url, _change_form(akte, unit=str(sub_team.pk), reason="Neue Zuordnung"))
    assert moved.status_code == 302 and _unit_of(akte) == sub_team.pk
    event = _changes(tenant, akte).get()
    assert event.reason == "Neue Zuordnung"
    assert event.changes["unit"] == {"old": str(team.pk), "new": str(sub_team.pk)}


# --- item 3: one caseworker rule ------------------------------------------------------------


def _offered(client: Client, akte: Akte) -> str:
    """The options of the form's caseworker field."""
    page = client.get(reverse("records:akte_change", args=[akte.pk])).content.decode()
    start = page.index('name="caseworker"')
    return page[start : page.index("</select>", start)]


def test_api_refuses_a_non_caseworker_as_caseworker(
    akte: Akte, tenant: Mandant, team: Organisationseinheit, team_caseworker: User
) -> None:
    mailroom = factories.user(tenant, role="poststelle", unit_=team)
    scanner = factories.user(tenant, role="scandienst", unit_=team, is_machine=True)
    client = signed_in(team_caseworker)
    for person in (mailroom, scanner):
        body = _is_problem(
            _patch(client, akte, caseworker_id=str(person.pk)), 422, "caseworker_not_eligible"
        )
        assert "kann nicht für diese Akte zuständig sein" in body["detail"]
        assert str(person.pk) not in _offered(client, akte)
    akte.refresh_from_db()
    assert akte.caseworker_id == team_caseworker.pk


def test_web_form_offers_exactly_whom_the_api_accepts(
    akte: Akte,
    tenant: Mandant,
    team: Organisationseinheit,
    other_team: Organisationseinheit,
    team_caseworker: User,
) -> None:
    candidates = {
        "colleague": factories.user(tenant, role="sachbearbeitung", unit_=team),
        "lead above": factories.user(tenant, role="teamleitung"),
        "other team": factories.user(tenant, role="sachbearbeitung", unit_=other_team),
        "mail room": factories.user(tenant, role="poststelle", unit_=team),
        "admin": factories.user(tenant, role="mandant_admin"),
        "deactivated": factories.user(tenant, role="sachbearbeitung", unit_=team),
    }
    candidates["deactivated"].is_active = False
    candidates["deactivated"].save(update_fields=["is_active"])
    client = signed_in(team_caseworker)
    page = _offered(client, akte)
    offered = {name for name, user in candidates.items() if f'value="{user.pk}"' in page}
    accepted = set()
    for name, user in candidates.items():
        response = _patch(client, akte, caseworker_id=str(user.pk))
        if response.status_code == 200:
            accepted.add(name)
            _patch(client, akte, caseworker_id=str(team_caseworker.pk))  # back again
    assert offered == accepted == {"colleague", "lead above"}


def test_a_restricted_akte_takes_only_a_named_caseworker(
    akte: Akte, tenant: Mandant, team: Organisationseinheit, team_caseworker: User
) -> None:
    lead = factories.user(tenant, role="teamleitung", unit_=team)
    colleague = factories.user(tenant, role="sachbearbeitung", unit_=team)
    client = signed_in(lead)
    restricted = _patch(
        client,
        akte,
        access_level="restricted",
        named_user_ids=[str(lead.pk), str(team_caseworker.pk)],
    )
    assert restricted.status_code == 200, restricted.content
    assert str(colleague.pk) not in _offered(client, akte)
    body = _is_problem(
        _patch(client, akte, caseworker_id=str(colleague.pk)), 422, "caseworker_not_eligible"
    )
    assert "nicht benannt" in body["detail"]
    # named and made responsible in one change: fine
    both = _patch(
        client,
        akte,
        caseworker_id=str(colleague.pk),
        named_user_ids=[str(lead.pk), str(colleague.pk)],
    )
    assert both.status_code == 200, both.content
    assert both.json()["caseworker_id"] == str(colleague.pk)
