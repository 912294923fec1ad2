"""``manage.py worker``: the background worker for jobs.

It runs django-tasks' database worker and beside it a heartbeat thread, which records
that the worker is alive, keeps the ``heartbeat_at`` of its running jobs fresh and
queues again the jobs of workers that died mid-way. SIGINT/SIGTERM stop it cleanly: a
running job pauses at its next step and is continued by the next worker.

A reason registered in ``koffer.jobs.anhalten`` (a Koffer whose data was erased) ends it
for good: before it starts, or at its next look for a job, without another write; its
exit code ``supervision.ENDGUELTIG`` tells ``serve`` not to start it again.
"""

from __future__ import annotations

import logging
import os
import signal
import socket
from types import FrameType
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.crypto import get_random_string
from django_tasks import DEFAULT_TASK_BACKEND_ALIAS, task_backends
from django_tasks_db.backend import DatabaseBackend
from django_tasks_db.management.commands.db_worker import Worker

from koffer.audit import geheimnisse, schluesselabgleich
from koffer.blobs.store import get_store
from koffer.jobs import anhalten, heartbeat, runner, services
from koffer.shell.supervision import ENDGUELTIG

logger = logging.getLogger("koffer.jobs")


class JobWorker(Worker):
    """The database worker, which also asks a running job to pause when told to stop.

    The first signal only ends the loop: the worker finishes the query or job step it is
    in and stops before the next one (at most ``--interval`` seconds later when idle).
    django-tasks' own handler raises ``SystemExit`` right away when no task runs, which
    can land in the middle of a database command and leave the connection broken. A
    second signal still stops at once.

    ``running`` also turns false, for good, once ``anhalten`` names a reason: the loop
    asks it before every look for a job.
    """

    halted: str | None = None

    @property
    def running(self) -> bool:
        if self._running and self.halted is None:
            self.halted = anhalten.grund()
        return self._running and self.halted is None

    @running.setter
    def running(self, value: bool) -> None:
        self._running = value

    @classmethod
    def on_default_backend(
        cls,
        *,
        queue_names: list[str],
        interval: float,
        worker_id: str,
        batch: bool = False,
        max_tasks: int | None = None,
    ) -> JobWorker:
        """A worker of the default task backend that starts at once."""
        return cls(
            queue_names=queue_names,
            interval=interval,
            batch=batch,
            backend_name=DEFAULT_TASK_BACKEND_ALIAS,
            startup_delay=False,
            max_tasks=max_tasks,
            worker_id=worker_id,
            excluded_queue_names=[],
        )

    def shutdown(self, signum: int, frame: FrameType | None) -> None:
        runner.request_stop()
        if not self.running:
            super().shutdown(signum, frame)  # second signal: exit now
            return
        logger.warning(
            "%s erhalten: Worker endet nach dem laufenden Schritt.", signal.Signals(signum).name
        )
        self.running = False


def default_worker_id() -> str:
    return f"{socket.gethostname()[:40]}-{os.getpid()}-{get_random_string(8)}"[:64]


class Command(BaseCommand):
    help = (
        "Startet den Hintergrund-Worker: führt Aufträge aus, meldet sich regelmäßig "
        "(Heartbeat) und nimmt Aufträge abgestürzter Worker wieder auf."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Sekunden Pause, wenn die Warteschlange leer ist (Standard: 1)",
        )
        parser.add_argument(
            "--queue-name", default="default", help="Warteschlange(n), kommagetrennt"
        )
        parser.add_argument(
            "--batch", action="store_true", help="alle wartenden Aufträge ausführen, dann enden"
        )
        parser.add_argument("--max-tasks", type=int, default=None, help="nach so vielen enden")
        parser.add_argument(
            "--worker-id",
            default=None,
            help="eindeutige Kennung (max. 64 Zeichen); ein Worker mit der Kennung eines"
            " beendeten übernimmt sofort dessen laufende Aufträge",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        backend = task_backends[DEFAULT_TASK_BACKEND_ALIAS]
        if not isinstance(backend, DatabaseBackend):
            raise CommandError(
                "Der Worker braucht das Datenbank-Backend von django-tasks "
                "(TASKS['default']['BACKEND'] = 'django_tasks_db.DatabaseBackend')."
            )
        if options["interval"] < 0:
            raise CommandError("--interval darf nicht negativ sein.")
        if options["max_tasks"] is not None and options["max_tasks"] < 1:
            raise CommandError("--max-tasks muss mindestens 1 sein.")
        worker_id = (options["worker_id"] or default_worker_id())[:64]
        if grund := anhalten.grund():  # before anything opens the database
            self.stdout.write(f"Worker startet nicht: {grund}")
            raise SystemExit(ENDGUELTIG)
        if options["verbosity"] >= 2:
            logging.getLogger("koffer.jobs").setLevel(logging.INFO)
            logging.getLogger("django_tasks_db").setLevel(logging.INFO)
        try:
            get_store().prepare()
        except OSError as exc:
            logger.error("Dokumentenspeicher kann nicht vorbereitet werden: %s", exc)

        # A worker with other secrets than the other machines' would seal audit events
        # they cannot check and sign what they refuse: it does not start.
        if abweichungen := schluesselabgleich.abweichungen():
            raise CommandError(
                " ".join(
                    [
                        "Worker startet nicht: dieser Rechner passt nicht zu den anderen:",
                        *abweichungen,
                    ]
                )
            )
        geheimnisse.uebernehmen()
        runner.clear_stop()
        recovered = []
        if options["worker_id"]:
            # A given id may be that of a worker that died (serve restarts its worker
            # under one id): its running jobs continue now, not after the stale limit.
            recovered = services.take_over_jobs_of(worker_id=worker_id)
        heartbeat.beat(worker_id)
        recovered += services.recover_stale_jobs()
        if recovered:
            self.stdout.write(
                f"{len(recovered)} abgebrochene(r) Auftrag/Aufträge wieder eingereiht."
            )
        pulse = heartbeat.Heartbeat(worker_id, float(settings.KOFFER_WORKER_HEARTBEAT_SECONDS))
        pulse.start()
        self.stdout.write(
            f"Worker {worker_id} läuft (Lebenszeichen alle "
            f"{settings.KOFFER_WORKER_HEARTBEAT_SECONDS} s). Beenden mit Strg-C."
        )
        self.stdout.flush()
        worker = JobWorker.on_default_backend(
            queue_names=options["queue_name"].split(","),
            interval=options["interval"],
            batch=options["batch"],
            max_tasks=options["max_tasks"],
            worker_id=worker_id,
        )
        worker.configure_signals()
        exit_code: int | str | None = 0
        try:
            worker.run()
        except SystemExit as exc:  # a second signal ends the worker at once this way
            exit_code = exc.code
        finally:
            worker.reset_signals()
            pulse.stop()
            if worker.halted is None:
                heartbeat.forget(worker_id)
        if worker.halted is not None:
            self.stdout.write(f"Worker endgültig beendet: {worker.halted}")
            self.stdout.flush()
            raise SystemExit(ENDGUELTIG)
        self.stdout.write("Worker beendet.")
        if exit_code:
            raise SystemExit(exit_code)
