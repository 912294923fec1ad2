"""Sign-in lock-out: failures counted per account and per client address.

Replaces django-axes, which counted failures per literal user name while the backend
accepts any spelling of a name or e-mail address (case, surrounding spaces): after the
lock-out, ``Tl.Jobcenter`` or the e-mail address in capitals could still guess, and the
right password then signed in. Here a failure counts against the account the text
resolves to, and unknown names against their normalised text, so both lock alike.

Two limits, both read from settings at call time:

- ``KOFFER_LOGIN_FAILURE_LIMIT`` failures against one account within
  ``KOFFER_LOGIN_LOCKOUT_SECONDS`` lock that account (for every address);
- ``KOFFER_LOGIN_ADDRESS_LIMIT`` failures from one client address within
  ``KOFFER_LOGIN_ADDRESS_WINDOW_SECONDS``, over any names, throttle that address (password
  spraying). A district's staff may share one NAT address, so this limit is far higher
  than one person's typing errors reach; 0 switches it off.

The check and the count are not one atomic step: parallel guesses that arrive together
may each pass the check, so a burst can exceed a limit by the number of requests in
flight (as with django-axes); the next request after them is refused.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from enum import StrEnum

from django.conf import settings
from django.http import HttpRequest

from koffer.accounts.models import LoginFailure, User

LOCKED_MESSAGE = (
    "Zu viele fehlgeschlagene Anmeldeversuche. Das Konto ist für {minutes} Minuten gesperrt. "
    "Bitte warten Sie oder wenden Sie sich an Ihre Administration."
)


def locked_message() -> str:
    """The German answer to a locked account, with the lock's length in minutes."""
    return LOCKED_MESSAGE.format(minutes=max(1, settings.KOFFER_LOGIN_LOCKOUT_SECONDS // 60))


class Refusal(StrEnum):
    ACCOUNT = "account"
    ADDRESS = "address"


def normalised(text: str) -> str:
    """The form of a typed name that the backend matches: stripped and casefolded."""
    return text.strip().casefold()


def account_key(text: str, user: User | None) -> str:
    """What a failure counts against: the account, or the normalised text for no account."""
    if user is not None:
        return f"user:{user.pk}"
    return "name:" + hashlib.sha256(normalised(text).encode()).hexdigest()[:64]


def client_ip(request: HttpRequest | None) -> str:
    # The direct peer, as the audit records it; behind a reverse proxy that would be the
    # proxy's address, so such an installation needs the proxy to set REMOTE_ADDR.
    return "" if request is None else str(request.META.get("REMOTE_ADDR", ""))[:45]


def refusal(*, key: str, client_ip: str, now: datetime) -> Refusal | None:
    """Whether a sign-in for ``key`` from ``client_ip`` is refused before any password
    check, and why."""
    address_limit = settings.KOFFER_LOGIN_ADDRESS_LIMIT
    if address_limit and client_ip:
        since = now - timedelta(seconds=settings.KOFFER_LOGIN_ADDRESS_WINDOW_SECONDS)
        recent = LoginFailure.objects.filter(client_ip=client_ip, at__gt=since)
        if recent[:address_limit].count() >= address_limit:
            return Refusal.ADDRESS
    limit = settings.KOFFER_LOGIN_FAILURE_LIMIT
    since = now - timedelta(seconds=settings.KOFFER_LOGIN_LOCKOUT_SECONDS)
    if LoginFailure.objects.filter(key=key, at__gt=since)[:limit].count() >= limit:
        return Refusal.ACCOUNT
    return None


def record_failure(*, key: str, client_ip: str, now: datetime) -> None:
    # Rows older than both windows count for nothing: they go here, by the index on
    # ``at``, instead of in a cleanup job.
    longest = max(
        settings.KOFFER_LOGIN_LOCKOUT_SECONDS, settings.KOFFER_LOGIN_ADDRESS_WINDOW_SECONDS
    )
    LoginFailure.objects.filter(at__lt=now - timedelta(seconds=longest)).delete()
    LoginFailure.objects.create(key=key, client_ip=client_ip, at=now)


def clear(*, key: str) -> None:
    """A successful sign-in forgives the account's earlier failures."""
    LoginFailure.objects.filter(key=key).delete()
