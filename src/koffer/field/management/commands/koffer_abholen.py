"""``manage.py koffer_abholen``: the Koffer pulls its checkout package from the office."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser

from koffer.field.paket.abholung import Buero
from koffer.field.unterwegs import ablauf
from koffer.field.unterwegs.befehl import KofferBefehl


class Command(KofferBefehl):
    name = "koffer_abholen"
    help = (
        "Holt das Paket dieses Koffers aus dem Büro: die ausgeliehenen Akten mit Dokumenten,"
        " den Formularkatalog und die Vorlagen. Nur im Koffer-Modus (KOFFER_MODE=koffer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--max-rate",
            type=float,
            default=0.0,
            help="höchstens so viele MB/s laden (0: ohne Grenze), etwa über Mobilfunk",
        )

    def ausfuehren(
        self, buero: Buero, datei: Path | None, options: dict[str, Any]
    ) -> ablauf.Bericht:
        return ablauf.abholen(
            buero=buero,
            melden=self.stdout.write,
            max_rate=options["max_rate"] * 1_000_000,
            datei=datei,
        )
