"""The E-Akte's user-caused problems. Services raise them; pages show ``message`` beside the
form; the API turns each into problem+json with the class's ``status`` and ``title`` in one
place (``koffer.api.problems.install``), so no router maps them itself."""

from __future__ import annotations

from koffer.errors import Conflict, DomainError, Forbidden, NotFound


class RecordsError(DomainError):
    """A user-caused problem with a clear German message and a stable code (API: 422)."""


class RecordsForbidden(RecordsError, Forbidden):
    """The actor sees the object but lacks the right for this change (API: 403)."""


class RecordsConflict(RecordsError, Conflict):
    """Taken or already done: a Kennzeichen or code in use, a link already revoked, an
    extract not finished yet (API: 409)."""

    title = "Nicht möglich"


class RecordsNotFound(RecordsError, NotFound):
    """A number the user typed names nothing (an unknown BG-Nummer) (API: 404)."""


class DocumentRejected(RecordsError):
    """A file that cannot be taken in, with a stable code and a German reason."""
