"""Change the keys of a FIT-Connect destination: new key pairs for decryption and the
events' signature; the previous decryption key is kept until no submission needs it
(``KOFFER_FITCONNECT_KEY_KEEP_DAYS``, then the next complete poll that finds none for it).
Prints the new public keys (JSON) to register at the Zustelldienst."""

from __future__ import annotations

import json
import uuid
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.errors import DomainError
from koffer.inbox.fitconnect import services
from koffer.inbox.models import FitConnectZiel

BITS_HELP = "Schlüssellänge in Bit (Standard: KOFFER_FITCONNECT_KEY_BITS, FIT-Connect: 4096)"


class Command(BaseCommand):
    help = (
        "Wechselt die Schlüssel eines FIT-Connect-Zustellpunkts; der bisherige "
        "Entschlüsselungsschlüssel bleibt, bis keine Einreichung ihn mehr braucht."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("destination_id", help="Zustellpunkt-ID")
        parser.add_argument(
            "--benutzer",
            required=True,
            help="Anmeldename der Administration, die den Wechsel verantwortet",
        )
        parser.add_argument("--bits", type=int, default=None, help=BITS_HELP)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            destination_id = uuid.UUID(options["destination_id"])
        except ValueError as exc:
            raise CommandError("Die Zustellpunkt-ID ist keine UUID.") from exc
        ziele = list(
            FitConnectZiel.objects.unscoped()
            .select_related("tenant")
            .filter(destination_id=destination_id)
        )
        if len(ziele) != 1:
            raise CommandError("Diesen Zustellpunkt gibt es nicht (oder mehrfach).")
        ziel = ziele[0]
        user = User.objects.filter(username=options["benutzer"], is_active=True).first()
        if user is None:
            raise CommandError("Diesen Benutzer gibt es nicht.")
        try:
            eingerichtet = services.schluessel_wechseln(
                actor=user,
                access=Access.for_user(user.pk, ziel.tenant_id),
                ziel=ziel,
                bits=options["bits"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        self.stderr.write(
            "Neue Schlüssel erzeugt. Bitte die öffentlichen Schlüssel beim Zustelldienst "
            "hinterlegen; der bisherige Entschlüsselungsschlüssel bleibt vorerst erhalten."
        )
        self.stdout.write(json.dumps(eingerichtet.oeffentlich, indent=2))
