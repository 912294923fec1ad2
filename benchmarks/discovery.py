"""Finding benchmark modules without importing them (they may need Django set up)."""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

PACKAGE_DIR = Path(__file__).resolve().parent
KNOWN_DATABASES = ("sqlite", "postgresql")


@dataclass(frozen=True)
class Benchmark:
    module: str
    name: str
    databases: tuple[str, ...]
    # On PostgreSQL it runs on the kept data set (``benchmarks.data.ensure_postgres``).
    pg_data: bool = False
    # Seconds a smoke run may take, when a benchmark needs more than the usual (Citus:
    # a cluster started and the migrations run on it).
    smoke_timeout: int | None = None
    # Seconds a full run may take, when more than ``KOFFER_BENCH_TIMEOUT``'s default.
    timeout: int | None = None


def discover() -> list[Benchmark]:
    """Every module of this package with a literal ``NAME`` and a ``run`` function, by module name."""
    found: list[Benchmark] = []
    for path in sorted(PACKAGE_DIR.glob("*.py")):
        if path.stem.startswith("_"):
            continue
        benchmark = _read(path)
        if benchmark is not None:
            found.append(benchmark)
    names = [b.name for b in found]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise SystemExit(f"Benchmark-Namen doppelt vergeben: {', '.join(duplicates)}")
    return found


def select(benchmarks: list[Benchmark], only: str | None) -> list[Benchmark]:
    """``only`` is a name prefix, or several separated by commas."""
    if not only:
        return benchmarks
    prefixes = tuple(p.strip() for p in only.split(",") if p.strip())
    return [b for b in benchmarks if b.name.startswith(prefixes)]


def _read(path: Path) -> Benchmark | None:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    name: object = None
    databases: object = ("sqlite",)
    pg_data: object = False
    smoke_timeout: object = None
    timeout: object = None
    has_run = False
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "run":
            has_run = True
            continue
        target, value = _assignment(node)
        if target == "NAME" and value is not None:
            name = ast.literal_eval(value)
        elif target == "DATABASES" and value is not None:
            databases = ast.literal_eval(value)
        elif target == "PG_DATA" and value is not None:
            pg_data = ast.literal_eval(value)
        elif target == "SMOKE_TIMEOUT" and value is not None:
            smoke_timeout = ast.literal_eval(value)
        elif target == "TIMEOUT" and value is not None:
            timeout = ast.literal_eval(value)
    if not isinstance(name, str) or not has_run:
        return None
    if not isinstance(databases, tuple | list) or not set(databases) <= set(KNOWN_DATABASES):
        raise SystemExit(f"{path.name}: DATABASES muss ein Tupel aus {KNOWN_DATABASES} sein")
    return Benchmark(
        module=path.stem,
        name=name,
        databases=tuple(databases),
        pg_data=pg_data is True,
        smoke_timeout=smoke_timeout if isinstance(smoke_timeout, int) else None,
        timeout=timeout if isinstance(timeout, int) else None,
    )


def _assignment(node: ast.stmt) -> tuple[str | None, ast.expr | None]:
    if isinstance(node, ast.Assign) and len(node.targets) == 1:
        target = node.targets[0]
        if isinstance(target, ast.Name):
            return target.id, node.value
    if isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
        return node.target.id, node.value
    return None, None
