"""The Posteingang's pipeline (issue 15, item 2): each step a module of its own, testable
alone, chained by ``tasks`` (the job ``inbox.verarbeitung``) and written by ``services``."""

from __future__ import annotations


class StepUnavailable(Exception):
    """A step cannot run on this machine (a system tool or library is missing); ``message``
    says in German what is missing and what koffer does without it."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
