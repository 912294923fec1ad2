"""The pipeline killed at 20 random points of a batch (after a step, inside a write's
transaction, between the E-Akte's commit and the document marked filed) and resumed by the
job runner each time: every page of the batch ends in exactly one document or as a
separator, no document is filed twice, nothing is lost."""

from __future__ import annotations

import random
from collections import Counter
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from benchmarks import inbox_corpus as corpus
from django.utils import timezone

from koffer.inbox.lieferung.tasks import check_stapel
from koffer.inbox.models import Eingangsdokument, Protokolleintrag, Stapel
from koffer.inbox.verarbeitung import services, tasks
from koffer.jobs import runner
from koffer.jobs import services as jobs
from koffer.jobs.models import Job
from koffer.records.models import Dokument, PendingBlob, Wiedervorlage
from koffer.tenancy.models import Mandant
from tests.inbox.conftest import Deliver

pytestmark = pytest.mark.django_db

KILLS = 20


class Killed(BaseException):
    """Stands for SIGKILL: no handler of koffer catches it."""


def _batch(tenant: Mandant, folder: Path) -> tuple[dict[str, bytes], bytes, list[corpus.Wahrheit]]:
    rng = random.Random(11)
    people = corpus.seed_akten(tenant, rng=rng, count=6)
    truths = corpus.write_batch(
        folder, people=people, rng=rng, documents=9, files=3, image_only=False, tiff_share=0.0
    )
    files = {p.name: p.read_bytes() for p in sorted(folder.glob("*.pdf"))}
    return files, (folder / "lieferschein.json").read_bytes(), truths


def test_killed_at_20_random_points_loses_nothing_and_files_nothing_twice(
    tenant: Mandant, deliver: Deliver, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    files, note, truths = _batch(tenant, tmp_path)
    stapel = check_stapel(actor=None, stapel=deliver(files, note).stapel)
    job = Job.objects.for_tenant(tenant).get(kind=services.JOB_KIND)

    rng = random.Random(20261206)
    kills: list[str] = []

    def deadly(name: str, original: Any) -> Any:
        def hook(*args: Any, **kwargs: Any) -> Any:
            result = original(*args, **kwargs)
            first = name not in kills  # every kind of point at least once
            if len(kills) < KILLS and (first or rng.random() < 0.15):
                kills.append(name)
                raise Killed
            return result

        return hook

    monkeypatch.setattr(tasks, "step_reached", deadly("step", tasks.step_reached))
    monkeypatch.setattr(services, "stored_in_akte", deadly("filed", services.stored_in_akte))
    monkeypatch.setattr(services, "log", deadly("write", services.log))

    outcome = ""
    later = timezone.now()
    for _ in range(200):
        try:
            outcome = runner.execute(job.pk)
        except Killed:
            later += timedelta(hours=1)  # the worker is gone; recovery queues the job again
            assert job.pk in jobs.recover_stale_jobs(now=later)
            continue
        break
    job.refresh_from_db()
    assert outcome == "done", (outcome, job.error, job.message, kills)
    assert len(kills) == KILLS
    assert {"step", "filed", "write"} <= set(kills)  # killed at every kind of point

    docs = list(Eingangsdokument.objects.for_tenant(tenant).filter(stapel=stapel))
    pages = Counter((d.datei.name, p) for d in docs for p in d.pages)
    expected = Counter((t.datei, p) for t in truths for p in t.seiten)
    assert pages == expected  # every page in exactly one document, separators in none
    assert all(
        d.state in (Eingangsdokument.State.ABGELEGT, Eingangsdokument.State.ZU_PRUEFEN)
        for d in docs
    )
    filed = [d for d in docs if d.state == Eingangsdokument.State.ABGELEGT]
    assert filed, "the batch should file some documents by itself"
    scans = Dokument.objects.for_tenant(tenant).filter(source=Dokument.Source.SCAN)
    assert scans.count() == len(filed)
    assert sorted(scans.values_list("pk", flat=True)) == sorted(d.dokument_id for d in filed)
    assert Wiedervorlage.objects.for_tenant(tenant).filter(dokument__in=scans).count() == len(filed)
    assert Protokolleintrag.objects.for_tenant(tenant).filter(
        stapel=stapel, action="abgelegt"
    ).count() == len(filed)
    assert Stapel.objects.for_tenant(tenant).get(pk=stapel.pk).processed_at is not None
    # Blobs announced by a killed run are left for records_blob_gc; none is referenced twice.
    assert PendingBlob.objects.for_tenant(tenant).count() <= KILLS
