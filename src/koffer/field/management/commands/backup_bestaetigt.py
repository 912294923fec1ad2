"""``manage.py backup_bestaetigt --stand ZEIT``: the office's backup job (or an
administrator) confirms a completed backup that began at ``ZEIT``. Koffer then drop the
pushes they kept for an office restored from an older backup, up to the newest one this
backup holds (``field.abgleich.services.sicherung_bestaetigen``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from koffer.errors import DomainError
from koffer.field.abgleich import services
from koffer.tenancy.models import Mandant


class Command(BaseCommand):
    help = (
        "Bestätigt eine vollständige Sicherung des Büros: alles, was bei ihrem Beginn"
        " (--stand) gespeichert war, ist in ihr. Koffer verwerfen danach die aufbewahrten"
        " Abgleiche, die diese Sicherung enthält. Für alle Mandanten oder --mandant."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stand",
            required=True,
            help="Beginn der Sicherung, ISO 8601 mit Zeitzone (z. B. 2026-12-07T02:00:00+01:00)",
        )
        parser.add_argument("--mandant", help="Kurzname (slug) des Mandanten; sonst alle")
        parser.add_argument(
            "--von", default="manage.py backup_bestaetigt", help="wer bestätigt (Sicherungsauftrag)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if settings.KOFFER_MODE != "buero":
            raise CommandError("Sicherungen bestätigt nur das Büro, nicht ein Koffer.")
        try:
            stand = datetime.fromisoformat(options["stand"])
        except ValueError:
            raise CommandError(
                f"„{options['stand']}“ ist kein Zeitpunkt (ISO 8601, z. B. 2026-12-07T02:00:00+01:00)."
            ) from None
        if timezone.is_naive(stand):
            raise CommandError("Bitte den Zeitpunkt mit Zeitzone angeben (z. B. +01:00).")
        mandanten = Mandant.objects.order_by("slug")
        if options["mandant"]:
            mandanten = mandanten.filter(slug=options["mandant"])
            if not mandanten.exists():
                raise CommandError(f"Einen Mandanten „{options['mandant']}“ gibt es nicht.")
        for mandant in mandanten:
            try:
                services.sicherung_bestaetigen(
                    actor=None, tenant_id=mandant.pk, stand=stand, von=options["von"]
                )
            except DomainError as exc:
                raise CommandError(exc.message) from None
            self.stdout.write(f"Sicherung bestätigt für {mandant.slug}: Stand {stand.isoformat()}")
