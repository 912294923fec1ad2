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
    """Too many failed sign-ins from one account or address: wait, then try again."""

    status = 429
    title = "Zu viele Versuche"


class Conflict(PortalError, errors.Conflict):
    """The application changed meanwhile (another device, already submitted)."""


class Ungueltig(PortalError):
    """Input the citizen or the caseworker can correct (a request without items, a past
    deadline, an answer without files)."""

    title = "Angaben unvollständig"
