"""Project URL wiring: every app's pages and the versioned API with its routers.

The API's routers are built at its first use (a request under /api/v1/, a reverse of an
``api:`` name, ``koffer.urls.api``): importing them — hundreds of schemas and operations —
is about a third of importing koffer, and a page (a Koffer's first Akte after its start,
issue 18) need not wait for it. Django's reverse() of any name populates every nested
resolver; the API's resolver leaves that for later (a reverse of an ``api:`` name reads
its patterns, which builds it)."""

from __future__ import annotations

import threading
from typing import Any

from django.urls import URLResolver, include, path
from django.urls.resolvers import RoutePattern
from ninja import NinjaAPI

from koffer.api import problems
from koffer.api.base import make_api
from koffer.api.probes import healthz, readyz

handler400 = "koffer.shell.views.bad_request"
handler403 = "koffer.shell.views.forbidden"
handler404 = "koffer.shell.views.not_found"
handler500 = "koffer.shell.views.server_error"


def _build_api() -> NinjaAPI:
    from koffer.api import me, units
    from koffer.field import api as field_api
    from koffer.forms import api as forms_api
    from koffer.inbox import api as inbox_api
    from koffer.jobs import api as jobs_api
    from koffer.outbox import api as outbox_api
    from koffer.placements import api as placements_api
    from koffer.portal import api as portal_api
    from koffer.privacy import api as privacy_api
    from koffer.records import api as records_api

    built = make_api()
    built.add_router("", me.router)
    built.add_router("", units.router)
    built.add_router("/jobs", jobs_api.router)
    built.add_router("/audit", privacy_api.router)
    built.add_router("", records_api.router)
    built.add_router("", placements_api.router)
    built.add_router("", inbox_api.router)
    built.add_router("", outbox_api.router)
    built.add_router("", forms_api.router)
    built.add_router("", field_api.router)
    built.add_router("", portal_api.router)
    return built


class _ApiUrls:
    """The API's URL patterns for a lazy resolver: built once, at first use."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._api: NinjaAPI | None = None
        self._patterns: list[Any] | None = None

    @property
    def built(self) -> bool:
        return self._api is not None

    @property
    def api(self) -> NinjaAPI:
        with self._lock:
            if self._api is None:
                self._api = _build_api()
            return self._api

    @property
    def urlpatterns(self) -> list[Any]:
        if self._patterns is None:
            patterns, _, _ = self.api.urls
            self._patterns = patterns
        return self._patterns


class _ApiResolver(URLResolver):
    def _populate(self) -> None:
        if _API_URLS.built:  # else the API is not built for a page's reverse()
            super()._populate()


_API_URLS = _ApiUrls()
# The namespace is make_api()'s urls_namespace, the app name ninja's.
# Django reads ``urlpatterns`` of any object it is given as a URL configuration.
_API_RESOLVER = _ApiResolver(
    RoutePattern("api/v1/"),
    _API_URLS,  # type: ignore[arg-type]
    app_name="ninja",
    namespace="api",
)


def __getattr__(name: str) -> Any:
    if name == "api":  # the whole API (export_openapi, tests)
        return _API_URLS.api
    raise AttributeError(name)


urlpatterns = [
    path("", include("koffer.shell.urls")),
    path("", include("koffer.accounts.urls")),
    path("", include("koffer.jobs.urls")),
    path("", include("koffer.records.urls")),
    path("", include("koffer.placements.urls")),
    path("", include("koffer.inbox.urls")),
    path("", include("koffer.outbox.urls")),
    path("", include("koffer.forms.urls")),
    path("", include("koffer.field.urls")),
    path("", include("koffer.privacy.urls")),
    path("", include("koffer.portal.urls")),
    _API_RESOLVER,
    # /api itself too: else CommonMiddleware's APPEND_SLASH answers an HTML 301 to /api/,
    # which is a 404 anyway.
    path("api", problems.unknown_path),
    path("api/", problems.unknown_path),
    path("api/<path:rest>", problems.unknown_path),
    path("healthz", healthz, name="healthz"),
    path("readyz", readyz, name="readyz"),
]
