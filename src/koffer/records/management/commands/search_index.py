"""``manage.py search_index``: state of the full-text index, and repairs.

manage.py search_index                 how many documents are indexed with their current version
manage.py search_index --rebuild       index every document again (all Mandanten or --mandant)
manage.py search_index --optimize      merge the SQLite FTS5 segments (after large imports)
"""

from __future__ import annotations

import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connection

from koffer.records.suche import services as search
from koffer.tenancy.models import Mandant


class Command(BaseCommand):
    help = "Zustand der Volltextsuche anzeigen, neu aufbauen oder verdichten."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--mandant", help="Kurzname (slug) des Mandanten; sonst alle")
        parser.add_argument("--rebuild", action="store_true", help="alle Dokumente neu indexieren")
        parser.add_argument(
            "--optimize", action="store_true", help="FTS5-Segmente zusammenführen (SQLite)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant_id = None
        if options["mandant"]:
            tenant = Mandant.objects.filter(slug=options["mandant"]).first()
            if tenant is None:
                raise CommandError(f"Einen Mandanten „{options['mandant']}“ gibt es nicht.")
            tenant_id = tenant.pk
        if options["rebuild"]:
            started = time.monotonic()
            search.clear(tenant_id)
            count = search.reindex(tenant_id)
            self.stdout.write(f"{count} Dokumente indexiert in {time.monotonic() - started:.1f} s.")
        if options["optimize"]:
            if connection.vendor != "sqlite":
                self.stdout.write("Nur für SQLite nötig; PostgreSQL pflegt seinen Index selbst.")
            else:
                with connection.cursor() as cursor:
                    cursor.execute(
                        "INSERT INTO records_search_fts(records_search_fts) VALUES ('optimize')"
                    )
                self.stdout.write("FTS5-Index verdichtet.")
        status = search.index_status(tenant_id)
        missing = status["documents"] - status["indexed"]
        self.stdout.write(
            f"{status['indexed']} von {status['documents']} Dokumenten mit aktueller Version im Index"
            + (f"; {missing} fehlen oder sind veraltet (--rebuild)." if missing else ".")
        )
