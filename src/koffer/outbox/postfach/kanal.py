"""The mailbox as the portal registers it: whether a person can receive letters there,
and what happens when a letter is made available. Without a registration (the portal not
installed) nobody can receive, so the channel is never offered."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from koffer.outbox.models import Brief
    from koffer.records.models import Person


@dataclass(frozen=True)
class Postfach:
    # The Mandant allows electronic delivery and an account that may act for the person
    # consented to it (§ 36a SGB I, § 37 Abs. 2a SGB X) and has an address for the notice.
    erreichbar: Callable[[Person], bool]
    # Called in the release's transaction: schedule the notice (a job, after commit).
    bereitgestellt: Callable[[Brief], None]


_POSTFACH: list[Postfach] = []


def register(postfach: Postfach) -> None:
    _POSTFACH[:] = [postfach]


def erreichbar(person: Person | None) -> bool:
    return person is not None and any(p.erreichbar(person) for p in _POSTFACH)


def bereitgestellt(brief: Brief) -> None:
    for postfach in _POSTFACH:
        postfach.bereitgestellt(brief)
