"""``manage.py koffer_abgleichen``: the Koffer pushes its changes to the office and pulls
again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.field.paket import abholung
from koffer.field.rueckgabe import abgleich


class Command(BaseCommand):
    help = (
        "Gleicht diesen Koffer mit dem Büro ab: geänderte Angaben, neue Vorgänge,"
        " Wiedervorlagen und Dokumente gehen ins Büro, danach wird das Paket neu geholt."
        " Ein unterbrochener Abgleich wird beim nächsten Aufruf genau so wiederholt."
        " Nur im Koffer-Modus (KOFFER_MODE=koffer)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--buero", default="", help="Adresse des Büros (sonst aus der Kopplung)"
        )
        parser.add_argument(
            "--token-datei", default="", help="Datei mit dem Zugang aus koffer_koppeln"
        )
        parser.add_argument(
            "--zurueckgeben",
            action="store_true",
            help="die Akten nach dem Abgleich ins Büro zurückgeben",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.KOFFER_MODE != "koffer":
            raise CommandError("koffer_abgleichen läuft nur auf einem Koffer (KOFFER_MODE=koffer).")
        datei = Path(options["token_datei"]) if options["token_datei"] else None
        try:
            buero = abholung.zugang_laden(datei, url=options["buero"] or settings.KOFFER_BUERO_URL)
            ergebnis = abgleich.abgleichen(
                buero=buero, melden=self.stdout.write, zurueckgeben=options["zurueckgeben"]
            )
        except abholung.KofferGesperrt as exc:
            removed = abgleich.abwischen(buero, datei)
            raise CommandError(
                f"Das Büro hat diesen Koffer gesperrt ({exc}). Die lokalen Daten wurden"
                f" gelöscht ({removed} Einträge) und die Kopplung aufgehoben."
            ) from None
        except abholung.AbholungFehlgeschlagen as exc:
            warten = (
                " Der Abgleich ist gespeichert und wird beim nächsten Aufruf wiederholt."
                if abgleich.offene()
                else ""
            )
            raise CommandError(f"{exc}{warten}") from None
        geholt = ergebnis.abholung
        if geholt is not None:
            self.stdout.write(
                f"Neu geholt: {geholt.akten} Akten, {geholt.dokumente} Dokumente;"
                f" {geholt.blobs.geholt} Dateien geladen."
            )
            if geholt.blobs.abgelehnt:
                for line in geholt.blobs.abgelehnt:
                    self.stderr.write(line)
                raise CommandError(
                    f"{len(geholt.blobs.abgelehnt)} Dateien abgelehnt; bitte koffer_abholen"
                    " wiederholen."
                )
