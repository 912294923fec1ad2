"""Seeds a real office process for tests/field/test_experte_live.py before it starts, run
with ``manage.py shell -c``: a Mandant, a field worker with a draft of a small form, an
expert of another unit, and an open session the expert has joined. Writes what the test
needs as JSON."""

from __future__ import annotations

import json
from pathlib import Path

from tests import factories
from tests.factories import PASSWORD
from tests.factories import records as record_factories
from tests.field.experte_daten import feldarbeit, sitzung


def seed(path: str) -> None:
    tenant = factories.mandant("Stadt Expertenhausen")
    team = factories.unit(tenant, "Seniorenbüro")
    plan = record_factories.leistungsplan(tenant)
    daten = feldarbeit(tenant, plan, team)
    row = sitzung(daten)
    Path(path).write_text(
        json.dumps(
            {
                "sitzung": str(row.pk),
                "aussendienst": daten["aussendienst"].username,
                "experte": daten["experte"].username,
                "passwort": PASSWORD,
            }
        )
    )
