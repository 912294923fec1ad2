"""The worker's heartbeat thread: says the worker is alive, keeps its running jobs fresh,
periodically queues again the jobs of workers that died, and anchors the audit chains'
heads (``koffer.audit.anchors``) every ``KOFFER_AUDIT_ANCHOR_INTERVAL`` seconds, starting
at once: a fresh installation needs no cron job to be protected against a cut-off tail.
It also runs the apps' periodic work (``koffer.jobs.periodic``), such as the drop folders."""

from __future__ import annotations

import logging
import os
import socket
import threading
from datetime import datetime, timedelta

from django.conf import settings
from django.db import close_old_connections, connection
from django.utils import timezone

from koffer.audit import anchors
from koffer.jobs import anhalten, periodic, runner, services
from koffer.jobs.models import Job, WorkerHeartbeat

logger = logging.getLogger("koffer.jobs")

FORGET_AFTER = timedelta(days=1)  # rows of workers gone for longer are removed


def beat(worker_id: str) -> None:
    """One heartbeat: this worker's row, and ``heartbeat_at`` of the jobs it runs."""
    now = timezone.now()
    WorkerHeartbeat.objects.update_or_create(
        worker_id=worker_id,
        defaults={"beat_at": now, "hostname": socket.gethostname()[:255], "pid": os.getpid()},
        create_defaults={
            "beat_at": now,
            "started_at": now,
            "hostname": socket.gethostname()[:255],
            "pid": os.getpid(),
        },
    )
    active = runner.active_jobs()
    if active:
        # Deliberately across Mandanten: the jobs this process runs, whoever they belong to.
        Job.objects.unscoped().filter(pk__in=active, status=Job.Status.RUNNING).update(
            heartbeat_at=now
        )
    WorkerHeartbeat.objects.filter(beat_at__lt=now - FORGET_AFTER).delete()


def forget(worker_id: str) -> None:
    WorkerHeartbeat.objects.filter(worker_id=worker_id).delete()


class Heartbeat(threading.Thread):
    """Beats every ``interval`` seconds and runs the stale-job recovery after each beat."""

    def __init__(self, worker_id: str, interval: float) -> None:
        super().__init__(name=f"heartbeat-{worker_id}", daemon=True)
        self.worker_id = worker_id
        self.interval = interval
        self._stopped = threading.Event()
        self._anchor_due: datetime | None = None  # None: at the first tick
        self._schedule = periodic.Schedule()

    def run(self) -> None:
        try:
            while not self._stopped.is_set():
                close_old_connections()  # this thread's own connection, like per request
                self.tick()
                self._stopped.wait(self.interval)
        finally:
            connection.close()

    def tick(self) -> None:
        if anhalten.grund():  # the worker ends: nothing more is written
            self._stopped.set()
            return
        try:
            beat(self.worker_id)
            recovered = services.recover_stale_jobs()
            if recovered:
                logger.warning("%d Auftrag/Aufträge wieder eingereiht", len(recovered))
        except Exception:  # a busy or briefly unreachable database must not kill the thread
            logger.exception("Heartbeat fehlgeschlagen")
        self.anchor_if_due()
        self._schedule.run_due()

    def anchor_if_due(self) -> None:
        """Anchor the heads that moved, at most every KOFFER_AUDIT_ANCHOR_INTERVAL seconds.
        Every worker does this; a head already anchored by another is not written again."""
        now = timezone.now()
        if self._anchor_due is not None and now < self._anchor_due:
            return
        # Set before trying, so a failing anchor folder is reported once per interval.
        self._anchor_due = now + timedelta(seconds=settings.KOFFER_AUDIT_ANCHOR_INTERVAL)
        try:
            written = anchors.anchor_moved_heads()
        except Exception:
            logger.exception("Audit-Anker konnten nicht geschrieben werden")
            return
        if written:
            logger.info("%d Audit-Anker geschrieben", len(written))

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=self.interval + 30)
