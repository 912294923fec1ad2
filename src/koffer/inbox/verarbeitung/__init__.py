"""The Posteingang's pipeline (issue 15, item 2): each step a module of its own, testable
alone, that turns a delivered scan into documents with text, codes, identifiers and a
suggestion; ``schritte`` chains them, ``services`` writes, ``tasks`` runs the job
``inbox.verarbeitung``.

Degraded mode: a step whose system tool or optional library is missing raises
:class:`StepUnavailable` with a German message, never an ImportError at import time."""

from __future__ import annotations


class StepUnavailable(Exception):
    """A step cannot run here because a tool or library is missing; ``message`` is German
    and says what is missing and what that means for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
