"""The start page's SQL statements, pinned: an extra query per page view (an N+1, a
forgotten select_related) fails here instead of showing up later in ``make bench``."""

from __future__ import annotations

from django.test import Client
from pytest_django import DjangoAssertNumQueries

from koffer.accounts import services
from koffer.accounts.models import User
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in

# Session, user, the user's memberships with Mandant and unit (TenantMiddleware), and for
# "Ihre Aufgaben" one per task provider that applies to the role (jobs: the user's open
# jobs; E-Akte and Platzbörse: the counts per kind; Posteingang: the documents waiting in
# the caseworker's teams' triage). A provider with open tasks adds one more, its list
# (tests/records/test_start_tasks.py); one without tasks for the role, none.
START_PAGE_QUERIES = 7
# A trivial view behind the same middleware: session, user, memberships.
SIGNED_IN_BASELINE_QUERIES = 3


def _warm(client: Client, path: str) -> None:
    # The first request after sign-in writes the session (last seen, Mandant chosen).
    assert client.get(path).status_code == 200


def test_start_page_query_count(
    caseworker: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = signed_in(caseworker)
    _warm(client, "/")
    with django_assert_num_queries(START_PAGE_QUERIES):
        assert client.get("/").status_code == 200


def test_query_count_does_not_grow_with_memberships(
    caseworker: User,
    other_tenant: Mandant,
    django_assert_num_queries: DjangoAssertNumQueries,
) -> None:
    # The same role everywhere: whichever Mandant the page shows, the same task providers ask.
    for _ in range(3):
        services.add_membership(
            # Not the mail room: its start page reads the Mandant's units (one query more,
            # pinned in test_mail_room_start.py).
            actor=None,
            user=caseworker,
            unit=factories.unit(other_tenant),
            role="sachbearbeitung",
        )
    client = signed_in(caseworker)
    _warm(client, "/")
    with django_assert_num_queries(START_PAGE_QUERIES):
        body = client.get("/").content.decode()
    assert other_tenant.name in body  # the Mandant switch lists both


def test_signed_in_trivial_view_query_count(
    caseworker: User, django_assert_num_queries: DjangoAssertNumQueries
) -> None:
    client = signed_in(caseworker)
    _warm(client, "/healthz")
    with django_assert_num_queries(SIGNED_IN_BASELINE_QUERIES):
        assert client.get("/healthz").status_code == 200
