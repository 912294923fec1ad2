"""Work queues: my Wiedervorlagen, the team's, and the Fristen calendar. Every queue is
limited to Akten the viewer may see, inside the query."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Generic, TypeVar

from django.db.models import Q, QuerySet

from koffer.accounts.roles import Perm
from koffer.records.access import akten_q
from koffer.records.models import Frist, Wiedervorlage
from koffer.records.selectors import Viewer

QueueItem = TypeVar("QueueItem", Wiedervorlage, Frist)


def my_wiedervorlagen(viewer: Viewer) -> QuerySet[Wiedervorlage]:
    return (
        Wiedervorlage.objects.for_tenant(viewer.tenant_id)
        .filter(
            akten_q(viewer.access, viewer.user_id, prefix="akte__"),
            assignee_id=viewer.user_id,
            done_at__isnull=True,
        )
        .select_related("akte", "vorgang")
        .order_by("due_date", "pk")
    )


def team_wiedervorlagen(viewer: Viewer) -> QuerySet[Wiedervorlage]:
    """Open Wiedervorlagen of every Akte the viewer's teams own (all assignees)."""
    return (
        Wiedervorlage.objects.for_tenant(viewer.tenant_id)
        .filter(akten_q(viewer.access, viewer.user_id, prefix="akte__"), done_at__isnull=True)
        .select_related("akte", "vorgang", "assignee")
        .order_by("due_date", "pk")
    )


DUE_CHOICES = ("alle", "faellig", "heute", "ueberfaellig")
"""Filters of a queue by due date: all open items, due (today or overdue), today, overdue."""


def due(items: QuerySet[QueueItem], when: str, today: date) -> QuerySet[QueueItem]:
    """Only the items due ``when`` (one of DUE_CHOICES) as seen on ``today``."""
    if when == "heute":
        return items.filter(due_date=today)
    if when == "ueberfaellig":
        return items.filter(due_date__lt=today)
    if when == "faellig":
        return items.filter(due_date__lte=today)
    return items


def open_fristen(viewer: Viewer, start: date, end: date) -> QuerySet[Frist]:
    return (
        Frist.objects.for_tenant(viewer.tenant_id)
        .filter(
            akten_q(viewer.access, viewer.user_id, prefix="vorgang__akte__"),
            Q(done_at__isnull=True),
            due_date__gte=start,
            due_date__lte=end,
        )
        .select_related("vorgang", "vorgang__akte")
        .order_by("due_date", "pk")
    )


FRIST_HORIZON_DAYS = 14
"""Fristen in a work queue: the overdue, today's, and those ending in the next two weeks
(a legal deadline needs lead time, unlike a reminder that is simply due)."""


def _fristen(viewer: Viewer) -> QuerySet[Frist]:
    return (
        Frist.objects.for_tenant(viewer.tenant_id)
        .filter(
            akten_q(viewer.access, viewer.user_id, prefix="vorgang__akte__"),
            done_at__isnull=True,
        )
        .select_related("vorgang", "vorgang__akte", "vorgang__caseworker", "regel")
        .order_by("due_date", "pk")
    )


def my_fristen(viewer: Viewer) -> QuerySet[Frist]:
    """Open Fristen of the Vorgänge I am responsible for (or, where a Vorgang names nobody,
    of the Akten I am responsible for)."""
    mine = Q(vorgang__caseworker_id=viewer.user_id) | Q(
        vorgang__caseworker__isnull=True, vorgang__akte__caseworker_id=viewer.user_id
    )
    return _fristen(viewer).filter(mine)


def team_fristen(viewer: Viewer) -> QuerySet[Frist]:
    """Open Fristen of every Akte the viewer's teams own."""
    return _fristen(viewer)


def within_horizon(
    items: QuerySet[Frist], today: date, days: int = FRIST_HORIZON_DAYS
) -> QuerySet[Frist]:
    return items.filter(due_date__lte=today + timedelta(days=days))


@dataclass
class Buckets(Generic[QueueItem]):
    overdue: list[QueueItem] = field(default_factory=list)
    today: list[QueueItem] = field(default_factory=list)
    upcoming: list[QueueItem] = field(default_factory=list)


def bucket(items: QuerySet[QueueItem], today: date, limit: int = 200) -> Buckets[QueueItem]:
    out: Buckets[QueueItem] = Buckets()
    for wv in items[:limit]:
        if wv.due_date < today:
            out.overdue.append(wv)
        elif wv.due_date == today:
            out.today.append(wv)
        else:
            out.upcoming.append(wv)
    return out


@dataclass(frozen=True)
class CalendarDay:
    day: date | None
    fristen: list[Frist]


def month_grid(year: int, month: int, fristen: list[Frist]) -> list[list[CalendarDay]]:
    """Weeks (Monday first) of the month, each day with its Fristen; None pads the edges."""
    by_day: dict[date, list[Frist]] = {}
    for frist in fristen:
        by_day.setdefault(frist.due_date, []).append(frist)
    weeks = []
    for week in calendar.Calendar(firstweekday=0).monthdatescalendar(year, month):
        weeks.append(
            [
                CalendarDay(
                    d if d.month == month else None, by_day.get(d, []) if d.month == month else []
                )
                for d in week
            ]
        )
    return weeks


QUEUE_PERM = Perm.RECORDS_VIEW
