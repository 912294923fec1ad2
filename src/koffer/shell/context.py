from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest

from koffer.shell.navigation import NavLink, header_search_for, links_for, url


def shell(request: HttpRequest) -> dict[str, Any]:
    access = getattr(request, "access", None)
    permissions = access.permissions if access is not None else frozenset()
    user = getattr(request, "user", None)
    signed_in = bool(user and user.is_authenticated)
    tenant = getattr(request, "tenant", None)
    nav_entries = links_for(permissions, tenant.kind if tenant else "") if signed_in else ()
    return {
        "nav_entries": nav_entries,
        # The navigation marks the page it links to; on any other page nothing, so that
        # its rendering depends on few values (frame_part).
        "nav_current": _current(nav_entries, request.path),
        "header_search": header_search_for(permissions) if signed_in else None,
        "current_tenant": tenant,
        "user_tenants": getattr(request, "tenants", []),
        "demo_mode": settings.DEMO_MODE,
        "otp_waived": signed_in and not settings.KOFFER_REQUIRE_OTP,
    }


def _current(nav_entries: tuple[NavLink, ...], path: str) -> str:
    if path == url("shell:start") or any(entry.url == path for entry in nav_entries):
        return path
    return ""
