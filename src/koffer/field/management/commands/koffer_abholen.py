"""``manage.py koffer_abholen``: the Koffer pulls its checkout package from the office."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.field.paket import abholung


class Command(BaseCommand):
    help = (
        "Holt das Paket dieses Koffers aus dem Büro: die ausgeliehenen Akten mit Dokumenten,"
        " den Formularkatalog und die Vorlagen. Nur im Koffer-Modus (KOFFER_MODE=koffer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--buero", default="", help="Adresse des Büros (sonst aus der Kopplung)"
        )
        parser.add_argument(
            "--token-datei", default="", help="Datei mit dem Zugang aus koffer_koppeln"
        )
        parser.add_argument(
            "--max-rate",
            type=float,
            default=0.0,
            help="höchstens so viele MB/s laden (0: ohne Grenze), etwa über Mobilfunk",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.KOFFER_MODE != "koffer":
            raise CommandError("koffer_abholen läuft nur auf einem Koffer (KOFFER_MODE=koffer).")
        datei = Path(options["token_datei"]) if options["token_datei"] else None
        try:
            buero = abholung.zugang_laden(datei, url=options["buero"] or settings.KOFFER_BUERO_URL)
            ergebnis = abholung.abholen(
                buero=buero, melden=self.stdout.write, max_rate=options["max_rate"] * 1_000_000
            )
        except abholung.KofferGesperrt as exc:
            removed = abholung.abwischen(buero, datei)
            raise CommandError(
                f"Das Büro hat diesen Koffer gesperrt ({exc}). Die lokalen Daten wurden"
                f" gelöscht ({removed} Einträge) und die Kopplung aufgehoben."
            ) from None
        except abholung.AbholungFehlgeschlagen as exc:
            raise CommandError(str(exc)) from None
        blobs = ergebnis.blobs
        self.stdout.write(
            f"Fertig: {ergebnis.akten} Akten, {ergebnis.dokumente} Dokumente;"
            f" {blobs.geholt} Dateien geladen ({abholung.megabytes(blobs.bytes)} MB),"
            f" {blobs.vorhanden} schon vorhanden."
        )
        if blobs.abgelehnt:
            for line in blobs.abgelehnt:
                self.stderr.write(line)
            raise CommandError(
                f"{len(blobs.abgelehnt)} Dateien abgelehnt; bitte koffer_abholen wiederholen."
            )
