"""Fetch, check and answer the submissions waiting at the FIT-Connect Zustelldienst for
every active destination, once (the worker does the same every
``KOFFER_FITCONNECT_POLL_SECONDS``)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from koffer.inbox.fitconnect import services


class Command(BaseCommand):
    help = "Holt FIT-Connect-Einreichungen aller Zustellpunkte ab, prüft und beantwortet sie."

    def handle(self, *args: Any, **options: Any) -> None:
        for bericht in services.abholen_alle():
            self.stdout.write(
                f"angenommen {len(bericht.angenommen)}, abgelehnt {len(bericht.abgelehnt)}, "
                f"Antworten gesendet {len(bericht.gesendet)}"
            )
            if bericht.fehler:
                self.stderr.write(bericht.fehler)
