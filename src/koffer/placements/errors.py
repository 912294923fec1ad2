"""User-caused problems in the Platzbörse: a clear German message and a stable code."""

from __future__ import annotations


class PlacementsError(ValueError):
    """Something the user can fix or retry; never a 500."""

    status = 400

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class Conflict(PlacementsError):
    """The world changed under the user: the place is taken, the hold was decided."""

    status = 409


class Busy(PlacementsError):
    """The critical section stayed locked past the timeout: try again."""

    status = 503

    def __init__(self) -> None:
        super().__init__(
            "busy",
            "Gerade greifen viele gleichzeitig auf diese Plätze zu. Bitte erneut versuchen.",
        )


class NotFound(PlacementsError):
    """Unknown or not visible: both look the same from outside."""

    status = 404
