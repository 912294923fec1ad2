"""How a citizen signs in to the API (``/api/v1/portal/…``): never as staff.

Two ways, both ending with ``request.buerger`` (the account) and ``request.portal_niveau``
(the level of assurance of the sign-in behind it):

- the portal session (the cookie a portal sign-in sets), with the CSRF token for unsafe
  methods, as the staff's session — what a page with htmx or a browser client uses;
- a short-lived bearer token (``Authorization: Bearer kb_…``), which a signed-in citizen
  gets with ``POST /api/v1/portal/token`` for an app that cannot send the cookie. It is
  signed with the installation's secret (no table), names the account, its Mandant and
  the level, and lasts ``KOFFER_PORTAL_API_TOKEN_SECONDS`` (15 minutes); a deleted account
  ends it at once, signing out does not (it only ends the session that can issue new ones).

A staff session or a staff API key is no citizen: the portal's endpoints answer them 401.
A citizen's token is no staff key: the staff endpoints do not know it (401).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest
from django.utils import timezone
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from koffer.api.problems import ApiProblem, csrf_failed
from koffer.portal import sitzung
from koffer.portal.models import Buergerkonto

TOKEN_PREFIX = "kb_"  # noqa: S105 - a prefix, not a secret
_SALT = "koffer.portal.api-token"
_INVALID_TOKEN = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


class BuergerRequest(HttpRequest):
    """A request of a signed-in citizen (behind :data:`BUERGER_AUTH`)."""

    buerger: Buergerkonto
    portal_niveau: str


@dataclass(frozen=True)
class Zugangstoken:
    token: str
    gueltig_bis: datetime


def laufzeit() -> timedelta:
    return timedelta(seconds=settings.KOFFER_PORTAL_API_TOKEN_SECONDS)


def token_fuer(konto: Buergerkonto, niveau: str) -> Zugangstoken:
    """A signed token for ``konto`` at ``niveau``; the caller audits its issue."""
    jetzt = timezone.now()
    inhalt = {"k": str(konto.pk), "t": str(konto.tenant_id), "n": niveau}
    token = TOKEN_PREFIX + signing.dumps(inhalt, salt=_SALT)
    return Zugangstoken(token=token, gueltig_bis=jetzt + laufzeit())


def token_abgelaufen() -> ApiProblem:
    return ApiProblem(
        401,
        "token_expired",
        "Zugang abgelaufen",
        "Dieser Zugang zum Portal ist abgelaufen. Bitte holen Sie mit Ihrer Anmeldung im "
        "Portal einen neuen (POST /api/v1/portal/token).",
        headers=_INVALID_TOKEN,
    )


class BuergerToken(HttpBearer):
    """A citizen's short-lived bearer token (``kb_…``); other bearer tokens are not ours."""

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        if not token.startswith(TOKEN_PREFIX):
            return None
        try:
            inhalt = signing.loads(
                token.removeprefix(TOKEN_PREFIX),
                salt=_SALT,
                max_age=laufzeit(),
            )
            konto_id, tenant_id = uuid.UUID(inhalt["k"]), uuid.UUID(inhalt["t"])
            niveau = str(inhalt["n"])
        except signing.SignatureExpired:
            raise token_abgelaufen() from None
        except (signing.BadSignature, KeyError, TypeError, ValueError):
            return None
        konto = (
            Buergerkonto.objects.for_tenant(tenant_id)
            .select_related("tenant")
            .filter(pk=konto_id, tenant__is_active=True)
            .first()
        )
        if konto is None:
            return None
        request.buerger = konto  # type: ignore[attr-defined]
        request.portal_niveau = niveau  # type: ignore[attr-defined]
        return konto


class BuergerSitzung(APIKeyCookie):
    """The portal session; unsafe methods need the CSRF token (X-CSRFToken), as staff's."""

    param_name = settings.SESSION_COOKIE_NAME

    def _get_key(self, request: HttpRequest) -> str | None:
        if sitzung.konto(request) is None:
            return None  # no citizen here (no session, or a staff member's)
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise csrf_failed()
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        konto = sitzung.konto(request)
        if konto is None or not konto.tenant.is_active:
            return None
        request.portal_niveau = sitzung.niveau(request)  # type: ignore[attr-defined]
        return konto


SITZUNG = BuergerSitzung()
BUERGER_AUTH = [BuergerToken(), SITZUNG]
