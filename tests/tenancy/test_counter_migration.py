"""The E-Akte's and the placements' counters move into the one counter table of tenancy
with their values, so no number is handed out twice after the upgrade."""

from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("tenancy", "0003_leitweg_id_check"),
    ("records", "0007_search_folding"),
    ("placements", "0005_fachbereich_tax_rounding_kostenzusage"),
]
AFTER = [
    ("records", "0008_counter_to_tenancy"),
    ("placements", "0006_zaehler_to_tenancy"),
]


@pytest.mark.django_db(transaction=True)
@pytest.mark.not_citus(
    "setzt das Schema vor diese Datenmigration zurück und wieder vor; sie stammt von vor "
    "Citus, eine Citus-Datenbank beginnt mit dem heutigen Schema (zurück und wieder vor "
    "formt jede verteilte Tabelle um: viele Minuten auf dem Cluster)"
)
def test_both_counter_tables_are_copied_with_their_keys_and_values() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    apps = executor.loader.project_state(BEFORE).apps
    mandant = apps.get_model("tenancy", "Mandant").objects.create(
        slug="alt", name="Altkreis", kind="kreis"
    )
    apps.get_model("records", "Counter").objects.create(tenant=mandant, key="bg", value=41)
    apps.get_model("records", "Counter").objects.create(
        tenant=mandant, key="az:0190-unit:2026", value=7
    )
    apps.get_model("placements", "Zaehler").objects.create(
        tenant=mandant, key="rechnung-2026", value=12
    )
    apps.get_model("placements", "Zaehler").objects.create(
        tenant=mandant, key="meldung:2026", value=3
    )

    executor = MigrationExecutor(connection)
    executor.migrate(AFTER)
    apps = executor.loader.project_state(AFTER).apps
    rows = apps.get_model("tenancy", "Counter").objects.filter(tenant_id=mandant.pk)
    assert {row.key: row.value for row in rows} == {
        "bg": 41,
        "az:0190-unit:2026": 7,
        "rechnung-2026": 12,
        "meldung:2026": 3,
    }
