"""The Posteingang's part of "Ihre Aufgaben".

The mail room: batches arriving (delivered, in their check or still being processed),
batches whose check found problems or put everything in quarantine, and destruction
lists the provider has left unconfirmed for more than ``OVERDUE_DAYS`` days. The mail
room and caseworkers: documents waiting in their teams' triage, each due three working
days after it arrived; those waiting longer are counted as overdue. A scan provider: its
own batches still in their check or with problems, and its destruction lists waiting
for its confirmation.

One statement counts every kind the user has (``count_each``), then one statement lists
the most urgent tasks of each kind that has any; none at all for a user without the
permissions.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import connection
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.inbox import access as rules
from koffer.inbox.klaerung import selectors as klaerung
from koffer.inbox.lieferung import selectors
from koffer.inbox.models import Eingangsdokument, Stapel, Vernichtungsliste
from koffer.inbox.originale import selectors as originale
from koffer.records.deadlines import is_workday
from koffer.shell.tasks_registry import (
    LISTED,
    StartTask,
    TaskBatch,
    TaskCount,
    count_each,
    url_of,
)
from koffer.tenancy.models import Mandant

KIND = "Scan-Stapel mit Problemen"
KIND_WAITING = "Posteingang zuordnen"
KIND_ARRIVING = "Scan-Stapel im Eingang"
KIND_TRIAGE_OVERDUE = "Zuordnung überfällig"
KIND_LIST_OVERDUE = "Vernichtungsliste unbestätigt"
KIND_OWN_BATCHES = "Eigene Scan-Stapel in Arbeit"
KIND_OPEN_LISTS = "Vernichtung bestätigen"
TRIAGE_WORKDAYS = 3


def triage_due(arrived: date) -> date:
    """The day a waiting document should be placed: three working days after it came."""
    day, left = arrived, TRIAGE_WORKDAYS
    while left:
        day += timedelta(days=1)
        if is_workday(day):
            left -= 1
    return day


def triage_overdue_before(today: date) -> datetime:
    """Documents that arrived before this moment have waited past their day."""
    day, left = today, TRIAGE_WORKDAYS
    while left:
        day -= timedelta(days=1)
        if is_workday(day):
            left -= 1
    return datetime.combine(day, time.min, tzinfo=timezone.get_current_timezone())


@dataclass(frozen=True)
class Kind:
    """One kind of task: what to count, and how to list the most urgent (None: counted
    only, its tasks are another kind's)."""

    count: TaskCount
    qs: QuerySet[Any]
    tasks: Callable[[], list[StartTask]] | None


def open_tasks(request: HttpRequest) -> TaskBatch:
    tenant = getattr(request, "tenant", None)
    access = getattr(request, "access", None)
    user = getattr(request, "user", None)
    if tenant is None or access is None:
        return TaskBatch()
    kinds: list[Kind] = []
    mail_room = rules.processes(access, tenant)
    if mail_room:
        kinds += _mail_room(access, tenant)
    if rules.sorts_post(access, tenant):
        kinds += _triage(access, tenant)
    if rules.delivers(access, tenant) and user is not None:
        kinds += _provider(access, tenant, user.pk, batches=not mail_room)
    if not kinds:
        return TaskBatch()
    sql, params = count_each(k.qs for k in kinds)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        numbers = cursor.fetchone()
    tasks: list[StartTask] = []
    counts: list[TaskCount] = []
    for kind, number in zip(kinds, numbers, strict=True):
        if not number:
            continue
        c = kind.count
        counts.append(TaskCount(c.kind, int(number), c.one, c.many, c.url))
        if kind.tasks is not None:
            tasks += kind.tasks()
    return TaskBatch(tasks, counts)


def _count(kind: str, one: str, many: str, url_name: str) -> TaskCount:
    return TaskCount(kind, 0, one, many, reverse(url_name))


def _batch_tasks(qs: QuerySet[Stapel], kind: str, status: Callable[[str], str]) -> list[StartTask]:
    rows = qs.order_by("created_at", "pk").values_list("pk", "batch_id", "state", "created_at")
    return [
        StartTask(
            label=f"Scan-Stapel {batch_id}",
            url=url_of("inbox:stapel_detail", pk),
            status=status(state),
            kind=kind,
            due=created_at,
            detail="Prüfung gegen den Lieferschein",
        )
        for pk, batch_id, state, created_at in rows[:LISTED]
    ]


def _list_tasks(
    qs: QuerySet[Vernichtungsliste], kind: str, status: str, days: int
) -> list[StartTask]:
    rows = qs.values_list("pk", "number", "created_at")[:LISTED]
    return [
        StartTask(
            label=f"Vernichtungsliste VL-{number:05d}",
            url=url_of("inbox:vernichtungsliste", pk),
            status=status,
            kind=kind,
            due=timezone.localdate(created_at) + timedelta(days=days),
            detail="Vernichtung der Papieroriginale bestätigen",
        )
        for pk, number, created_at in rows
    ]


def _state_label(state: str) -> str:
    return str(Stapel.State(state).label)


def _mail_room(access: Access, tenant: Mandant) -> list[Kind]:
    problems = selectors.with_problems(access, tenant)
    arriving = selectors.arriving(access, tenant)
    overdue = originale.overdue_lists(access, tenant)
    return [
        Kind(
            _count(
                KIND, "Scan-Stapel mit Problemen", "Scan-Stapel mit Problemen", "inbox:stapel_list"
            ),
            problems,
            lambda: _batch_tasks(
                problems, KIND, lambda s: "Quarantäne" if s == "quarantaene" else "mit Problemen"
            ),
        ),
        Kind(
            _count(
                KIND_ARRIVING,
                "Scan-Stapel im Eingang",
                "Scan-Stapel im Eingang",
                "inbox:stapel_list",
            ),
            arriving,
            lambda: _batch_tasks(arriving, KIND_ARRIVING, _arriving_status),
        ),
        Kind(
            _count(
                KIND_LIST_OVERDUE,
                f"Vernichtungsliste seit über {originale.OVERDUE_DAYS} Tagen unbestätigt",
                f"Vernichtungslisten seit über {originale.OVERDUE_DAYS} Tagen unbestätigt",
                "inbox:vernichtungslisten",
            ),
            overdue,
            lambda: _list_tasks(overdue, KIND_LIST_OVERDUE, "unbestätigt", originale.OVERDUE_DAYS),
        ),
    ]


def _arriving_status(state: str) -> str:
    return "wird verarbeitet" if state in ("verarbeitet", "mit_problemen") else _state_label(state)


def _triage(access: Access, tenant: Mandant) -> list[Kind]:
    waiting = klaerung.waiting(access, tenant)
    overdue = waiting.filter(created_at__lt=triage_overdue_before(timezone.localdate()))
    return [
        Kind(
            _count(
                KIND_WAITING,
                "Dokument wartet auf Zuordnung",
                "Dokumente warten auf Zuordnung",
                "inbox:klaerung",
            ),
            waiting,
            lambda: _waiting_tasks(waiting),
        ),
        Kind(
            _count(
                KIND_TRIAGE_OVERDUE,
                f"Dokument wartet länger als {TRIAGE_WORKDAYS} Arbeitstage",
                f"Dokumente warten länger als {TRIAGE_WORKDAYS} Arbeitstage",
                "inbox:klaerung",
            ),
            overdue,
            None,
        ),
    ]


def _waiting_tasks(qs: QuerySet[Eingangsdokument]) -> list[StartTask]:
    rows = qs.values_list("pk", "stapel__batch_id", "created_at", "reason")[:LISTED]
    return [
        StartTask(
            label=f"Eingang aus Stapel {batch_id}",
            url=url_of("inbox:klaerung_dokument", pk),
            status="wartet auf Zuordnung",
            kind=KIND_WAITING,
            due=triage_due(timezone.localdate(created_at)),
            detail=reason[:120],
        )
        for pk, batch_id, created_at, reason in rows
    ]


def _provider(access: Access, tenant: Mandant, user_id: object, *, batches: bool) -> list[Kind]:
    kinds = []
    if batches:
        own = Stapel.objects.for_tenant(tenant).filter(
            rules.own_q(access, user_id),
            Q(state__in=selectors.CHECKING_STATES) | Q(state__in=selectors.PROBLEM_STATES),
        )
        kinds.append(
            Kind(
                _count(
                    KIND_OWN_BATCHES,
                    "eigener Scan-Stapel in Prüfung oder mit Problemen",
                    "eigene Scan-Stapel in Prüfung oder mit Problemen",
                    "inbox:einlieferungen",
                ),
                own,
                lambda: _batch_tasks(own, KIND_OWN_BATCHES, _state_label),
            )
        )
    lists = originale.open_lists(access, user_id, tenant)
    kinds.append(
        Kind(
            _count(
                KIND_OPEN_LISTS,
                "Vernichtungsliste wartet auf Ihre Bestätigung",
                "Vernichtungslisten warten auf Ihre Bestätigung",
                "inbox:vernichtungslisten",
            ),
            lists,
            lambda: _list_tasks(lists, KIND_OPEN_LISTS, "zu vernichten", originale.OVERDUE_DAYS),
        )
    )
    return kinds
