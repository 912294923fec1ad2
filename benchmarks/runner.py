"""Child process of ``python -m benchmarks``: one benchmark, one throwaway database.

    python -m benchmarks.runner <module>

The parent sets ``KOFFER_VAR_DIR`` (and ``KOFFER_DATABASE_URL`` for PostgreSQL); this sets
Django up, migrates the empty database and calls the module's ``run()``.

``KOFFER_BENCH_PROFILE=<file>`` runs ``run()`` under cProfile and writes the statistics
there (read them with ``python -m pstats <file>``): where a benchmark's own process spends
its time, measured in the same run as its figures.
"""

from __future__ import annotations

import importlib
import os
import signal
import sys
from types import FrameType

from benchmarks.discovery import discover


def main(argv: list[str]) -> int:
    modules = {b.module for b in discover()}
    if len(argv) != 2 or argv[1] not in modules:
        print(f"Aufruf: python -m benchmarks.runner <{'|'.join(sorted(modules))}>", file=sys.stderr)
        return 2
    # The parent ends a benchmark past its time with SIGTERM to the process group. Raised
    # as SystemExit, the benchmark's `finally` blocks still run: a Citus cluster or a
    # PostgreSQL server it started (pg_ctl puts them outside the group) is stopped and
    # removed instead of left running beside the next stage.
    signal.signal(signal.SIGTERM, _exit_on_sigterm)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koffer.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    module = importlib.import_module(f"benchmarks.{argv[1]}")
    profile = os.environ.get("KOFFER_BENCH_PROFILE")
    if not profile:
        module.run()
        return 0
    import cProfile

    profiler = cProfile.Profile()
    try:
        profiler.runcall(module.run)
    finally:
        profiler.dump_stats(profile)
    return 0


def _exit_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


if __name__ == "__main__":
    sys.exit(main(sys.argv))
