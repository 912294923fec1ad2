"""Take in complete batches from the drop folders (``KOFFER_INBOX_DIR``): once, or every
few seconds until stopped. The rule for a complete batch is in ``inbox.lieferung.ordner``."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from koffer.inbox.lieferung import ordner


class Command(BaseCommand):
    help = "Nimmt fertige Scan-Stapel aus den Übergabeordnern der Dienstleister an."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Nur einen Durchgang.")
        parser.add_argument(
            "--interval", type=float, default=10.0, help="Sekunden zwischen zwei Durchgängen."
        )
        parser.add_argument("--dir", default="", help="Übergabeordner (sonst KOFFER_INBOX_DIR).")

    def handle(self, *args: Any, **options: Any) -> None:
        base = Path(options["dir"]) if options["dir"] else None
        while True:
            for result in ordner.pick_up(base):
                if result.stapel is None:
                    self.stderr.write(f"{result.folder}: abgelehnt: {result.reason}")
                else:
                    state = "angenommen" if result.created else "schon angenommen"
                    self.stdout.write(f"{result.folder}: {state} (Stapel {result.stapel.pk})")
            if options["once"]:
                return
            time.sleep(options["interval"])
