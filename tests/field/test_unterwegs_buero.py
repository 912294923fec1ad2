"""The Koffer's page with the office as a real process (``manage.py serve``, seeded as in
test_paket_koffer): „Jetzt abholen“ and „Jetzt abgleichen“ started on the page run as jobs
with their steps as progress; a revoked Koffer learns it on the page and wipes.

The test database is the Koffer's: it starts empty, the first pull brings the field
worker's account (as ``koffer_abholen`` does, through the same function), who then
signs in and uses the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.test import override_settings

from koffer.accounts.models import User
from koffer.field.models import Ausleihe
from koffer.field.paket import abholung
from koffer.field.unterwegs import ablauf, tasks, uhr, vermerke
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.records.models import Akte, AkteSubjekt, Person
from tests.conftest import signed_in
from tests.field.test_paket_koffer import Buero, _manage, buero  # noqa: F401  (the fixture)

# Committed transactions, as on the Koffer: a pull's reads before its import commit on
# their own there; inside one test transaction Citus would refuse the import's write of
# the Mandant (a reference table) after those reads across shards.
pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.real_clock, pytest.mark.long]


@pytest.fixture
def koffer(tmp_path: Path) -> Iterator[Path]:
    with override_settings(KOFFER_MODE="koffer", VAR_DIR=tmp_path):
        yield tmp_path


def _job(user: User, art: str, url: str) -> Job:
    client = signed_in(user)
    assert client.post(url).status_code == 302
    job = Job.objects.unscoped().filter(kind=art).order_by("-created_at").first()
    assert job is not None
    runner.execute(job.pk)
    job.refresh_from_db()
    return job


def _erste_abholung(buero: Buero, case: dict[str, Any]) -> tuple[User, list[str]]:  # noqa: F811
    ablauf.koppeln(url=buero.url, code=case["code"])
    schritte: list[str] = []
    ablauf.abholen(
        buero=ablauf.zugang(), melden=lambda _t: None, schritt=lambda t, _d, _n: schritte.append(t)
    )
    return User.objects.get(username=case["username"]), schritte


def test_pull_and_sync_from_the_page_run_as_jobs_with_progress(
    buero: Buero,  # noqa: F811
    koffer: Path,
) -> None:
    case = buero.seed["rundreise"]
    worker, schritte = _erste_abholung(buero, case)
    n = len(case["blobs"])
    assert schritte[-1] == f"Abholen {n} von {n} Dateien", schritte
    assert {str(a.akte_id) for a in Ausleihe.objects.unscoped()} == set(case["akten"])
    offset = uhr.abweichung()
    assert offset is not None and abs(offset.total_seconds()) < 5  # the office's Date header
    html = signed_in(worker).get("/unterwegs/").content.decode()
    for akte in Akte.objects.unscoped().filter(pk__in=case["akten"]):
        assert akte.aktenzeichen in html
    assert "Die Uhr dieses Laptops" not in html

    subjekt = AkteSubjekt.objects.unscoped().filter(akte_id=case["akten"][0]).first()
    assert subjekt is not None
    Person.objects.unscoped().filter(pk=subjekt.person_id).update(telefon="0170 2222222")

    abgeglichen = _job(worker, tasks.ABGLEICHEN, "/unterwegs/abgleichen/")

    assert abgeglichen.status == Job.Status.DONE, abgeglichen.error
    assert "Abgeglichen: 1 Änderungen übernommen, 0 Konflikte" in abgeglichen.message
    # the pull afterwards brings only the Akte the sync changed
    assert "Neu geholt: 1 Akten" in abgeglichen.message
    assert vermerke.lesen()["abgleich"]["uebernommen"] == 1
    progress = signed_in(worker).get("/unterwegs/auftrag/")
    assert progress.status_code == 286
    assert "Ergebnis" in progress.content.decode()

    geholt = _job(worker, tasks.ABHOLEN, "/unterwegs/abholen/")

    assert geholt.status == Job.Status.DONE, geholt.error
    # nothing changed in the office since the pull after the sync: nothing comes
    assert "Fertig: 0 Akten, 0 Dokumente; 0 Dateien geladen" in geholt.message


def test_a_revoked_koffer_learns_it_on_its_page_and_wipes(
    buero: Buero,  # noqa: F811
    koffer: Path,
) -> None:
    case = buero.seed["gesperrt"]
    worker, _ = _erste_abholung(buero, case)
    assert Akte.objects.unscoped().filter(pk__in=case["akten"]).exists()
    _manage(
        buero.env,
        "shell",
        "-c",
        f"from tests.field.paket_seed import sperren; sperren({case['geraet']!r})",
    )

    status = signed_in(worker).get("/unterwegs/buero/").content.decode()

    assert "Koffer gesperrt" in status and "gelöscht" in status
    assert not Akte.objects.unscoped().filter(pk__in=case["akten"]).exists()
    assert not abholung.zugang_pfad().exists()
    assert vermerke.lesen()["gesperrt"]["grund"]
    # The field worker's account went with the wipe: nobody signs in with it any more.
    assert not User.objects.filter(username=case["username"], is_active=True).exists()
