"""``python -m benchmarks [--only PREFIX] [--db sqlite|postgresql|all] [--list] [--smoke]``

Runs every discovered benchmark (see the package docstring) in its own child process with
a throwaway ``KOFFER_VAR_DIR``, prints the machine and the ``BENCH`` lines, and exits
non-zero when a benchmark crashes. A missed target is a figure (``met=no``), not a crash.

``--smoke`` (``make bench-smoke``, part of ``make test``) runs every benchmark once at a
tiny scale on its first database (``benchmarks.scale``): it proves that each still
imports and runs to the end, so that none rots between two ``make bench``; its figures
mean nothing.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from tests import dbtemplate

from benchmarks import data, machine, scale
from benchmarks.discovery import Benchmark, discover, select
from benchmarks.report import emit

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT_SECONDS = int(os.environ.get("KOFFER_BENCH_TIMEOUT", "1800"))
SMOKE_TIMEOUT_SECONDS = 300
SMOKE_PARALLEL = 2
SQLITE_FILE = "koffer.sqlite3"  # in KOFFER_VAR_DIR, as koffer.settings names it


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--only", help="nur Benchmarks, deren Name so beginnt (z. B. core)")
    parser.add_argument(
        "--db", choices=["sqlite", "postgresql", "all"], default="all", help="Datenbank(en)"
    )
    parser.add_argument("--list", action="store_true", help="Benchmarks nur auflisten")
    parser.add_argument(
        "--smoke", action="store_true", help="jeden Benchmark einmal winzig laufen lassen"
    )
    args = parser.parse_args(argv)
    if args.smoke:
        os.environ[scale.SMOKE_ENV] = "1"  # read by the children

    chosen = select(discover(), args.only)
    if args.list:
        for bench in chosen:
            print(f"{bench.name}  ({', '.join(bench.databases)})")
        return 0
    if not chosen:
        print(f"Kein Benchmark beginnt mit {args.only!r}.", file=sys.stderr)
        return 2

    emit("machine", **machine.describe())
    runs: list[tuple[Benchmark, str]] = []
    for bench in chosen:
        for db in bench.databases[:1] if args.smoke else bench.databases:
            if args.db not in ("all", db):
                continue
            if db == "postgresql" and machine.postgres_binary("initdb") is None:
                emit(bench.name, db=db, skipped="PostgreSQL nicht installiert")
                continue
            runs.append((bench, db))
    # Measurements run one at a time; a smoke run measures nothing, so it uses both cores
    # and migrates one SQLite database that each benchmark starts from a copy of.
    template = _migrated_sqlite() if args.smoke and any(db == "sqlite" for _, db in runs) else None
    with ThreadPoolExecutor(max_workers=SMOKE_PARALLEL if args.smoke else 1) as pool:
        outcomes = list(pool.map(lambda run: _run_one(*run, template=template), runs))
    if template is not None:
        shutil.rmtree(template.parent, ignore_errors=True)
    crashed = [f"{b.name} ({db})" for (b, db), ok in zip(runs, outcomes, strict=True) if not ok]
    # Other processes on the machine move every figure: the load before and after tells.
    emit("machine", load1_end=round(os.getloadavg()[0], 2))
    if crashed:
        print(f"Abgestürzt: {', '.join(crashed)}", file=sys.stderr)
        return 1
    return 0


def _migrated_sqlite() -> Path:
    """A migrated empty SQLite database (a smoke run's children copy it: migrating is most
    of a tiny benchmark's time). In `make test` it is a copy of the one the test runs
    migrated for the same code (tests/dbtemplate.py, KOFFER_TEST_DB_CACHE)."""
    var_dir = tempfile.mkdtemp(prefix="koffer-bench-template-")
    result = dbtemplate.migrate_var_dir(Path(var_dir), _env(var_dir))
    if result.returncode != 0:
        sys.exit(f"migrate ist fehlgeschlagen:\n{result.stdout}\n{result.stderr}")
    return Path(var_dir) / SQLITE_FILE


def _env(var_dir: str) -> dict[str, str]:
    env = {
        **os.environ,
        "KOFFER_VAR_DIR": var_dir,
        # The prebuilt data (var/bench, kept between runs) names the audit key its chain
        # was sealed with: keys and anchors live next to it, not in the throwaway folder.
        "KOFFER_AUDIT_KEY_DIR": str(ROOT / "var" / "bench" / "audit-keys"),
        "KOFFER_AUDIT_ANCHOR_DIR": str(ROOT / "var" / "bench" / "audit-anchors"),
        "KOFFER_DEMO": "1",
        "DJANGO_SETTINGS_MODULE": "koffer.settings",
        "PYTHONPATH": os.pathsep.join(
            p for p in (str(ROOT / "src"), str(ROOT), os.environ.get("PYTHONPATH", "")) if p
        ),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    given = env.pop("KOFFER_DATABASE_URL", "")
    if given.startswith("citus://"):  # a running cluster for the scale_citus benchmarks
        env.setdefault("KOFFER_BENCH_CITUS_URL", given)
    return env


def _run_one(bench: Benchmark, db: str, *, template: Path | None = None) -> bool:
    var_dir = tempfile.mkdtemp(prefix=f"koffer-bench-{bench.module}-")
    env = _env(var_dir)
    if db == "sqlite" and template is not None:
        shutil.copyfile(template, Path(var_dir) / SQLITE_FILE)
    command = [sys.executable, "-m", "benchmarks.runner", bench.module]
    if db == "postgresql":
        server = [sys.executable, "-m", "tests.pgserver"]
        if bench.pg_data and not scale.smoke():
            # Built before the benchmark's own time starts (untimed, reported by the build),
            # kept in var/bench and reused by the next run; the benchmark is told its scale.
            pg_scale = data.pg_scale()
            data.ensure_postgres(pg_scale, _env(var_dir))
            env["KOFFER_BENCH_PG_DATA"] = str(pg_scale)
            server += ["--data", str(data.pg_dir(pg_scale))]
        command = [*server, "--", *command]
    print(f"== {bench.name} ({db})", file=sys.stderr, flush=True)
    started = time.monotonic()
    # Own process group: a crashed or timed-out benchmark takes its granian workers along.
    child = subprocess.Popen(command, env=env, cwd=ROOT, start_new_session=True)
    if scale.smoke():
        timeout = bench.smoke_timeout or SMOKE_TIMEOUT_SECONDS
    else:
        timeout = max(bench.timeout or 0, TIMEOUT_SECONDS)
    try:
        ok = child.wait(timeout=timeout) == 0
    except subprocess.TimeoutExpired:
        print(f"{bench.name}: nach {timeout} s abgebrochen", file=sys.stderr)
        ok = False
    finally:
        _stop_group(child)
        shutil.rmtree(var_dir, ignore_errors=True)
    print(f"   {bench.name} ({db}): {time.monotonic() - started:.0f} s", file=sys.stderr)
    return ok


def _stop_group(child: subprocess.Popen[bytes]) -> None:
    """End what is left of the benchmark's own process group (granian workers)."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        # After SIGTERM the benchmark stops what it started (benchmarks.runner): a Citus
        # cluster's three nodes take seconds, more on a busy machine.
        deadline = time.monotonic() + (30 if sig == signal.SIGTERM else 10)
        try:
            os.killpg(child.pid, sig)
            while time.monotonic() < deadline:
                child.poll()
                os.killpg(child.pid, 0)  # raises once the group is empty
                time.sleep(0.1)
        except ProcessLookupError:
            return


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
