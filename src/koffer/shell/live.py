"""Server-sent events from a process of their own.

An open event stream holds a web thread for its whole life, and a web worker serves
pages fastest with a single thread (no two requests fighting over the GIL: the start
page's p95 at 800 requests/s offered fell from 77 to 6 ms, make bench ONLY=core_start_page).
So ``make run`` serves the pages from granian workers with one thread each and the
streams from a second granian process with many threads on ``KOFFER_LIVE_PORT``.
A page points its ``EventSource`` there with credentials: the host is the same, and
cookies do not tell ports apart, so the session travels; the stream answers with CORS
headers for the pages' origin alone, and the page's Content-Security-Policy names the
stream's origin in ``connect-src``.

Without ``KOFFER_LIVE_PORT`` (tests, or a reverse proxy that routes the stream paths to
the stream process) a page opens its streams on its own origin.
"""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase
from django.http.request import split_domain_port
from django.utils.cache import patch_vary_headers

DEFAULT_PORTS = {"http": 80, "https": 443}


def stream_url(request: HttpRequest, path: str) -> str:
    """The address a page in ``request`` opens the event stream ``path`` at."""
    return stream_origin(request) + path


def stream_origin(request: HttpRequest) -> str:
    """Origin of the stream process as the browser of ``request`` reaches it; "" if the
    streams come from the page's own origin."""
    port = settings.KOFFER_LIVE_PORT
    if not port:
        return ""
    return _origin(request.scheme or "http", _hostname(request), port)


def allow_pages(request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
    """CORS headers on a stream's response when the request comes from one of our pages
    (same host, the web port); any other origin gets none, so its browser reads nothing."""
    origin = request.headers.get("Origin")
    if settings.KOFFER_LIVE_PORT and origin == page_origin(request):
        response["Access-Control-Allow-Origin"] = origin
        response["Access-Control-Allow-Credentials"] = "true"
    patch_vary_headers(response, ["Origin"])
    return response


def page_origin(request: HttpRequest) -> str:
    """Origin of the web pages as seen from a request to the stream process."""
    return _origin(request.scheme or "http", _hostname(request), settings.KOFFER_PORT)


def _hostname(request: HttpRequest) -> str:
    return split_domain_port(request.get_host())[0]


def _origin(scheme: str, hostname: str, port: int) -> str:
    if DEFAULT_PORTS.get(scheme) == port:
        return f"{scheme}://{hostname}"
    return f"{scheme}://{hostname}:{port}"
