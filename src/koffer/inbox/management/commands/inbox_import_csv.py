"""Import Personen, Bedarfsgemeinschaften and Akten from the CSV export of the previous
specialist software (the format: ``docs/migration-csv.md``). ``--dry-run`` only reports
what would be created, changed or rejected; without it the import runs here, in steps of
rows, the same job the page starts. The same files again continue an import that was
interrupted; a finished one is imported again, which creates nothing twice."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from koffer.errors import DomainError
from koffer.inbox.migration import dateien, services
from koffer.inbox.migration.abgleich import Zaehlung
from koffer.inbox.models import Importlauf
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.tenancy.models import Mandant, Organisationseinheit


def _tenant(slug: str) -> Mandant:
    if slug:
        found = Mandant.objects.filter(slug=slug).first()
        if found is None:
            raise CommandError(f"Den Mandanten „{slug}“ gibt es nicht.")
        return found
    tenants = list(Mandant.objects.all()[:2])
    if len(tenants) != 1:
        raise CommandError("Bitte den Mandanten mit --tenant SLUG nennen.")
    return tenants[0]


def _unit(tenant: Mandant, name: str) -> Organisationseinheit | None:
    if not name:
        return None
    found = list(Organisationseinheit.objects.for_tenant(tenant).filter(name=name)[:2])
    if len(found) != 1:
        raise CommandError(f"Eine Organisationseinheit „{name}“ gibt es nicht genau einmal.")
    return found[0]


class Command(BaseCommand):
    help = "Übernimmt Personen, BGs und Akten aus dem CSV-Export des Altsystems."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "files", nargs="+", help="personen.csv, bedarfsgemeinschaften.csv, akten.csv"
        )
        parser.add_argument("--dry-run", action="store_true", help="nur prüfen, nichts ändern")
        parser.add_argument("--tenant", default="", help="Kürzel (slug) des Mandanten")
        parser.add_argument(
            "--einheit", default="", help="Organisationseinheit für Akten ohne Einheit"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        tenant = _tenant(options["tenant"])
        unit = _unit(tenant, options["einheit"])
        paths = [Path(f) for f in options["files"]]
        try:
            uploads = [services.Upload(p.name, p.read_bytes()) for p in paths]
            if options["dry_run"]:
                files = dateien.ordered([dateien.read(u.name, u.data) for u in uploads])
                counts, refused, total = services.dry_run(
                    tenant=tenant, files=files, default_unit=unit
                )
                for a in refused:
                    self.stdout.write(a.text)
                self.stdout.write(_summary("Probelauf", total, counts))
                return
            lauf = self._resumable(tenant, uploads) or services.start_import(
                actor=None,  # type: ignore[arg-type]  # an operator at the console
                access=None,
                lauf=services.check_import(
                    actor=None,  # type: ignore[arg-type]
                    access=None,
                    tenant=tenant,
                    uploads=uploads,
                    default_unit=unit,
                ),
            )
        except (DomainError, OSError) as exc:
            raise CommandError(getattr(exc, "message", str(exc))) from exc
        if lauf.job_id is None:
            raise CommandError("Der Importlauf hat keinen Auftrag.")
        outcome = runner.execute(lauf.job_id)
        job = Job.objects.for_tenant(tenant).get(pk=lauf.job_id)
        if outcome != "done":
            raise CommandError(job.error or job.message or f"Import: {outcome}")
        self.stdout.write(job.message)
        self.stdout.write(f"Importlauf {lauf.pk}")

    def _resumable(self, tenant: Mandant, uploads: list[services.Upload]) -> Importlauf | None:
        """An unfinished run of the same files whose job waits (paused or recovered)."""
        files = dateien.ordered([dateien.read(u.name, u.data) for u in uploads])
        lauf = (
            Importlauf.objects.for_tenant(tenant)
            .filter(
                sha256=dateien.fingerprint(files),
                state__in=[Importlauf.State.WARTET, Importlauf.State.LAEUFT],
            )
            .order_by("-created_at")
            .first()
        )
        if lauf is None or lauf.job_id is None:
            return None
        status = (
            Job.objects.for_tenant(tenant)
            .filter(pk=lauf.job_id)
            .values_list("status", flat=True)
            .first()
        )
        if status == Job.Status.RUNNING:
            raise CommandError(
                "Ein Import dieser Dateien läuft noch (oder sein Worker ist abgestürzt und "
                "wird vom nächsten Worker fortgesetzt)."
            )
        if status != Job.Status.WAITING:
            return None
        self.stdout.write("Setze den unterbrochenen Import dieser Dateien fort.")
        return lauf


def _summary(what: str, total: int, counts: Zaehlung) -> str:
    return (
        f"{what}: {total} Zeilen; {counts.total('neu')} neu, {counts.total('geaendert')} "
        f"geändert, {counts.total('unveraendert')} unverändert, {counts.total('abgelehnt')} "
        "abgelehnt."
    )
