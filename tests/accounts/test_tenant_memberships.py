"""Every request of a signed-in user reads their memberships (koffer.accounts.middleware).
Only the first request of a session, and one every few minutes, asks every Mandant; the
others ask the Mandanten the session knows (on Citus one shard instead of all of them).
The grants stay read on every request: a membership taken away counts at once."""

from __future__ import annotations

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from koffer.accounts import services as accounts
from koffer.accounts.middleware import SESSION_TENANTS, TENANTS_FRESH_SECONDS
from koffer.accounts.models import Membership, User
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in


def _membership_sql(client: Client, statements: int = 1) -> tuple[str, list[Mandant]]:
    """The (last) membership statement of one GET of the start page, and the Mandanten to
    choose from."""
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/")
    assert response.status_code == 200
    found = [
        q["sql"] for q in captured.captured_queries if "FROM accounts_membership m" in q["sql"]
    ]
    assert len(found) == statements
    return found[-1], list(response.wsgi_request.tenants)  # type: ignore[attr-defined]


def _age_tenant_list(client: Client, seconds: int) -> None:
    session = client.session
    checked, ids = session[SESSION_TENANTS]
    session[SESSION_TENANTS] = [checked - seconds, ids]
    session.save()


def test_after_the_first_request_the_memberships_are_read_in_the_known_mandanten(
    tenant: Mandant, caseworker: User
) -> None:
    client = signed_in(caseworker)
    first, tenants = _membership_sql(client)
    assert "AND m.tenant_id" not in first and tenants == [tenant]
    second, tenants = _membership_sql(client)
    assert "AND m.tenant_id = " in second and str(tenant.pk.hex) in second
    assert tenants == [tenant]


def test_a_membership_taken_away_counts_with_the_next_request(
    tenant: Mandant, other_tenant: Mandant, caseworker: User
) -> None:
    accounts.add_membership(
        actor=None, user=caseworker, unit=factories.root_unit(other_tenant), role="sachbearbeitung"
    )
    client = signed_in(caseworker)
    _, tenants = _membership_sql(client)
    active = client.get("/").wsgi_request.tenant  # type: ignore[attr-defined]
    assert set(tenants) == {tenant, other_tenant}
    Membership.objects.for_tenant(active).filter(user=caseworker).delete()
    # The known Mandanten no longer hold the active one: every Mandant is asked again.
    sql, tenants = _membership_sql(client, statements=2)
    assert "AND m.tenant_id" not in sql
    left = other_tenant if active == tenant else tenant
    assert tenants == [left]
    assert client.get("/").wsgi_request.tenant == left  # type: ignore[attr-defined]
    assert "AND m.tenant_id = " in _membership_sql(client)[0]  # known again: one Mandant


def test_a_membership_added_in_another_mandant_shows_once_the_list_is_old(
    tenant: Mandant, other_tenant: Mandant, caseworker: User
) -> None:
    client = signed_in(caseworker)
    _membership_sql(client)
    accounts.add_membership(
        actor=None, user=caseworker, unit=factories.root_unit(other_tenant), role="sachbearbeitung"
    )
    assert _membership_sql(client)[1] == [tenant]  # the session's list still holds
    _age_tenant_list(client, TENANTS_FRESH_SECONDS + 1)
    sql, tenants = _membership_sql(client)
    assert "AND m.tenant_id" not in sql and set(tenants) == {tenant, other_tenant}
    sql, tenants = _membership_sql(client)
    assert " IN (" in sql and set(tenants) == {tenant, other_tenant}
