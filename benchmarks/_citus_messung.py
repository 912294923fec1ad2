"""Child of the ``scale_citus*`` benchmarks: one database (``KOFFER_DATABASE_URL``, plain
PostgreSQL or ``citus://…``), migrated, filled and measured in-process; the figures go to
stdout as one ``RESULT {json}`` line for the parent, which compares the databases.

    python -m benchmarks._citus_messung akten|statistik '{"scale": 0.01, ...}'

``akten``: the E-Akte data set (``benchmarks.data.build``) for one Mandant of ``scale``,
and the same amount spread over ``mandanten`` more Mandanten, in one database; then
„Meine Akten“, the Akte page and the search as that Mandant's caseworker (Django's test
client, ``benchmarks.inprocess.measure``), „Meine Akten“ and the search as a caseworker of
one of the many small Mandanten, and the Platzbörse's reservation (the world of
``placements_reservierung``: reserve a place, withdraw the hold). A part Citus refuses is
reported with its error instead of figures.

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
    figures = {"akten": _akten, "statistik": _statistik}[part](**options)
    print(RESULT + json.dumps(figures), flush=True)
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


def _akten(*, scale: float, mandanten: int, requests: int, reservations: int) -> dict[str, Any]:
    from django.db import connection
    from django.test import Client
    from django.urls import reverse

    from benchmarks import data
    from benchmarks.inprocess import measure
    from benchmarks.report import note
    from koffer.accounts.models import User
    from koffer.records.models import Akte, DokumentVersion
    from koffer.tenancy.models import Mandant

    began = time.perf_counter()
    cases = ("meine_akten", "akte", "suche", "meine_akten_50", "suche_50")
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
        return {
            "build_s": 0,
            "akten": 0,
            "akten_one": 0,
            **dict.fromkeys(cases, failed),
            "reservierung": _reservations(reservations),
        }
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    built = time.perf_counter() - began
    note(f"Daten angelegt in {built:.0f} s")
    out: dict[str, Any] = {
        "build_s": built,
        "akten": Akte.objects.unscoped().count(),
        "akten_one": Akte.objects.for_tenant(Mandant.objects.get(slug="bench")).count(),
    }

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
            samples, statements = measure(client, url, requests)
        except Exception as exc:  # Citus refuses a statement: the figure says which
            out[case] = _failed(exc)
            continue
        out[case] = _figures(samples, statements)
        note(f"{case}: p95 {out[case]['p95_ms']:.1f} ms")
    out["reservierung"] = _reservations(reservations)
    return out


def _reservations(count: int) -> dict[str, Any]:
    """Reserve a place and withdraw the hold, ``count`` times: the critical section with
    its row locks, the availability check and the audit events, twice per round."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks import placements_reservierung
    from koffer.accounts.models import User
    from koffer.placements.belegung import services as belegung
    from koffer.placements.models import Angebot, Platzgesuch
    from koffer.tenancy.models import Mandant

    try:
        _, gesuche, angebot_id = placements_reservierung.world()
    except Exception as exc:  # the world is made through the same critical section
        return _failed(exc)
    machine = User.objects.get(username="fachverfahren")
    tenant = Mandant.objects.get(slug="bench-amt")
    angebot = Angebot.objects.unscoped().get(pk=angebot_id)
    needs = list(Platzgesuch.objects.for_tenant(tenant).filter(pk__in=gesuche[:count]))

    def one_round(gesuch: Any) -> None:
        hold = belegung.reserve(actor=machine, gesuch=gesuch, angebot=angebot)
        belegung.withdraw(actor=machine, tenant=tenant, reservierung_id=hold.pk, reason="Test")

    try:
        one_round(needs[0])
        with CaptureQueriesContext(connection) as captured:
            one_round(needs[1])
        samples = [_timed(one_round, gesuch) for gesuch in needs[2:]]
    except Exception as exc:
        return _failed(exc)
    return _figures(samples, len(captured.captured_queries))


def _timed(fn: Callable[[Any], None], arg: Any) -> float:
    began = time.perf_counter()
    fn(arg)
    return (time.perf_counter() - began) * 1000


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
