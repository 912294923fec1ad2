from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.audit.verification import chain_tenants, verify_tenant


class Command(BaseCommand):
    help = "Prüft die Hash-Kette des Audit-Protokolls aller (oder eines) Mandanten."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", type=uuid.UUID, help="nur diesen Mandanten prüfen")

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = [options["tenant"]] if options["tenant"] else chain_tenants()
        broken = []
        for tenant_id in tenants:
            report = verify_tenant(tenant_id)
            if report.ok:
                self.stdout.write(f"OK {tenant_id}: {report.events} Ereignisse")
            else:
                broken.append(report)
                self.stdout.write(
                    f"FEHLER {tenant_id}: erste gebrochene Folgenummer {report.broken_seq}"
                    f" ({report.problem})"
                )
        if broken:
            first = broken[0]
            raise CommandError(
                f"Audit-Kette gebrochen bei Folgenummer {first.broken_seq} (Mandant {first.tenant_id})"
            )
