"""`make run`: migrate, load the demo district on first start, then serve with granian and
run one background worker; Ctrl-C stops both cleanly."""

from __future__ import annotations

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
                "--no-ws",
                "--log-level",
                "warning",
                "koffer.wsgi:application",
            ],
            env=env,
        )
        worker = subprocess.Popen([sys.executable, MANAGE, "worker"], env=env)  # noqa: S603
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
        for child in children:
            if child.poll() is None:
                child.send_signal(signal.SIGINT)
        deadline = time.monotonic() + 10
        for child in children:
            try:
                child.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                child.kill()
        self.stdout.write("koffer beendet.")
