"""The module navigation. Apps register their entries in ``AppConfig.ready()``, so the
shell lists every module without importing any of them."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str
    description: str
    permission: str | None  # None: every signed-in member of the Mandant
    order: int = 100

    @property
    def url(self) -> str:
        # Read up to three times per entry on every page; reverse() is slow enough to
        # show in the start page's profile (make bench ONLY=core_start_page).
        return _reverse_cached(self.url_name, get_script_prefix(), _urlconf())


def _urlconf() -> str:
    return str(get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=256)
def _reverse_cached(url_name: str, script_prefix: str, urlconf: str) -> str:
    """reverse() per (name, script prefix, urlconf): the parts its result depends on."""
    return reverse(url_name, urlconf=urlconf)


_entries: dict[str, NavEntry] = {}


def register(entry: NavEntry) -> None:
    _entries[entry.key] = entry


def entries_for(permissions: frozenset[str]) -> list[NavEntry]:
    visible = [e for e in _entries.values() if e.permission is None or e.permission in permissions]
    return sorted(visible, key=lambda e: (e.order, e.label))


@dataclass(frozen=True)
class HeaderSearch:
    """The quick search in the page header: a GET form to ``url_name`` (field ``q``) that
    works without JavaScript, with suggestions from ``suggest_url_name`` as you type."""

    url_name: str
    suggest_url_name: str
    label: str
    permission: str | None
    placeholder: str = ""

    @property
    def url(self) -> str:
        return _reverse_cached(self.url_name, get_script_prefix(), _urlconf())

    @property
    def suggest_url(self) -> str:
        return _reverse_cached(self.suggest_url_name, get_script_prefix(), _urlconf())


_header_search: HeaderSearch | None = None


def register_header_search(
    *,
    url_name: str,
    suggest_url_name: str,
    label: str,
    permission: str | None = None,
    placeholder: str = "",
) -> None:
    """One app (the E-Akte) offers the header search; registered in AppConfig.ready()."""
    global _header_search
    _header_search = HeaderSearch(url_name, suggest_url_name, label, permission, placeholder)


def header_search_for(permissions: frozenset[str]) -> HeaderSearch | None:
    found = _header_search
    if found is None or (found.permission is not None and found.permission not in permissions):
        return None
    try:
        found.url, found.suggest_url  # noqa: B018 - both must resolve, or no search box
    except NoReverseMatch:
        return None
    return found
