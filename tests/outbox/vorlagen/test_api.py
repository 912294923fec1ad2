"""The read API of the templates, checked against the committed schema: active templates
with their current version, one template with all versions; readable by whoever writes
letters or manages templates; another Mandant's template is unknown."""

from __future__ import annotations

from dataclasses import replace

from django.db import connection
from django.test.utils import CaptureQueriesContext

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.outbox.models import Vorlage
from koffer.outbox.vorlagen import services
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.inbox.openapi import conforms
from tests.outbox.vorlagen.conftest import EINSTELLUNGEN, ENTWURF

LIST = "/api/v1/postausgang/vorlagen"
ONE = "/api/v1/postausgang/vorlagen/{vorlage_id}"


def _two_versions(tenant: Mandant, admin: User, access: Access, vorlage: Vorlage) -> None:
    for betreff in ("Erste", "Zweite"):
        services.publish_version(
            actor=admin,
            access=access,
            tenant=tenant,
            vorlage=vorlage,
            entwurf=replace(ENTWURF, betreff=betreff),
        )


def test_a_caseworker_reads_active_templates_and_their_versions(
    tenant: Mandant, admin_user: User, admin_access: Access, vorlage: Vorlage, caseworker: User
) -> None:
    _two_versions(tenant, admin_user, admin_access, vorlage)
    inactive = services.create_vorlage(
        actor=admin_user,
        access=admin_access,
        tenant=tenant,
        code="alt",
        einstellungen=replace(EINSTELLUNGEN, titel="Alt", is_active=False),
    )
    client = signed_in(caseworker)
    items = conforms(client.get(LIST), LIST, "get")
    assert [(i["code"], i["aktuelle_version"], i["vier_augen"]) for i in items] == [
        ("anhoerung", 2, "nie")
    ]
    detail = conforms(client.get(ONE.format(vorlage_id=vorlage.pk)), ONE, "get")
    assert [v["nummer"] for v in detail["versionen"]] == [2, 1]
    assert detail["versionen"][0]["betreff"] == "Zweite"
    assert detail["versionen"][1]["felder"] == [{"key": "frist", "label": "Frist", "typ": "datum"}]
    assert detail["versionen"][1]["anlagen"] == ["Merkblatt"]
    # an inactive template is still readable by id (old letters name it)
    assert client.get(ONE.format(vorlage_id=inactive.pk)).status_code == 200


def test_another_mandants_template_is_unknown(vorlage: Vorlage, other_tenant: Mandant) -> None:
    stranger = factories.user(other_tenant, role="mandant_admin")
    response = signed_in(stranger).get(ONE.format(vorlage_id=vorlage.pk))
    assert response.status_code == 404
    conforms(response, ONE, "get")


def test_who_neither_writes_nor_manages_is_refused(tenant: Mandant, dpo: User) -> None:
    response = signed_in(dpo).get(LIST)
    assert response.status_code == 403
    assert response["Content-Type"].startswith("application/problem+json")


def test_the_list_costs_the_same_for_one_template_or_five(
    tenant: Mandant,
    admin_user: User,
    admin_access: Access,
    vorlage: Vorlage,
) -> None:
    client = signed_in(admin_user)
    _two_versions(tenant, admin_user, admin_access, vorlage)
    client.get(LIST)  # the session and the user's memberships, read once
    with CaptureQueriesContext(connection) as one:
        client.get(LIST)
    for n in range(4):
        row = services.create_vorlage(
            actor=admin_user,
            access=admin_access,
            tenant=tenant,
            code=f"v{n}",
            einstellungen=EINSTELLUNGEN,
        )
        _two_versions(tenant, admin_user, admin_access, row)
    with CaptureQueriesContext(connection) as five:
        assert len(client.get(LIST).json()) == 5
    assert len(five.captured_queries) == len(one.captured_queries)
