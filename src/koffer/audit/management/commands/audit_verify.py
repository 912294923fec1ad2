from __future__ import annotations

import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.audit import anchors
from koffer.audit.verification import chain_tenants, verify_tenant


class Command(BaseCommand):
    help = (
        "Prüft die Hash-Kette des Audit-Protokolls aller (oder eines) Mandanten und hält"
        " den geprüften Stand jeder intakten Kette als signierten Anker fest."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", type=uuid.UUID, help="nur diesen Mandanten prüfen")
        parser.add_argument(
            "--ohne-anker",
            action="store_true",
            dest="no_anchor",
            help="nur prüfen, keinen Anker schreiben",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenants = [options["tenant"]] if options["tenant"] else chain_tenants()
        broken = []
        for tenant_id in tenants:
            report = verify_tenant(tenant_id)
            if not report.ok:
                broken.append(report)
                self.stdout.write(
                    f"FEHLER {tenant_id}: erste gebrochene Folgenummer {report.broken_seq}"
                    f" ({report.problem})"
                )
                continue
            self.stdout.write(f"OK {tenant_id}: {report.events} Ereignisse")
            if report.events and not options["no_anchor"]:
                anchors.write(
                    tenant_id=tenant_id,
                    seq=report.events,
                    hash=report.head_hash,
                    kind=anchors.VERIFIED,
                )
        if broken:
            first = broken[0]
            raise CommandError(
                f"Audit-Kette gebrochen bei Folgenummer {first.broken_seq}"
                f" (Mandant {first.tenant_id}): {first.problem}"
            )
