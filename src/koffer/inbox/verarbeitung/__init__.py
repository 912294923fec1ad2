"""The Posteingang's processing steps (issue 15, item 2): pure, separately testable modules
that turn a delivered scan into documents (pages, codes, separator sheets, text,
identifiers, kind, suggestion). The job chain ``inbox.verarbeitung`` wires them; no step
writes a model.

A step whose system tool or library is missing raises :class:`StepUnavailable` with a
German message (degraded mode), never an ImportError at import time.
"""

from __future__ import annotations


class StepUnavailable(Exception):
    """A step cannot run here (a tool or library is missing): a German message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
