"""Environment for koffer started as a real process in tests (granian, manage.py serve)."""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]


def koffer_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """This environment, with koffer importable, demo mode on and everything it writes
    under ``var_dir``: always its own SQLite file, even inside a PostgreSQL test run."""
    env = {
        **os.environ,
        "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)]),
        "DJANGO_SETTINGS_MODULE": "koffer.settings",
        "KOFFER_VAR_DIR": str(var_dir),
        "KOFFER_DEMO": "1",
        **extra,
    }
    env.pop("KOFFER_DATABASE_URL", None)
    return env


@contextmanager
def reaped(proc: subprocess.Popen[Any]) -> Iterator[subprocess.Popen[Any]]:
    """Kill ``proc`` on the way out if it still runs, so a failed test leaves no process.
    A process started with ``start_new_session`` is killed with its whole group: a failed
    serve test would otherwise leave granian's workers running."""
    try:
        yield proc
    finally:
        if proc.poll() is None:
            if os.getpgid(proc.pid) == proc.pid:
                os.killpg(proc.pid, signal.SIGKILL)
            else:
                proc.kill()
            proc.wait()


def stop_group(proc: subprocess.Popen[Any]) -> None:
    """Stop a process started with ``start_new_session`` and everything it forked (granian
    forks its workers into the same group): SIGTERM, then SIGKILL after ten seconds."""
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)
