"""Job kinds and their handlers, registered in code (in an app's ``AppConfig.ready()``)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from koffer.accounts.roles import Perm

if TYPE_CHECKING:
    from koffer.jobs.runner import JobRun, Outcome

Handler = Callable[["JobRun"], "Outcome"]


@dataclass(frozen=True)
class JobKind:
    code: str
    label: str  # German, also the title of jobs started from the Aufträge page
    description: str
    handler: Handler
    permission: str = Perm.JOBS_RUN  # needed to start and to retry a job of this kind
    offered: bool = True  # shown with a start button on the Aufträge page


_kinds: dict[str, JobKind] = {}


def register(kind: JobKind) -> None:
    _kinds[kind.code] = kind


def unregister(code: str) -> None:
    _kinds.pop(code, None)


def get(code: str) -> JobKind | None:
    return _kinds.get(code)


def label_of(code: str) -> str:
    kind = _kinds.get(code)
    return kind.label if kind is not None else code


def offered() -> list[JobKind]:
    return sorted((k for k in _kinds.values() if k.offered), key=lambda k: k.label)


def kinds() -> list[JobKind]:
    """Every registered kind, offered on the Aufträge page or started by a module."""
    return list(_kinds.values())
