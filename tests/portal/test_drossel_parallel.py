"""The portal's rate limits hold under concurrency (issue 19): requests arriving together
at the limit pass exactly as often as the limit leaves, never more. Real threads, each
with its own database connection — on PostgreSQL, and on SQLite through a file database
(the in-memory test database belongs to one connection)."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from typing import Any

import pytest
from django.db import connection, connections

from koffer.portal import drossel
from koffer.portal.errors import ZuVieleVersuche
from koffer.portal.models import Drosselung
from tests import factories

FAEDEN = 8
GRENZE = 3


def _ansturm(tenant_id: Any) -> tuple[list[str], list[BaseException]]:
    """``FAEDEN`` threads count one upload of the same account at the same moment."""
    start = threading.Barrier(FAEDEN)
    ergebnisse: list[str] = []
    fehler: list[BaseException] = []
    lock = threading.Lock()

    def anfrage() -> None:
        try:
            start.wait(timeout=30)
            try:
                drossel.zaehlen(tenant_id=tenant_id, grenzen=[("upload", "konto-1")])
                ergebnis = "durch"
            except ZuVieleVersuche:
                ergebnis = "429"
            with lock:
                ergebnisse.append(ergebnis)
        except BaseException as exc:
            fehler.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=anfrage) for _ in range(FAEDEN)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return ergebnisse, fehler


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_at_the_limit_pass_exactly_as_often_as_it_leaves(
    settings: Any,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot be shared across threads")
    settings.KOFFER_PORTAL_LIMITS = {**settings.KOFFER_PORTAL_LIMITS, "upload": (GRENZE, 3600)}
    tenant = factories.mandant()
    # one request counted already: two more may pass
    drossel.zaehlen(tenant_id=tenant.pk, grenzen=[("upload", "konto-1")])
    ergebnisse, fehler = _ansturm(tenant.pk)
    assert not fehler, fehler
    assert sorted(ergebnisse) == ["429"] * (FAEDEN - GRENZE + 1) + ["durch"] * (GRENZE - 1)
    assert Drosselung.objects.for_tenant(tenant).count() == GRENZE


@pytest.mark.django_db(transaction=True)
def test_parallel_requests_on_a_sqlite_file_pass_exactly_as_often_as_the_limit_leaves(
    settings: Any, tmp_path: Path
) -> None:
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL variant above covers other databases")
    settings.KOFFER_PORTAL_LIMITS = {**settings.KOFFER_PORTAL_LIMITS, "upload": (GRENZE, 3600)}
    tenant = factories.mandant()
    path = tmp_path / "koffer.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()
    settings_dict = connections.settings["default"]
    memory_name = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)  # connections opened from now on (new threads) use it
    gezaehlt: list[int] = []

    def zaehlen() -> None:
        try:
            gezaehlt.append(Drosselung.objects.for_tenant(tenant).count())
        finally:
            connections.close_all()

    try:
        ergebnisse, fehler = _ansturm(tenant.pk)
        leser = threading.Thread(target=zaehlen)
        leser.start()
        leser.join()
    finally:
        settings_dict["NAME"] = memory_name
    assert not fehler, fehler
    assert sorted(ergebnisse) == ["429"] * (FAEDEN - GRENZE) + ["durch"] * GRENZE
    assert gezaehlt == [GRENZE]
