"""What ``koffer_abholen`` and ``koffer_abgleichen`` share: the options naming the office
and the pairing's file, the mode guard, and German errors as CommandError."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.field.paket.abholung import Buero
from koffer.field.unterwegs import ablauf


class KofferBefehl(BaseCommand):
    """A command of the Koffer that talks to the office: subclasses implement
    :meth:`ausfuehren` and get the office, the pairing's file and the options."""

    name = ""

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--buero", default="", help="Adresse des Büros (sonst aus der Kopplung)"
        )
        parser.add_argument(
            "--token-datei", default="", help="Datei mit dem Zugang aus koffer_koppeln"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if fehler := ablauf.nur_im_koffer(self.name):
            raise CommandError(fehler)
        datei = Path(options["token_datei"]) if options["token_datei"] else None
        try:
            buero = ablauf.zugang(url=options["buero"], datei=datei)
            bericht = self.ausfuehren(buero, datei, options)
        except ablauf.Fehlgeschlagen as exc:
            raise CommandError(exc.message) from None
        for zeile in bericht.zeilen:
            self.stdout.write(zeile)
        if bericht.abgelehnt:
            for line in bericht.abgelehnt:
                self.stderr.write(line)
            raise CommandError(
                f"{len(bericht.abgelehnt)} Dateien abgelehnt; bitte koffer_abholen wiederholen."
            )

    def ausfuehren(
        self, buero: Buero, datei: Path | None, options: dict[str, Any]
    ) -> ablauf.Bericht:
        raise NotImplementedError
