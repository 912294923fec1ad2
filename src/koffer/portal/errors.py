"""User-caused problems of the portal: the shared kinds of ``koffer.errors``, grouped.
Pages show ``.message``; the API (if any) turns them into problem+json in one handler."""

from __future__ import annotations

from koffer import errors


class PortalError(errors.DomainError):
    """A sign-in, account or Vertretung problem a citizen can fix or retry."""


class AnmeldungAbgelehnt(PortalError):
    """The identity provider's answer was not accepted (expired, forged, replayed …)."""

    status = 400
    title = "Anmeldung nicht möglich"


class Forbidden(PortalError, errors.Forbidden):
    """The citizen or staff member may not do this."""


class NotFound(PortalError, errors.NotFound):
    """Unknown or not visible: both look the same from outside."""


class ZuVieleVersuche(PortalError):
    """Too many failed sign-ins, or too many requests of a rate-limited action
    (``portal.drossel``): wait ``retry_after`` seconds, then try again (pages and the API
    send it as ``Retry-After``)."""

    status = 429
    title = "Zu viele Versuche"

    def __init__(self, code: str, message: str, retry_after: int | None = None) -> None:
        super().__init__(code, message)
        self.retry_after = retry_after


class Conflict(PortalError, errors.Conflict):
    """The application changed meanwhile (another device, already submitted)."""


class Ungueltig(PortalError):
    """Input the citizen or the caseworker can correct (a request without items, a past
    deadline, an answer without files)."""

    title = "Angaben unvollständig"
