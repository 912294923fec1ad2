"""``manage.py blobs_migrate``: copy the local document store into S3-compatible storage.

manage.py blobs_migrate                       KOFFER_BLOB_DIR → KOFFER_BLOB_URL
manage.py blobs_migrate --quelle /mnt/alt --ziel s3://bucket/koffer

Resumable (blobs already there with the right checksum are skipped: start it again after
an interruption) and verified (each blob hashed while read, checked by the store on
arrival). Switch ``KOFFER_BLOB_URL`` on for the web and worker processes afterwards, and
run it once more to copy what arrived meanwhile.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.blobs.local import LocalBlobStore
from koffer.blobs.migration import migrate
from koffer.blobs.s3 import S3BlobStore
from koffer.blobs.store import InvalidBlobName, check_prefix, s3_store

REPORT_EVERY_SECONDS = 5.0


class Command(BaseCommand):
    help = (
        "Kopiert den lokalen Dokumentenspeicher in einen S3-kompatiblen Objektspeicher: "
        "fortsetzbar (vorhandene Dokumente mit richtiger Prüfsumme werden übersprungen) "
        "und geprüft. Endet mit Fehlercode 1, wenn ein Dokument beschädigt ist."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--quelle", default="", help="Ordner des lokalen Speichers (KOFFER_BLOB_DIR)"
        )
        parser.add_argument("--ziel", default="", help="s3://bucket/präfix (KOFFER_BLOB_URL)")
        parser.add_argument(
            "--prefix", default="", help="nur Dokumente, deren Hash so beginnt (z. B. ab)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            prefix = check_prefix(options["prefix"].lower())
        except InvalidBlobName as exc:
            raise CommandError(str(exc)) from exc
        source = LocalBlobStore(Path(options["quelle"] or settings.KOFFER_BLOB_DIR))
        if not source.root.is_dir():
            raise CommandError(f"Der Ordner {source.root} des lokalen Speichers fehlt.")
        target = self._target(options["ziel"])
        try:
            target.prepare()
        except OSError as exc:
            raise CommandError(str(exc)) from exc
        verbosity = options["verbosity"]
        started = last = time.monotonic()
        self.stdout.write(f"Kopiere {source.root} nach s3://{target.bucket}/{target.prefix} …")

        def step(done: int, total: int, sha256: str, what: str) -> None:
            nonlocal last
            if verbosity >= 2:
                self.stdout.write(f"{what}: {sha256}", ending="\n")
                self.stdout.flush()
            if what in {"beschädigt", "im Ziel beschädigt"}:
                self.stderr.write(f"{what}: {sha256}")
            if verbosity >= 1 and (time.monotonic() - last >= REPORT_EVERY_SECONDS):
                last = time.monotonic()
                self.stdout.write(f"{done} von {total} Dokumenten ({done * 100 // total} %) …")

        try:
            report = migrate(source, target, prefix=prefix, step=step)
        except OSError as exc:
            raise CommandError(
                f"{exc} Abgebrochen; ein neuer Lauf setzt fort, wo dieser aufgehört hat."
            ) from exc
        seconds = time.monotonic() - started
        summary = (
            f"{report.copied} Dokumente kopiert ({report.copied_bytes / 1e6:.1f} MB), "
            f"{report.present} waren schon vorhanden, von {report.total} "
            f"in {seconds:.1f} s."
        )
        if report.vanished:
            summary += f" {len(report.vanished)} sind inzwischen aus der Quelle verschwunden."
        if report.ok:
            self.stdout.write(self.style.SUCCESS(summary))
            return
        self.stdout.write(summary)
        problems = []
        if report.corrupt:
            problems.append(
                f"{len(report.corrupt)} Dokumente sind in der Quelle beschädigt (nicht kopiert)"
            )
        if report.target_corrupt:
            problems.append(
                f"{len(report.target_corrupt)} Dokumente sind im Ziel beschädigt (dort "
                "entfernen und erneut kopieren)"
            )
        raise CommandError("; ".join(problems) + ".")

    def _target(self, url: str) -> S3BlobStore:
        url = url or settings.KOFFER_BLOB_URL
        if not url:
            raise CommandError(
                "Kein Ziel: --ziel s3://bucket/präfix angeben oder KOFFER_BLOB_URL setzen."
            )
        try:
            store = s3_store(url)
        except ImproperlyConfigured as exc:
            raise CommandError(str(exc)) from exc
        if not isinstance(store, S3BlobStore):
            raise CommandError("Das Ziel muss ein S3-Speicher sein (KOFFER_BLOB_URL=s3://…).")
        return store
