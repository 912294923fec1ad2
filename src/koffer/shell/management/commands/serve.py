"""`make run`: migrate, load the demo district on first start, then serve with granian and
run one background worker; Ctrl-C stops both cleanly."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

MANAGE = str(Path(settings.PROJECT_DIR) / "manage.py")


class Command(BaseCommand):
    help = "Startet koffer: Webserver (granian) und Hintergrund-Worker."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--host", default=os.environ.get("KOFFER_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KOFFER_PORT", "8000")))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("KOFFER_WEB_WORKERS", "2"))
        )
        parser.add_argument("--no-demo", action="store_true", help="keinen Demo-Landkreis laden")

    def handle(self, *args: Any, **options: Any) -> None:
        call_command("migrate", verbosity=0, interactive=False)
        if settings.DEMO_MODE and not options["no_demo"]:
            call_command("load_demo")
        env = {
            **os.environ,
            "PYTHONPATH": os.pathsep.join(
                [str(settings.BASE_DIR.parent), os.environ.get("PYTHONPATH", "")]
            ),
            # glibc gives each thread that allocates a lot its own arena and rarely hands
            # it back: a web worker's peak RSS while rendering page images 264 -> 225 MB
            # with two arenas (make bench ONLY=records_web_memory).
            "MALLOC_ARENA_MAX": os.environ.get("MALLOC_ARENA_MAX", "2"),
        }
        web = subprocess.Popen(  # noqa: S603
            [
                sys.executable,
                "-m",
                "granian",
                "--interface",
                "wsgi",
                "--host",
                options["host"],
                "--port",
                str(options["port"]),
                "--workers",
                str(options["workers"]),
                "--blocking-threads",
                str(settings.KOFFER_WEB_THREADS),
                "--no-ws",
                "--log-level",
                "warning",
                "koffer.wsgi:application",
            ],
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        worker = subprocess.Popen(  # noqa: S603
            [sys.executable, MANAGE, "worker"],
            env=env,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        self.stdout.write(
            self.style.SUCCESS(
                f"koffer läuft auf http://{options['host']}:{options['port']}  (Beenden mit Strg-C)"
            )
        )
        self._wait([web, worker])

    def _wait(self, children: list[subprocess.Popen[bytes]]) -> None:
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)
        while not stopping and all(c.poll() is None for c in children):
            time.sleep(0.3)
        # Each child runs in its own process group, so the terminal's Ctrl-C reaches only
        # us; every child then gets exactly one SIGTERM (a second signal would make granian
        # abandon its worker processes), and its whole group is killed if it hangs.
        for child in children:
            if child.poll() is None:
                child.terminate()
        deadline = time.monotonic() + 15
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                _kill_group(child)
            _kill_group(child)  # granian's worker processes, should any be left
        self.stdout.write("koffer beendet.")


def _kill_group(child: subprocess.Popen[bytes]) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(child.pid, signal.SIGKILL)


def _die_with_parent() -> None:
    """Linux: the child gets SIGTERM when ``serve`` dies, even by SIGKILL."""
    try:
        import ctypes

        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except OSError:
        pass
