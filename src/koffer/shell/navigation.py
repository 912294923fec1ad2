"""The module navigation. Apps register their entries in ``AppConfig.ready()``, so the
shell lists every module without importing any of them."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse


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
        return reverse(self.url_name)


_entries: dict[str, NavEntry] = {}


def register(entry: NavEntry) -> None:
    _entries[entry.key] = entry


def entries_for(permissions: frozenset[str]) -> list[NavEntry]:
    visible = [e for e in _entries.values() if e.permission is None or e.permission in permissions]
    return sorted(visible, key=lambda e: (e.order, e.label))
