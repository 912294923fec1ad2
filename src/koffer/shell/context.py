from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from koffer.shell.navigation import header_search_for, links_for


def shell(request: HttpRequest) -> dict[str, Any]:
    access = getattr(request, "access", None)
    permissions = access.permissions if access is not None else frozenset()
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    return {
        "nav_entries": links_for(permissions) if signed_in else (),
        "header_search": header_search_for(permissions) if signed_in else None,
        "current_tenant": getattr(request, "tenant", None),
        "user_tenants": getattr(request, "tenants", []),
        "demo_mode": settings.DEMO_MODE,
        "otp_waived": signed_in and not settings.KOFFER_REQUIRE_OTP,
    }
