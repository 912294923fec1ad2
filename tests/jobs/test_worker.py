"""The real ``manage.py worker`` as a subprocess: it runs a queued job, picks up a job
whose worker was killed mid-way, beats, and stops cleanly on SIGTERM.

On SQLite the test database (in memory) is copied into a file under a temporary
KOFFER_VAR_DIR; on PostgreSQL the worker connects to the test database itself."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.utils import timezone

from koffer.jobs import kinds, runner, services
from koffer.jobs.management.commands.worker import JobWorker
from koffer.jobs.models import Job, JobStep
from tests import factories
from tests.subprocesses import reaped

MANAGE = str(Path(django_settings.PROJECT_DIR) / "manage.py")
Query = Callable[[str], list[tuple[Any, ...]]]


def _wait_for(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.1)
    return False


def _worker_database(tmp_path: Path, env: dict[str, str]) -> Query:
    """Point the worker at the test data; return how the test reads what it wrote."""
    if connection.vendor == "postgresql":
        test_db = connection.settings_dict
        # the run's engine: on the Citus cluster the worker shapes its queries for Citus too
        scheme = "citus" if test_db["ENGINE"] == "koffer.tenancy.citus" else "postgres"
        env["KOFFER_DATABASE_URL"] = (
            f"{scheme}://{test_db['USER']}@{test_db['HOST']}:{test_db['PORT']}/{test_db['NAME']}"
        )

        def query_pg(sql: str) -> list[tuple[Any, ...]]:
            with connection.cursor() as cursor:
                cursor.execute(sql)
                return list(cursor.fetchall())

        return query_pg
    connection.ensure_connection()
    db = tmp_path / "koffer.sqlite3"
    target = sqlite3.connect(db)
    connection.connection.backup(target)
    target.close()

    def query_sqlite(sql: str) -> list[tuple[Any, ...]]:
        with sqlite3.connect(db, timeout=5) as conn:
            return conn.execute(sql).fetchall()

    return query_sqlite


@pytest.mark.real_clock  # the worker process runs on the real clock
def test_worker_process_runs_jobs_recovers_and_stops_cleanly(
    transactional_db: None, tmp_path: Path, settings: Any
) -> None:
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    tenant = factories.mandant()
    services.start_job(actor=None, tenant=tenant, kind=kinds.AUDIT_CHAIN, title="neu")
    # A job whose worker was killed during its second step ten minutes ago.
    orphan = services.start_job(actor=None, tenant=tenant, kind=kinds.BLOB_STORE, title="alt")
    JobStep.objects.create(
        tenant=tenant, job=orphan, key="blobs-00", result={"checked": 0, "corrupt": []}
    )
    Job.objects.for_tenant(tenant).filter(pk=orphan.pk).update(
        status=Job.Status.RUNNING, attempts=1, heartbeat_at=timezone.now() - timedelta(minutes=10)
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if k not in {"KOFFER_DATABASE_URL", "KOFFER_TASK_BACKEND", "KOFFER_BLOB_DIR"}
    }
    env.update(
        DJANGO_SETTINGS_MODULE="koffer.settings",
        KOFFER_VAR_DIR=str(tmp_path),
        # Like every process that writes to this database: the same audit keys.
        KOFFER_AUDIT_KEY_DIR=str(django_settings.KOFFER_AUDIT_KEY_DIR),
        PYTHONPATH=os.pathsep.join(["src", "."]),
    )
    query = _worker_database(tmp_path, env)

    worker = subprocess.Popen(
        [sys.executable, MANAGE, "worker", "--interval", "0.1"],
        cwd=django_settings.PROJECT_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    with reaped(worker):
        # Generous limits for a busy CI machine; the waits end as soon as the check holds.
        finished = _wait_for(
            lambda: query("SELECT status FROM jobs_job") == [("done",), ("done",)], 30
        )
        beats = query("SELECT worker_id FROM jobs_workerheartbeat")
        worker.send_signal(signal.SIGTERM)
        output, _ = worker.communicate(timeout=20)
    assert finished, output
    assert len(beats) == 1
    assert worker.returncode == 0, output
    assert "SIGTERM erhalten: Worker endet nach dem laufenden Schritt." in output
    assert "Worker beendet." in output
    rows = {title: message for title, message in query("SELECT title, message FROM jobs_job")}
    assert rows["neu"].startswith("Audit-Kette in Ordnung")
    assert rows["alt"] == "Dokumentenspeicher in Ordnung: 0 Dokumente geprüft."
    assert query("SELECT attempts FROM jobs_job WHERE title = 'alt'") == [(2,)]
    # The step done before the crash was not repeated: still one row, from before.
    assert query("SELECT COUNT(*) FROM jobs_jobstep WHERE key = 'blobs-00'") == [(1,)]
    assert query("SELECT COUNT(*) FROM jobs_workerheartbeat") == [(0,)]


def test_first_signal_only_ends_the_loop_and_a_second_one_exits_at_once() -> None:
    # A SystemExit raised by the signal handler can interrupt a database command (as it
    # did once in CI: "another command is already in progress"), so the first signal
    # must only clear the flag the loop checks between queries.
    worker = JobWorker.on_default_backend(queue_names=["default"], interval=0.1, worker_id="test")
    runner.clear_stop()
    try:
        worker.shutdown(signal.SIGTERM, None)
        assert worker.running is False
        assert runner.stop_requested()
        worker.configure_signals()
        try:
            with pytest.raises(SystemExit) as exited:
                worker.shutdown(signal.SIGTERM, None)
        finally:
            worker.reset_signals()
        assert exited.value.code == 1
    finally:
        runner.clear_stop()
