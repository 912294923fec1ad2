"""``manage.py blobs_verify``: re-hash every stored document and name the corrupt ones."""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.blobs.store import InvalidBlobName, check_prefix, get_store
from koffer.blobs.verification import verify_store

REPORT_EVERY_SECONDS = 5.0


class Command(BaseCommand):
    help = (
        "Prüft den Dokumentenspeicher: berechnet den SHA-256 jedes Dokuments neu und nennt "
        "beschädigte. Endet mit Fehlercode 1, wenn eines beschädigt ist."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--prefix", default="", help="nur Dokumente, deren Hash so beginnt (z. B. ab)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            prefix = check_prefix(options["prefix"].lower())
        except InvalidBlobName as exc:
            raise CommandError(str(exc)) from exc
        last = time.monotonic()

        def progress(done: int, total: int) -> None:
            nonlocal last
            if options["verbosity"] >= 1 and time.monotonic() - last >= REPORT_EVERY_SECONDS:
                last = time.monotonic()
                self.stdout.write(f"{done} von {total} Dokumenten geprüft …")

        report = verify_store(get_store(), prefix=prefix, progress=progress)
        if report.ok:
            self.stdout.write(
                self.style.SUCCESS(f"Alle {report.checked} Dokumente sind unversehrt.")
            )
            return
        for sha256 in report.corrupt:
            self.stderr.write(f"beschädigt: {sha256}")
        raise CommandError(
            f"{len(report.corrupt)} von {report.checked} Dokumenten sind beschädigt."
        )
