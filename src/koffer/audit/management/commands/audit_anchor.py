from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from koffer.audit import anchors
from koffer.audit.models import AuditHead


class Command(BaseCommand):
    help = (
        "Hält den Kopf der Audit-Kette jedes Mandanten (Folgenummer, Hash) als signierten"
        " Anker außerhalb der Datenbank fest; audit_verify prüft später, dass die Kette"
        " jeden Anker noch enthält. Der Hintergrund-Worker tut das ohnehin regelmäßig"
        " (KOFFER_AUDIT_ANCHOR_INTERVAL) für jede Kette, die seit ihrem letzten Anker"
        " gewachsen ist; dieser Befehl verankert sofort alle."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        heads = AuditHead.objects.filter(seq__gt=0).order_by("tenant_id")
        for tenant_id, seq, hash in heads.values_list("tenant_id", "seq", "hash"):
            anchors.write(tenant_id=tenant_id, seq=seq, hash=hash, kind=anchors.COMMAND)
            self.stdout.write(f"Anker {tenant_id}: Folgenummer {seq}, Hash {hash}")
