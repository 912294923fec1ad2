from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from koffer.audit import context


class AuditContextMiddleware:
    """Remember the client address for audit events written during this request."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.client_ip.set(request.META.get("REMOTE_ADDR", "") or "")
        try:
            return self.get_response(request)
        finally:
            context.client_ip.reset(token)
