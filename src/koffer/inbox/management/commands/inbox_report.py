"""The protocol of a batch (what was done to every file, page and document) as text or,
with ``--json``, as the JSON document of ``inbox.verarbeitung.protokoll``. The batch is
named by its id in koffer (UUID) or by the provider's batch id (with ``--mandant`` when
two Mandanten or providers used the same one). Reading it is audited: it holds the texts.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.audit import services as audit
from koffer.inbox.models import Stapel
from koffer.inbox.verarbeitung import protokoll


def _find(name: str, mandant: str) -> Stapel:
    try:
        qs = Stapel.objects.unscoped().filter(pk=uuid.UUID(name))
    except ValueError:
        qs = Stapel.objects.unscoped().filter(batch_id=name)
    if mandant:
        qs = qs.filter(tenant__slug=mandant)
    found = list(qs.select_related("tenant")[:2])
    if not found:
        raise CommandError(f"Keinen Scan-Stapel „{name}“ gefunden.")
    if len(found) > 1:
        raise CommandError(
            f"Die Stapelnummer „{name}“ gibt es mehrfach; bitte mit --mandant oder der "
            "Stapel-ID (UUID) aufrufen."
        )
    return found[0]


class Command(BaseCommand):
    help = "Zeigt das Protokoll eines Scan-Stapels (mit --json als JSON)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("stapel", help="Stapel-ID (UUID) oder Stapelnummer des Dienstleisters")
        parser.add_argument("--json", action="store_true", help="als JSON ausgeben")
        parser.add_argument("--mandant", default="", help="Kürzel (slug) des Mandanten")
        parser.add_argument("--ohne-text", action="store_true", help="ohne die erkannten Texte")

    def handle(self, *args: Any, **options: Any) -> None:
        stapel = _find(options["stapel"], options["mandant"])
        found = protokoll.report(stapel, with_text=not options["ohne_text"])
        audit.read(
            actor=None,  # type: ignore[arg-type]  # an operator at the console
            tenant_id=stapel.tenant_id,
            obj=stapel,
            purpose="Protokoll eines Scan-Stapels (manage.py inbox_report)",
        )
        if options["json"]:
            self.stdout.write(json.dumps(found, ensure_ascii=False, indent=2))
            return
        head = found["stapel"]
        self.stdout.write(f"Stapel {head['stapel_id']} vom {head['scan_datum']}: {head['state']}")
        for doc in found["dokumente"]:
            where = doc["akte"]["aktenzeichen"] if doc["akte"] else doc["reason"] or "—"
            pages = ", ".join(str(p) for p in doc["seiten"])
            self.stdout.write(
                f"  {doc['datei']} S. {pages}: {doc['state']} ({doc['kind']}) {where}"
            )
        for line in found["protokoll"]:
            self.stdout.write(f"  {line['at'][:19]} {line['action']}: {line['message']}")
