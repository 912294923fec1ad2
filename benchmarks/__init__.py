"""koffer's benchmarks: ``make bench`` (``python -m benchmarks``) runs them.

A benchmark is a module in this package named after its app (``core_...`` for the
foundation, later ``records_...``, ``inbox_...``) that defines

- ``NAME``: a string literal, the name printed on its ``BENCH`` lines;
- ``DATABASES``: optional tuple literal, the databases it runs on (default ``("sqlite",)``);
- ``PG_DATA``: optional ``True``: on PostgreSQL it runs on the kept E-Akte data set
  (``benchmarks.data.ensure_postgres``: built once in ``var/bench``, reused), not on an
  empty throwaway server (a smoke run keeps to the throwaway one);
- ``run() -> None``: measures and prints its figures with :func:`benchmarks.report.emit`.

The runner reads ``NAME`` and ``DATABASES`` without importing the module, then runs each
benchmark in a child process with its own throwaway ``KOFFER_VAR_DIR`` (and, for
PostgreSQL, its own throwaway server from ``tests.pgserver``), migrated and with Django set
up, so a benchmark module may import koffer at the top. Benchmarks print percentiles and
ratios against a baseline measured in the same run; they are never timed tests.
"""
