"""``manage.py tresor_loeschen --ja``: wipe this Koffer's local data."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer import tresor
from koffer.tresor import schluessel


class Command(BaseCommand):
    help = (
        "Löscht die Daten dieses Koffers: zuerst den Schlüssel (danach ist alles "
        "unlesbar), dann Datenbank und Dokumente. Nicht rückgängig zu machen."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--ja", action="store_true", help="ja, wirklich löschen")

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["ja"]:
            raise CommandError("Zum Löschen bitte „--ja“ angeben.")
        try:
            bericht = tresor.loeschen()
        except schluessel.TresorFehler as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(f"Der Koffer ist gelöscht ({len(bericht.entfernt)} Einträge).")
        )
