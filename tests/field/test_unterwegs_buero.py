"""The Koffer's page with the office as a real process (``manage.py serve``, seeded as in
test_paket_koffer): „Jetzt abholen“ and „Jetzt abgleichen“ started on the page run as jobs
with their steps as progress; a revoked Koffer learns it on the page and wipes."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

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

pytestmark = [pytest.mark.django_db, pytest.mark.real_clock, pytest.mark.long]


@pytest.fixture
def koffer(tmp_path: Path) -> Iterator[Path]:
    with override_settings(KOFFER_MODE="koffer", VAR_DIR=tmp_path):
        yield tmp_path


def _job(user: User, art: str, url: str) -> Job:
    client = signed_in(user)
    assert client.post(url).status_code == 302
    job = Job.objects.filter(kind=art).order_by("-created_at").first()
    assert job is not None
    runner.execute(job.pk)
    job.refresh_from_db()
    return job


def test_pull_and_sync_from_the_page_run_as_jobs_with_progress(
    buero: Buero,  # noqa: F811
    koffer: Path,
    aussendienst: User,
) -> None:
    case = buero.seed["rundreise"]
    ablauf.koppeln(url=buero.url, code=case["code"])

    geholt = _job(aussendienst, tasks.ABHOLEN, "/unterwegs/abholen/")

    assert geholt.status == Job.Status.DONE, geholt.error
    assert "Fertig: 2 Akten, 4 Dokumente" in geholt.message
    assert geholt.progress_total == len(case["blobs"])
    assert geholt.progress_done == len(case["blobs"])
    assert {str(a.akte_id) for a in Ausleihe.objects.unscoped()} == set(case["akten"])
    offset = uhr.abweichung()
    assert offset is not None and abs(offset.total_seconds()) < 5  # the office's Date header
    html = signed_in(aussendienst).get("/unterwegs/").content.decode()
    for akte in Akte.objects.unscoped().filter(pk__in=case["akten"]):
        assert akte.aktenzeichen in html
    assert "Die Uhr dieses Laptops" not in html

    subjekt = AkteSubjekt.objects.unscoped().filter(akte_id=case["akten"][0]).first()
    assert subjekt is not None
    Person.objects.unscoped().filter(pk=subjekt.person_id).update(telefon="0170 2222222")

    abgeglichen = _job(aussendienst, tasks.ABGLEICHEN, "/unterwegs/abgleichen/")

    assert abgeglichen.status == Job.Status.DONE, abgeglichen.error
    assert "Abgeglichen: 1 Änderungen übernommen, 0 Konflikte" in abgeglichen.message
    assert "Neu geholt: 2 Akten" in abgeglichen.message
    assert vermerke.lesen()["abgleich"]["uebernommen"] == 1
    progress = signed_in(aussendienst).get("/unterwegs/auftrag/")
    assert progress.status_code == 286
    assert "Ergebnis" in progress.content.decode()


def test_a_revoked_koffer_learns_it_on_its_page_and_wipes(
    buero: Buero,  # noqa: F811
    koffer: Path,
    aussendienst: User,
) -> None:
    case = buero.seed["gesperrt"]
    ablauf.koppeln(url=buero.url, code=case["code"])
    assert _job(aussendienst, tasks.ABHOLEN, "/unterwegs/abholen/").status == Job.Status.DONE
    assert Akte.objects.unscoped().filter(pk__in=case["akten"]).exists()
    _manage(
        buero.env,
        "shell",
        "-c",
        f"from tests.field.paket_seed import sperren; sperren({case['geraet']!r})",
    )

    status = signed_in(aussendienst).get("/unterwegs/buero/").content.decode()

    assert "Koffer gesperrt" in status and "gelöscht" in status
    assert not Akte.objects.unscoped().filter(pk__in=case["akten"]).exists()
    assert not abholung.zugang_pfad().exists()
    html = signed_in(aussendienst).get("/unterwegs/").content.decode()
    assert "Im Zug gestohlen" in html
    assert "Kopplungscode" in html  # paired no more
    # Unpaired, „Jetzt abgleichen“ says so instead of starting a job that must fail.
    assert signed_in(aussendienst).post("/unterwegs/abgleichen/").status_code == 302
    assert not Job.objects.filter(kind=tasks.ABGLEICHEN).exists()
