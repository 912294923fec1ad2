"""The request as koffer's middleware leaves it: with the active Mandant and its access."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.http import HttpRequest, UnreadablePostError
from django.http.multipartparser import MultiPartParserError

if TYPE_CHECKING:
    from koffer.accounts.access import Access
    from koffer.accounts.models import User
    from koffer.tenancy.models import Mandant


class KofferRequest(HttpRequest):
    user: User
    tenant: Mandant | None
    tenants: list[Mandant]
    access: Access


class TenantRequest(KofferRequest):
    """Behind ``require_perm``: a Mandant is always chosen."""

    tenant: Mandant


@dataclass(frozen=True)
class BodyRefused:
    """Why a request body could not be parsed, in the words both the web pages and the API
    answer with (they may not import each other, so the words live here)."""

    status: int
    code: str
    title: str
    detail: str


def is_api(request: HttpRequest) -> bool:
    """Whether the request is for the API, whose answers are problem+json: ``/api`` itself
    and everything below it. path_info, so that it holds behind a SCRIPT_NAME too."""
    return request.path_info == "/api" or request.path_info.startswith("/api/")


BODY_ERRORS = (
    MultiPartParserError,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    UnreadablePostError,  # the client sent less than its Content-Length (shell.middleware)
)


def body_refused(exc: BaseException) -> BodyRefused | None:
    """The answer to one of Django's body parsing errors; None for anything else."""
    if isinstance(exc, RequestDataTooBig):
        return BodyRefused(
            413,
            "payload_too_large",
            "Anfrage zu groß",
            "Die Formularfelder der Anfrage sind zusammen größer als erlaubt. "
            "Es wurde nichts gespeichert.",
        )
    if isinstance(exc, TooManyFilesSent):
        return BodyRefused(
            400,
            "too_many_files",
            "Zu viele Dateien",
            "Die Anfrage enthält mehr Dateien als erlaubt. Bitte senden Sie die Dateien in "
            "mehreren kleineren Anfragen. Es wurde nichts gespeichert.",
        )
    if isinstance(exc, TooManyFieldsSent):
        return BodyRefused(
            400,
            "too_many_fields",
            "Zu viele Formularfelder",
            "Die Anfrage enthält mehr Formularfelder als erlaubt. Es wurde nichts gespeichert.",
        )
    if isinstance(exc, UnreadablePostError):
        return BodyRefused(
            400,
            "incomplete_body",
            "Anfrage unvollständig",
            "Die Anfrage ist nicht vollständig angekommen: die Verbindung endete, bevor alle "
            "angekündigten Daten gesendet waren. Es wurde nichts gespeichert; bitte senden Sie "
            "die Anfrage erneut.",
        )
    if isinstance(exc, MultiPartParserError):
        # Django refuses a part whose headers exceed 1,024 bytes: in practice a file name
        # of several hundred characters.
        return BodyRefused(
            400,
            "malformed_multipart",
            "Upload nicht lesbar",
            "Die hochgeladenen Daten konnten nicht gelesen werden. Häufigster Grund ist ein "
            "sehr langer Dateiname: bitte benennen Sie die Datei kürzer (höchstens etwa 200 "
            "Zeichen) und senden Sie sie erneut. Es wurde nichts gespeichert.",
        )
    return None
