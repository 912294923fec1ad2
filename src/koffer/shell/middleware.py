from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

import csp.middleware
from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.shortcuts import render
from django.template.loader import render_to_string

from koffer.accounts.http import BODY_ERRORS, body_refused, is_api


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
        return self.get_response(request)


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
