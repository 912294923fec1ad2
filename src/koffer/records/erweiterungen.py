"""Links other apps add to an Akte's and a Vorgang's page („Brief schreiben“ of the
Postausgang) and to a Dokument's page („Im Koffer drucken“), and notices they put on an Akte (the Koffer's „Im Koffer bei … seit …“),
registered in their ``AppConfig.ready()``: the E-Akte knows no app above it.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django.urls import reverse

from koffer.accounts.access import Access
from koffer.records.models import Akte, Dokument, Vorgang


@dataclass(frozen=True)
class Aktion:
    key: str
    label: str
    # (access, user id, akte, vorgang or None) -> the link's URL, or None when not shown
    url: Callable[[Access, uuid.UUID | None, Akte, Vorgang | None], str | None]


_AKTIONEN: dict[str, Aktion] = {}


def register(aktion: Aktion) -> None:
    _AKTIONEN[aktion.key] = aktion


def links(
    access: Access, user_id: uuid.UUID | None, akte: Akte, vorgang: Vorgang | None = None
) -> list[tuple[str, str]]:
    """(label, URL) of every registered link shown to this actor on this page."""
    found = []
    for aktion in _AKTIONEN.values():
        url = aktion.url(access, user_id, akte, vorgang)
        if url:
            found.append((aktion.label, url))
    return found


@dataclass(frozen=True)
class DokumentAktion:
    key: str
    label: str
    # (access, user id, dokument) -> the link's URL, or None when not shown
    url: Callable[[Access, uuid.UUID | None, Dokument], str | None]


_DOKUMENT_AKTIONEN: dict[str, DokumentAktion] = {}


def register_dokument(aktion: DokumentAktion) -> None:
    _DOKUMENT_AKTIONEN[aktion.key] = aktion


def dokument_links(
    access: Access, user_id: uuid.UUID | None, dokument: Dokument
) -> list[tuple[str, str]]:
    """(label, URL) of every registered link shown to this actor on a Dokument's page."""
    found = []
    for aktion in _DOKUMENT_AKTIONEN.values():
        url = aktion.url(access, user_id, dokument)
        if url:
            found.append((aktion.label, url))
    return found


@dataclass(frozen=True)
class Hinweis:
    key: str
    # (access, user id, akte) -> the notice's German text, or None when there is none
    text: Callable[[Access, uuid.UUID | None, Akte], str | None]


_HINWEISE: dict[str, Hinweis] = {}


def register_hinweis(hinweis: Hinweis) -> None:
    _HINWEISE[hinweis.key] = hinweis


def hinweise(access: Access, user_id: uuid.UUID | None, akte: Akte) -> list[str]:
    """The texts of every registered notice about this Akte, for whoever sees it (its page
    and its API detail)."""
    found = []
    for hinweis in _HINWEISE.values():
        text = hinweis.text(access, user_id, akte)
        if text:
            found.append(text)
    return found


def url(name: str, *args: object) -> str:
    return reverse(name, args=args)
