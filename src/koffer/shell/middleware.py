from __future__ import annotations

import functools
from collections.abc import Callable
from io import IOBase
from typing import Any

import csp.middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.handlers.wsgi import WSGIRequest
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    JsonResponse,
    UnreadablePostError,
)
from django.shortcuts import render
from django.template.loader import render_to_string

from koffer.accounts.http import BODY_ERRORS, body_refused, is_api


class CompleteBody(IOBase):
    """The request body as WSGI hands it over, but a body that ends before its
    Content-Length raises instead of looking complete.

    Django's LimitedStream answers b"" when the client closed the connection early, and
    its multipart parser takes that end for the end of the last part: a client that
    broke off during the third of three files had two of them stored. Every read here
    returns all the bytes asked for (up to Content-Length) or raises UnreadablePostError,
    which the API and the web pages answer with 400 (koffer.accounts.http.body_refused)
    before any view has seen a single field."""

    def __init__(self, stream: Any, length: int) -> None:
        self._stream = stream
        self._remaining = length
        self.incomplete = False

    def readable(self) -> bool:
        return True

    def _short(self) -> UnreadablePostError:
        self.incomplete = True
        return UnreadablePostError("request body shorter than its Content-Length")

    def read(self, size: int | None = -1, /) -> bytes:
        if self.incomplete:
            raise self._short()
        want = self._remaining if size is None or size < 0 else min(size, self._remaining)
        chunks: list[bytes] = []
        got = 0
        while got < want:
            chunk = self._stream.read(want - got)
            if not chunk:
                raise self._short()
            chunks.append(chunk)
            got += len(chunk)
        self._remaining -= got
        return b"".join(chunks)

    def readline(self, size: int | None = -1, /) -> bytes:
        if self.incomplete:
            raise self._short()
        want = self._remaining if size is None or size < 0 else min(size, self._remaining)
        if want == 0:
            return b""
        line: bytes = self._stream.readline(want)
        if not line:
            raise self._short()
        self._remaining -= len(line)
        return line

    def close(self) -> None:
        self._stream.close()
        super().close()


class RequestSizeLimitMiddleware:
    """Refuse bodies over KOFFER_MAX_REQUEST_BYTES with 413 before anything reads them, and
    have a body shorter than its Content-Length refused as a whole (CompleteBody)."""

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
            if is_api(request):
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
        body = None
        if length > 0 and isinstance(request, WSGIRequest):
            # ASGI requests arrive whole; WSGIRequest wraps wsgi.input in _stream itself.
            body = CompleteBody(request._stream, length)
            request._stream = body  # type: ignore[assignment]  # a file-like, as LimitedStream
        response = self.get_response(request)
        if body is not None and body.incomplete:
            # Also when someone caught the error (Django's CSRF check reads POST and ignores
            # an unreadable body) and a view then saw an empty form: the answer must say
            # that the request was not taken.
            return _incomplete_response(request)
        return response


def _incomplete_response(request: HttpRequest) -> HttpResponse:
    refused = body_refused(UnreadablePostError())
    assert refused is not None
    if is_api(request):
        return JsonResponse(
            {
                "type": "about:blank",
                "title": refused.title,
                "status": refused.status,
                "detail": refused.detail,
                "code": refused.code,
            },
            status=refused.status,
            content_type="application/problem+json",
            json_dumps_params={"ensure_ascii": False},
        )
    html = render_to_string(
        "shell/error.html",
        {"status": refused.status, "title": refused.title, "detail": refused.detail},
    )
    return HttpResponse(html, status=refused.status)


class RequestBodyMiddleware:
    """Parse a web form's body before the CSRF check reads it, so that a body Django cannot
    parse (a file name beyond the multipart header limit, too many fields or files) is
    answered with a German page, not a 500. The CSRF check would parse it anyway, so this
    costs nothing. The API parses inside its own error handling (koffer.api.problems)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.method == "POST" and not is_api(request):
            try:
                request.POST  # noqa: B018 - parsing is the point
                request.FILES  # noqa: B018
            except BODY_ERRORS as exc:
                refused = body_refused(exc)
                assert refused is not None
                return render(
                    request,
                    "shell/error.html",
                    {"status": refused.status, "title": refused.title, "detail": refused.detail},
                    status=refused.status,
                )
        return self.get_response(request)


# What a view can set on its response to change the policy (csp.decorators).
_CSP_VIEW_ATTRIBUTES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
)


class CSPMiddleware(csp.middleware.CSPMiddleware):
    """django-csp's middleware, with the settings' policy built once instead of per
    response (two ``build_policy`` and ``asdict`` calls, ≈ 0.05 ms of CPU per request;
    make bench ONLY=core_start_page). A response whose view changed the policy
    (``csp.decorators``) or a request that used its nonce goes through django-csp's own
    code, as does everything when DEBUG is on."""

    def process_response(
        self, request: HttpRequest, response: HttpResponseBase
    ) -> HttpResponseBase:
        if (
            settings.DEBUG
            or getattr(request, "_csp_nonce", None) is not None
            or any(getattr(response, name, None) is not None for name in _CSP_VIEW_ATTRIBUTES)
        ):
            return super().process_response(request, response)
        policy, policy_ro = _settings_policies()
        for header, value, exempt, setting in (
            (HEADER, policy, "_csp_exempt", "CONTENT_SECURITY_POLICY"),
            (
                HEADER_REPORT_ONLY,
                policy_ro,
                "_csp_exempt_ro",
                "CONTENT_SECURITY_POLICY_REPORT_ONLY",
            ),
        ):
            if not value or header in response or getattr(response, exempt, False) is not False:
                continue
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES") or ()
            if not request.path_info.startswith(tuple(prefixes)):
                response[header] = value
        # As django-csp: reading the nonce after the header is written is an error.
        request.csp_nonce = csp.middleware.CheckableLazyObject(self._csp_nonce_post_response)  # type: ignore[attr-defined]
        return response


@functools.cache
def _settings_policies() -> tuple[str, str]:
    """The policy and the report-only policy from the settings, as django-csp builds them."""
    return build_policy(), build_policy(report_only=True)


@receiver(setting_changed)
def _forget_policies(*, setting: str, **kwargs: Any) -> None:
    if setting.startswith("CONTENT_SECURITY_POLICY"):
        _settings_policies.cache_clear()
