"""The month-end job: bill a provider's whole month (compute, confirm, invoice) in
batches, as the job kind ``placements.monatsabrechnung`` with progress. Every item
commits on its own, and a rerun skips what is already invoiced, so no step is done twice
after a restart."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from koffer import formats
from koffer.accounts.models import User
from koffer.accounts.roles import Perm
from koffer.audit.services import Actor
from koffer.jobs import registry
from koffer.jobs import services as jobs
from koffer.jobs.models import Job
from koffer.jobs.runner import JobError, JobRun, Outcome
from koffer.placements.abrechnung import services
from koffer.placements.abrechnung.positions import (
    Sources,
    belegung_label,
    month_bounds,
    parse_monat,
    platz_label,
)
from koffer.placements.access import AGGREGATE_ONLY_KINDS
from koffer.placements.errors import Conflict, PlacementsError
from koffer.placements.models import (
    Belegung,
    Leistungsnachweis,
    Platz,
    Rechnung,
)
from koffer.tenancy.models import Mandant

JOB_KIND = "placements.monatsabrechnung"
BATCH_SIZE = 200

# --- month-end billing ----------------------------------------------------------------------------


@dataclass
class MonthEndResult:
    """What a month-end run did; also the JSON of each batch step."""

    total: int = 0
    skipped: int = 0
    valid: int = 0
    invalid: int = 0
    failed: list[dict[str, str]] = field(default_factory=list)

    def add(self, other: dict[str, Any]) -> None:
        self.skipped += int(other.get("skipped", 0))
        self.valid += int(other.get("valid", 0))
        self.invalid += int(other.get("invalid", 0))
        self.failed.extend(other.get("failed", []))

    def as_json(self) -> dict[str, Any]:
        return {
            "skipped": self.skipped,
            "valid": self.valid,
            "invalid": self.invalid,
            "failed": self.failed,
        }

    def message(self, monat: date) -> str:
        text = (
            f"Monatsabrechnung {formats.month_label(monat)}: {self.valid + self.invalid} Rechnungen "
            f"erstellt ({self.valid} geprüft und versandbereit, {self.invalid} fehlerhaft)"
        )
        if self.skipped:
            text += f"; {self.skipped} waren schon abgerechnet"
        if self.failed:
            text += f"; {len(self.failed)} nicht abrechenbar"
            shown = "; ".join(f["grund"] for f in self.failed[:5])
            more = f" (und {len(self.failed) - 5} weitere)" if len(self.failed) > 5 else ""
            text += f": {shown}{more}"
        return text + "."


def billable_belegungen(tenant_id: uuid.UUID, monat: date) -> Any:
    """Belegungen that ran in the month, except those on standby places."""
    first, last = month_bounds(monat)
    return (
        Belegung.objects.for_tenant(tenant_id)
        .filter(Q(ende__isnull=True) | Q(ende__gte=first), beginn__lte=last)
        .exclude(platz__is_standby=True)
    )


def standby_plaetze(tenant_id: uuid.UUID, monat: date) -> Any:
    """Standby places that existed in the month."""
    first, last = month_bounds(monat)
    return Platz.objects.for_tenant(tenant_id).filter(
        Q(valid_to__isnull=True) | Q(valid_to__gte=first), is_standby=True, valid_from__lte=last
    )


def _bill_batch(
    actor: User | None,
    tenant_id: uuid.UUID,
    monat: date,
    today: date,
    items: list[list[str]],
    sources: Sources,
) -> dict[str, Any]:
    """Compute, confirm and invoice each item of the batch, one transaction each; what
    is already invoiced (and valid) is skipped, an invalid invoice is built again."""
    result = MonthEndResult()
    belegung_ids = [uuid.UUID(i) for kind, i in items if kind == "b"]
    platz_ids = [uuid.UUID(i) for kind, i in items if kind == "p"]
    belegungen = {b.pk: b for b in services.belegung_qs(tenant_id).filter(pk__in=belegung_ids)}
    plaetze = {p.pk: p for p in services.platz_qs(tenant_id).filter(pk__in=platz_ids)}
    nachweise = (
        Leistungsnachweis.objects.for_tenant(tenant_id)
        .filter(monat=monat)
        .exclude(status=Leistungsnachweis.Status.ERSETZT)
    )
    by_belegung = {n.belegung_id: n for n in nachweise.filter(belegung_id__in=belegung_ids)}
    by_platz = {
        n.platz_id: n for n in nachweise.filter(belegung__isnull=True, platz_id__in=platz_ids)
    }
    rechnungen = {
        r.nachweis_id: r
        for r in Rechnung.objects.for_tenant(tenant_id).filter(
            nachweis_id__in=[n.pk for n in (*by_belegung.values(), *by_platz.values())]
        )
    }
    sources.load_entgelte(
        {b.angebot_id for b in belegungen.values()} | {p.angebot_id for p in plaetze.values()}
    )
    sources.load_abwesenheiten(list(belegungen))
    sources.load_anschriften(
        {b.jugendamt_id for b in belegungen.values()}
        | {p.standby_jugendamt_id for p in plaetze.values() if p.standby_jugendamt_id}
    )
    for kind, raw in items:
        key = uuid.UUID(raw)
        subject: Belegung | Platz | None = (belegungen if kind == "b" else plaetze).get(key)
        if subject is None:
            continue  # gone meanwhile (cannot happen with PROTECT, but never crash on it)
        existing = (by_belegung if kind == "b" else by_platz).get(key)
        invoice = rechnungen.get(existing.pk) if existing is not None else None
        if invoice is not None and invoice.status != Rechnung.Status.UNGUELTIG:
            result.skipped += 1
            continue
        try:
            with transaction.atomic():
                nachweis = existing
                if nachweis is None or nachweis.status == Leistungsnachweis.Status.ENTWURF:
                    if isinstance(subject, Belegung):
                        nachweis = services.compute_for_belegung(
                            actor, subject, monat, sources, today, nachweis
                        )
                    else:
                        nachweis = services.compute_for_platz(
                            actor, subject, monat, sources, today, nachweis
                        )
                if nachweis.status == Leistungsnachweis.Status.ENTWURF:
                    services.confirm_draft(actor, nachweis)
                if isinstance(subject, Belegung):
                    nachweis.belegung = subject
                nachweis.platz = subject if isinstance(subject, Platz) else subject.platz
                nachweis.jugendamt = (
                    subject.jugendamt
                    if isinstance(subject, Belegung)
                    else subject.standby_jugendamt
                )
                rechnung = services.build_invoice(actor, nachweis, sources, today, invoice)
        except PlacementsError as exc:
            label = (
                belegung_label(subject) if isinstance(subject, Belegung) else platz_label(subject)
            )
            result.failed.append({"was": label, "grund": exc.message, "code": exc.code})
            continue
        if rechnung.status == Rechnung.Status.BEREIT:
            result.valid += 1
        else:
            result.invalid += 1
    return result.as_json()


def run_month_end(
    *,
    actor: User | None,
    tenant: Mandant,
    monat: date,
    run: JobRun | None = None,
    today: date | None = None,
    batch_size: int = BATCH_SIZE,
) -> MonthEndResult:
    """Bill the provider's month: for every Belegung that ran in it (and every standby
    place) compute the Leistungsnachweis, confirm it and create its checked XRechnung.

    Works in batches; each Belegung commits on its own, and what is already invoiced is
    skipped, so a run that stopped half-way (a restart, a killed worker) continues without
    doing anything twice. A Belegung that cannot be billed (a rate gap) is reported and
    does not stop the others. With ``run`` (the job) the selection and every batch are
    job steps and progress is reported."""
    monat = month_bounds(monat)[0]
    today = today or timezone.localdate()
    if tenant.kind in AGGREGATE_ONLY_KINDS:
        raise PlacementsError("not_a_provider", "Aufsichtsbehörden rechnen keine Plätze ab.")
    last = month_bounds(monat)[1]
    if last > today:
        raise PlacementsError(
            "not_yet",
            f"Der {formats.month_label(monat)} ist noch nicht zu Ende; die Monatsabrechnung ist ab dem "
            f"{last + timedelta(days=1):%d.%m.%Y} möglich.",
        )
    sources = Sources(tenant.pk)
    sources.profil()  # no profile, no invoices: say so before doing anything

    def select() -> list[list[str]]:
        belegungen = (
            billable_belegungen(tenant.pk, monat).order_by("pk").values_list("pk", flat=True)
        )
        plaetze = standby_plaetze(tenant.pk, monat).order_by("pk").values_list("pk", flat=True)
        return [["b", str(pk)] for pk in belegungen] + [["p", str(pk)] for pk in plaetze]

    items: list[list[str]] = run.step("auswahl", select, atomic=False) if run else select()
    result = MonthEndResult(total=len(items))
    if run is not None:
        run.progress(
            0, len(items), f"{len(items)} Belegungen und Vorhalteplätze werden abgerechnet …"
        )
    for start in range(0, len(items), batch_size):
        batch = items[start : start + batch_size]

        def work(batch: list[list[str]] = batch) -> dict[str, Any]:
            return _bill_batch(actor, tenant.pk, monat, today, batch, sources)

        if run is not None:
            done = run.step(f"stapel-{start // batch_size}", work, atomic=False)
            run.progress(
                start + len(batch),
                len(items),
                f"{start + len(batch)} von {len(items)} abgerechnet",
            )
        else:
            done = work()
        result.add(done)
    return result


def running_month_end(tenant: Mandant, monat: date) -> Job | None:
    """The latest month-end job of this month (running or finished)."""
    return (
        Job.objects.for_tenant(tenant)
        .filter(kind=JOB_KIND, params__monat=month_bounds(monat)[0].isoformat()[:7])
        .order_by("-created_at")
        .first()
    )


def start_month_end(
    *, actor: Actor, tenant: Mandant, monat: date, today: date | None = None
) -> Job:
    """Start the month-end billing as a background job (one at a time per month)."""
    monat = month_bounds(monat)[0]
    today = today or timezone.localdate()
    if tenant.kind in AGGREGATE_ONLY_KINDS:
        raise PlacementsError("not_a_provider", "Aufsichtsbehörden rechnen keine Plätze ab.")
    last = month_bounds(monat)[1]
    if last > today:
        raise PlacementsError(
            "not_yet",
            f"Der {formats.month_label(monat)} ist noch nicht zu Ende; die Monatsabrechnung ist ab dem "
            f"{last + timedelta(days=1):%d.%m.%Y} möglich.",
        )
    Sources(tenant.pk).profil()
    latest = running_month_end(tenant, monat)
    if latest is not None and not latest.is_finished:
        raise Conflict(
            "already_running", f"Die Monatsabrechnung {formats.month_label(monat)} läuft bereits."
        )
    try:
        return jobs.start_job(
            actor=actor,
            tenant=tenant,
            kind=JOB_KIND,
            title=f"Monatsabrechnung {formats.month_label(monat)}",
            params={"monat": monat.isoformat()[:7]},
        )
    except jobs.JobRefused as exc:
        raise PlacementsError(exc.code, exc.message) from exc


def _month_end_job(run: JobRun) -> Outcome:
    tenant = Mandant.objects.filter(pk=run.tenant_id).first()
    if tenant is None:
        raise JobError("Diesen Mandanten gibt es nicht mehr.")
    try:
        monat = parse_monat(str(run.params.get("monat", "")))
        result = run_month_end(actor=run.job.created_by, tenant=tenant, monat=monat, run=run)
    except PlacementsError as exc:
        raise JobError(exc.message) from exc
    return Outcome(result.message(monat), needs_attention=bool(result.invalid or result.failed))


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=JOB_KIND,
            label="Monatsabrechnung",
            description="Berechnet, bestätigt und prüft die Leistungsnachweise und "
            "XRechnungen aller Belegungen eines Monats.",
            handler=_month_end_job,
            permission=Perm.PLACEMENTS_MANAGE,
            offered=False,
        )
    )
