"""A small, known audit trail: two people, two Akten, two caseworkers, and the same
identifiers in another Mandant (which must never show up)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.test import Client

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.models import AuditEvent
from koffer.tenancy.models import Mandant
from tests import factories

BERLIN = ZoneInfo("Europe/Berlin")


@dataclass(frozen=True)
class Person:
    """Stands in for a domain model: audit.record names it "person" with its label."""

    pk: str
    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class Akte:
    pk: str
    aktenzeichen: str

    def __str__(self) -> str:
        return self.aktenzeichen


@contextmanager
def frozen_at(at: datetime) -> Iterator[None]:
    with mock.patch("koffer.audit.services.timezone.now", return_value=at):
        yield


def berlin(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=BERLIN)


ERIKA = Person("p-erika", "Erika Beispiel")
MAX = Person("p-max", "Max Mustermann")
AKTE_1 = Akte("a-1", "51.2-2026/0001")
AKTE_2 = Akte("a-2", "51.2-2026/0002")


@dataclass
class Trail:
    tenant: Mandant
    alice: User
    bob: User
    seqs: dict[str, int]


def _record(name: str, seqs: dict[str, int], at: datetime, **kwargs: Any) -> None:
    with frozen_at(at):
        seqs[name] = audit.record(**kwargs).seq


@pytest.fixture
def trail(tenant: Mandant, other_tenant: Mandant) -> Trail:
    alice = factories.user(tenant, first_name="Alice", last_name="Akte")
    bob = factories.user(tenant, first_name="Bob", last_name="Bescheid")
    t = tenant.pk
    seqs: dict[str, int] = {}
    _record(
        "erika_created",
        seqs,
        berlin(2026, 3, 9, 23, 30),
        actor=alice,
        tenant_id=t,
        action="records.person.create",
        obj=ERIKA,
        subject=ERIKA,
        changes={"name": "Erika Beispiel"},
    )
    _record(
        "akte1_read",
        seqs,
        berlin(2026, 3, 10, 0, 30),
        actor=alice,
        tenant_id=t,
        action="read",
        obj=AKTE_1,
        subject=ERIKA,
        reason="Akteneinsicht nach Antrag",
    )
    _record(
        "akte1_changed",
        seqs,
        berlin(2026, 3, 10, 23, 59, 59),
        actor=bob,
        tenant_id=t,
        action="records.akte.update",
        obj=AKTE_1,
        subject=ERIKA,
        changes={"status": {"old": "offen", "new": "geschlossen"}},
    )
    _record(
        "max_created",
        seqs,
        berlin(2026, 3, 11, 0, 0, 1),
        actor=None,
        tenant_id=t,
        action="records.person.create",
        obj=MAX,
        subject=MAX,
        changes={"name": "=Max Mustermann"},
    )
    _record(
        "akte2_read",
        seqs,
        berlin(2026, 3, 12, 9, 0),
        actor=alice,
        tenant_id=t,
        action="read",
        obj=AKTE_2,
        subject=MAX,
    )
    # The same identifiers in another Mandant, with a label that must never be shown.
    stranger = factories.user(other_tenant, first_name="Fremd", last_name="Person")
    for action in ("records.person.create", "read"):
        with frozen_at(berlin(2026, 3, 10, 12, 0)):
            audit.record(
                actor=stranger,
                tenant_id=other_tenant.pk,
                action=action,
                obj=Person(ERIKA.pk, "Erika Fremdmandant"),
                subject=ERIKA,
                reason="Fremdzugriff",
            )
    return Trail(tenant, alice, bob, seqs)


def chunks_of(response: Any) -> list[bytes]:
    """The blocks a streamed response sends, in order."""
    return list(response.streaming_content)


def read_csv(response: Any) -> list[dict[str, str]]:
    """Rows of an export response (or of its bytes), keyed by the German header."""
    raw = response if isinstance(response, bytes) else b"".join(chunks_of(response))
    text = raw.decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text), delimiter=";"))


def csv_seqs(client: Client, **params: str) -> set[int]:
    response = client.get("/datenschutz/protokoll/export.csv", params)
    assert response.status_code == 200, response.content
    return {int(row["Nr. in der Kette"]) for row in read_csv(response)}


def query_events(tenant: Mandant) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(tenant_id=tenant.pk, action="privacy.audit.query").order_by("seq")
    )
