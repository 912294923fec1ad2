"""The objects an audit page names are read by the page's Mandant and their ids: on Citus
routed to that Mandant's shards (tests/distributed/test_audit_single_shard.py), and a
Mandant's log never names another Mandant's rows by their current text."""

from __future__ import annotations

from django.db import connection
from django.test.utils import CaptureQueriesContext

from koffer.accounts.models import User
from koffer.privacy import references
from koffer.records.models import Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.factories import records as record_factories


def test_own_rows_are_read_by_mandant_and_id(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> None:
    akte = record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team, title="Meier")
    refs = [("records.akte", str(akte.pk)), ("accounts.user", str(team_caseworker.pk))]
    with CaptureQueriesContext(connection) as captured:
        found = references.resolve(refs, tenant_id=tenant.pk)
    assert found[refs[0]] == akte.aktenzeichen
    assert team_caseworker.username in found[refs[1]]
    assert len(captured.captured_queries) == 2  # one a type, none by id alone afterwards
    akte_sql = next(q["sql"] for q in captured.captured_queries if "records_akte" in q["sql"])
    assert '"records_akte"."tenant_id" =' in akte_sql


def test_another_mandants_row_is_not_named(tenant: Mandant, other_tenant: Mandant) -> None:
    worker = factories.user(other_tenant, role="sachbearbeitung")
    akte = record_factories.akte(
        caseworker=worker,
        plan=record_factories.leistungsplan(other_tenant),
        unit=factories.unit(other_tenant, "Team"),
        title="Fremd",
    )
    ref = ("records.akte", str(akte.pk))
    assert references.resolve([ref], tenant_id=tenant.pk) == {}
    assert references.resolve([ref], tenant_id=other_tenant.pk) == {ref: akte.aktenzeichen}
