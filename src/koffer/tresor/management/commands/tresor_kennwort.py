"""``manage.py tresor_kennwort``: wrap the device key by a new secret (data unchanged)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from koffer.tresor import schluessel
from koffer.tresor.management.commands.tresor_einrichten import neues_kennwort
from koffer.tresor.start import kennwort_erfragen

NEUES_KENNWORT_DATEI_ENV = "KOFFER_TRESOR_NEUES_KENNWORT_DATEI"


class Command(BaseCommand):
    help = (
        "Ändert das Kennwort des Koffers: das bisherige (Abfrage oder "
        "KOFFER_TRESOR_KENNWORT_DATEI) und das neue (zweimal, oder "
        "KOFFER_TRESOR_NEUES_KENNWORT_DATEI). Die Daten bleiben, wie sie sind."
    )
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            alt = kennwort_erfragen("Bisheriges Kennwort für den Koffer: ")
            schluessel.oeffnen(alt)  # a wrong secret is said before the new one is asked
            schluessel.kennwort_aendern(alt, neues_kennwort(NEUES_KENNWORT_DATEI_ENV))
        except schluessel.TresorFehler as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS("Das Kennwort des Koffers ist geändert."))
