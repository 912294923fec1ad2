"""``manage.py koffer_koppeln``: pair this Koffer with the office once, with the code the
office showed the field worker; the token it gets back is kept in the var folder (0600)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.field.unterwegs import ablauf


class Command(BaseCommand):
    help = (
        "Koppelt diesen Koffer mit dem Büro: mit dem Kopplungscode, den das Büro angezeigt"
        " hat. Der Zugang wird im var-Ordner gespeichert (nur für diesen Benutzer lesbar)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--buero", default="", help="Adresse des Büros, z. B. https://…")
        parser.add_argument("--code", required=True, help="Kopplungscode aus dem Büro")
        parser.add_argument("--token-datei", default="", help="wohin der Zugang geschrieben wird")

    def handle(self, *args: Any, **options: Any) -> None:
        if fehler := ablauf.nur_im_koffer("koffer_koppeln"):
            raise CommandError(fehler)
        url = (options["buero"] or settings.KOFFER_BUERO_URL).rstrip("/")
        if not url:
            raise CommandError("Bitte die Adresse des Büros nennen: --buero URL.")
        # The Koffer's own database is ready before the first package arrives.
        call_command("migrate", verbosity=0, interactive=False)
        datei = Path(options["token_datei"]) if options["token_datei"] else None
        try:
            pfad = ablauf.koppeln(url=url, code=options["code"], datei=datei)
        except ablauf.Fehlgeschlagen as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(f"Koffer gekoppelt mit {url}; Zugang gespeichert in {pfad}.")
