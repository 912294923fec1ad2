"""The migration's API as the Mandant's administration uses it: dry run, start, state and
rejected rows, every answer checked against the committed docs/openapi.json."""

from __future__ import annotations

import pytest
from benchmarks.inbox_altsystem import HEAD_PERSONEN, csv_bytes, export
from django.core.files.uploadedfile import SimpleUploadedFile

from koffer.accounts.models import User
from koffer.inbox.models import Importlauf
from koffer.jobs import runner
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.factories import records as record_factories
from tests.inbox.openapi import conforms

pytestmark = pytest.mark.django_db
API = "/api/v1/posteingang/migration"


@pytest.fixture
def plan(tenant: Mandant) -> Aktenplaneinheit:
    return record_factories.leistungsplan(tenant)


def test_dry_run_start_state_and_rejected_rows(
    tenant: Mandant, admin_user: User, plan: Aktenplaneinheit
) -> None:
    client = signed_in(admin_user)
    team = factories.unit(tenant, "Leistungsteam Süd")
    files = export(2, plan="50.2", unit="")
    files["personen.csv"] = files["personen.csv"] + b"P9;;;;;;;;\r\n"
    sent = client.post(
        API,
        {
            "personen": SimpleUploadedFile("personen.csv", files["personen.csv"]),
            "bedarfsgemeinschaften": SimpleUploadedFile(
                "bedarfsgemeinschaften.csv", files["bedarfsgemeinschaften.csv"]
            ),
            "akten": SimpleUploadedFile("akten.csv", files["akten.csv"]),
            "einheit": str(team.pk),
        },
    )
    assert sent.status_code == 201, sent.content
    lauf = conforms(sent, API, "post")
    assert lauf["state"] == "geprueft" and lauf["ergebnis"] is None
    assert lauf["dateien"] == ["personen.csv", "bedarfsgemeinschaften.csv", "akten.csv"]
    assert lauf["probelauf"] == {"neu": 8, "geaendert": 2, "unveraendert": 0, "abgelehnt": 1}

    one = f"{API}/{lauf['id']}"
    rejected = client.get(f"{one}/abgelehnt?probelauf=true")
    body = conforms(rejected, f"{API}/{{lauf_id}}/abgelehnt", "get")
    assert body["items"] == [
        {
            "datei": "personen.csv",
            "zeile": 6,
            "spalte": "familienname",
            "wert": "",
            "grund": "Pflichtangabe fehlt",
        }
    ]

    started = client.post(f"{one}/start")
    assert started.status_code == 200
    assert conforms(started, f"{API}/{{lauf_id}}/start", "post")["state"] == "wartet"
    again = client.post(f"{one}/start")
    assert again.status_code == 409
    assert conforms(again, f"{API}/{{lauf_id}}/start", "post")["code"] == "import_started"

    job = Importlauf.objects.for_tenant(tenant).get().job_id
    assert job is not None and runner.execute(job) == "done"
    state = conforms(client.get(one), f"{API}/{{lauf_id}}", "get")
    assert state["state"] == "fertig" and state["zeilen_erledigt"] == 11
    assert state["ergebnis"] == {"neu": 8, "geaendert": 2, "unveraendert": 0, "abgelehnt": 1}
    assert Akte.objects.for_tenant(tenant).filter(unit=team).count() == 2


def test_bad_files_unknown_runs_and_other_roles_are_refused(
    tenant: Mandant, other_tenant: Mandant, admin_user: User
) -> None:
    client = signed_in(admin_user)
    bad = client.post(API, {"personen": SimpleUploadedFile("x.csv", b"a;b\r\n1;2\r\n")})
    assert bad.status_code == 422
    assert conforms(bad, API, "post")["code"] == "import_file_invalid"
    none = client.post(API, {})
    assert none.status_code == 422 and conforms(none, API, "post")["code"] == "import_file_invalid"
    elsewhere = Organisationseinheit.objects.for_tenant(other_tenant).get(parent=None)
    foreign = client.post(
        API,
        {
            "personen": SimpleUploadedFile("p.csv", csv_bytes(HEAD_PERSONEN, ["P1;A;;;;;;;"])),
            "einheit": str(elsewhere.pk),
        },
    )
    assert foreign.status_code == 404
    missing = client.get(f"{API}/01890000-0000-7000-8000-000000000000")
    assert missing.status_code == 404
    caseworker = signed_in(factories.user(tenant))
    assert caseworker.post(API, {}).status_code == 403
