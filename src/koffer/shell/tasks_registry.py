"""The start page's "Ihre Aufgaben": what the user must do next, most urgent first.

Apps register providers in ``AppConfig.ready()``. A provider answers for one module with
at most two queries: the true number of open tasks per kind (:func:`count_each`, one
statement however many kinds) and the most urgent of them (one statement, e.g. a
``UNION ALL`` of the kinds, limited to :data:`LISTED`). It lists only what the user may
open, and asks nothing (no query at all) where the user's role has no such tasks.
"""

from __future__ import annotations

import functools
import uuid
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from django.db import connection
from django.db.models import QuerySet
from django.http import HttpRequest
from django.urls import get_script_prefix, reverse
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

    # A template written for the plain list of tasks still works.
    def __iter__(self) -> Iterator[StartTask]:
        return iter(self.tasks)

    def __len__(self) -> int:
        return len(self.tasks)


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


Statement = tuple[str, tuple[Any, ...]]
_statements: dict[Hashable, tuple[Statement, ...]] = {}
STATEMENTS_KEPT = 4096

NOW = datetime(1901, 1, 1, tzinfo=UTC)
"""Stands for the current moment in a queryset given to :func:`statements`."""


def statements(
    key: Hashable, build: Callable[[], Sequence[QuerySet[Any] | Statement]]
) -> tuple[Statement, ...]:
    """The SQL of ``build()``'s querysets, compiled once per ``key``: the start page runs
    on every request, and compiling a provider's ORM queries (the access condition, a
    UNION) cost several times what running them did. ``key`` must name every input the
    querysets are built from (Mandant, the user's grants, the user, the day), so that two
    requests with the same key get the same SQL with the same parameters; the current
    moment, which changes on every request, goes in as :data:`NOW` and is replaced by
    :func:`run`. The cache is bounded and simply starts over when full."""
    found = _statements.get(key)
    if found is None:
        if len(_statements) >= STATEMENTS_KEPT:
            _statements.clear()
        found = tuple(part if isinstance(part, tuple) else _sql(part) for part in build())
        _statements[key] = found
    return found


def _sql(qs: QuerySet[Any]) -> Statement:
    sql, params = qs.query.sql_with_params()
    return sql, tuple(params)


def run(statement: Statement, now: datetime | None = None) -> list[tuple[Any, ...]]:
    """Run a statement from :func:`statements`, with ``now`` in place of :data:`NOW`."""
    sql, params = statement
    if now is not None:
        marker = connection.ops.adapt_datetimefield_value(NOW)
        moment = connection.ops.adapt_datetimefield_value(now)
        params = tuple(moment if p == marker else p for p in params)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def count_each(querysets: Iterable[QuerySet[Any]]) -> Statement:
    """One statement that counts the rows of each queryset, in order: ``SELECT (SELECT
    COUNT(*) FROM (…)), (…)``. A provider counts all its kinds with this one query."""
    parts: list[str] = []
    params: list[Any] = []
    for i, qs in enumerate(querysets):
        sql, part_params = qs.order_by().values("pk").query.sql_with_params()
        # The SQL is Django's own compilation of the queryset, its values stay parameters.
        parts.append(f"(SELECT COUNT(*) FROM ({sql}) AS c{i})")  # noqa: S608
        params.extend(part_params)
    return "SELECT " + ", ".join(parts), tuple(params)


def as_date(value: Any) -> date | None:
    """A date column of a plain statement: SQLite returns text."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(value)


def as_moment(value: Any) -> datetime | None:
    """A timestamp column of a plain statement: SQLite returns it naive (or as text), in UTC."""
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(value)
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def as_uuid(value: Any) -> uuid.UUID:
    """A UUID column of a plain statement: SQLite returns hex text."""
    return value if isinstance(value, uuid.UUID) else uuid.UUID(value)


_ANY = uuid.UUID(int=0)


@functools.lru_cache(maxsize=64)
def _url_pattern(name: str, prefix: str) -> str:
    return reverse(name, args=[_ANY])


def url_of(name: str, pk: Any) -> str:
    """``reverse(name, args=[pk])`` for a URL with one UUID: reversed once per name, as
    reversing each of a start page's tasks cost more than running its query."""
    return _url_pattern(name, get_script_prefix()).replace(str(_ANY), str(as_uuid(pk)))
