"""Steps, failures, retries and recovery: no step is ever done twice."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.jobs import heartbeat, runner, services
from koffer.jobs.models import Job, JobStep, WorkerHeartbeat
from koffer.tenancy.models import Mandant
from tests.jobs.conftest import FLAKY, Flaky


def _start(tenant: Mandant, actor: User | None, capture) -> Job:
    with capture(execute=True):
        job = services.start_job(actor=actor, tenant=tenant, kind=FLAKY, title="Testauftrag")
    job.refresh_from_db()
    return job


def _events(tenant: Mandant, action: str) -> int:
    return AuditEvent.objects.filter(tenant_id=tenant.pk, action=action).count()


def _steps(job: Job) -> set[str]:
    return set(
        JobStep.objects.for_tenant(job.tenant_id).filter(job=job).values_list("key", flat=True)
    )


def test_job_runs_all_steps(
    tenant: Mandant, admin_user: User, flaky: Flaky, django_capture_on_commit_callbacks
) -> None:
    job = _start(tenant, admin_user, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.DONE
    assert (job.progress_done, job.progress_total, job.percent) == (3, 3, 100)
    assert job.message == "Alle Schritte erledigt." and job.attempts == 1
    assert job.finished_at is not None and job.task_id
    assert flaky.calls == {"a": 1, "b": 1, "c": 1}
    assert _steps(job) == {"a", "b", "c"}
    assert _events(tenant, "jobs.job.start") == 1 and _events(tenant, "jobs.job.done") == 1


def test_failed_job_is_retried_without_repeating_steps(
    tenant: Mandant,
    admin_user: User,
    flaky: Flaky,
    django_capture_on_commit_callbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    flaky.fail_at = "b"
    with caplog.at_level(logging.ERROR, logger="koffer.jobs"):
        job = _start(tenant, admin_user, django_capture_on_commit_callbacks)
    assert job.status == Job.Status.FAILED
    # The user reads German, the operator reads the traceback in the log.
    assert job.error == runner.UNEXPECTED_ERROR
    assert "Festplatte" not in job.error and "Traceback" not in job.error
    assert "Festplatte explodiert" in caplog.text and "'b'" in caplog.text
    assert flaky.calls == {"a": 1, "b": 1}
    assert _steps(job) == {"a"}
    # The failed step's database work was rolled back with it.
    assert _events(tenant, "test.step.a") == 1 and _events(tenant, "test.step.b") == 0
    assert _events(tenant, "jobs.job.failed") == 1

    flaky.fail_at = None
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_job(actor=admin_user, job=job)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and job.error == "" and job.attempts == 2
    assert flaky.calls == {"a": 1, "b": 2, "c": 1}  # a was skipped
    for key in "abc":
        assert _events(tenant, f"test.step.{key}") == 1
    assert _events(tenant, "jobs.job.retry") == 1


def test_only_failed_jobs_can_be_retried(
    tenant: Mandant, admin_user: User, flaky: Flaky, django_capture_on_commit_callbacks
) -> None:
    job = _start(tenant, admin_user, django_capture_on_commit_callbacks)
    with pytest.raises(services.JobRefused, match="Nur fehlgeschlagene"):
        services.retry_job(actor=admin_user, job=job)


def test_unknown_kind_is_refused(tenant: Mandant, admin_user: User) -> None:
    with pytest.raises(services.JobRefused, match="gibt es nicht"):
        services.start_job(actor=admin_user, tenant=tenant, kind="gibts.nicht", title="x")


def test_step_completed_by_a_concurrent_run_is_skipped(
    tenant: Mandant, admin_user: User, flaky: Flaky
) -> None:
    job = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="t")
    run = runner.JobRun(job)
    # Another run of the same job finishes step "a" after this run loaded its steps.
    JobStep.objects.create(tenant=tenant, job=job, key="a", result={"by": "andere"})
    calls: list[bool] = []

    def work(atomic: bool) -> dict[str, str]:
        calls.append(atomic)
        return {"by": "diese"}

    assert run.step("a", lambda: work(True)) == {"by": "andere"}
    run._done.pop("a")
    assert run.step("a", lambda: work(False), atomic=False) == {"by": "andere"}
    # The atomic step claims its row before working, so it never started the work; the
    # non-atomic one (read-only work by contract) ran it but recorded nothing.
    assert calls == [False]
    assert JobStep.objects.for_tenant(tenant).filter(job=job).count() == 1


def test_unknown_kind_at_run_time_fails_in_german(
    tenant: Mandant, admin_user: User, flaky: Flaky
) -> None:
    job = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="t")
    Job.objects.for_tenant(tenant).filter(pk=job.pk).update(kind="entfernt.alt")
    assert runner.execute(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED and "„entfernt.alt“ ist unbekannt" in job.error


def test_job_that_is_not_waiting_is_not_run_twice(
    tenant: Mandant, admin_user: User, flaky: Flaky, django_capture_on_commit_callbacks
) -> None:
    job = _start(tenant, admin_user, django_capture_on_commit_callbacks)
    assert runner.execute(job.pk) == "skipped"
    assert flaky.calls == {"a": 1, "b": 1, "c": 1}


def _kill_mid_way(job: Job, *, done: str, minutes_ago: int) -> None:
    """What a worker killed during step b leaves behind: step a done, job running, and a
    heartbeat that stopped ``minutes_ago``."""
    JobStep.objects.create(tenant_id=job.tenant_id, job=job, key=done, result={"key": done})
    Job.objects.for_tenant(job.tenant_id).filter(pk=job.pk).update(
        status=Job.Status.RUNNING,
        attempts=1,
        heartbeat_at=timezone.now() - timedelta(minutes=minutes_ago),
    )


def test_stale_running_job_is_recovered_and_continues(
    tenant: Mandant, admin_user: User, flaky: Flaky, django_capture_on_commit_callbacks
) -> None:
    stale = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="alt")
    alive = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="lebt")
    _kill_mid_way(stale, done="a", minutes_ago=10)
    _kill_mid_way(alive, done="a", minutes_ago=0)
    with django_capture_on_commit_callbacks(execute=True):
        heartbeat.Heartbeat("test-worker", 5).tick()  # the worker's periodic beat recovers
    stale.refresh_from_db()
    alive.refresh_from_db()
    assert stale.status == Job.Status.DONE and stale.attempts == 2
    assert alive.status == Job.Status.RUNNING  # its worker is still beating
    assert flaky.calls == {"b": 1, "c": 1}  # a was done before the crash
    assert _events(tenant, "jobs.job.recovered") == 1
    assert WorkerHeartbeat.objects.filter(worker_id="test-worker").exists()
    assert services.recover_stale_jobs() == []  # nothing left on the next pass


def test_a_worker_restarted_under_its_id_takes_over_its_jobs_at_once(
    tenant: Mandant,
    admin_user: User,
    flaky: Flaky,
    settings: Any,
    django_capture_on_commit_callbacks,
) -> None:
    """serve restarts its killed worker under the same id: the job it ran continues at
    once, not after the stale limit; a job of another, living worker is left alone."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        mine = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="meins")
        other = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="fremd")
    for job, worker_id in ((mine, "host-serve-1"), (other, "host-serve-2")):
        job.refresh_from_db()
        DBTaskResult.objects.filter(id=job.task_id).update(
            status="RUNNING", worker_ids=["host-x", worker_id]
        )
        _kill_mid_way(job, done="a", minutes_ago=0)  # its heartbeat is fresh: not stale
    with django_capture_on_commit_callbacks(execute=True):
        assert services.recover_stale_jobs() == []
        assert services.take_over_jobs_of(worker_id="host-serve-1") == [mine.pk]
        assert services.take_over_jobs_of(worker_id="host-serve-1") == []  # once
    mine.refresh_from_db()
    other.refresh_from_db()
    assert mine.status == Job.Status.WAITING and mine.task_id  # queued again
    assert other.status == Job.Status.RUNNING
    assert _events(tenant, "jobs.job.recovered") == 1


def test_recovery_takes_each_job_once(
    tenant: Mandant, admin_user: User, flaky: Flaky, django_capture_on_commit_callbacks
) -> None:
    job = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="alt")
    _kill_mid_way(job, done="a", minutes_ago=10)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        first = services.recover_stale_jobs()
        second = services.recover_stale_jobs()
    assert first == [job.pk] and second == [] and len(callbacks) == 1


def test_shutdown_pauses_between_steps_and_the_next_worker_continues(
    tenant: Mandant, admin_user: User, flaky: Flaky, django_capture_on_commit_callbacks
) -> None:
    job = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="t")
    flaky.stop_after = "a"  # SIGTERM arrives while step a runs
    assert runner.execute(job.pk) == "interrupted"
    job.refresh_from_db()
    assert job.status == Job.Status.WAITING and job.task_id == ""
    assert job.message == runner.PAUSED_MESSAGE
    runner.clear_stop()
    flaky.stop_after = None
    with django_capture_on_commit_callbacks(execute=True):
        services.recover_stale_jobs(now=timezone.now() + timedelta(seconds=30))
    job.refresh_from_db()
    assert job.status == Job.Status.DONE
    assert flaky.calls == {"a": 1, "b": 1, "c": 1}


def test_heartbeat_keeps_running_jobs_fresh(
    tenant: Mandant, admin_user: User, flaky: Flaky
) -> None:
    job = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="t")
    _kill_mid_way(job, done="a", minutes_ago=10)
    with runner._tracking(job.pk):
        heartbeat.beat("w1")
    job.refresh_from_db()
    assert job.heartbeat_at is not None
    assert timezone.now() - job.heartbeat_at < timedelta(seconds=5)
    heartbeat.forget("w1")
    assert not WorkerHeartbeat.objects.filter(worker_id="w1").exists()
