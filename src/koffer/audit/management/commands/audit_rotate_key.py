from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from koffer.audit import keys, services


class Command(BaseCommand):
    help = (
        "Erzeugt einen neuen Audit-Schlüssel; alle folgenden Ereignisse werden damit"
        " gesichert. Ältere Schlüssel bleiben liegen: Ereignisse nennen den Schlüssel,"
        " mit dem sie geprüft werden. Jeder Rechner, der Ereignisse schreibt, braucht"
        " denselben (gemeinsam eingebundenen) Schlüsselordner."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        key_id = services.rotate_key(actor=None)
        self.stdout.write(f"Neuer Audit-Schlüssel {key_id}: {keys.key_file(key_id)}")
