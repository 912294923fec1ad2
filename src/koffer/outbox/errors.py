"""User-caused problems in the Postausgang: the shared kinds of ``koffer.errors``, grouped.
The API turns them into problem+json in one handler; pages show ``.message``."""

from __future__ import annotations

from koffer import errors


class OutboxError(errors.DomainError):
    """A letter, template or report someone can fix; never a 500."""


class Conflict(OutboxError, errors.Conflict):
    """The letter or batch is no longer in a state that allows this (released, sent)."""


class Forbidden(OutboxError, errors.Forbidden):
    """The actor may not write, release or fetch here (releasing one's own letter where a
    second person must release it, too)."""


class NotFound(OutboxError, errors.NotFound):
    """Unknown or not visible: both look the same from outside."""


class Invalid(OutboxError):
    """A template with errors, a letter whose check found problems, a report that makes
    no sense (422); ``.message`` says what and where, ``.field`` (if any) which input of
    the form it belongs beside."""

    def __init__(self, code: str, message: str, *, field: str = "") -> None:
        super().__init__(code, message)
        self.field = field
