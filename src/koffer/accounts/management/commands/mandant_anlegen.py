"""``manage.py mandant_anlegen``: a new Mandant with its defaults and first administrator.

    manage.py mandant_anlegen jobcenter-beispielstadt "Jobcenter Beispielstadt" \\
        --art jobcenter --admin a.mueller --admin-email a.mueller@jobcenter.example \\
        [--admin-vorname Anna --admin-nachname Müller] [--leitweg-id 05315-12345-85]

Prints the administrator's one-time password once (stored only as its hash). A second run
with the same Kürzel says so and ends with exit code 1, changing nothing; so does any
input the service refuses. On Citus nothing else is needed: the rows land in the shard the
Mandant's id hashes to (a shard of its own: ``docs/operations.md``).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.accounts.einrichtung import mandant_anlegen
from koffer.errors import DomainError
from koffer.tenancy.models import Mandant


class Command(BaseCommand):
    help = (
        "Legt einen Mandanten an: Organisationseinheit, Vorgabedaten der Fachverfahren und "
        "die erste Mandanten-Administration mit einem Einmalkennwort (nur einmal angezeigt)."
    )
    requires_system_checks: list[str] = []

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("kuerzel", help="Kürzel in Adressen, z. B. kreis-beispielstadt")
        parser.add_argument("name", help="Name, z. B. „Landkreis Beispielstadt“")
        parser.add_argument(
            "--art",
            required=True,
            help="Art des Mandanten: " + ", ".join(Mandant.Kind.values),
        )
        parser.add_argument("--leitweg-id", default="", help="Leitweg-ID für E-Rechnungen")
        parser.add_argument("--admin", required=True, help="Benutzername der Administration")
        parser.add_argument("--admin-email", required=True, help="ihre E-Mail-Adresse")
        parser.add_argument("--admin-vorname", default="")
        parser.add_argument("--admin-nachname", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            neu = mandant_anlegen(
                actor=None,
                slug=options["kuerzel"],
                name=options["name"],
                kind=options["art"],
                leitweg_id=options["leitweg_id"],
                admin_username=options["admin"],
                admin_email=options["admin_email"],
                admin_first_name=options["admin_vorname"],
                admin_last_name=options["admin_nachname"],
            )
        except DomainError as exc:
            raise CommandError(exc.message) from exc
        mandant, admin = neu.mandant, neu.admin
        out = self.stdout.write
        out(
            f"Mandant „{mandant.name}“ angelegt: Kürzel {mandant.slug}, "
            f"{mandant.get_kind_display()}, ID {mandant.pk}."
        )
        out(f"Organisationseinheit: {neu.wurzel.name} (Behörde).")
        for line in neu.ausstattung:
            out(line)
        out(f"Mandanten-Administration: {admin.username} <{admin.email}>, in „{neu.wurzel.name}“.")
        out(f"Einmalkennwort: {neu.kennwort}")
        out(
            "Das Kennwort wird nur jetzt angezeigt und nicht gespeichert: sicher übergeben. "
            "Bei der ersten Anmeldung wählt die Person ein eigenes Kennwort und richtet den "
            "zweiten Faktor ein."
        )
