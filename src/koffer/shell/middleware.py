from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template.loader import render_to_string


class RequestSizeLimitMiddleware:
    """Refuse bodies over KOFFER_MAX_REQUEST_BYTES with 413 before anything reads them."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.KOFFER_MAX_REQUEST_BYTES
        if length > limit:
            megabytes = limit // (1024 * 1024)
            detail = f"Die Anfrage ist größer als die erlaubten {megabytes} MB."
            if request.path.startswith("/api/"):
                return JsonResponse(
                    {
                        "type": "about:blank",
                        "title": "Anfrage zu groß",
                        "status": 413,
                        "detail": detail,
                        "code": "payload_too_large",
                    },
                    status=413,
                    content_type="application/problem+json",
                )
            html = render_to_string(
                "shell/error.html", {"status": 413, "title": "Anfrage zu groß", "detail": detail}
            )
            return HttpResponse(html, status=413)
        return self.get_response(request)
