"""The Platzbörse's statistics and the Landesjugendamt's views across Mandanten on Citus:
distributed aggregates, grouped on the workers, with the numbers of plain PostgreSQL.

A small state (three Träger, two youth offices, a Landesjugendamt) written straight into
the tables, as ``benchmarks/placements_statistik`` does. The numbers are asserted on every
database (this file also runs on SQLite and PostgreSQL, where they are the reference); on
Citus each statement's ``EXPLAIN`` must show its shape:

- across Mandanten (the Landesjugendamt's aggregate, a youth office's Belegungen in the
  Träger's facilities, the § 47 inbox and its count): „Custom Scan (Citus Adaptive)“ with
  a task per shard, the grouping inside each task (partial aggregates on the workers) and
  no recursively planned subquery (``Distributed Subplan``: rows pulled to the coordinator);
- one Mandant (a Träger's own statistics): a single task.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Count
from django.test.utils import CaptureQueriesContext
from uuid6 import uuid7

from koffer.accounts.models import User
from koffer.placements import katalog
from koffer.placements.meldungen import selectors as meldungen
from koffer.placements.models import (
    Angebot,
    Belegung,
    Betreuungsform,
    Einrichtung,
    Entgelt,
    Fachbereich,
    Meldung,
    Platz,
    Platzgesuch,
    Region,
)
from koffer.placements.statistik import builders, sql
from koffer.placements.statistik.scopes import Scope
from koffer.tenancy.citus.schema import citus_installed
from koffer.tenancy.models import Mandant
from tests import factories
from tests.factories import placements as placement_factories

pytestmark = pytest.mark.django_db

YEAR = 2026
TODAY = date(2026, 12, 31)
WINDOW = sql.Window.of(YEAR, TODAY)
TRAEGER = 3
RATE = Decimal("100.00")  # Leistungsentgelt, 100 € a day from 2025 on
SHORT = (date(2026, 1, 1), date(2026, 1, 10))  # 10 days, ended
LONG = date(2026, 2, 1)  # open: 1 February to 31 December, 334 days


@dataclass
class State:
    lja: Mandant
    offices: list[Mandant]
    traeger: list[Mandant]
    fb: Fachbereich


def _state() -> State:
    katalog.load_default_catalogue()
    fb = Fachbereich.objects.get(code="jugendhilfe")
    heim = Betreuungsform.objects.get(fachbereich=fb, code="heim-34")
    region = Region.objects.get(name="Musterstadt")
    lja = factories.mandant("Landesjugendamt", kind=Mandant.Kind.LANDESJUGENDAMT)
    offices = [factories.mandant(f"Kreis {n}", kind=Mandant.Kind.KREIS) for n in "AB"]
    office_users = [factories.user(o, role="sachbearbeitung") for o in offices]
    traeger = [factories.mandant(f"Träger {i}", kind=Mandant.Kind.TRAEGER) for i in range(TRAEGER)]
    for i, owner in enumerate(traeger):
        user = factories.user(owner, role="platzverwaltung")
        einrichtung = placement_factories.einrichtung(
            actor=user,
            tenant=owner,
            fachbereich=fb,
            formen=[heim],
            name=f"Haus {i}",
            region=f"Region {i % 2}",
            aufsicht=lja,
        )
        _occupy(owner, einrichtung, heim, fb, region, offices, office_users)
        placement_factories.meldung(
            actor=user, tenant=owner, einrichtung=einrichtung, ereignis_datum=date(2026, 3, 1)
        )
    return State(lja, offices, traeger, fb)


def _occupy(
    owner: Mandant,
    einrichtung: Einrichtung,
    heim: Betreuungsform,
    fb: Fachbereich,
    region: Region,
    offices: list[Mandant],
    office_users: list[User],
) -> None:
    """Two places, one Belegung each: a short one of Kreis A (ended), a long one of Kreis B.
    Straight into the tables: the statistics read rows, not how they came to be."""
    angebot = Angebot.objects.create(
        id=uuid7(), tenant=owner, einrichtung=einrichtung, betreuungsform=heim, title="Heim"
    )
    Entgelt.objects.create(
        id=uuid7(),
        tenant=owner,
        angebot=angebot,
        valid_from=date(2025, 1, 1),
        leistungsentgelt=RATE,
    )
    for n, (office, user) in enumerate(zip(offices, office_users, strict=True)):
        platz = Platz.objects.create(
            id=uuid7(),
            tenant=owner,
            einrichtung=einrichtung,
            angebot=angebot,
            label=f"Platz {n + 1}",
            valid_from=date(2026, 1, 1),
        )
        beginn, ende = SHORT if n == 0 else (LONG, None)
        gesuch = Platzgesuch.objects.create(
            id=uuid7(),
            tenant=office,
            fachbereich=fb,
            betreuungsform=heim,
            pseudonym=f"G-{owner.slug}-{n}",
            alter=5 + 10 * n,
            geschlecht="wm"[n],
            ab_datum=beginn,
            region=region,
            status=Platzgesuch.Status.VERMITTELT,
            created_by=user,
        )
        Belegung.objects.create(
            id=uuid7(),
            tenant=owner,
            platz=platz,
            einrichtung=einrichtung,
            angebot=angebot,
            gesuch=gesuch,
            jugendamt=office,
            alter_bei_beginn=gesuch.alter,
            geschlecht=gesuch.geschlecht,
            beginn=beginn,
            ende=ende,
            ende_grund="planmaessig" if ende else "",
        )


@pytest.fixture
def state(db: None) -> State:
    return _state()


def _scope(kind: str, tenant: Mandant) -> Scope:
    return Scope(kind=kind, tenant_id=tenant.pk, tenant_name=tenant.name)  # type: ignore[arg-type]


def _figures(scope: Scope, fb: Fachbereich) -> tuple[dict[str, int], list[str]]:
    """The statistics' four counts summed over their groups, and the SQL they sent."""
    with CaptureQueriesContext(connection) as captured:
        begun = sql.count_begun(scope, WINDOW, fb)
        ended = sql.count_ended(scope, WINDOW, fb)
        occupancy, _ = sql.count_occupancy(scope, WINDOW, fb)
        capacity, _ = sql.count_capacity(scope, WINDOW, fb)
    figures = {
        "begonnen": sum(q.value for q in begun.values()),
        "beendet": sum(q.value for q in ended.values()),
        "belegungstage": sum(v[sql.DAYS + 12] for v in occupancy.values()),
        "belegungen": sum(v[sql.COUNTS + 12] for v in occupancy.values()),
        "cent": sum(v[sql.CENTS + 12] for v in occupancy.values()),
        "platztage": sum(v[12] for v in capacity.values()),
    }
    return figures, [q["sql"] for q in captured.captured_queries]


TASKS = re.compile(r"Task Count: (\d+)")
TASK_AGGREGATE = re.compile(r"->  Task\b.*?(HashAggregate|GroupAggregate|Aggregate)", re.DOTALL)


def _on_citus() -> bool:
    return connection.vendor == "postgresql" and citus_installed(connection)


def _plan(statement: str) -> str:
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (COSTS OFF) {statement}")
        return "\n".join(str(row[0]) for row in cursor.fetchall())


def _shape(statement: str) -> str:
    """``one`` (a single task or reference tables only), ``aggregate`` (a task per shard,
    grouped in each task), ``rows`` (a task per shard, rows to the coordinator) or
    ``pulled`` (a subquery planned apart: its rows went through the coordinator)."""
    plan = _plan(statement)
    if "Distributed Subplan" in plan:
        return "pulled"
    tasks = [int(n) for n in TASKS.findall(plan)]
    if not tasks or max(tasks) == 1:
        return "one"
    return "aggregate" if TASK_AGGREGATE.search(plan) else "rows"


def _shapes(statements: list[str]) -> dict[str, str]:
    return {s: _shape(s) for s in statements if s.lstrip().upper().startswith(("SELECT", "WITH"))}


def _report(shapes: dict[str, str]) -> str:
    return "\n\n".join(f"{shape}: {s}\n--\n{_plan(s)}" for s, shape in shapes.items())


# Per viewer: who looks, and the four counts over the whole year (see _state):
# a Träger has two Belegungen, 10 + 334 days, 100 € a day, two places from 1 January.
EXPECTED = {
    "aggregate": {
        "begonnen": 6,
        "beendet": 3,
        "belegungstage": 3 * (10 + 334),
        "belegungen": 6,
        "cent": 3 * (10 + 334) * 100_00,
        "platztage": 3 * 2 * 365,
    },
    # Kreis A: the three short Belegungen in the Träger's facilities, no places of its own.
    "requester": {
        "begonnen": 3,
        "beendet": 3,
        "belegungstage": 3 * 10,
        "belegungen": 3,
        "cent": 3 * 10 * 100_00,
        "platztage": 0,
    },
    "provider": {
        "begonnen": 2,
        "beendet": 1,
        "belegungstage": 10 + 334,
        "belegungen": 2,
        "cent": (10 + 334) * 100_00,
        "platztage": 2 * 365,
    },
}


def _viewer(state: State, kind: str) -> Mandant:
    return {"aggregate": state.lja, "requester": state.offices[0], "provider": state.traeger[0]}[
        kind
    ]


@pytest.mark.parametrize("kind", ["aggregate", "requester"])
def test_statistics_across_mandanten_are_distributed_aggregates(state: State, kind: str) -> None:
    """The Landesjugendamt's statistics (everything, aggregated) and a youth office's
    (its Belegungen in the Träger's facilities): the numbers of plain PostgreSQL, each
    count grouped on the workers, nothing planned apart."""
    figures, statements = _figures(_scope(kind, _viewer(state, kind)), state.fb)
    assert figures == EXPECTED[kind]
    if not _on_citus():
        return
    shapes = _shapes(statements)
    # begun, ended, days and counts, costs; capacity only for the Landesjugendamt
    assert len(shapes) == (5 if kind == "aggregate" else 4), _report(shapes)
    assert set(shapes.values()) == {"aggregate"}, _report(shapes)


def test_own_statistics_stay_on_one_shard(state: State) -> None:
    """A Träger's statistics of its own facilities: one Mandant, one task each."""
    figures, statements = _figures(_scope("provider", state.traeger[0]), state.fb)
    assert figures == EXPECTED["provider"]
    if not _on_citus():
        return
    shapes = _shapes(statements)
    assert shapes and set(shapes.values()) == {"one"}, _report(shapes)


def test_whole_statistics_page_sends_nothing_that_pulls_rows(state: State) -> None:
    """Every statement of the Landesjugendamt's statistics as the page builds them (the
    counts, the catalogue's names, the suppression): a distributed aggregate or a single
    task, never rows of all Mandanten to the coordinator."""
    scope = _scope("aggregate", state.lja)
    with CaptureQueriesContext(connection) as captured:
        stat = builders.statistik(scope=scope, year=YEAR, fachbereich=state.fb, today=TODAY)
    overview = stat.table("uebersicht")
    assert overview.cell(("Insgesamt",), "begonnen").value == 6
    if not _on_citus():
        return
    shapes = _shapes([q["sql"] for q in captured.captured_queries])
    assert "aggregate" in shapes.values(), _report(shapes)
    assert set(shapes.values()) <= {"aggregate", "one"}, _report(shapes)


def test_landesjugendamt_inbox_across_traeger(state: State) -> None:
    """The § 47 inbox of the Landesjugendamt: the Träger's notifications from every
    shard (filtered there, by the youth office's index), and its count summed from the
    workers' counts."""
    with CaptureQueriesContext(connection) as captured:
        inbox = list(meldungen.received(state.lja))
        total = meldungen.received(state.lja).count()
        per_status = dict(
            meldungen.received(state.lja).order_by().values_list("status").annotate(n=Count("pk"))
        )
    assert len(inbox) == total == TRAEGER
    assert {m.tenant_id for m in inbox} == {t.pk for t in state.traeger}
    assert per_status == {Meldung.Status.EINGEGANGEN: TRAEGER}
    if not _on_citus():
        return
    listing, count, grouped = (q["sql"] for q in captured.captured_queries)
    assert _shape(listing) == "rows", _plan(listing)
    assert _shape(count) == "aggregate", _plan(count)
    assert _shape(grouped) == "aggregate", _plan(grouped)
