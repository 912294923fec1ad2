"""A delivery and its check interrupted at every step (a process killed there) resume on
the next run: every file ends accepted once or in quarantine, nothing twice, nothing lost."""

from __future__ import annotations

import io
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

import pytest

from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.inbox.lieferung import services
from koffer.inbox.models import Problem, Stapel, Stapeldatei
from koffer.jobs import runner
from koffer.jobs.models import Job, JobStep
from koffer.records.models import PendingBlob
from koffer.tenancy.models import Mandant
from tests.inbox import scans
from tests.inbox.conftest import Provider

pytestmark = pytest.mark.django_db

FILES = {
    "0001.pdf": scans.pdf(2),
    "0002.pdf": scans.pdf(1),
    "0003.tif": scans.tiff(2),
    "kaputt.pdf": b"%PDF-1.7\n" + b"\x00" * 300,
    "extra.pdf": scans.pdf(1),
}
DECLARED = {k: v for k, v in FILES.items() if k != "extra.pdf"} | {"fehlt.pdf": scans.pdf()}
NOTE = scans.manifest(DECLARED, pages={"0001.pdf": 2, "0003.tif": 2})
FINAL = {
    "0001.pdf": "geprueft",
    "0002.pdf": "geprueft",
    "0003.tif": "geprueft",
    "kaputt.pdf": "quarantaene",
    "fehlt.pdf": "fehlt",
    "extra.pdf": "quarantaene",
}


class Killed(BaseException):
    """Stands for SIGKILL: no handler of koffer catches it."""


def _deliver(tenant: Mandant, provider: Provider) -> services.Delivery:
    return services.deliver(
        actor=provider.user,
        access=provider.access,
        tenant=tenant,
        manifest_bytes=NOTE,
        files=[services.IncomingFile(n, io.BytesIO(d)) for n, d in FILES.items()],
    )


def _kill_at(monkeypatch: pytest.MonkeyPatch, target: str, attr: str, nth: int) -> list[str]:
    """Raise Killed at the ``nth`` call of ``target.attr`` (after its work, inside or
    after its transaction); returns the names of the steps reached."""
    module: Any = services
    original: Callable[..., Any] = getattr(module, attr)
    calls: list[str] = []

    def dying(*args: Any, **kwargs: Any) -> Any:
        result = original(*args, **kwargs)
        calls.append(str(args[0]) if args else attr)
        if len(calls) == nth:
            raise Killed
        return result

    monkeypatch.setattr(module, attr, dying)
    return calls


def _check_outcome(tenant: Mandant) -> None:
    stapel = Stapel.objects.for_tenant(tenant).get()
    assert stapel.state == Stapel.State.MIT_PROBLEMEN
    rows = list(Stapeldatei.objects.for_tenant(tenant).filter(stapel=stapel))
    assert Counter(r.name for r in rows) == Counter(FINAL.keys())  # each file exactly once
    assert {r.name: r.state for r in rows} == FINAL
    for row in rows:
        if row.sha256:
            assert get_store().exists(row.sha256)
    codes = Counter(
        Problem.objects.for_tenant(tenant).filter(stapel=stapel).values_list("code", flat=True)
    )
    assert codes == Counter({"corrupt_pdf": 1, "file_missing": 1, "file_not_declared": 1})
    actions = Counter(
        AuditEvent.objects.filter(tenant_id=tenant.pk, object_id=str(stapel.pk)).values_list(
            "action", flat=True
        )
    )
    assert actions["inbox.stapel.deliver"] == 1 and actions["inbox.stapel.check"] == 1


def _run_job(tenant: Mandant) -> None:
    job = Job.objects.for_tenant(tenant).get(kind=services.JOB_KIND)
    assert runner.execute(job.pk) == "done"


@pytest.mark.parametrize("point", [1, 2])
def test_delivery_killed_after_each_step_is_delivered_once_on_retry(
    monkeypatch: pytest.MonkeyPatch, tenant: Mandant, provider: Provider, point: int
) -> None:
    _kill_at(monkeypatch, "services", "step_reached", point)
    with pytest.raises(Killed):
        _deliver(tenant, provider)
    monkeypatch.undo()
    again = _deliver(tenant, provider)
    assert again.created is (point == 1)  # killed before the commit: stored now
    assert Job.objects.for_tenant(tenant).filter(kind=services.JOB_KIND).count() == 1
    _run_job(tenant)
    _check_outcome(tenant)


# The check's steps: begin, six files, finish; a kill after each, and inside the writes.
STEPS_AFTER = range(1, 9)
WRITES_INSIDE = [("record_file_check", n) for n in range(1, 7)] + [("finish_check", 1)]


@pytest.mark.parametrize("point", STEPS_AFTER)
def test_check_killed_after_each_step_resumes(
    monkeypatch: pytest.MonkeyPatch, tenant: Mandant, provider: Provider, point: int
) -> None:
    _deliver(tenant, provider)
    job = Job.objects.for_tenant(tenant).get(kind=services.JOB_KIND)
    reached = _kill_at(monkeypatch, "services", "step_reached", point)
    with pytest.raises(Killed):
        runner.execute(job.pk)
    monkeypatch.undo()
    done_before = JobStep.objects.for_tenant(tenant).filter(job=job).count()
    assert done_before == len(reached) == point  # every step reached was recorded
    Job.objects.for_tenant(tenant).filter(pk=job.pk).update(status=Job.Status.WAITING)
    _run_job(tenant)
    _check_outcome(tenant)


@pytest.mark.parametrize(("write", "nth"), WRITES_INSIDE)
def test_check_killed_inside_a_write_resumes(
    monkeypatch: pytest.MonkeyPatch, tenant: Mandant, provider: Provider, write: str, nth: int
) -> None:
    _deliver(tenant, provider)
    job = Job.objects.for_tenant(tenant).get(kind=services.JOB_KIND)
    _kill_at(monkeypatch, "services", write, nth)
    with pytest.raises(Killed):
        runner.execute(job.pk)
    monkeypatch.undo()
    Job.objects.for_tenant(tenant).filter(pk=job.pk).update(status=Job.Status.WAITING)
    _run_job(tenant)
    _check_outcome(tenant)


def test_a_check_run_twice_changes_nothing(tenant: Mandant, provider: Provider) -> None:
    from koffer.inbox.lieferung.tasks import check_stapel

    stapel = _deliver(tenant, provider).stapel
    _run_job(tenant)
    check_stapel(actor=None, stapel=stapel)  # without the job's steps: states decide
    _check_outcome(tenant)


def test_a_delivered_file_keeps_its_blob_when_an_upload_of_the_same_bytes_fails(
    tenant: Mandant, provider: Provider
) -> None:
    from koffer.records.dokumente import blob_ledger

    # An upload of the same bytes announced (and claimed) them first, then failed after
    # the delivery had committed: the delivered file still needs the blob.
    data = scans.pdf() + b"\n% " + uuid.uuid4().hex.encode()  # bytes never stored before
    [upload] = blob_ledger.store_pending(tenant.pk, [(scans.sha256(data), data)])
    services.deliver(
        actor=provider.user,
        access=provider.access,
        tenant=tenant,
        manifest_bytes=scans.manifest({"neu.pdf": data}),
        files=[services.IncomingFile("neu.pdf", io.BytesIO(data))],
    )
    assert not PendingBlob.objects.unscoped().exclude(pk=upload).exists()  # settled
    assert PendingBlob.objects.unscoped().get(pk=upload).claimed
    blob_ledger.discard([upload])
    assert get_store().exists(scans.sha256(data))
