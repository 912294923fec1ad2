"""The E-Akte's and the Platzbörse's hot paths on a 3-node Citus cluster (a coordinator,
two workers, distributed by ``tenant_id``) against plain PostgreSQL, in the same run and
under the same conditions; and a simulated state: one Mandant beside the same amount of
Akten spread over 50 Mandanten.

Each database gets the same data in a child process of its own
(``benchmarks._citus_messung akten``): the E-Akte data set of ``benchmarks.data`` for one
Mandant (``KOFFER_BENCH_CITUS_SCALE``, 0.02 = 2,000 Akten and 20,000 Dokumente) and the
same amount spread over 50 more Mandanten. Measured in-process with Django's test client
as the Mandant's caseworker: „Meine Akten“, the Akte page and the search; „Meine Akten“
and the search as a caseworker of one of the 50; a reservation (reserve a place, withdraw
the hold) in the world of ``placements_reservierung``; and what one statement costs
without Django (``stmt_select1``: ``SELECT 1``; ``stmt_routed``: an Akte by tenant_id and
id, on Citus routed to a worker; ``stmt_reference``: a Mandant by id, a reference table).
Printed per database and case p50/p95 and statements; then the ratio Citus/PostgreSQL
(target ≤ 1.5 for a single-tenant request, issue 20) and, per database, the 50-Mandanten
case against the one large Mandant. A case Citus refuses is printed as skipped with
Citus' error.

Why interleaved: measured one database after the other, the second half ran under
another load than the first (on a shared machine the load average moved from 15 to 24
within one run), and that drift landed in the ratio. So both children build their data
at the same time and wait, warmed up; then the parent lets them take turns over pipes —
``TURN`` requests of a case on one database, then on the other, case after case, the
first database alternating from round to round — until every case has its requests. Both
databases see the same load, second by second; the ratio compares them, not the hours.

The cluster runs on this machine (``scripts/citus.py``, free ports), so its figures hold
the coordinator's extra hop over loopback and the workers' CPU competes with the test
client's; without Citus installed the benchmark prints one line saying so.
"""

from __future__ import annotations

import os
from typing import Any

from benchmarks import _citus
from benchmarks.report import emit, note, percentile
from benchmarks.scale import setting, smoke

# A smoke run starts a cluster and migrates it and a plain PostgreSQL side by side: 14 min
# at load 21 on 2 cores (2026-12-07), most of it the two migrations.
SMOKE_TIMEOUT = 1500
# Two databases each filled with 51 Mandanten: more than the default half hour when loaded.
TIMEOUT = 3600
NAME = "scale_citus"
SCALE = float(os.environ.get("KOFFER_BENCH_CITUS_SCALE") or (0.0005 if smoke() else 0.02))
MANDANTEN = setting("KOFFER_BENCH_CITUS_MANDANTEN", 50, 2)
REQUESTS = setting("KOFFER_BENCH_ITERATIONS", 100, 3)
RESERVATIONS = setting("KOFFER_BENCH_CITUS_RESERVATIONS", 50, 4)
TARGET_RATIO = 1.5
SINGLE_TENANT = ("meine_akten", "akte", "suche", "reservierung")
SPREAD = {"meine_akten_50": "meine_akten", "suche_50": "suche"}
PAGES = ("meine_akten", "akte", "suche", "meine_akten_50", "suche_50")
STATEMENT_PROBES = ("stmt_select1", "stmt_routed", "stmt_reference")
# Requests of one case a database runs before the other takes its turn.
TURN = 5


def run() -> None:
    reason = _citus.why_not()
    if reason:
        emit(NAME, db="citus", skipped=True, reason=reason)
        return
    options = {"scale": SCALE, "mandanten": MANDANTEN, "reservations": RESERVATIONS}
    load = [round(os.getloadavg()[0], 2)]
    note("PostgreSQL und Citus (Koordinator und zwei Worker) bauen ihre Daten …")
    with (
        _citus.cluster(workers=2) as url,
        _citus.served("akten", "postgresql", **options) as pg,
        _citus.served("akten", url, **options) as citus,
    ):
        children = {"postgresql": pg, "citus": citus}
        results = {db: child.ready() for db, child in children.items()}
        load.append(round(os.getloadavg()[0], 2))
        note("abwechselnd gemessen …")
        samples = _interleaved(children, results)
        load.append(round(os.getloadavg()[0], 2))
    for db, figures in results.items():
        for case, got in samples[db].items():
            if got:
                figures[case].update(p50_ms=percentile(got, 50), p95_ms=percentile(got, 95))
        _emit_database(db, figures)
    pg_figures, citus_figures = results["postgresql"], results["citus"]
    for case in (*SINGLE_TENANT, *STATEMENT_PROBES):
        if "error" in pg_figures[case] or "error" in citus_figures[case]:
            continue
        ratio = citus_figures[case]["p50_ms"] / pg_figures[case]["p50_ms"]
        emit(
            NAME,
            db="citus",
            ratio="citus/postgresql",
            case=case,
            p50=ratio,
            p95=citus_figures[case]["p95_ms"] / pg_figures[case]["p95_ms"],
            target="p50<=1.5x" if case in SINGLE_TENANT else "",
            met=ratio <= TARGET_RATIO if case in SINGLE_TENANT else "",
            smoke=smoke(),
        )
    emit(NAME, db="citus", load1=load[-1], load1_built=load[1], load1_start=load[0])


def _interleaved(
    children: dict[str, _citus.Child], results: dict[str, dict[str, Any]]
) -> dict[str, dict[str, list[float]]]:
    """Every case's requests, ``TURN`` at a time, the databases taking turns (the first
    one alternating per round); a case one database refuses is measured on neither."""
    wanted = {case: REQUESTS for case in (*PAGES, *STATEMENT_PROBES)}
    wanted["reservierung"] = RESERVATIONS
    cases = [c for c in wanted if all("error" not in r[c] for r in results.values())]
    samples: dict[str, dict[str, list[float]]] = {db: {c: [] for c in cases} for db in children}
    order = list(children)
    first = order[0]
    while left := [c for c in cases if len(samples[first][c]) < wanted[c]]:
        for case in left:
            n = min(TURN, wanted[case] - len(samples[first][case]))
            for db in order:
                got = children[db].run(case, n)
                if isinstance(got, dict):  # refused mid-way: the error instead of figures
                    results[db][case].update(got)
                    cases.remove(case)
                    break
                samples[db][case].extend(got)
        order.reverse()  # the other database goes first in the next round
    return samples


def _emit_database(db: str, figures: dict[str, Any]) -> None:
    emit(
        NAME,
        db=db,
        case="data",
        akten=figures["akten"],
        akten_one_mandant=figures["akten_one"],
        mandanten=1 + MANDANTEN,
        build_s=figures["build_s"],
    )
    for case in (*SINGLE_TENANT, *SPREAD, *STATEMENT_PROBES):
        got = figures.get(case, {"error": "nicht gemessen"})
        if "error" in got:
            emit(NAME, db=db, case=case, skipped=True, reason=got["error"])
        elif "p50_ms" in got:
            emit(NAME, db=db, case=case, requests=len_of(case), **got)
    for case, against in SPREAD.items():
        if any("p95_ms" not in figures.get(c, {}) for c in (case, against)):
            continue
        emit(
            NAME,
            db=db,
            ratio=f"{case}/{against}",
            p95=figures[case]["p95_ms"] / figures[against]["p95_ms"],
            target="p95 unverändert (<=1.2)",
            met=figures[case]["p95_ms"] <= 1.2 * figures[against]["p95_ms"],
            smoke=smoke(),
        )


def len_of(case: str) -> int:
    return RESERVATIONS if case == "reservierung" else REQUESTS
