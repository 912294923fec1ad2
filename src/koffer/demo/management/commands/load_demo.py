from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from koffer.audit import anchors
from koffer.demo import district


class Command(BaseCommand):
    help = "Lädt den Demo-Landkreis Musterland (nur beim ersten Start) und zeigt die Anmeldungen."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--logins", action="store_true", help="nur die Demo-Anmeldungen anzeigen"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["logins"]:
            if district.is_loaded():
                self.stdout.write("Demo-Landkreis Musterland ist bereits geladen.")
            else:
                district.load()
                # The freshly loaded chains, anchored at once (the worker may not run yet).
                anchors.anchor_moved_heads(kind=anchors.STARTUP)
                self.stdout.write(self.style.SUCCESS("Demo-Landkreis Musterland geladen."))
        self.stdout.write("")
        self.stdout.write(f"Demo-Anmeldungen (Passwort für alle: {district.DEMO_PASSWORD}):")
        for mandant_name, logins in district.logins_by_mandant():
            self.stdout.write("")
            self.stdout.write(f"  {mandant_name}")
            for login in logins:
                self.stdout.write(f"    {login.username:<24} {login.name} – {login.roles}")
