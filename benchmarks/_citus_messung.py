"""Child of the ``scale_citus*`` benchmarks: one database (``KOFFER_DATABASE_URL``, plain
PostgreSQL or ``citus://…``), migrated, filled and measured in-process; the figures go to
stdout as ``RESULT {json}`` lines for the parent, which compares the databases.

    python -m benchmarks._citus_messung akten|statistik '{"scale": 0.01, ...}'

``akten``: the E-Akte data set (``benchmarks.data.build``) for one Mandant of ``scale``,
and the same amount spread over ``mandanten`` more Mandanten, in one database; then
„Meine Akten“, the Akte page and the search as that Mandant's caseworker (Django's test
client), „Meine Akten“ and the search as a caseworker of
one of the many small Mandanten, and the Platzbörse's reservation (the world of
``placements_reservierung``: reserve a place, withdraw the hold), and what a single
statement costs (``SELECT 1``, a routed one, a reference table's). It serves the parent:
after building and warming up it says ``READY`` with the statements per case, then runs
the requests the parent asks for in small turns, so that the parent can interleave two
databases' children (``benchmarks.scale_citus``). A case Citus refuses is reported with
its error instead of figures.

``statistik``: the state-wide data of ``placements_statistik`` and the Landesjugendamt's
statistics (``builders.statistik``, aggregated over every Mandant), ``rounds`` times; on
Citus with ``drain`` also after every shard was moved off the last worker.
"""

from __future__ import annotations

import json
import os
import sys
import time
from collections.abc import Callable
from typing import Any

RESULT = "RESULT "
READY = "READY "
PAGES = ("meine_akten", "akte", "suche", "meine_akten_50", "suche_50")
# Statements a sample of the statement probes runs (its figure is their mean).
STATEMENTS = 20


def main(argv: list[str]) -> int:
    part, options = argv[1], json.loads(argv[2])
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koffer.settings")
    import django

    django.setup()
    from django.core.management import call_command

    from benchmarks.report import note

    began = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    note(f"migriert in {time.perf_counter() - began:.0f} s")
    if part == "akten":
        _serve(options)
    else:
        print(RESULT + json.dumps(_statistik(**options)), flush=True)
    return 0


def _figures(samples: list[float], statements: int) -> dict[str, float]:
    from benchmarks.report import percentile

    return {
        "p50_ms": percentile(samples, 50),
        "p95_ms": percentile(samples, 95),
        "queries": statements,
    }


def _failed(exc: Exception) -> dict[str, str]:
    return {"error": f"{type(exc).__name__}: {str(exc).splitlines()[0][:160]}"}


def _serve(options: dict[str, Any]) -> None:
    """``akten`` as a server: build, warm every case up, say ``READY {json}``, then run
    what the parent asks on stdin, one JSON line each: ``{"case": c, "n": k}`` runs case
    ``c`` ``k`` times and answers ``RESULT [ms, …]`` (or ``RESULT {"error": …}``); end of
    input ends the child."""
    out, cases = _akten(**options)
    print(READY + json.dumps(out), flush=True)
    for line in sys.stdin:
        ask = json.loads(line)
        run = cases[ask["case"]]
        try:
            answer: Any = [run() for _ in range(int(ask["n"]))]
        except Exception as exc:  # Citus refuses a statement: the parent says which
            answer = _failed(exc)
        print(RESULT + json.dumps(answer), flush=True)


def _akten(
    *, scale: float, mandanten: int, reservations: int, **_rest: Any
) -> tuple[dict[str, Any], dict[str, Callable[[], float]]]:
    """The data set built and every case warmed up: the figures known so far (``build_s``,
    ``akten``, per case its statements or its error) and per case a callable that runs it
    once and returns its milliseconds."""
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from benchmarks import data
    from benchmarks.inprocess import queries
    from benchmarks.report import note
    from koffer.accounts.models import User
    from koffer.records.models import Akte, DokumentVersion
    from koffer.tenancy.models import Mandant

    began = time.perf_counter()
    out: dict[str, Any] = {"build_s": 0, "akten": 0, "akten_one": 0}
    runners: dict[str, Callable[[], float]] = {}
    try:
        data.build(scale)
        # The same amount of Akten spread over many Mandanten (one team each, so that a
        # data set's minimum of ten Akten a team keeps the sum), beside the one large
        # Mandant in the same database.
        for n in range(mandanten):
            data.build(
                scale / mandanten, slug=f"bench-{n:02d}", users=f"m{n:02d}.", units=1, seed=n
            )
    except Exception as exc:  # Citus refuses a write of the data set: say which
        failed = _failed(exc)
        out.update(dict.fromkeys(PAGES, failed))
        _reservations(reservations, out, runners)
        return out, runners
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    out["build_s"] = time.perf_counter() - began
    note(f"Daten angelegt in {out['build_s']:.0f} s")
    bench = Mandant.objects.get(slug="bench")
    out["akten"] = Akte.objects.unscoped().count()
    out["akten_one"] = Akte.objects.for_tenant(bench).count()

    def viewer(username: str, slug: str) -> tuple[Client, str, str]:
        user = User.objects.get(username=username)
        tenant = Mandant.objects.get(slug=slug)
        akte = Akte.objects.for_tenant(tenant).filter(caseworker=user).order_by("pk").first()
        assert akte is not None
        text = (
            DokumentVersion.objects.for_tenant(tenant)
            .filter(dokument__akte=akte)
            .values_list("text", flat=True)
            .first()
        )
        word = next(w for w in (text or "Bescheid").split() if len(w) >= 7 and w.isalpha())
        client = Client()
        client.force_login(user)
        return client, reverse("records:akte_detail", args=[akte.pk]), word

    one, akte_url, word = viewer("sb011", "bench")
    many, _, many_word = viewer("m00.sb011", "bench-00")
    pages: dict[str, tuple[Client, str]] = {
        "meine_akten": (one, reverse("records:akten")),
        "akte": (one, akte_url),
        "suche": (one, f"{reverse('records:suche')}?q={word}"),
        "meine_akten_50": (many, reverse("records:akten")),
        "suche_50": (many, f"{reverse('records:suche')}?q={many_word}"),
    }
    for case, (client, url) in pages.items():
        try:
            for _ in range(20):  # warm-up
                assert client.get(url).status_code == 200
            out[case] = {"queries": queries(client, url)}
        except Exception as exc:  # Citus refuses a statement: the figure says which
            out[case] = _failed(exc)
            continue
        runners[case] = _page(client, url)
    _statements(bench, out, runners)
    _reservations(reservations, out, runners)
    return out, runners


def _page(client: Any, url: str) -> Callable[[], float]:
    def once() -> float:
        began = time.perf_counter()
        response = client.get(url)
        took = (time.perf_counter() - began) * 1000
        assert response.status_code == 200, response.status_code
        return took

    return once


def _statements(tenant: Any, out: dict[str, Any], runners: dict[str, Callable[[], float]]) -> None:
    """What one statement costs, without Django around it (the mean of ``STATEMENTS``):
    ``SELECT 1`` (the way to the server and back; on Citus the coordinator answers it
    alone), one Akte by ``tenant_id`` and id (on Citus routed by the fast path to the
    shard's worker) and one Mandant by id (a reference table: on Citus read where its
    placement is local to the coordinator)."""
    from django.db import connection

    from koffer.records.models import Akte

    akte = Akte.objects.for_tenant(tenant).order_by("pk").first()
    assert akte is not None
    probes = {
        "stmt_select1": ("SELECT 1", []),
        "stmt_routed": (
            "SELECT id, title FROM records_akte WHERE tenant_id = %s AND id = %s",
            [tenant.pk, akte.pk],
        ),
        "stmt_reference": ("SELECT id, slug FROM tenancy_mandant WHERE id = %s", [tenant.pk]),
    }

    def probe(sql: str, params: list[Any]) -> Callable[[], float]:
        def once() -> float:
            with connection.cursor() as cursor:
                began = time.perf_counter()
                for _ in range(STATEMENTS):
                    cursor.execute(sql, params)
                    cursor.fetchall()
                return (time.perf_counter() - began) * 1000 / STATEMENTS

        return once

    for case, (sql, params) in probes.items():
        runners[case] = probe(sql, params)
        for _ in range(5):
            runners[case]()  # warm-up: the plan cached, the connection to the worker open
        out[case] = {"queries": 1}


def _reservations(count: int, out: dict[str, Any], runners: dict[str, Callable[[], float]]) -> None:
    """Reserve a place and withdraw the hold, ``count`` times at most: the critical
    section with its row locks, the availability check and the audit events, twice per
    round; each round takes the next Gesuch."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks import placements_reservierung
    from koffer.accounts.models import User
    from koffer.placements.belegung import services as belegung
    from koffer.placements.models import Angebot, Platzgesuch
    from koffer.tenancy.models import Mandant

    try:
        _, gesuche, angebot_id = placements_reservierung.world()
        machine = User.objects.get(username="fachverfahren")
        tenant = Mandant.objects.get(slug="bench-amt")
        angebot = Angebot.objects.unscoped().get(pk=angebot_id)
        needs = iter(Platzgesuch.objects.for_tenant(tenant).filter(pk__in=gesuche[: count + 2]))

        def once() -> float:
            began = time.perf_counter()
            hold = belegung.reserve(actor=machine, gesuch=next(needs), angebot=angebot)
            belegung.withdraw(  # as the youth office's pages do: they name the provider
                actor=machine,
                tenant=tenant,
                reservierung_id=hold.pk,
                reason="Test",
                anbieter_id=hold.tenant_id,
            )
            return (time.perf_counter() - began) * 1000

        once()
        with CaptureQueriesContext(connection) as captured:
            once()
    except Exception as exc:  # the world is made through the same critical section
        out["reservierung"] = _failed(exc)
        return
    out["reservierung"] = {"queries": len(captured.captured_queries)}
    runners["reservierung"] = once


def _statistik(*, rounds: int, drain: bool, restore: bool = False) -> dict[str, Any]:
    from django.db import connection

    from benchmarks import placements_statistik
    from benchmarks.report import note
    from koffer.placements.models import Belegung, Fachbereich
    from koffer.placements.statistik import builders
    from koffer.placements.statistik.scopes import Scope

    began = time.perf_counter()
    lja, _, counts = placements_statistik.build()
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    note(f"Daten angelegt in {time.perf_counter() - began:.0f} s: {counts}")
    fb = Fachbereich.objects.get(code="jugendhilfe")
    scope = Scope("aggregate", lja.pk, lja.name)

    def lja_statistik() -> None:
        builders.statistik(
            scope=scope,
            year=placements_statistik.YEAR,
            fachbereich=fb,
            today=placements_statistik.TODAY,
        )

    def timed() -> dict[str, float]:
        lja_statistik()  # warm-up
        samples = []
        for _ in range(rounds):
            t = time.perf_counter()
            lja_statistik()
            samples.append((time.perf_counter() - t) * 1000)
        return _figures(samples, 0)

    out: dict[str, Any] = {"belegungen": Belegung.objects.unscoped().count()}
    out["workers_all"] = {**timed(), "workers": _workers_with_shards()}
    if drain:
        began = time.perf_counter()
        moved = _drain_last_worker()
        out["drain_s"] = time.perf_counter() - began
        out["moved_shards"] = moved
        out["workers_one"] = {**timed(), "workers": _workers_with_shards()}
        if restore:  # a cluster the benchmark did not start is left as it was found
            began = time.perf_counter()
            _rebalance()
            out["rebalance_s"] = time.perf_counter() - began
    return out


def _workers_with_shards() -> int:
    from django.db import connection

    if connection.vendor != "postgresql":
        return 0
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_extension WHERE extname = 'citus'")
        if not cursor.fetchone()[0]:
            return 0
        cursor.execute(
            "SELECT count(DISTINCT nodeport) FROM citus_shards WHERE citus_table_type = 'distributed'"
        )
        return int(cursor.fetchone()[0])


def _drain_last_worker() -> int:
    """Every shard of the last worker moved to the others (``citus_drain_node``), as an
    operator empties a worker before it is removed; returns how many shards moved."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nodename, nodeport FROM pg_dist_node WHERE shouldhaveshards "
            "AND noderole = 'primary' ORDER BY nodeport DESC LIMIT 1"
        )
        host, port = cursor.fetchone()
        cursor.execute(
            "SELECT count(*) FROM citus_shards WHERE nodeport = %s AND citus_table_type = 'distributed'",
            [port],
        )
        moved = int(cursor.fetchone()[0])
        cursor.execute(
            "SELECT citus_drain_node(%s, %s, shard_transfer_mode := 'block_writes')", [host, port]
        )
    return moved


def _rebalance() -> None:
    """The drained worker takes shards again, and they are spread evenly."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT citus_set_node_property(nodename, nodeport, 'shouldhaveshards', true) "
            "FROM pg_dist_node WHERE noderole = 'primary' AND groupid <> 0"
        )
        cursor.execute("SELECT rebalance_table_shards(shard_transfer_mode := 'block_writes')")


if __name__ == "__main__":
    sys.exit(main(sys.argv))
