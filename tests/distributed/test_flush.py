"""Emptying the database on Citus (a transactional test's teardown, ``manage.py flush``):
only the tables that hold rows on some node, with DELETE, and afterwards every table is
empty on every node (koffer.tenancy.citus.flush)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.core.management.color import no_style
from django.core.management.sql import sql_flush
from django.db import connection

from koffer.records import services as records
from koffer.records.models import Akte
from koffer.tenancy.citus.flush import filled_tables
from koffer.tenancy.models import Mandant
from tests import factories

pytestmark = pytest.mark.usefixtures("citus_transactional")

# Filled again by the flush itself: Django's post_migrate makes the content types and the
# permissions anew.
REMADE = {"django_content_type", "auth_permission"}


def _all_tables() -> list[str]:
    return list(connection.introspection.django_table_names(only_existing=True))


def _akte_in_a_new_mandant() -> Akte:
    tenant = factories.mandant()
    plan = records.create_aktenplaneinheit(
        actor=None, tenant=tenant, parent=None, kennzeichen="K", title="K"
    )
    return records.create_akte(
        actor=None,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=factories.root_unit(tenant),
        title="wird geleert",
    )


def test_the_filled_tables_are_found_on_the_workers_and_the_coordinator() -> None:
    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)
    assert set(filled_tables(connection, _all_tables()) or []) <= REMADE

    _akte_in_a_new_mandant()
    found = set(filled_tables(connection, _all_tables()) or [])

    # A reference table (on every node), distributed ones (on the workers' shards), the
    # audit trail of the writes; an untouched table is not among them.
    assert {"tenancy_mandant", "records_akte", "records_aktenplaneinheit", "audit_event"} <= found
    assert "outbox_drucker" not in found
    assert "tenancy_mandant_" not in "".join(found), "Namen der Shards, nicht der Tabellen"


def test_a_table_whose_rows_were_deleted_is_not_filled() -> None:
    akte = _akte_in_a_new_mandant()
    Akte.objects.for_tenant(akte.tenant).filter(pk=akte.pk).delete()  # pages stay, rows go

    assert "records_akte" not in (filled_tables(connection, _all_tables()) or [])


def test_the_flush_deletes_from_the_filled_tables_only_and_leaves_all_empty() -> None:
    _akte_in_a_new_mandant()
    filled = set(filled_tables(connection, _all_tables()) or [])

    statements = sql_flush(no_style(), connection, reset_sequences=False)

    assert statements[0] == "SET LOCAL citus.multi_shard_modify_mode TO 'sequential'"
    assert {s.removeprefix("DELETE FROM ").strip('"') for s in statements[1:]} == filled
    assert not any("TRUNCATE" in s for s in statements)

    call_command("flush", interactive=False, verbosity=0, reset_sequences=False)

    assert set(filled_tables(connection, _all_tables()) or []) <= REMADE
    assert not Mandant.objects.exists()
