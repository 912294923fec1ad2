"""``manage.py records_blob_gc``: remove document blobs whose upload never committed.

manage.py records_blob_gc                  uploads older than 24 hours (the default grace)
manage.py records_blob_gc --stunden 2      a shorter grace period

Only blobs announced by a document upload are considered (see records/blob_ledger.py);
a blob is removed only when no document version or Aktenauszug of any Mandant refers to
it and no younger upload of the same bytes is under way. On S3 the multipart uploads a
crashed process left behind (older than the same grace) are aborted too.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from koffer.blobs.store import get_store
from koffer.records.dokumente import blob_ledger


class Command(BaseCommand):
    help = "Dokument-Blobs entfernen, deren Hochladen nie abgeschlossen wurde."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stunden",
            type=float,
            default=blob_ledger.GRACE.total_seconds() / 3600,
            help="nur Hochladevorgänge, die länger als so viele Stunden zurückliegen (24)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        hours = options["stunden"]
        if hours < 0:
            raise CommandError("--stunden darf nicht negativ sein.")
        report = blob_ledger.collect(older_than=timedelta(hours=hours))
        self.stdout.write(
            f"{len(report.removed)} verwaiste Blobs entfernt, "
            f"{len(report.kept)} behalten (noch verwendet oder nicht von hier)."
        )
        abort_stale = getattr(get_store(), "abort_stale_uploads", None)
        if abort_stale is not None:
            aborted = abort_stale(timedelta(hours=hours), now=timezone.now())
            self.stdout.write(f"{aborted} liegen gebliebene Teil-Uploads abgebrochen.")
