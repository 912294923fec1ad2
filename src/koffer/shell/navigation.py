"""The module navigation. Apps register their entries in ``AppConfig.ready()``, so the
shell lists every module without importing any of them."""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse


@dataclass(frozen=True)
class NavEntry:
    key: str
    label: str
    url_name: str
    description: str
    # None: every signed-in member of the Mandant; several: who holds any of them.
    permission: str | tuple[str, ...] | None
    order: int = 100
    # The kinds of Mandant (tenancy.Mandant.Kind) the module exists for, answered by the
    # app's access.py with the rule its views use, so that menu, start page and address
    # agree; None: every kind.
    shown_in: Callable[[str], bool] | None = None

    def shown_to(self, permissions: frozenset[str], tenant_kind: str) -> bool:
        needed = (self.permission,) if isinstance(self.permission, str) else self.permission
        if needed is not None and permissions.isdisjoint(needed):
            return False
        return self.shown_in is None or self.shown_in(tenant_kind)

    @property
    def url(self) -> str:
        return _reverse_cached(self.url_name, get_script_prefix(), _urlconf())


@dataclass(frozen=True)
class NavLink:
    """A navigation entry as pages render it: its address already resolved."""

    key: str
    label: str
    url: str
    description: str


def _urlconf() -> str:
    return str(get_urlconf() or settings.ROOT_URLCONF)


@functools.lru_cache(maxsize=256)
def _reverse_cached(url_name: str, script_prefix: str, urlconf: str) -> str:
    """reverse() per (name, script prefix, urlconf): the parts its result depends on."""
    return reverse(url_name, urlconf=urlconf)


_entries: dict[str, NavEntry] = {}


def register(entry: NavEntry) -> None:
    _entries[entry.key] = entry
    _links.cache_clear()


def entries_for(permissions: frozenset[str], tenant_kind: str) -> list[NavEntry]:
    """The modules a user with ``permissions`` in a Mandant of ``tenant_kind`` sees."""
    visible = [e for e in _entries.values() if e.shown_to(permissions, tenant_kind)]
    return sorted(visible, key=lambda e: (e.order, e.label))


def links_for(permissions: frozenset[str], tenant_kind: str) -> tuple[NavLink, ...]:
    """The entries ``permissions`` may see in a Mandant of ``tenant_kind``, in order, with
    their addresses. Every page renders them (header, start page), so they are worked
    out once per set of permissions and kind (make bench ONLY=core_start_page)."""
    return _links(permissions, tenant_kind, get_script_prefix(), _urlconf())


@functools.lru_cache(maxsize=256)
def _links(
    permissions: frozenset[str], tenant_kind: str, script_prefix: str, urlconf: str
) -> tuple[NavLink, ...]:
    return tuple(
        NavLink(e.key, e.label, _reverse_cached(e.url_name, script_prefix, urlconf), e.description)
        for e in entries_for(permissions, tenant_kind)
    )


def url(url_name: str) -> str:
    """``reverse(url_name)`` of a URL without arguments, cached like the entries'."""
    return _reverse_cached(url_name, get_script_prefix(), _urlconf())


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


@dataclass(frozen=True)
class HeaderSearchLink:
    """The header search as pages render it: addresses resolved."""

    url: str
    suggest_url: str
    label: str
    placeholder: str


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
    _header_search_link.cache_clear()


def header_search_for(permissions: frozenset[str]) -> HeaderSearchLink | None:
    found = _header_search
    if found is None or (found.permission is not None and found.permission not in permissions):
        return None
    return _header_search_link(found, get_script_prefix(), _urlconf())


@functools.lru_cache(maxsize=16)
def _header_search_link(
    found: HeaderSearch, script_prefix: str, urlconf: str
) -> HeaderSearchLink | None:
    try:  # both must resolve, or no search box
        url = _reverse_cached(found.url_name, script_prefix, urlconf)
        suggest_url = _reverse_cached(found.suggest_url_name, script_prefix, urlconf)
    except NoReverseMatch:
        return None
    return HeaderSearchLink(url, suggest_url, found.label, found.placeholder)
