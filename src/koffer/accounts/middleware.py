"""Idle timeout, second factor and the active Mandant for each request."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse

from koffer.accounts.access import Access
from koffer.accounts.models import Membership

SESSION_TENANT = "koffer_tenant_id"
SESSION_LAST_SEEN = "koffer_last_seen"
# Public paths: sign-in flow, static files, probes and the token-authenticated API.
OPEN_PREFIXES = ("/anmelden", "/abmelden", "/static/", "/healthz", "/readyz", "/api/", "/einsicht/")
LAST_SEEN_RESOLUTION = 60


class IdleTimeoutMiddleware:
    """Sign out after KOFFER_IDLE_TIMEOUT seconds without a request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated:
            now = int(time.time())
            last = request.session.get(SESSION_LAST_SEEN, now)
            if now - last > settings.KOFFER_IDLE_TIMEOUT_SECONDS:
                logout(request)
                return HttpResponseRedirect(reverse("accounts:login") + "?abgelaufen=1")
            # Writing the session on every request would cost a write per click;
            # a minute's resolution is plenty for a 30-minute timeout.
            if now - last >= LAST_SEEN_RESOLUTION or SESSION_LAST_SEEN not in request.session:
                request.session[SESSION_LAST_SEEN] = now
        return self.get_response(request)


class TenantMiddleware:
    """Set ``request.tenant``, ``request.tenants`` and ``request.access`` for signed-in users,
    and insist on the second factor where a role sees personal data."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.tenant = None  # type: ignore[attr-defined]
        request.tenants = []  # type: ignore[attr-defined]
        request.access = Access.none()  # type: ignore[attr-defined]
        if request.user.is_authenticated and not request.path.startswith("/api/"):
            self._load(request)
            redirect = self._second_factor(request)
            if redirect is not None:
                return redirect
        return self.get_response(request)

    def _load(self, request: HttpRequest) -> None:
        # One query for every request of a signed-in user: the memberships with their
        # Mandant and unit give the Mandanten to choose from and the active one's grants.
        memberships = list(
            Membership.objects.unscoped()
            .filter(user_id=request.user.pk, tenant__is_active=True)
            .select_related("tenant", "unit")
            .order_by("tenant__name", "tenant_id")
        )
        if not memberships:
            return
        tenants = list({m.tenant_id: m.tenant for m in memberships}.values())
        request.tenants = tenants  # type: ignore[attr-defined]
        wanted = request.session.get(SESSION_TENANT)
        current = next((t for t in tenants if str(t.pk) == wanted), tenants[0])
        if wanted != str(current.pk):
            request.session[SESSION_TENANT] = str(current.pk)
        request.tenant = current  # type: ignore[attr-defined]
        request.access = Access.for_memberships(current.pk, memberships)  # type: ignore[attr-defined]

    def _second_factor(self, request: HttpRequest) -> HttpResponse | None:
        if not settings.KOFFER_REQUIRE_OTP or request.path.startswith(OPEN_PREFIXES):
            return None
        if request.path.startswith("/zweiter-faktor"):
            return None
        access: Access = request.access  # type: ignore[attr-defined]
        if not access.sees_personal_data or request.user.is_verified():  # type: ignore[union-attr]
            return None
        return HttpResponseRedirect(reverse("accounts:otp"))


def switch_tenant(request: HttpRequest, tenant_id: uuid.UUID) -> bool:
    """Make ``tenant_id`` the active Mandant if the user belongs to it."""
    if not Membership.objects.for_tenant(tenant_id).filter(user_id=request.user.pk).exists():
        return False
    request.session[SESSION_TENANT] = str(tenant_id)
    return True
