"""The one output format of every benchmark: ``BENCH <name> <metric>=<value> ...``."""

from __future__ import annotations

import math
import sys
from collections.abc import Sequence


def emit(name: str, **metrics: object) -> None:
    """Print one figure line; values with spaces are quoted, booleans become yes/no. Every
    line of a benchmark names its database (``db=``), given or taken from Django's."""
    if "db" not in metrics and name != "machine":
        metrics = {"db": _database(), **metrics}
    parts = [f"{key}={_format(value)}" for key, value in metrics.items()]
    print("BENCH", name, *parts, flush=True)


def note(text: str) -> None:
    """Progress and diagnostics go to stderr, so stdout carries only figures."""
    print(f"  {text}", file=sys.stderr, flush=True)


def percentile(samples: Sequence[float], p: float) -> float:
    """Linear interpolation between closest ranks (numpy's default), p in 0..100."""
    if not samples:
        raise ValueError("keine Messwerte")
    ordered = sorted(samples)
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def median(samples: Sequence[float]) -> float:
    return percentile(samples, 50)


def met(ok: bool) -> str:
    return "yes" if ok else "no"


def _format(value: object) -> str:
    if isinstance(value, bool):
        return met(value)
    if isinstance(value, float):
        if value == 0 or abs(value) >= 100:
            return f"{value:.0f}"
        if abs(value) >= 1:
            return f"{value:.2f}"
        return f"{value:.3f}"
    text = str(value)
    if not text or any(c.isspace() for c in text) or '"' in text:
        return '"' + text.replace('"', "'") + '"'
    return text


def _database() -> str:
    from django.db import connection

    return str(connection.vendor)
