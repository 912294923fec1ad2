"""Tokens issued before tokens named their units keep working in their account's units."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [("accounts", "0002_lockout_and_own_password")]
AFTER = [("accounts", "0003_token_units")]


@pytest.mark.django_db(transaction=True)
@pytest.mark.not_citus(
    "setzt das Schema vor diese Datenmigration zurück und wieder vor; sie stammt von vor "
    "Citus, eine Citus-Datenbank beginnt mit dem heutigen Schema (zurück und wieder vor "
    "formt jede verteilte Tabelle um: viele Minuten auf dem Cluster)"
)
def test_existing_token_gets_its_machine_accounts_units() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    mandant = apps.get_model("tenancy", "Mandant").objects.create(
        slug="alt", name="Altkreis", kind="kreis"
    )
    unit_model = apps.get_model("tenancy", "Organisationseinheit")
    root = unit_model.objects.create(tenant=mandant, name="Altkreis", kind="behoerde", path="/a/")
    team = unit_model.objects.create(
        tenant=mandant, parent=root, name="Scan", kind="team", path="/a/b/"
    )
    machine = apps.get_model("accounts", "User").objects.create(username="scan", is_machine=True)
    apps.get_model("accounts", "Membership").objects.create(
        tenant=mandant, user=machine, unit=team, role="scandienst"
    )
    token = apps.get_model("accounts", "ApiToken").objects.create(
        tenant=mandant,
        user=machine,
        name="alt",
        prefix="abcd1234",
        digest="0" * 64,
        permissions=["inbox.upload"],
        expires_at="2030-01-01T00:00:00Z",
    )
    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    migrated = apps.get_model("accounts", "ApiToken").objects.get(pk=token.pk)
    assert [u.pk for u in migrated.units.all()] == [team.pk]
