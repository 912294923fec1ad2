"""``manage.py tresor_oeffnen``: check that the secret opens the Koffer (nothing else)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from koffer.tresor import schluessel
from koffer.tresor.start import kennwort_erfragen


class Command(BaseCommand):
    help = (
        "Prüft, ob das Kennwort den Koffer öffnet (Abfrage, oder die Datei in "
        "KOFFER_TRESOR_KENNWORT_DATEI). Gibt keinen Schlüssel aus."
    )
    requires_system_checks: list[str] = []

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            schluessel.oeffnen(kennwort_erfragen())
        except schluessel.TresorFehler as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(self.style.SUCCESS("Das Kennwort öffnet den Koffer."))
