"""The E-Akte's and the Platzbörse's hot paths on a 3-node Citus cluster (a coordinator,
two workers, distributed by ``tenant_id``) against plain PostgreSQL, in the same run; and
a simulated state: one Mandant beside the same amount of Akten spread over 50 Mandanten.

Each database gets the same data in a child process of its own
(``benchmarks._citus_messung akten``): the E-Akte data set of ``benchmarks.data`` for one
Mandant (``KOFFER_BENCH_CITUS_SCALE``, 0.02 = 2,000 Akten and 20,000 Dokumente) and the
same amount spread over 50 more Mandanten. Measured in-process with Django's test client
as the Mandant's caseworker: „Meine Akten“, the Akte page and the search; „Meine Akten“
and the search as a caseworker of one of the 50; and a reservation (reserve a place,
withdraw the hold) in the world of ``placements_reservierung``. Printed per database and
case p50/p95 and statements; then the ratio Citus/PostgreSQL (target ≤ 1.5 for a
single-tenant request, issue 20) and, per database, the 50-Mandanten case against the one
large Mandant. A case Citus refuses is printed as skipped with Citus' error.

The cluster runs on this machine (``scripts/citus.py``, free ports), so its figures hold
the coordinator's extra hop over loopback and the workers' CPU competes with the test
client's; without Citus installed the benchmark prints one line saying so.
"""

from __future__ import annotations

import os

from benchmarks import _citus
from benchmarks.report import emit, note
from benchmarks.scale import setting, smoke

# A smoke run starts a cluster and migrates it and a plain PostgreSQL: minutes on 2 cores.
SMOKE_TIMEOUT = 900
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


def run() -> None:
    reason = _citus.why_not()
    if reason:
        emit(NAME, db="citus", skipped=True, reason=reason)
        return
    options = {
        "scale": SCALE,
        "mandanten": MANDANTEN,
        "requests": REQUESTS,
        "reservations": RESERVATIONS,
    }
    note("PostgreSQL …")
    results = {"postgresql": _citus.measure("akten", "postgresql", **options)}
    note("Citus, Koordinator und zwei Worker …")
    with _citus.cluster(workers=2) as url:
        results["citus"] = _citus.measure("akten", url, **options)
    for db, figures in results.items():
        emit(
            NAME,
            db=db,
            case="data",
            akten=figures["akten"],
            akten_one_mandant=figures["akten_one"],
            mandanten=1 + MANDANTEN,
            build_s=figures["build_s"],
        )
        for case in (*SINGLE_TENANT, *SPREAD):
            got = figures[case]
            if "error" in got:
                emit(NAME, db=db, case=case, skipped=True, reason=got["error"])
            else:
                emit(NAME, db=db, case=case, requests=REQUESTS, **got)
        for case, against in SPREAD.items():
            if "error" in figures[case] or "error" in figures[against]:
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
    pg, citus = results["postgresql"], results["citus"]
    for case in SINGLE_TENANT:
        if "error" in pg[case] or "error" in citus[case]:
            continue
        ratio = citus[case]["p50_ms"] / pg[case]["p50_ms"]
        emit(
            NAME,
            db="citus",
            ratio="citus/postgresql",
            case=case,
            p50=ratio,
            p95=citus[case]["p95_ms"] / pg[case]["p95_ms"],
            target="p50<=1.5x",
            met=ratio <= TARGET_RATIO,
            smoke=smoke(),
        )
    emit(NAME, db="citus", load1=round(os.getloadavg()[0], 2))
