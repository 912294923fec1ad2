"""The Posteingang's part of "Ihre Aufgaben": for the mail room, the batches whose check
found problems or put everything in quarantine. Two queries (the count, the oldest
batches), none for a user without ``inbox.process``."""

from __future__ import annotations

from django.http import HttpRequest
from django.urls import reverse

from koffer.inbox import access as rules
from koffer.inbox.lieferung import selectors
from koffer.shell.tasks_registry import LISTED, StartTask, TaskBatch, TaskCount, url_of

KIND = "Scan-Stapel mit Problemen"


def open_tasks(request: HttpRequest) -> TaskBatch:
    tenant = getattr(request, "tenant", None)
    access = getattr(request, "access", None)
    if tenant is None or access is None or not rules.processes(access, tenant):
        return TaskBatch()
    qs = selectors.with_problems(access, tenant)
    count = qs.count()
    if not count:
        return TaskBatch()
    rows = qs.order_by("created_at", "pk").values_list("pk", "batch_id", "state", "created_at")
    tasks = [
        StartTask(
            label=f"Scan-Stapel {batch_id}",
            url=url_of("inbox:stapel_detail", pk),
            status="Quarantäne" if state == "quarantaene" else "mit Problemen",
            kind=KIND,
            due=created_at,
            detail="Prüfung gegen den Lieferschein",
        )
        for pk, batch_id, state, created_at in rows[:LISTED]
    ]
    counts = [
        TaskCount(
            KIND,
            count,
            "Scan-Stapel mit Problemen",
            "Scan-Stapel mit Problemen",
            reverse("inbox:stapel_list"),
        )
    ]
    return TaskBatch(tasks, counts)
