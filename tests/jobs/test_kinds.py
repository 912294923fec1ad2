"""The two checks users can start: audit chain and blob store."""

from __future__ import annotations

from pathlib import Path

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.jobs import kinds, services
from koffer.jobs.models import Job, JobStep
from koffer.jobs.tasks import enqueue
from koffer.tenancy.models import Mandant
from tests.factories.audit import tenant_param, unguarded


def _run(tenant: Mandant, actor: User, kind: str, capture) -> Job:
    with capture(execute=True):
        job = services.start_job(actor=actor, tenant=tenant, kind=kind, title="Prüfung")
    job.refresh_from_db()
    return job


def _tamper(tenant: Mandant, seq: int) -> None:
    """Raw database access past the append-only trigger (rolled back with the test)."""
    with unguarded() as cursor:
        cursor.execute(
            "UPDATE audit_event SET reason = 'manipuliert' WHERE seq = %s AND tenant_id = %s",
            [seq, tenant_param(tenant.pk)],
        )


def test_audit_chain_check_ok(
    tenant: Mandant, admin_user: User, django_capture_on_commit_callbacks
) -> None:
    job = _run(tenant, admin_user, kinds.AUDIT_CHAIN, django_capture_on_commit_callbacks)
    events = AuditEvent.objects.filter(tenant_id=tenant.pk).count()
    assert job.status == Job.Status.DONE and not job.needs_attention
    # All events up to the job's start were checked (its own "done" event came after).
    assert job.message == f"Audit-Kette in Ordnung: {events - 1} Ereignisse geprüft."


def test_audit_chain_check_names_first_broken_sequence_number(
    tenant: Mandant, admin_user: User, django_capture_on_commit_callbacks
) -> None:
    for i in range(6):
        audit.record(actor=None, tenant_id=tenant.pk, action="test.write", obj=("probe", i))
    _tamper(tenant, 4)
    job = _run(tenant, admin_user, kinds.AUDIT_CHAIN, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.DONE and job.needs_attention
    assert job.message.startswith("Audit-Kette gebrochen bei Folgenummer 4")


def test_blob_store_check_finds_corrupt_document(
    tenant: Mandant, admin_user: User, blob_dir: Path, django_capture_on_commit_callbacks
) -> None:
    store = get_store()
    refs = [store.put(f"Dokument {i}".encode()) for i in range(12)]
    job = _run(tenant, admin_user, kinds.BLOB_STORE, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.DONE and not job.needs_attention
    assert job.message == "Dokumentenspeicher in Ordnung: 12 Dokumente geprüft."
    assert (job.progress_done, job.progress_total) == (12, 12)
    assert JobStep.objects.for_tenant(tenant).filter(job=job).count() == len(kinds.BLOB_RANGES)

    bad = refs[7].sha256
    path = blob_dir / bad[:2] / bad[2:4] / bad
    path.write_bytes(b"verdorben")
    job = _run(tenant, admin_user, kinds.BLOB_STORE, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.DONE and job.needs_attention
    assert job.message.startswith("1 von 12 Dokumenten sind beschädigt") and bad in job.message


def test_blob_check_continues_after_the_ranges_already_checked(
    tenant: Mandant, admin_user: User, blob_dir: Path
) -> None:
    store = get_store()
    for i in range(30):
        store.put(f"Akte {i}".encode())
    job = services.start_job(actor=admin_user, tenant=tenant, kind=kinds.BLOB_STORE, title="t")
    # An earlier attempt checked the first 128 ranges and found one corrupt blob there.
    for prefix in kinds.BLOB_RANGES[:128]:
        JobStep.objects.create(
            tenant=tenant,
            job=job,
            key=f"blobs-{prefix}",
            result={"checked": 0, "corrupt": ["0" * 64] if prefix == "00" else []},
        )
    enqueue(job.pk, tenant.pk)  # the job is waiting: hand it to the (immediate) queue
    job.refresh_from_db()
    upper = sum(1 for h in store.iter_all() if h[:2] >= "80")
    assert job.needs_attention and job.message.startswith(f"1 von {upper} Dokumenten")
