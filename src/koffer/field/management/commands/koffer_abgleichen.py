"""``manage.py koffer_abgleichen``: the Koffer pushes its changes to the office and pulls
again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from koffer.field.paket.abholung import Buero
from koffer.field.unterwegs import ablauf
from koffer.field.unterwegs.befehl import KofferBefehl


class Command(KofferBefehl):
    name = "koffer_abgleichen"
    help = (
        "Gleicht diesen Koffer mit dem Büro ab: geänderte Angaben, neue Vorgänge,"
        " Wiedervorlagen und Dokumente gehen ins Büro, danach wird das Paket neu geholt."
        " Ein unterbrochener Abgleich wird beim nächsten Aufruf genau so wiederholt."
        " Nur im Koffer-Modus (KOFFER_MODE=koffer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--zurueckgeben",
            action="store_true",
            help="die Akten nach dem Abgleich ins Büro zurückgeben",
        )

    def ausfuehren(
        self, buero: Buero, datei: Path | None, options: dict[str, Any]
    ) -> ablauf.Bericht:
        return ablauf.abgleichen(
            buero=buero,
            melden=self.stdout.write,
            zurueckgeben=options["zurueckgeben"],
            datei=datei,
        )
