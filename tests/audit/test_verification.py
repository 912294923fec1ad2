"""The chain walk reads raw rows with the ORM's converters: every hashed column counts."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit import verification
from koffer.audit.chain import _utc_iso
from koffer.audit.models import AuditEvent
from koffer.audit.verification import verify_tenant
from koffer.tenancy.models import Mandant
from tests.factories.audit import tenant_param, unguarded


def _varied_events(tenant: Mandant, actor: User | None, n: int) -> None:
    for i in range(n):
        audit.record(
            actor=actor if i % 2 else None,
            tenant_id=tenant.pk,
            action="test.write",
            obj=("probe", i),
            subject=("person", i // 2),
            changes={"name": {"old": "Müller", "new": f"Jürgen {i}"}, "n": i} if i % 3 else {},
            reason="Prüfung" if i % 4 == 0 else "",
        )


def _tamper(tenant: Mandant, seq: int, column: str, value: object) -> None:
    """Raw database access around the append-only trigger, as an attacker could."""
    statement = f"UPDATE audit_event SET {column} = %s WHERE seq = %s AND tenant_id = %s"
    with unguarded() as cursor:
        cursor.execute(statement, [value, seq, tenant_param(tenant.pk)])


def test_varied_events_verify(tenant: Mandant, caseworker: User) -> None:
    _varied_events(tenant, caseworker, 12)
    report = verify_tenant(tenant.pk)
    assert report.ok
    assert report.events == AuditEvent.objects.filter(tenant_id=tenant.pk).count()


def test_chain_longer_than_one_page_verifies_with_progress(
    tenant: Mandant, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(verification, "CHUNK", 4)
    _varied_events(tenant, None, 10)
    seen: list[int] = []
    report = verify_tenant(tenant.pk, progress=seen.append)
    assert report.ok and len(seen) >= 3 and seen[-1] == report.events


@pytest.mark.parametrize(
    ("column", "value"),
    [
        ("changes", '{"n": 99, "name": {"new": "Jürgen 5", "old": "Müller"}}'),
        ("actor_id", None),
        ("object_label", "anders"),
    ],
)
def test_edit_of_any_hashed_column_is_found(
    tenant: Mandant, caseworker: User, column: str, value: object
) -> None:
    _varied_events(tenant, caseworker, 8)
    target = 6  # has an actor and changes (see _varied_events), after the first events
    event = AuditEvent.objects.get(tenant_id=tenant.pk, seq=target)
    assert event.actor_id is not None and event.changes
    _tamper(tenant, target, column, value)
    report = verify_tenant(tenant.pk)
    assert report.broken_seq == target and report.problem == "Inhalt verändert"


@given(
    st.datetimes(
        min_value=dt.datetime(1970, 1, 2),
        max_value=dt.datetime(9998, 12, 30),
        timezones=st.sampled_from([dt.UTC, ZoneInfo("Europe/Berlin")]),
    )
)
def test_timestamp_text_is_the_strftime_format(at: dt.datetime) -> None:
    expected = at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert _utc_iso(at) == expected
