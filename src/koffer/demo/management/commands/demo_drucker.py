"""``manage.py demo_drucker``: the demo's printer „Drucker Bürgerbüro (Demo)“, a real IPP
printer (ippeveprinter) on port 8631 that keeps every printed PDF in the var folder
(``demo-drucker/``). ``make run`` starts it in demo mode where cups-ipp-utils is
installed; it runs until it is told to stop and stops its own children."""

from __future__ import annotations

import signal
import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from koffer.demo.briefe import DRUCKER, DRUCKER_PORT
from koffer.outbox.lokaldruck import virtuell


class Command(BaseCommand):
    help = "Startet den Demo-Drucker (IPP) für den lokalen Druck."

    def handle(self, *args: Any, **options: Any) -> None:
        missing = virtuell.missing()
        if missing:
            raise CommandError(f"Demo-Drucker nicht verfügbar: {', '.join(missing)} fehlt.")
        printer = virtuell.VirtuellerDrucker(
            Path(settings.VAR_DIR) / "demo-drucker", name=DRUCKER, port=DRUCKER_PORT
        )
        stopping = False

        def stop(signum: int, frame: Any) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        printer.start()
        self.stdout.write(f"{DRUCKER} druckt unter {printer.uri}")
        self.stdout.flush()
        try:
            while not stopping and all(p.poll() is None for p in printer.processes):
                time.sleep(0.5)
        finally:
            printer.stop()
