"""``manage.py schluessel_abgleich``: whether this machine's secrets (secret key, audit
keys) are those of the other machines of the installation; ``--uebernehmen`` records this
machine's after the secret key was changed on every machine on purpose."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.audit import schluesselabgleich


class Command(BaseCommand):
    help = (
        "Prüft, ob geheimer Schlüssel und Audit-Schlüssel mit den anderen Rechnern übereinstimmen."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--uebernehmen",
            action="store_true",
            help="die Werte dieses Rechners eintragen (nach einem gewollten Schlüsselwechsel"
            " auf allen Rechnern)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["uebernehmen"]:
            changed = schluesselabgleich.uebernehmen()
            self.stdout.write(f"{changed} Eintrag/Einträge auf die Werte dieses Rechners gesetzt.")
        findings = schluesselabgleich.abweichungen()
        if findings:
            raise CommandError("\n".join(findings))
        self.stdout.write("Schlüssel stimmen mit den anderen Rechnern überein.")
