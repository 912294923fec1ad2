"""Citus for the ``scale_citus*`` benchmarks: is it installed, a cluster of its own, and a
measuring child (``benchmarks._citus_messung``) run against plain PostgreSQL or Citus.

The cluster comes from ``scripts/citus.py`` (the engines' start script; the build is
``scripts/citus.py build``, not done here) on free ports in a folder of its own, and is
removed afterwards; a smoke run's cluster has 2 shards per table instead of 8
(:func:`shard_count`). ``KOFFER_BENCH_CITUS_URL=citus://…`` (``python -m benchmarks`` keeps a
``KOFFER_DATABASE_URL=citus://…`` it was started with there) names a running cluster
instead (its database empty: the benchmarks' Mandanten are made there once).
"""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any

from benchmarks import machine
from benchmarks.scale import sized
from koffer.shell.server import free_port

ROOT = Path(__file__).resolve().parent.parent
URL_ENV = "KOFFER_BENCH_CITUS_URL"
RESULT = "RESULT "
READY = "READY "


def given_url() -> str:
    return os.environ.get(URL_ENV, "")


def why_not() -> str | None:
    """Why no Citus figure can be made here, or None."""
    if given_url():
        return None
    if machine.postgres_binary("initdb") is None:
        return "PostgreSQL nicht installiert"
    pkglib = subprocess.run(
        [str(Path(machine.postgres_binary("initdb") or "").parent / "pg_config"), "--pkglibdir"],
        capture_output=True,
        text=True,
        check=False,
    ).stdout.strip()
    if not pkglib or not (Path(pkglib) / "citus.so").exists():
        return "Citus nicht installiert (python3 scripts/citus.py build)"
    return None


def _script() -> ModuleType:
    """scripts/citus.py, loaded after the ports and folder are in the environment (it
    reads them when loaded)."""
    spec = importlib.util.spec_from_file_location(
        "koffer_citus_script", ROOT / "scripts" / "citus.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Shards per distributed table: the engines' default in a real run; in a smoke run one
# per worker, so every table is still spread over both workers and a drain still moves
# a whole co-location group, but a quarter of the shards are made, migrated and moved.
SHARDS = 8
SMOKE_SHARDS = 2


def shard_count() -> int:
    return sized(SHARDS, SMOKE_SHARDS)


@contextmanager
def cluster(workers: int) -> Iterator[str]:
    """A coordinator and ``workers`` workers on free ports with :func:`shard_count`
    shards per table; yields the ``citus://`` URL of its database ``koffer`` and removes
    the cluster afterwards. A running cluster (``KOFFER_BENCH_CITUS_URL``) is used as
    it is."""
    if given_url():
        yield given_url()
        return
    ports = [free_port() for _ in range(workers + 1)]
    base = tempfile.mkdtemp(prefix=f"koffer-bench-citus{workers}-")
    names = ("KOFFER_CITUS_PORTS", "KOFFER_CITUS_BASE", "CITUS_SHARD_COUNT")
    kept = {k: os.environ.get(k) for k in names}
    os.environ["KOFFER_CITUS_PORTS"] = " ".join(map(str, ports))
    os.environ["KOFFER_CITUS_BASE"] = base
    os.environ["CITUS_SHARD_COUNT"] = str(shard_count())  # read by start-cluster.sh
    script = _script()
    try:
        with _quiet_stdout():
            script.start()
        yield f"citus://postgres@127.0.0.1:{ports[0]}/koffer"
    finally:
        with _quiet_stdout():
            script.stop(clean=True)
        for key, value in kept.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


@contextmanager
def _quiet_stdout() -> Iterator[None]:
    """The cluster scripts talk on stdout, which carries only BENCH lines: to stderr."""
    sys.stdout.flush()
    saved = os.dup(1)
    os.dup2(2, 1)
    try:
        yield
    finally:
        sys.stdout.flush()
        os.dup2(saved, 1)
        os.close(saved)


def _child(part: str, database: str, options: dict[str, Any]) -> tuple[list[str], dict[str, str]]:
    """The command and environment of a measuring child against ``database``:
    ``"postgresql"`` (a throwaway server, ``tests.pgserver``) or a ``citus://`` URL."""
    command = [sys.executable, "-m", "benchmarks._citus_messung", part, json.dumps(options)]
    env = {**os.environ, "KOFFER_VAR_DIR": tempfile.mkdtemp(prefix="koffer-bench-citus-var-")}
    if database == "postgresql":
        env.pop("KOFFER_DATABASE_URL", None)
        command = [sys.executable, "-m", "tests.pgserver", "--", *command]
    else:
        env["KOFFER_DATABASE_URL"] = database
    return command, env


class Child:
    """A measuring child that serves requests over pipes (``_citus_messung akten``):
    started, it builds its data; ``ready()`` waits for it, ``run(case, n)`` lets it run a
    case ``n`` times and returns the milliseconds (or ``{"error": …}``)."""

    def __init__(self, part: str, database: str, **options: Any) -> None:
        self.database = database
        command, env = _child(part, database, options)
        self.process = subprocess.Popen(
            command, env=env, cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def _answer(self, prefix: str) -> Any:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(prefix):
                return json.loads(line.removeprefix(prefix))
        code = self.process.wait()
        raise RuntimeError(f"Kindprozess auf {self.database} endete mit {code}")

    def ready(self) -> dict[str, Any]:
        found: dict[str, Any] = self._answer(READY)
        return found

    def run(self, case: str, n: int) -> list[float] | dict[str, str]:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"case": case, "n": n}) + "\n")
        self.process.stdin.flush()
        found: list[float] | dict[str, str] = self._answer(RESULT)
        return found

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        try:
            self.process.wait(timeout=120)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@contextmanager
def served(part: str, database: str, **options: Any) -> Iterator[Child]:
    """A serving child against ``database``, ended afterwards (its database with it)."""
    child = Child(part, database, **options)
    try:
        yield child
    finally:
        child.close()


def measure(part: str, database: str, **options: Any) -> dict[str, Any]:
    """Run ``benchmarks._citus_messung <part>`` in a child against ``database``:
    ``"postgresql"`` (a throwaway server, ``tests.pgserver``) or a ``citus://`` URL.
    Returns the figures it reported."""
    command, env = _child(part, database, options)
    done = subprocess.run(
        command, env=env, cwd=ROOT, stdout=subprocess.PIPE, text=True, check=False
    )
    found = [line for line in done.stdout.splitlines() if line.startswith(RESULT)]
    if done.returncode != 0 or not found:
        raise RuntimeError(f"{part} auf {database}: Kindprozess endete mit {done.returncode}")
    result: dict[str, Any] = json.loads(found[-1].removeprefix(RESULT))
    return result
