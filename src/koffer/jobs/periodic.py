"""Work the worker does every few seconds besides jobs, registered by the apps in their
``AppConfig.ready()`` (the jobs app knows no domain app): for example the Posteingang's
drop folders. The heartbeat thread of every worker runs what is due (``run_due``); each
piece of work must be safe to run in two workers at once."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

logger = logging.getLogger("koffer.jobs")


@dataclass(frozen=True)
class Periodic:
    name: str
    every: Callable[[], float]  # seconds between two runs; 0 or less: switched off
    run: Callable[[], object]


_registered: dict[str, Periodic] = {}


def register(name: str, *, every: Callable[[], float], run: Callable[[], object]) -> None:
    """Run ``run`` about every ``every()`` seconds in each worker (registering a name again
    replaces it)."""
    _registered[name] = Periodic(name, every, run)


def registered() -> list[Periodic]:
    return list(_registered.values())


class Schedule:
    """When each registered piece of work is due next, for one worker; all are due at
    once when the worker starts."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._due: dict[str, float] = {}

    def run_due(self) -> list[str]:
        """Run what is due; returns the names run. A failure is logged, and the work is
        tried again after its interval: it never stops the heartbeat."""
        ran = []
        now = self._clock()
        for work in registered():
            seconds = work.every()
            if seconds <= 0 or now < self._due.get(work.name, now):
                continue
            # Set before running, so a failing piece of work is reported once per interval.
            self._due[work.name] = now + seconds
            try:
                work.run()
            except Exception:
                logger.exception("Regelmäßige Arbeit „%s“ fehlgeschlagen", work.name)
            ran.append(work.name)
        return ran
