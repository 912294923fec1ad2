"""The start page's "Ihre Aufgaben": apps register providers in ``AppConfig.ready()``."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.http import HttpRequest


@dataclass(frozen=True)
class StartTask:
    label: str
    url: str
    status: str


TaskProvider = Callable[[HttpRequest], list[StartTask]]
_providers: list[TaskProvider] = []


def register(provider: TaskProvider) -> None:
    if provider not in _providers:
        _providers.append(provider)


def tasks_for(request: HttpRequest) -> list[StartTask]:
    found: list[StartTask] = []
    for provider in _providers:
        found.extend(provider(request))
    return found
