from __future__ import annotations

from typing import Any

import pytest
from django.test import Client

from koffer.accounts import services as accounts
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.models import AuditEvent
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.privacy.conftest import AKTE_1, ERIKA, Trail, query_events

URL = "/api/v1/audit/events"


def _machine_client(tenant: Mandant, permissions: list[str], role: str = "scandienst") -> Client:
    machine = factories.user(tenant, role=role, is_machine=True)
    _, secret = accounts.create_api_token(
        actor=None,
        tenant=tenant,
        user=machine,
        name="Prüfwerkzeug",
        permissions=permissions,
        units=[factories.root_unit(tenant)],
    )
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def _seqs(client: Client, **params: Any) -> set[int]:
    query: dict[str, Any] = {"limit": 200, **params}
    response = client.get(URL, query)
    assert response.status_code == 200, response.content
    return {item["seq"] for item in response.json()["items"]}


def test_unauthenticated_is_401(db: None) -> None:
    response = Client().get(URL)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/problem+json"


def test_caseworker_session_is_403_problem(caseworker: User) -> None:
    response = signed_in(caseworker).get(URL)
    assert response.status_code == 403
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["code"] == "forbidden"


def test_machine_token_without_permission_is_refused(tenant: Mandant) -> None:
    response = _machine_client(tenant, ["inbox.upload"]).get(URL)
    assert response.status_code == 403 and response.json()["code"] == "forbidden"
    assert query_events(tenant) == []  # refused requests see nothing and log no query


def test_machine_token_with_permission_sees_only_its_mandant(
    trail: Trail, other_tenant: Mandant
) -> None:
    client = _machine_client(trail.tenant, ["audit.view"], role="protokollabruf")
    items = client.get(URL, {"limit": 200}).json()["items"]
    assert items and all(i["reason"] != "Fremdzugriff" for i in items)
    own = set(AuditEvent.objects.filter(tenant_id=trail.tenant.pk).values_list("id", flat=True))
    assert {i["id"] for i in items} <= {str(pk) for pk in own}
    erika = _seqs(client, subject_type="person", subject_id=ERIKA.pk)
    assert erika == {trail.seqs[n] for n in ("erika_created", "akte1_read", "akte1_changed")}


def test_other_mandants_dpo_sees_none_of_these(trail: Trail, other_tenant: Mandant) -> None:
    stranger_dpo = factories.user(other_tenant, role="datenschutz")
    items = signed_in(stranger_dpo).get(URL, {"limit": 200}).json()["items"]
    assert {i["reason"] for i in items} >= {"Fremdzugriff"}
    assert all(i["subject_label"] != "Erika Beispiel" for i in items)
    assert all(i["actor_label"] not in {"Alice Akte", "Bob Bescheid"} for i in items)


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"subject": "Beispiel"}, {"erika_created", "akte1_read", "akte1_changed"}),
        ({"object_type": "akte", "object_id": AKTE_1.pk}, {"akte1_read", "akte1_changed"}),
        ({"since": "2026-03-10", "until": "2026-03-10"}, {"akte1_read", "akte1_changed"}),
        ({"actor": "system", "action": "records.person.create"}, {"max_created"}),
        ({"q": "Akteneinsicht"}, {"akte1_read"}),
    ],
)
def test_api_filters(dpo: User, trail: Trail, params: dict[str, str], expected: set[str]) -> None:
    assert _seqs(signed_in(dpo), **params) == {trail.seqs[n] for n in expected}


def test_api_actor_filter(dpo: User, trail: Trail) -> None:
    assert _seqs(signed_in(dpo), actor=str(trail.bob.pk)) == {trail.seqs["akte1_changed"]}


def test_item_shape(dpo: User, trail: Trail) -> None:
    body = signed_in(dpo).get(URL, {"object_type": "akte", "object_id": AKTE_1.pk}).json()
    changed = body["items"][0]
    assert body["next_cursor"] is None
    assert changed["action"] == "records.akte.update"
    assert changed["changes"] == {"status": {"old": "offen", "new": "geschlossen"}}
    assert changed["subject_label"] == "Erika Beispiel"
    assert changed["actor_label"] == "Bob Bescheid" and len(changed["hash"]) == 64
    assert changed["at"].startswith("2026-03-10T22:59:59")  # UTC
    assert body["items"][1]["action_label"] == "Gelesen"


def test_pagination_walks_all_pages_without_duplicates(dpo: User, tenant: Mandant) -> None:
    for i in range(47):
        audit.record(actor=None, tenant_id=tenant.pk, action="probe", changes={"i": i})
    client = signed_in(dpo)
    expected = list(
        AuditEvent.objects.filter(tenant_id=tenant.pk)
        .order_by("-seq")
        .values_list("seq", flat=True)
    )
    seen: list[int] = []
    cursor = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 7}
        if cursor:
            params["cursor"] = cursor
        body = client.get(URL, params).json()
        seen += [item["seq"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    # Every page logged its own query, but none of those leaks into the walk.
    assert seen == expected
    assert pages == -(-len(expected) // 7)
    assert len(query_events(tenant)) == pages


def test_each_api_call_is_one_audit_event(dpo: User, trail: Trail) -> None:
    signed_in(dpo).get(URL, {"subject_type": "person", "subject_id": ERIKA.pk, "limit": "2"})
    (event,) = query_events(trail.tenant)
    assert event.actor_id == dpo.pk
    assert event.changes == {"subject_type": "person", "subject_id": ERIKA.pk, "format": "api"}
    assert (event.subject_type, event.subject_id) == ("person", ERIKA.pk)


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"cursor": "kaputt"}, 400, "invalid_cursor"),
        ({"cursor": "c2VxOi0x"}, 400, "invalid_cursor"),  # "seq:-1"
        ({"limit": 0}, 400, "invalid_limit"),
        ({"limit": 201}, 400, "invalid_limit"),
        ({"actor": "niemand"}, 422, "validation_failed"),
        ({"since": "2026-03-12", "until": "2026-03-10"}, 422, "validation_failed"),
        ({"since": "10.03.2026"}, 422, "validation_failed"),
        ({"until": "9999-12-31"}, 200, None),
    ],
)
def test_bad_input_is_a_problem_not_a_500(
    dpo: User, trail: Trail, params: dict[str, Any], status: int, code: str | None
) -> None:
    response = signed_in(dpo).get(URL, params)
    assert response.status_code == status, response.content
    if code:
        assert response["Content-Type"] == "application/problem+json"
        assert response.json()["code"] == code
