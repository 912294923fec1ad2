"""``manage.py tresor_einrichten``: make the Koffer's device key, wrapped by a secret."""

from __future__ import annotations

import getpass
import os
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from koffer.tresor import schluessel


def neues_kennwort(datei_env: str) -> str:
    """A new secret: from the file named in ``datei_env`` (automation) or typed twice."""
    if pfad := os.environ.get(datei_env, ""):
        return schluessel.kennwort_aus_datei(pfad)
    erstes = getpass.getpass("Neues Kennwort für den Koffer: ")
    if getpass.getpass("Kennwort wiederholen: ") != erstes:
        raise schluessel.TresorFehler("Die beiden Kennwörter stimmen nicht überein.")
    return erstes


class Command(BaseCommand):
    help = (
        "Richtet die Verschlüsselung des Koffers ein: ein zufälliger Geräteschlüssel, "
        "gesichert mit Ihrem Kennwort (zweimal abgefragt, oder aus der Datei in "
        "KOFFER_TRESOR_KENNWORT_DATEI)."
    )
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        database = Path(str(settings.DATABASES["default"]["NAME"]))
        if not schluessel.tresor_datei().exists() and database.exists():
            raise CommandError(
                "Hier gibt es schon eine Datenbank, aber keinen Schlüssel des Koffers. Ein"
                " Koffer wird leer eingerichtet: erst „manage.py tresor_loeschen --ja“, dann"
                " einrichten."
            )
        try:
            schluessel.einrichten(neues_kennwort(schluessel.KENNWORT_DATEI_ENV))
        except schluessel.TresorFehler as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            self.style.SUCCESS(
                "Der Koffer ist eingerichtet. Ohne das Kennwort sind seine Daten nicht lesbar:"
                " es lässt sich nicht wiederherstellen."
            )
        )
