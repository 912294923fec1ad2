"""API authentication: the browser session (with CSRF) or a machine account's bearer token.
Either way the request ends up with ``request.tenant`` and ``request.access``."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer
from ninja.utils import check_csrf

from koffer.accounts.access import Access, MissingStep, missing_step
from koffer.accounts.models import Membership
from koffer.accounts.services import TokenRefused, authenticate_token
from koffer.api.problems import ApiProblem, csrf_failed
from koffer.tenancy.models import Mandant

SESSION_TENANT = "koffer_tenant_id"

# RFC 6750: a client that sent a bearer token learns that this token is no good.
INVALID_TOKEN = {"WWW-Authenticate": 'Bearer error="invalid_token"'}


def token_expired() -> ApiProblem:
    return ApiProblem(
        401,
        "token_expired",
        "API-Schlüssel abgelaufen",
        "Dieser API-Schlüssel ist abgelaufen. Bitte lassen Sie von der Verwaltung Ihres "
        "Mandanten einen neuen Schlüssel ausstellen.",
        headers=INVALID_TOKEN,
    )


def token_revoked() -> ApiProblem:
    return ApiProblem(
        401,
        "token_revoked",
        "API-Schlüssel widerrufen",
        "Dieser API-Schlüssel wurde widerrufen und gilt nicht mehr. Bitte lassen Sie von der "
        "Verwaltung Ihres Mandanten einen neuen Schlüssel ausstellen.",
        headers=INVALID_TOKEN,
    )


def step_missing(step: MissingStep) -> ApiProblem:
    """A browser session that may not work yet: the web pages would send it to ``step``."""
    if step == MissingStep.OWN_PASSWORD:
        return ApiProblem(
            403,
            step.value,
            "Eigenes Passwort erforderlich",
            "Ihr Passwort hat eine andere Person vergeben. Bitte wählen Sie zuerst im Browser "
            "unter „Passwort ändern“ (/passwort-aendern/) ein eigenes Passwort; danach "
            "antwortet auch die Schnittstelle. Es wurde nichts gespeichert.",
        )
    return ApiProblem(
        403,
        step.value,
        "Zweiter Faktor erforderlich",
        "Bitte bestätigen Sie zuerst im Browser Ihren zweiten Faktor (/zweiter-faktor/); "
        "danach antwortet auch die Schnittstelle. Es wurde nichts gespeichert.",
    )


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        try:
            found = authenticate_token(token)
        except TokenRefused as refused:
            # Raised, not returned: a client that sent a bearer token meant that token, so
            # the session fallback does not apply, and the problem names the cause. An
            # account switched off stays a plain not_authenticated.
            if refused.reason == "revoked":
                raise token_revoked() from None
            if refused.reason == "expired":
                raise token_expired() from None
            return None
        if found is None:
            return None
        request.user = found.user
        request.tenant = found.tenant  # type: ignore[attr-defined]
        request.access = Access.for_token(found)  # type: ignore[attr-defined]
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; unsafe methods need the CSRF token (htmx sends it).
    A session that still has to replace its first password or confirm the second factor
    is refused with 403 (``password_change_required``, ``second_factor_required``)."""

    param_name = "sessionid"

    def _get_key(self, request: HttpRequest) -> str | None:
        # Replaces ninja's check, which answered in English. Without a session there is
        # nothing to forge: that request is simply not authenticated.
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        if not getattr(request, "_ninja_csrf_exempt", False) and check_csrf(request):
            raise csrf_failed()
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        tenant = _session_tenant(request)
        if tenant is None:
            return None
        request.tenant = tenant  # type: ignore[attr-defined]
        access = Access.for_user(user.pk, tenant.pk)
        # The same steps the web pages insist on (TenantMiddleware leaves /api/ alone):
        # otherwise a password-only sign-in could work through the API.
        step = missing_step(user, access)
        if step is not None:
            raise step_missing(step)
        request.access = access  # type: ignore[attr-defined]
        return user


def _session_tenant(request: HttpRequest) -> Mandant | None:
    user_id = request.user.pk
    wanted = request.session.get(SESSION_TENANT)
    memberships = Membership.objects.unscoped().filter(user_id=user_id)
    if wanted:
        try:
            memberships = memberships.filter(tenant_id=uuid.UUID(wanted))
        except ValueError:
            return None
    tenant_id = memberships.values_list("tenant_id", flat=True).first()
    if tenant_id is None:
        return None
    return Mandant.objects.filter(pk=tenant_id, is_active=True).first()


API_AUTH = [TokenAuth(), SessionAuth()]
