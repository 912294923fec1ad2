"""The start page's "Ihre Aufgaben": what the user must do next, most urgent first.

Apps register providers in ``AppConfig.ready()``. A provider answers for one module with
at most two queries: the true number of open tasks per kind (:func:`count_each`, one
statement however many kinds) and the most urgent of them (one statement, e.g. a
``UNION ALL`` of the kinds, limited to :data:`LISTED`). It lists only what the user may
open, and asks nothing (no query at all) where the user's role has no such tasks.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone

LISTED = 20
"""Tasks shown on the start page; the counts per kind are always the full numbers."""


@dataclass(frozen=True)
class StartTask:
    """One thing to do. ``kind`` is the German name of its kind (e.g. „Wiedervorlage
    überfällig“); ``due`` a day, or a moment where the deadline has a time of day (a
    reservation's 48 hours); ``detail`` says which Akte or Einrichtung it concerns."""

    label: str
    url: str
    status: str
    kind: str = ""
    due: date | datetime | None = None
    detail: str = ""

    @property
    def due_day(self) -> date | None:
        if isinstance(self.due, datetime):
            return timezone.localtime(self.due).date()
        return self.due

    def overdue(self, today: date) -> bool:
        day = self.due_day
        return day is not None and day < today

    def urgency(self) -> tuple[int, datetime, str]:
        """Sort key: dated tasks by their deadline (the overdue come first by themselves),
        a day counting until its end; undated tasks last."""
        if self.due is None:
            return (1, datetime.min, self.label)
        if isinstance(self.due, datetime):
            moment = timezone.localtime(self.due).replace(tzinfo=None)
        else:
            moment = datetime.combine(self.due, time.max)
        return (0, moment, self.label)


@dataclass(frozen=True)
class TaskCount:
    """How many open tasks of one kind there are, in words: „3 Wiedervorlagen überfällig“;
    ``url`` leads to the list of all of them where one exists."""

    kind: str
    count: int
    one: str
    many: str
    url: str = ""

    @property
    def text(self) -> str:
        return f"{self.count} {self.one if self.count == 1 else self.many}"


@dataclass(frozen=True)
class TaskBatch:
    """A provider's answer: its most urgent tasks and the true count of each kind."""

    tasks: list[StartTask] = field(default_factory=list)
    counts: list[TaskCount] = field(default_factory=list)


@dataclass(frozen=True)
class StartTasks:
    """What the start page shows: the most urgent tasks of all modules and the counts."""

    tasks: list[StartTask]
    counts: list[TaskCount]
    today: date

    @property
    def rows(self) -> list[tuple[StartTask, bool]]:
        """Each task with whether it is overdue (the page marks those)."""
        return [(task, task.overdue(self.today)) for task in self.tasks]

    @property
    def total(self) -> int:
        return sum(c.count for c in self.counts)

    @property
    def more(self) -> int:
        return self.total - len(self.tasks)

    def __bool__(self) -> bool:
        return bool(self.tasks)


TaskProvider = Callable[[HttpRequest], "TaskBatch | list[StartTask]"]
_providers: list[TaskProvider] = []


def register(provider: TaskProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def tasks_for(request: HttpRequest, limit: int = LISTED) -> StartTasks:
    tasks: list[StartTask] = []
    counts: list[TaskCount] = []
    for provider in _providers:
        batch = provider(request)
        if isinstance(batch, list):
            batch = TaskBatch(batch, _counted(batch))
        tasks.extend(batch.tasks)
        counts.extend(c for c in batch.counts if c.count)
    tasks.sort(key=StartTask.urgency)
    return StartTasks(tasks[:limit], counts, timezone.localdate())


def _counted(tasks: Iterable[StartTask]) -> list[TaskCount]:
    seen: dict[str, int] = {}
    for task in tasks:
        seen[task.kind] = seen.get(task.kind, 0) + 1
    return [TaskCount(kind, n, kind, kind) for kind, n in seen.items()]


def count_each(querysets: Mapping[str, QuerySet[Any]]) -> dict[str, int]:
    """The number of rows of each queryset, in one statement: ``SELECT (SELECT COUNT(*)
    FROM (…)), (…)``. A provider counts all its kinds with this one query."""
    if not querysets:
        return {}
    parts: list[str] = []
    params: list[Any] = []
    for i, qs in enumerate(querysets.values()):
        sql, part_params = qs.order_by().values("pk").query.sql_with_params()
        # The SQL is Django's own compilation of the queryset, its values stay parameters.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS c{i})")  # noqa: S608
        params.extend(part_params)
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts), params)
        row = cursor.fetchone()
    return {key: int(n) for key, n in zip(querysets, row, strict=True)}
