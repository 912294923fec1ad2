"""The one base for user-caused problems in every app: a stable code, a German message, a status.

Services raise a subclass; the web pages show ``message`` beside the form, and the API turns
every ``DomainError`` into problem+json in one place (``koffer.api.problems.install``), with
``status`` and ``title`` taken from the class. An app adds its own subclasses (for example
``PlacementsError``) only to group its errors; the kinds below are shared so that the same
situation gets the same status and title everywhere.
"""

from __future__ import annotations

from typing import Any


class DomainError(ValueError):
    """Something the user can fix or retry; never a 500."""

    status = 422
    title = "Nicht möglich"
    #: further members of the API's problem document (e.g. ``fehler`` of a form), or None
    extra: dict[str, Any] | None = None

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Forbidden(DomainError):
    """The actor sees the object but lacks the right for this change."""

    status = 403
    title = "Keine Berechtigung"


class NotFound(DomainError):
    """Unknown or not visible: both look the same from outside."""

    status = 404
    title = "Nicht gefunden"


class Conflict(DomainError):
    """The world changed under the user: the place is taken, the hold was decided."""

    status = 409
    title = "Konflikt"


class Busy(DomainError):
    """A critical section stayed locked past its timeout: try again."""

    status = 503
    title = "Bitte erneut versuchen"
