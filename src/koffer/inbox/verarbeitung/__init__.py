"""The Posteingang pipeline's steps: each a pure, separately testable module (text layer
and OCR, pages, codes, separation, identifiers, kind, suggestion), wired by the
orchestration into the job chain ``inbox.verarbeitung``."""

from __future__ import annotations


class StepUnavailable(Exception):
    """A step cannot run here (a system tool or library is missing): the pipeline goes on
    in degraded mode and shows ``message`` (German) to the mail room."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message
