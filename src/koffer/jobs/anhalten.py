"""Reasons for a worker to end for good, registered by the apps in ``AppConfig.ready()``
(the jobs app knows no domain app): a Koffer that crypto-erased itself after a
revocation (``field.unterwegs``) has no database any more, and a worker that went on
would open a new, empty one at the old place and keep writing its heartbeat there.

The worker asks before it touches the database at its start, before each look for a job
and in each heartbeat; with a reason it stops without another write and ends with
``supervision.ENDGUELTIG``, which ``serve`` does not restart."""

from __future__ import annotations

from collections.abc import Callable

_registered: dict[str, Callable[[], str | None]] = {}


def register(name: str, grund: Callable[[], str | None]) -> None:
    """``grund()`` answers, cheaply and without the database, why no worker may go on
    (German), or None."""
    _registered[name] = grund


def grund() -> str | None:
    """The first registered reason to stop, or None."""
    for frage in _registered.values():
        found = frage()
        if found:
            return found
    return None
