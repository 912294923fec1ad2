"""The guarantees that hinge on locks, on a real Citus cluster: the gap-free counter, the
audit chain per Mandant, the job queue's claim and the Platzbörse's reservation lock."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable

import pytest
from django.db import connections

from koffer.audit import services as audit
from koffer.audit.verification import verify_tenant
from koffer.jobs import runner
from koffer.jobs import services as jobs
from koffer.jobs.models import Job, JobStep
from koffer.placements.belegung import services as belegung
from koffer.placements.errors import Busy, PlacementsError
from koffer.placements.models import Reservierung
from koffer.records import services as records
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests import factories
from tests.jobs.conftest import FLAKY, Flaky

pytestmark = pytest.mark.usefixtures("citus_transactional")


def _in_threads(work: Callable[[int], None], count: int) -> None:
    errors: list[BaseException] = []
    start = threading.Barrier(count)

    def run(number: int) -> None:
        try:
            start.wait()
            work(number)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(n,)) for n in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors


def test_aktenzeichen_stay_gap_free_in_two_mandanten_at_once() -> None:
    tenants = [factories.mandant(), factories.mandant()]
    plans = {
        t.pk: records.create_aktenplaneinheit(
            actor=None, tenant=t, parent=None, kennzeichen="K", title="K"
        )
        for t in tenants
    }
    units = {t.pk: factories.root_unit(t) for t in tenants}

    def work(number: int) -> None:
        tenant = tenants[number % 2]
        for _ in range(4):
            records.create_akte(
                actor=None,
                tenant=tenant,
                aktenplaneinheit=plans[tenant.pk],
                unit=units[tenant.pk],
                title="parallel",
            )

    _in_threads(work, 6)
    for tenant in tenants:
        numbers = sorted(
            int(a[-5:])
            for a in Akte.objects.for_tenant(tenant).values_list("aktenzeichen", flat=True)
        )
        assert numbers == list(range(1, 13))


def test_each_mandant_keeps_one_unbroken_audit_chain_under_parallel_writes() -> None:
    tenants: list[Mandant] = [factories.mandant(), factories.mandant(), factories.mandant()]

    def work(number: int) -> None:
        for i in range(10):
            audit.record(
                actor=None,
                tenant_id=tenants[(number + i) % 3].pk,
                action="tenancy.unit.create",
                changes={"n": {"old": None, "new": f"{number}-{i}"}},
            )

    _in_threads(work, 6)
    reports = [verify_tenant(t.pk) for t in tenants]
    assert all(report.ok for report in reports), reports
    # 60 events spread over the three chains, plus what creating each Mandant wrote.
    assert sum(r.events for r in reports) >= 60


def test_a_waiting_job_is_claimed_by_one_worker_only() -> None:
    from koffer.jobs import registry

    flaky = Flaky()
    registry.register(
        registry.JobKind(code=FLAKY, label="Testauftrag", description="", handler=flaky.handle)
    )
    try:
        tenant = factories.mandant()
        job = jobs.start_job(actor=None, tenant=tenant, kind=FLAKY, title="einmal")
        # It ran on commit (no test transaction here): waiting again, from scratch.
        JobStep.objects.for_tenant(tenant).filter(job=job).delete()
        Job.objects.for_tenant(tenant).filter(pk=job.pk).update(status=Job.Status.WAITING)
        flaky.calls.clear()
        outcomes: list[str] = []

        def work(_: int) -> None:
            outcomes.append(runner.execute(job.pk, tenant.pk))

        _in_threads(work, 4)
    finally:
        registry.unregister(FLAKY)
        runner.clear_stop()
    assert sorted(outcomes) == ["done", "skipped", "skipped", "skipped"]
    assert flaky.calls == {"a": 1, "b": 1, "c": 1}


def test_a_free_place_is_held_for_one_gesuch_only() -> None:
    from tests.placements.belegung.test_reservation_properties import World

    world = World()  # a provider with 2 Angebote × 2 free places, a youth office, 6 Gesuche
    outcomes: list[str] = []

    def work(number: int) -> None:
        gesuch = world.gesuche[number]
        for angebot in (world.angebote[number % 2], world.angebote[(number + 1) % 2]):
            try:
                belegung.reserve(actor=world.caseworker, gesuch=gesuch, angebot=angebot)
                outcomes.append("ok")
            except Busy:
                outcomes.append("busy")
            except PlacementsError as exc:
                outcomes.append(exc.code)

    _in_threads(work, 6)
    held = Counter(
        Reservierung.objects.for_tenant(world.traeger)
        .filter(status=Reservierung.Status.OFFEN)
        .values_list("platz_id", flat=True)
    )
    # Four places, each held once; nobody was told "yours" without a hold of their own.
    assert len(held) == outcomes.count("ok") and set(held.values()) <= {1}
    assert outcomes.count("ok") == 4 or "busy" in outcomes, outcomes
    assert set(outcomes) <= {"ok", "vergeben", "busy"}, outcomes
