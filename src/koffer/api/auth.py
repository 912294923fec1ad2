"""API authentication: the browser session (with CSRF) or a machine account's bearer token.
Either way the request ends up with ``request.tenant`` and ``request.access``."""

from __future__ import annotations

import uuid
from typing import Any

from django.http import HttpRequest
from ninja.security import APIKeyCookie, HttpBearer

from koffer.accounts.access import Access
from koffer.accounts.models import Membership
from koffer.accounts.services import authenticate_token
from koffer.tenancy.models import Mandant

SESSION_TENANT = "koffer_tenant_id"


class TokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> Any:
        found = authenticate_token(token)
        if found is None:
            return None
        request.user = found.user
        request.tenant = found.tenant  # type: ignore[attr-defined]
        request.access = Access.for_token(found.tenant_id, found.permissions)  # type: ignore[attr-defined]
        request.api_token = found  # type: ignore[attr-defined]
        return found.user


class SessionAuth(APIKeyCookie):
    """The signed-in browser session; unsafe methods need the CSRF token (htmx sends it)."""

    param_name = "sessionid"

    def authenticate(self, request: HttpRequest, key: str | None) -> Any:
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        tenant = _session_tenant(request)
        if tenant is None:
            return None
        request.tenant = tenant  # type: ignore[attr-defined]
        request.access = Access.for_user(user.pk, tenant.pk)  # type: ignore[attr-defined]
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
