from __future__ import annotations

import sqlite3
import threading
from datetime import date
from pathlib import Path

import pytest
from django.db import connection, connections
from django.urls import reverse

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.audit.reasons import ReasonError
from koffer.records import access, selectors, services
from koffer.records.errors import RecordsError
from koffer.records.models import AccessLevel, Akte, Aktenplaneinheit
from koffer.tenancy.models import Counter, Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in


def _viewer(user: User, tenant: Mandant) -> selectors.Viewer:
    return selectors.Viewer(access=Access.for_user(user.pk, tenant.pk), user_id=user.pk)


def test_aktenzeichen_from_pattern_gap_free(
    akte: Akte, tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit
) -> None:
    year = akte.opened_at.year
    assert akte.aktenzeichen == f"LA-{year}-00001"
    second = services.create_akte(
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=team, title="Zwei"
    )
    assert second.aktenzeichen == f"LA-{year}-00002"


def test_failed_creation_returns_its_number(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit
) -> None:
    first = services.create_akte(
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=team, title="Eins"
    )
    with pytest.raises(RecordsError):
        services.create_akte(
            actor=None, tenant=tenant, aktenplaneinheit=plan, unit=team, title="  "
        )
    third = services.create_akte(
        actor=None, tenant=tenant, aktenplaneinheit=plan, unit=team, title="Drei"
    )
    assert int(third.aktenzeichen[-5:]) == int(first.aktenzeichen[-5:]) + 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_never_duplicates_or_skips(django_db_blocker: object) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot be shared across threads")
    tenant = factories.mandant()
    unit = factories.root_unit(tenant)
    plan = services.create_aktenplaneinheit(
        actor=None, tenant=tenant, parent=None, kennzeichen="K", title="K"
    )
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(5):
                services.create_akte(
                    actor=None, tenant=tenant, aktenplaneinheit=plan, unit=unit, title="parallel"
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    numbers = sorted(
        int(a[-5:]) for a in Akte.objects.for_tenant(tenant).values_list("aktenzeichen", flat=True)
    )
    assert numbers == list(range(1, 31))


def test_other_unit_cannot_see_normal_akte(
    akte: Akte, tenant: Mandant, other_team: Organisationseinheit
) -> None:
    stranger = factories.user(tenant, role="sachbearbeitung", unit_=other_team)
    assert selectors.akte(_viewer(stranger, tenant), akte.pk) is None
    assert (
        signed_in(stranger).get(reverse("records:akte_detail", args=[akte.pk])).status_code == 404
    )


def test_parent_unit_sees_akten_below(akte: Akte, tenant: Mandant) -> None:
    lead = factories.user(tenant, role="teamleitung")  # at the root unit
    assert selectors.akte(_viewer(lead, tenant), akte.pk) is not None


def test_restricted_akte_only_for_named_users(
    akte: Akte, tenant: Mandant, team: Organisationseinheit, team_caseworker: User
) -> None:
    colleague = factories.user(tenant, role="sachbearbeitung", unit_=team)
    factories.add_role(team_caseworker, tenant, "teamleitung", team)  # restricting assigns
    services.change_akte(
        actor=team_caseworker,
        akte=akte,
        reason="Mitarbeiterakte",
        access_level=AccessLevel.RESTRICTED,
        named_users=[team_caseworker],
    )
    assert selectors.akte(_viewer(colleague, tenant), akte.pk) is None
    assert selectors.akte(_viewer(team_caseworker, tenant), akte.pk) is not None
    assert not access.can_view(Access.for_user(colleague.pk, tenant.pk), colleague.pk, akte)


def test_change_needs_reason_and_is_audited(
    akte: Akte, team_caseworker: User, tenant: Mandant
) -> None:
    with pytest.raises(ReasonError, match="Grund"):
        services.change_akte(
            actor=team_caseworker, akte=akte, reason=" ", status=Akte.Status.CLOSED
        )
    services.change_akte(
        actor=team_caseworker, akte=akte, reason="erledigt", status=Akte.Status.CLOSED
    )
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.akte.change").latest(
        "seq"
    )
    assert event.reason == "erledigt" and event.changes["status"] == {
        "old": "open",
        "new": "closed",
    }


def test_closing_sets_retention_deadline(akte: Akte, team_caseworker: User) -> None:
    services.change_akte(
        actor=team_caseworker, akte=akte, reason="erledigt", status=Akte.Status.CLOSED
    )
    akte.refresh_from_db()
    assert akte.closed_at is not None
    assert akte.retention_until == date(akte.closed_at.astimezone().year + 10, 12, 31)


def test_handed_over_is_final(akte: Akte, team_caseworker: User) -> None:
    services.change_akte(actor=team_caseworker, akte=akte, reason="zu", status=Akte.Status.CLOSED)
    services.change_akte(
        actor=team_caseworker, akte=akte, reason="ans Archiv", status=Akte.Status.HANDED_OVER
    )
    with pytest.raises(RecordsError, match="kann nicht"):
        services.change_akte(
            actor=team_caseworker, akte=akte, reason="zurück", status=Akte.Status.OPEN
        )


def test_bg_nummer_gap_free(tenant: Mandant, akte: Akte) -> None:
    assert akte.bg is not None and akte.bg.bg_nummer == "BG0000001"
    assert Counter.objects.for_tenant(tenant).get(key="bg").value == 1


def test_opening_akte_page_records_a_read(
    akte: Akte, team_caseworker: User, tenant: Mandant
) -> None:
    response = signed_in(team_caseworker).get(reverse("records:akte_detail", args=[akte.pk]))
    assert response.status_code == 200 and akte.aktenzeichen in response.content.decode()
    read = AuditEvent.objects.filter(tenant_id=tenant.pk, action="read", object_id=str(akte.pk))
    assert read.count() == 1 and read.get().subject_type == "records.person"


def test_my_akten_page(akte: Akte, team_caseworker: User) -> None:
    body = signed_in(team_caseworker).get(reverse("records:akten")).content.decode()
    assert akte.aktenzeichen in body


def test_my_akten_page_is_paged_and_keeps_the_status_filter(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> None:
    for n in range(51):
        services.open_akte_for_person(
            actor=team_caseworker,
            tenant=tenant,
            aktenplaneinheit=plan,
            unit=team,
            title=f"Akte {n}",
            family_name=f"Person{n:02d}",
            given_names="Anna",
            bg_nummer="neu",
            caseworker=team_caseworker,
        )
    client = signed_in(team_caseworker)
    first = client.get(reverse("records:akten")).content.decode()
    assert "Seite 1 von 2" in first and 'href="?status=open&amp;seite=2"' in first
    second = client.get(reverse("records:akten") + "?status=open&seite=2").content.decode()
    assert "Seite 2 von 2" in second and 'href="?status=open&amp;seite=1"' in second


def test_create_akte_via_form(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> None:
    response = signed_in(team_caseworker).post(
        reverse("records:akte_create"),
        {
            "aktenplaneinheit": str(plan.pk),
            "unit": str(team.pk),
            "title": "Neue Akte",
            "family_name": "Neu",
            "given_names": "Nora",
            "bg_nummer": "",
        },
    )
    assert response.status_code == 302
    assert Akte.objects.for_tenant(tenant).filter(title="Neue Akte").exists()


def test_akte_page_query_count_is_pinned(
    akte: Akte, team_caseworker: User, django_assert_max_num_queries
) -> None:  # type: ignore[no-untyped-def]
    client = signed_in(team_caseworker)
    client.get(reverse("records:akte_detail", args=[akte.pk]))
    with django_assert_max_num_queries(25):
        client.get(reverse("records:akte_detail", args=[akte.pk]))


@pytest.mark.django_db(transaction=True)
def test_concurrent_creation_on_a_sqlite_file_never_duplicates_or_skips(
    tmp_path: Path,
) -> None:
    """The same race on SQLite: the in-memory test database is one connection's, so the
    schema and the Mandant are copied (SQLite backup API) into a file, and every thread
    opens its own connection to that file, as granian's threads do on a laptop. WAL and
    ``BEGIN IMMEDIATE`` serialise the writers; the counter must still give 1..30."""
    if connection.vendor != "sqlite":
        pytest.skip("the PostgreSQL variant above covers other databases")
    tenant = factories.mandant()
    unit = factories.root_unit(tenant)
    plan = services.create_aktenplaneinheit(
        actor=None, tenant=tenant, parent=None, kennzeichen="K", title="K"
    )
    path = tmp_path / "koffer.sqlite3"
    connection.ensure_connection()
    target = sqlite3.connect(path)
    connection.connection.backup(target)
    target.close()

    settings_dict = connections.settings["default"]
    memory_name = settings_dict["NAME"]
    settings_dict["NAME"] = str(path)  # connections opened from now on (new threads) use it
    errors: list[BaseException] = []
    found: list[str] = []

    def worker() -> None:
        try:
            assert connection.settings_dict["NAME"] == str(path)
            for _ in range(5):
                services.create_akte(
                    actor=None, tenant=tenant, aktenplaneinheit=plan, unit=unit, title="parallel"
                )
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    def read() -> None:
        try:
            found.extend(Akte.objects.for_tenant(tenant).values_list("aktenzeichen", flat=True))
            found.append(
                str(
                    AuditEvent.objects.filter(
                        tenant_id=tenant.pk, action="records.akte.create"
                    ).count()
                )
            )
        finally:
            connections.close_all()

    try:
        threads = [threading.Thread(target=worker) for _ in range(6)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        reader = threading.Thread(target=read)
        reader.start()
        reader.join()
    finally:
        settings_dict["NAME"] = memory_name
    assert not errors, errors
    *aktenzeichen, events = found
    assert sorted(int(a[-5:]) for a in aktenzeichen) == list(range(1, 31))
    assert events == "30"
    # nothing of this reached the in-memory database of the other tests
    assert not Akte.objects.for_tenant(tenant).exists()
