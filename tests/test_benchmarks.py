"""Every benchmark module imports (two once crashed on a private name that had moved);
`make bench-smoke`, part of `make test`, then runs each once at a tiny scale."""

from __future__ import annotations

import importlib

import pytest
from benchmarks.discovery import discover

BENCHMARKS = discover()


def test_benchmarks_are_found() -> None:
    assert len(BENCHMARKS) >= 13


@pytest.mark.parametrize("module", [b.module for b in BENCHMARKS])
def test_benchmark_module_imports_and_has_run(module: str) -> None:
    loaded = importlib.import_module(f"benchmarks.{module}")
    assert callable(loaded.run)


def test_benchmarks_take_no_private_name_from_each_other() -> None:
    for bench in BENCHMARKS:
        source = importlib.import_module(f"benchmarks.{bench.module}").__file__
        assert source is not None
        with open(source, encoding="utf-8") as text:
            for line in text:
                if line.startswith("from benchmarks.") and " import _" in line:
                    module = line.split()[1]
                    assert module not in {f"benchmarks.{b.module}" for b in BENCHMARKS}, line
