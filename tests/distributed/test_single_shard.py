"""Every query of a hot request goes to one Mandant's shards: Citus' EXPLAIN of each
statement shows a single task (a router plan) or a reference table only.

The hot paths of the E-Akte and Platzbörse benchmarks: "meine Akten", the Akte page, a
Vorgang page, the Wiedervorlagen, the search, a reservation, and a job's run (claim, steps,
end). Statements that ask across Mandanten by design are named in ACROSS_MANDANTEN with
the reason."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from koffer.accounts.models import User
from koffer.placements.belegung import services as belegung_services
from koffer.records.models import Akte
from koffer.records.suche import services as search
from tests import factories
from tests.conftest import signed_in

pytestmark = pytest.mark.usefixtures("citus")

TASKS = re.compile(r"Task Count: (\d+)")
# Statements that ask across Mandanten by design, with why (matched by a piece of SQL).
# (None now: the memberships are asked in every Mandant only on a session's first request,
# which each test here makes before it looks; koffer.accounts.middleware._memberships.)
ACROSS_MANDANTEN: dict[str, str] = {}
STATEMENT = re.compile(r"^\s*(SELECT|INSERT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)


def _plan(sql: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (COSTS OFF) {sql}")
        return "\n".join(str(row[0]) for row in cursor.fetchall())


def _fanning_out(run: Callable[[], Any]) -> list[tuple[str, str]]:
    """The statements ``run`` sends that Citus spreads over more than one shard."""
    with CaptureQueriesContext(connection) as captured:
        run()
    spread = []
    for query in captured.captured_queries:
        sql = query["sql"]
        if not STATEMENT.match(sql) or any(piece in sql for piece in ACROSS_MANDANTEN):
            continue
        plan = _plan(sql)
        if any(int(n) > 1 for n in TASKS.findall(plan)):
            spread.append((sql, plan))
    return spread


def _report(spread: list[tuple[str, str]]) -> str:
    return "\n\n".join(f"{sql}\n--\n{plan}" for sql, plan in spread)


@pytest.fixture
def akte_world(tenant: Any, plan: Any, team: Any, team_caseworker: User) -> tuple[User, Akte]:
    from tests.factories import records as record_factories

    # Another Mandant with data, so a statement without tenant_id has shards to visit.
    other = factories.mandant()
    factories.user(other)
    akte = record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team, title="Meier")
    return team_caseworker, akte


def test_my_akten_is_single_shard(akte_world: tuple[User, Akte]) -> None:
    user, _ = akte_world
    client = signed_in(user)
    client.get(reverse("records:akten"))  # the session's first request
    spread = _fanning_out(lambda: client.get(reverse("records:akten")))
    assert not spread, _report(spread)


def test_akte_page_is_single_shard(akte_world: tuple[User, Akte]) -> None:
    user, akte = akte_world
    client = signed_in(user)
    url = reverse("records:akte_detail", args=[akte.pk])
    client.get(url)
    spread = _fanning_out(lambda: client.get(url))
    assert not spread, _report(spread)


def test_saving_an_existing_row_is_single_shard(akte_world: tuple[User, Akte]) -> None:
    """A model's save() sets every column: on Citus not tenant_id (refused there), and the
    row is found by it on its one shard (koffer.tenancy.citus.updates)."""
    _, akte = akte_world
    person = akte.subjekte.get().person

    def save() -> None:
        person.street, person.city = "Weg 1", "Musterstadt"
        person.save()

    spread = _fanning_out(save)
    assert not spread, _report(spread)
    person.refresh_from_db()
    assert (person.street, person.city, person.tenant_id) == (
        "Weg 1",
        "Musterstadt",
        akte.tenant_id,
    )


def test_vorgang_page_is_single_shard(akte_world: tuple[User, Akte]) -> None:
    from tests.factories import records as record_factories

    user, akte = akte_world
    vorgang = record_factories.vorgang(akte, actor=user, title="Antrag Meier")
    record_factories.frist(vorgang, timezone.localdate() + timedelta(days=14), actor=user)
    client = signed_in(user)
    url = reverse("records:vorgang_detail", args=[vorgang.pk])
    client.get(url)
    responses = []
    spread = _fanning_out(lambda: responses.append(client.get(url)))
    assert not spread, _report(spread)
    assert responses[0].status_code == 200 and "Antrag Meier" in responses[0].content.decode()


def test_wiedervorlagen_list_is_single_shard(akte_world: tuple[User, Akte]) -> None:
    from tests.factories import records as record_factories

    user, akte = akte_world
    record_factories.wiedervorlage(
        akte, timezone.localdate(), assignee=user, note="Unterlagen anfordern"
    )
    client = signed_in(user)
    url = reverse("records:wiedervorlagen")
    client.get(url)
    responses = []
    spread = _fanning_out(lambda: responses.append(client.get(url)))
    assert not spread, _report(spread)
    assert responses[0].status_code == 200
    assert "Unterlagen anfordern" in responses[0].content.decode()


def test_search_is_single_shard(akte_world: tuple[User, Akte]) -> None:
    from tests.records.suche.test_search import store

    user, akte = akte_world
    dokument = store(akte, user, "Heizkostenabrechnung für Familie Meier", "Bescheid Heizkosten")
    # Indexed again: the upsert's conflict (its key is (tenant_id, dokument_id) on Citus).
    assert dokument.current_version is not None
    search.index_version(dokument.current_version)
    assert search.index_status(akte.tenant_id) == {"documents": 1, "indexed": 1}
    client = signed_in(user)
    url = reverse("records:suche") + "?q=Heizkosten"
    client.get(url)
    responses = []
    spread = _fanning_out(lambda: responses.append(client.get(url)))
    assert not spread, _report(spread)
    text = " ".join(re.sub(r"<[^>]+>", " ", responses[0].content.decode()).split())
    assert "1 Treffer. Bescheid Heizkosten" in text


def test_reservation_is_single_shard() -> None:
    from tests.placements.belegung.test_reservation_properties import World

    world = World()
    gesuch = world.gesuche[0]
    spread = _fanning_out(
        lambda: belegung_services.reserve(
            actor=world.caseworker, gesuch=gesuch, angebot=world.angebote[0]
        )
    )
    assert not spread, _report(spread)


def test_withdrawal_naming_the_provider_is_single_shard() -> None:
    """The youth office's pages and API name the provider of the hold they show: the hold
    is read on its shard, not among every provider's holds."""
    from tests.placements.belegung.test_reservation_properties import World

    world = World()
    hold = belegung_services.reserve(
        actor=world.caseworker, gesuch=world.gesuche[0], angebot=world.angebote[0]
    )
    spread = _fanning_out(
        lambda: belegung_services.withdraw(
            actor=world.caseworker,
            tenant=world.amt,
            reservierung_id=hold.pk,
            reason="Test",
            anbieter_id=hold.tenant_id,
        )
    )
    assert not spread, _report(spread)


def test_job_run_is_single_shard(tenant: Any) -> None:
    """The claim (waiting → running), the steps, the progress and the end of a job: each
    by the job's Mandant, which its queue entry names (tasks.run_job)."""
    from koffer.jobs import registry, runner
    from koffer.jobs import services as jobs
    from tests.jobs.conftest import FLAKY, Flaky

    flaky = Flaky()
    registry.register(
        registry.JobKind(code=FLAKY, label="Testauftrag", description="", handler=flaky.handle)
    )
    try:
        factories.mandant()  # another Mandant, so a statement without tenant_id fans out
        job = jobs.start_job(actor=None, tenant=tenant, kind=FLAKY, title="einmal")
        outcomes: list[str] = []
        spread = _fanning_out(lambda: outcomes.append(runner.execute(job.pk, tenant.pk)))
    finally:
        registry.unregister(FLAKY)
        runner.clear_stop()
    assert outcomes == ["done"]
    assert not spread, _report(spread)
