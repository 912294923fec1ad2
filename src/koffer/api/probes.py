"""Liveness and readiness probes for load balancers and ``make run``'s status line."""

from __future__ import annotations

from collections.abc import Callable

from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.views.decorators.cache import never_cache

ReadinessCheck = Callable[[], tuple[bool, str]]
_checks: dict[str, ReadinessCheck] = {}


def register_check(name: str, check: ReadinessCheck) -> None:
    """Apps add their own readiness checks (blob store, worker heartbeat) in ready()."""
    _checks[name] = check


def _database() -> tuple[bool, str]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any driver error means not ready
        return False, f"Datenbank nicht erreichbar: {exc.__class__.__name__}"
    return True, "ok"


@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """The process is up and answering."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    """Database, blob store and a recent worker heartbeat; 503 names what is missing."""
    results = {"database": _database()}
    for name, check in _checks.items():
        try:
            results[name] = check()
        except Exception as exc:
            results[name] = (False, f"Prüfung fehlgeschlagen: {exc.__class__.__name__}")
    ready = all(ok for ok, _ in results.values())
    body = {
        "status": "ok" if ready else "not_ready",
        "checks": {k: {"ok": ok, "detail": d} for k, (ok, d) in results.items()},
    }
    return JsonResponse(body, status=200 if ready else 503)
