"""The storage behind ``{% static %}`` (``STORAGES["staticfiles"]``)."""

from __future__ import annotations

from typing import Any

from django.contrib.staticfiles.storage import StaticFilesStorage

MAX_REMEMBERED = 2048


class CachedUrlStaticFilesStorage(StaticFilesStorage):
    """Django's, remembering each file's URL. shell/base.html names eight static files
    on every page, and each URL cost a urljoin and a quote (≈ 8 µs; make bench
    ONLY=core_start_page). The URL depends only on the name and STATIC_URL, and Django
    builds a new storage when STATIC_URL changes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._urls: dict[str, str] = {}

    def url(self, name: str | None) -> str:
        if name is None:
            return super().url(name)
        found = self._urls.get(name)
        if found is None:
            found = super().url(name)
            if len(self._urls) < MAX_REMEMBERED:  # templates name a few hundred files
                self._urls[name] = found
        return found
