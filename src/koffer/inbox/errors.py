"""User-caused problems in the Posteingang: the shared kinds of ``koffer.errors``, grouped."""

from __future__ import annotations

from koffer import errors


class InboxError(errors.DomainError):
    """A delivery or request the provider or the mail room can fix; never a 500."""


class Conflict(InboxError, errors.Conflict):
    """The same batch id was delivered before with other content."""


class Forbidden(InboxError, errors.Forbidden):
    """The actor may not deliver or process batches here."""


class NotFound(InboxError, errors.NotFound):
    """Unknown or not visible: both look the same from outside."""
