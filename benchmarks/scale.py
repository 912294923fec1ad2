"""How big a benchmark runs: in full (``make bench``) or as a smoke run
(``python -m benchmarks --smoke``, part of ``make test``), which only proves that every
benchmark still imports and runs end to end; its figures mean nothing."""

from __future__ import annotations

import os

SMOKE_ENV = "KOFFER_BENCH_SMOKE"


def smoke() -> bool:
    return os.environ.get(SMOKE_ENV) == "1"


def sized(full: int, tiny: int) -> int:
    """``full`` in a real run, ``tiny`` in a smoke run."""
    return tiny if smoke() else full


def setting(name: str, full: int, tiny: int) -> int:
    """An environment variable's number if set, otherwise :func:`sized`."""
    return int(os.environ.get(name) or sized(full, tiny))
