"""User-caused problems in the Platzbörse: the shared kinds of ``koffer.errors``, grouped."""

from __future__ import annotations

from koffer import errors


class PlacementsError(errors.DomainError):
    """Something the user can fix or retry; never a 500."""


class Conflict(PlacementsError, errors.Conflict):
    """The world changed under the user: the place is taken, the hold was decided."""


class Busy(PlacementsError, errors.Busy):
    """The critical section stayed locked past the timeout: try again."""

    def __init__(self) -> None:
        super().__init__(
            "busy",
            "Gerade greifen viele gleichzeitig auf diese Plätze zu. Bitte erneut versuchen.",
        )


class NotFound(PlacementsError, errors.NotFound):
    """Unknown or not visible: both look the same from outside."""
