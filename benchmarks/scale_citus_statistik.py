"""A statistic across every Mandant on Citus with two workers and with one: the
Landesjugendamt's statistics of the Platzbörse (``builders.statistik``, aggregated over
all Träger; its statements are distributed aggregates, ``tests/distributed/
test_statistik_aggregates.py``) on the state-wide data of ``placements_statistik`` (200
Träger, 2,000 facilities, about 15,000 Belegungen at full size), and on plain PostgreSQL in
the same run.

One cluster of a coordinator and two workers (8 shards per table; a smoke run 2, one per
worker, so its drain moves one co-location group instead of four): measured with the
shards on both workers, then every shard of the second worker moved to the first with
``citus_drain_node`` — what an operator does before removing a worker — and measured
again on one (a cluster given by ``KOFFER_BENCH_CITUS_URL`` is rebalanced afterwards, as
it was). Printed: p50/p95 per layout, the time the move took, and the ratio one
worker/two workers (> 1: the statistic gains from the second worker).

Both workers run on this machine and share its cores with the coordinator and the client,
so the gain is bounded by free cores, not by the design: read the machine's load beside
the figures.
"""

from __future__ import annotations

import os

from benchmarks import _citus
from benchmarks.report import emit, note
from benchmarks.scale import setting, smoke

# A smoke run starts a cluster and migrates it and a plain PostgreSQL: minutes on 2 cores.
SMOKE_TIMEOUT = 900
NAME = "scale_citus_statistik"
ROUNDS = setting("KOFFER_BENCH_ROUNDS_STATISTIK", 20, 1)


def run() -> None:
    reason = _citus.why_not()
    if reason:
        emit(NAME, db="citus", skipped=True, reason=reason)
        return
    note("PostgreSQL …")
    pg = _citus.measure("statistik", "postgresql", rounds=ROUNDS, drain=False)
    note("Citus, Koordinator und zwei Worker …")
    with _citus.cluster(workers=2) as url:
        citus = _citus.measure(
            "statistik", url, rounds=ROUNDS, drain=True, restore=bool(_citus.given_url())
        )
    load = round(os.getloadavg()[0], 2)
    emit(
        NAME,
        db="postgresql",
        case="lja_aggregiert",
        belegungen=pg["belegungen"],
        rounds=ROUNDS,
        p50_ms=pg["workers_all"]["p50_ms"],
        p95_ms=pg["workers_all"]["p95_ms"],
    )
    for layout in ("workers_all", "workers_one"):
        figures = citus[layout]
        emit(
            NAME,
            db="citus",
            case="lja_aggregiert",
            workers=figures["workers"],
            belegungen=citus["belegungen"],
            rounds=ROUNDS,
            p50_ms=figures["p50_ms"],
            p95_ms=figures["p95_ms"],
        )
    emit(
        NAME,
        db="citus",
        case="drain",
        shards_per_table=_citus.shard_count(),
        moved_shards=citus["moved_shards"],
        seconds=citus["drain_s"],
        **({"rebalance_s": citus["rebalance_s"]} if "rebalance_s" in citus else {}),
    )
    emit(
        NAME,
        db="citus",
        ratio="1_worker/2_worker",
        p50=citus["workers_one"]["p50_ms"] / citus["workers_all"]["p50_ms"],
        p95=citus["workers_one"]["p95_ms"] / citus["workers_all"]["p95_ms"],
        citus_vs_postgresql_p50=citus["workers_all"]["p50_ms"] / pg["workers_all"]["p50_ms"],
        load1=load,
        smoke=smoke(),
    )
