"""Restricted Akten (issue 5, item 2): the form and the API name the people who may open
one; a restricted Akte never ends up with nobody named."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records import selectors, services
from koffer.records.errors import RecordsError
from koffer.records.models import AccessLevel, Akte
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in


@pytest.fixture(autouse=True)
def _caseworker_assigns(tenant: Mandant, team: Organisationseinheit, team_caseworker: User) -> None:
    """Here the acting caseworker also leads her team: restricting an Akte and naming
    people changes who sees it, which needs records.assign (issue 12)."""
    factories.add_role(team_caseworker, tenant, "teamleitung", team)


def _form(akte: Akte, **data: object) -> dict[str, object]:
    return {
        "unit": str(akte.unit_id),
        "caseworker": str(akte.caseworker_id or ""),
        "status": akte.status,
        "access_level": AccessLevel.RESTRICTED,
        "reason": "Mitarbeiterakte",
        **data,
    }


def test_form_names_users_and_only_they_see_the_akte(
    akte: Akte, tenant: Mandant, team: Organisationseinheit, team_caseworker: User
) -> None:
    colleague = factories.user(tenant, role="sachbearbeitung", unit_=team)
    hr = factories.user(tenant, role="sachbearbeitung", unit_=factories.unit(tenant, "Personal"))
    client = signed_in(team_caseworker)
    page = client.get(reverse("records:akte_change", args=[akte.pk]))
    assert page.status_code == 200 and "Benannte Personen" in page.content.decode()
    response = client.post(
        reverse("records:akte_change", args=[akte.pk]),
        _form(akte, named_users=[str(team_caseworker.pk), str(hr.pk)]),
    )
    assert response.status_code == 302
    assert signed_in(hr).get(reverse("records:akte_detail", args=[akte.pk])).status_code == 200
    assert (
        signed_in(colleague).get(reverse("records:akte_detail", args=[akte.pk])).status_code == 404
    )
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.akte.change").latest(
        "seq"
    )
    assert sorted(event.changes["named_users"]["new"]) == sorted(
        [str(team_caseworker.pk), str(hr.pk)]
    )
    detail = signed_in(hr).get(reverse("records:akte_detail", args=[akte.pk])).content.decode()
    assert str(hr) in detail


def test_form_refuses_restricted_with_nobody_named(
    akte: Akte, tenant: Mandant, team_caseworker: User
) -> None:
    response = signed_in(team_caseworker).post(
        reverse("records:akte_change", args=[akte.pk]), _form(akte, named_users=[])
    )
    assert response.status_code == 400
    assert "mindestens eine benannte Person" in response.content.decode()
    akte.refresh_from_db()
    assert akte.access_level == AccessLevel.NORMAL


def test_form_offers_only_people_of_the_mandant(
    akte: Akte, other_tenant: Mandant, team_caseworker: User
) -> None:
    foreigner = factories.user(other_tenant, role="sachbearbeitung")
    response = signed_in(team_caseworker).post(
        reverse("records:akte_change", args=[akte.pk]), _form(akte, named_users=[str(foreigner.pk)])
    )
    assert response.status_code == 400  # not a valid choice
    akte.refresh_from_db()
    assert akte.access_level == AccessLevel.NORMAL


def test_api_names_users(
    akte: Akte, tenant: Mandant, team: Organisationseinheit, team_caseworker: User
) -> None:
    hr = factories.user(tenant, role="teamleitung", unit_=factories.unit(tenant, "Personal"))
    client = signed_in(team_caseworker)
    response = client.patch(
        f"/api/v1/akten/{akte.pk}",
        data=json.dumps(
            {
                "reason": "Mitarbeiterakte",
                "access_level": "restricted",
                "named_user_ids": [str(hr.pk)],
            }
        ),
        content_type="application/json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["named_user_ids"] == [str(hr.pk)]
    assert signed_in(hr).get(f"/api/v1/akten/{akte.pk}").status_code == 200
    # the acting caseworker did not name herself: she no longer sees it
    assert client.get(f"/api/v1/akten/{akte.pk}").status_code == 404


def test_api_refuses_empty_names_and_foreign_people(
    akte: Akte, other_tenant: Mandant, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    empty = client.patch(
        f"/api/v1/akten/{akte.pk}",
        data=json.dumps({"reason": "x", "access_level": "restricted", "named_user_ids": []}),
        content_type="application/json",
    )
    assert empty.status_code == 422 and empty.json()["code"] == "restricted_nobody"
    assert empty["Content-Type"].startswith("application/problem+json")
    foreigner = factories.user(other_tenant, role="sachbearbeitung")
    foreign = client.patch(
        f"/api/v1/akten/{akte.pk}",
        data=json.dumps(
            {"reason": "x", "access_level": "restricted", "named_user_ids": [str(foreigner.pk)]}
        ),
        content_type="application/json",
    )
    assert foreign.status_code == 404 and foreign.json()["code"] == "not_found"
    akte.refresh_from_db()
    assert akte.access_level == AccessLevel.NORMAL


def test_api_restricting_without_names_names_the_actor(
    akte: Akte, tenant: Mandant, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    response = client.patch(
        f"/api/v1/akten/{akte.pk}",
        data=json.dumps({"reason": "Mitarbeiterakte", "access_level": "restricted"}),
        content_type="application/json",
    )
    assert response.status_code == 200
    assert response.json()["named_user_ids"] == [str(team_caseworker.pk)]
    assert client.get(f"/api/v1/akten/{akte.pk}").status_code == 200


def test_service_refuses_people_without_records_role(
    akte: Akte, tenant: Mandant, team_caseworker: User
) -> None:
    admin = factories.user(tenant, role="mandant_admin")
    with pytest.raises(RecordsError) as exc:
        services.change_akte(
            actor=team_caseworker,
            akte=akte,
            reason="x",
            access_level=AccessLevel.RESTRICTED,
            named_users=[admin],
        )
    assert exc.value.code == "named_user_unknown"


def test_restricted_creation_names_the_creator_when_no_caseworker(
    tenant: Mandant, plan: object, team: Organisationseinheit, team_caseworker: User
) -> None:
    created = services.create_akte(
        actor=team_caseworker,
        tenant=tenant,
        aktenplaneinheit=plan,  # type: ignore[arg-type]
        unit=team,
        title="Personalakte",
        access_level=AccessLevel.RESTRICTED,
    )
    assert list(selectors.named_users(created)) == [team_caseworker]
    with pytest.raises(RecordsError) as exc:
        services.create_akte(
            actor=None,
            tenant=tenant,
            aktenplaneinheit=plan,  # type: ignore[arg-type]
            unit=team,
            title="Niemandsakte",
            access_level=AccessLevel.RESTRICTED,
        )
    assert exc.value.code == "restricted_nobody"


def test_api_creates_a_restricted_akte_for_named_people(
    tenant: Mandant, plan: object, team: Organisationseinheit, team_caseworker: User
) -> None:
    hr = factories.user(tenant, role="sachbearbeitung", unit_=factories.unit(tenant, "Personal"))
    client = signed_in(team_caseworker)
    body = {
        "aktenplaneinheit_id": str(plan.pk),  # type: ignore[attr-defined]
        "unit_id": str(team.pk),
        "title": "Personalakte",
        "access_level": "restricted",
        "named_user_ids": [str(hr.pk), str(team_caseworker.pk)],
    }
    created = client.post("/api/v1/akten", data=json.dumps(body), content_type="application/json")
    assert created.status_code == 201, created.content
    assert sorted(created.json()["named_user_ids"]) == sorted([str(hr.pk), str(team_caseworker.pk)])
    assert signed_in(hr).get(f"/api/v1/akten/{created.json()['id']}").status_code == 200
    unknown = client.post(
        "/api/v1/akten",
        data=json.dumps(
            {**body, "named_user_ids": [str(factories.user(tenant, role="mandant_admin").pk)]}
        ),
        content_type="application/json",
    )
    assert unknown.status_code == 404 and unknown.json()["code"] == "not_found"


def test_a_named_person_who_lost_the_role_does_not_block_other_changes(
    akte: Akte, tenant: Mandant, team: Organisationseinheit, team_caseworker: User
) -> None:
    leaving = factories.user(tenant, role="sachbearbeitung", unit_=team)
    services.change_akte(
        actor=team_caseworker,
        akte=akte,
        reason="Mitarbeiterakte",
        access_level=AccessLevel.RESTRICTED,
        named_users=[team_caseworker, leaving],
    )
    leaving.memberships.all().delete()  # moved to another authority
    akte.refresh_from_db()
    changed = services.change_akte(
        actor=team_caseworker, akte=akte, reason="Antrag erledigt", status="closed"
    )
    assert changed.status == "closed"
    assert set(selectors.named_users(changed)) == {team_caseworker, leaving}
    with pytest.raises(RecordsError) as exc:  # naming them anew is still refused
        services.change_akte(
            actor=team_caseworker,
            akte=changed,
            reason="x",
            named_users=[team_caseworker, leaving, factories.user(tenant, role="mandant_admin")],
        )
    assert exc.value.code == "named_user_unknown"


def test_saving_a_normal_akte_names_nobody(
    akte: Akte, tenant: Mandant, team_caseworker: User
) -> None:
    response = signed_in(team_caseworker).post(
        reverse("records:akte_change", args=[akte.pk]),
        _form(
            akte,
            access_level=AccessLevel.NORMAL,
            named_users=[str(team_caseworker.pk)],
            reason="Zuständigkeit geprüft",
        ),
    )
    assert response.status_code == 302
    assert list(selectors.named_users(akte)) == []
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.akte.change").latest(
        "seq"
    )
    assert "named_users" not in event.changes
