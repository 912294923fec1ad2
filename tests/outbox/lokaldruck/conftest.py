"""A real IPP printer (ippeveprinter) for the local-print tests, and the letters and
printers they print with. Every process the fixture starts is stopped after the test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.outbox.lokaldruck import services, tasks, virtuell
from koffer.outbox.models import Brief, Drucker
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests.factories import records as record_factories
from tests.outbox.factories import released_letter

needs_printer = pytest.mark.skipif(
    bool(virtuell.missing()),
    reason=f"{', '.join(virtuell.missing())} fehlt (cups-ipp-utils, dbus-daemon: "
    "scripts/system_packages.py test)",
)


@pytest.fixture
def virtueller_drucker(tmp_path: Path) -> Iterator[virtuell.VirtuellerDrucker]:
    printer = virtuell.VirtuellerDrucker(tmp_path / "spool").start()
    try:
        yield printer
    finally:
        printer.stop()


@pytest.fixture(autouse=True)
def quick_polls(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tasks, "POLL_SECONDS", 0.05)


@pytest.fixture
def akte(team_caseworker: User, plan: Aktenplaneinheit, team: Organisationseinheit) -> Akte:
    return record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team)


@pytest.fixture
def brief(tenant: Mandant, akte: Akte, team_caseworker: User) -> Brief:
    return released_letter(tenant, akte, actor=team_caseworker, kanal=Brief.Kanal.LOKAL)


def add_printer(
    tenant: Mandant, admin: User, uri: str, *, name: str = "Drucker Team 1", duplex: bool = True
) -> Drucker:
    return services.save_drucker(
        actor=admin,
        access=Access.for_user(admin.pk, tenant.pk),
        tenant=tenant,
        name=name,
        uri=uri,
        duplex=duplex,
    )
