"""The documents' background task at its stable dotted path.

django-tasks stores a task by ``module.qualname`` in every queued row
(``koffer.records.documents.complete_text``) and the worker imports that path, so the task
keeps this address while its work lives in :mod:`koffer.records.dokumente`. Do not move or
rename it; tests/records/dokumente/test_documents.py pins the path."""

from __future__ import annotations

from django_tasks import task


@task()
def complete_text(version_id: str) -> int:
    """Background: the full text of a long PDF whose upload extracted only the first pages."""
    from koffer.records.dokumente import tasks

    return tasks.complete_text_now(version_id)
