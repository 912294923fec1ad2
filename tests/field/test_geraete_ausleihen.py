"""Checking Akten out to a Koffer: who may, one Koffer at a time, expiry by time, extending,
returning, revocation ending them; through the services and the API."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pytest
import time_machine
from django.db import connection, connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.audit.reasons import ReasonError
from koffer.field.errors import Conflict, FieldError, Forbidden, NotFound
from koffer.field.geraete import selectors, services
from koffer.field.models import Ausleihe, Geraet
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import BERLIN, signed_in
from tests.factories import records as record_factories
from tests.field.conftest import koffer_client
from tests.inbox.openapi import conforms

AUSLEIHEN = "/api/v1/koffer/ausleihen"
MORNING = datetime(2026, 12, 7, 9, 14, tzinfo=BERLIN)


def test_a_caseworker_without_field_checkout_registers_no_koffer(
    team_caseworker: User, tenant: Mandant
) -> None:
    with pytest.raises(Forbidden):
        services.geraet_anlegen(actor=team_caseworker, tenant_id=tenant.pk, name="Laptop")


def test_an_akte_the_worker_may_not_change_is_missing_to_them(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    other_team: Organisationseinheit,
    gekoppelt: tuple[Geraet, str],
    aussendienst: User,
) -> None:
    fremd = record_factories.akte(
        caseworker=factories.user(tenant, unit_=other_team), plan=plan, unit=other_team
    )
    with pytest.raises(NotFound) as refused:
        services.ausleihen(actor=aussendienst, geraet=gekoppelt[0], akten=[fremd])
    assert fremd.aktenzeichen in refused.value.message
    assert not Ausleihe.objects.for_tenant(tenant).exists()


def test_only_its_own_worker_fills_a_koffer(
    gekoppelt: tuple[Geraet, str], kollegin: User, akte: Akte
) -> None:
    with pytest.raises(NotFound):
        services.ausleihen(actor=kollegin, geraet=gekoppelt[0], akten=[akte])


@pytest.mark.today("2026-12-07")
def test_checkout_lasts_seven_days_and_the_akte_audit_shows_it(
    gekoppelt: tuple[Geraet, str], aussendienst: User, akte: Akte
) -> None:
    geraet, _ = gekoppelt
    with time_machine.travel(MORNING, tick=False):
        [row] = services.ausleihen(actor=aussendienst, geraet=geraet, akten=[akte])
    assert row.seit == MORNING
    assert row.bis == MORNING + timedelta(days=7)
    assert list(selectors.offene_ausleihen(geraet)) == [row]
    assert selectors.ausleihe_der_akte(akte) == row
    event = AuditEvent.objects.get(action="field.ausleihe.create")
    assert event.object_id == str(akte.pk)
    assert event.actor_id == aussendienst.pk
    assert event.changes["koffer"] == "Laptop 1"


@override_settings(KOFFER_AUSLEIHE_TAGE=3)
def test_the_checkout_period_is_a_setting_and_a_ceiling(
    gekoppelt: tuple[Geraet, str], aussendienst: User, akte: Akte
) -> None:
    geraet, _ = gekoppelt
    now = timezone.now()
    with pytest.raises(FieldError) as too_long:
        services.ausleihen(
            actor=aussendienst, geraet=geraet, akten=[akte], bis=now + timedelta(days=4)
        )
    assert too_long.value.code == "bis_zu_spaet"
    with pytest.raises(FieldError) as past:
        services.ausleihen(
            actor=aussendienst, geraet=geraet, akten=[akte], bis=now - timedelta(minutes=1)
        )
    assert past.value.code == "bis_vergangen"
    [row] = services.ausleihen(actor=aussendienst, geraet=geraet, akten=[akte])
    assert row.bis - row.seit == timedelta(days=3)


@pytest.mark.today("2026-12-07")
def test_an_akte_in_another_koffer_refuses_the_whole_checkout(
    gekoppelt: tuple[Geraet, str],
    aussendienst: User,
    anderer_koffer: Geraet,
    kollegin: User,
    akte: Akte,
    team_caseworker: User,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
) -> None:
    frei = record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team)
    with time_machine.travel(MORNING, tick=False):
        services.ausleihen(actor=kollegin, geraet=anderer_koffer, akten=[akte])
    with pytest.raises(Conflict) as refused:
        services.ausleihen(actor=aussendienst, geraet=gekoppelt[0], akten=[frei, akte])
    assert refused.value.message == (
        f"Die Akte {akte.aktenzeichen} ist bereits im Koffer bei Karla Kollegin "
        "seit 07.12.2026, 09:14."
    )
    assert selectors.ausleihe_der_akte(frei) is None  # all or nothing


def test_the_same_koffer_again_extends_the_checkout(
    gekoppelt: tuple[Geraet, str], aussendienst: User, akte: Akte
) -> None:
    geraet, _ = gekoppelt
    [first] = services.ausleihen(actor=aussendienst, geraet=geraet, akten=[akte])
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        [again] = services.ausleihen(actor=aussendienst, geraet=geraet, akten=[akte])
    assert again.pk == first.pk
    assert again.seit == first.seit
    assert again.bis - first.bis >= timedelta(days=2)
    assert Ausleihe.objects.for_tenant(akte.tenant_id).count() == 1
    assert AuditEvent.objects.filter(action="field.ausleihe.verlaengert").count() == 1


def test_an_expired_checkout_counts_as_ended_and_frees_the_akte(
    gekoppelt: tuple[Geraet, str],
    aussendienst: User,
    anderer_koffer: Geraet,
    kollegin: User,
    akte: Akte,
) -> None:
    geraet, token = gekoppelt
    [old] = services.ausleihen(actor=aussendienst, geraet=geraet, akten=[akte])
    later = old.bis + timedelta(minutes=1)
    with time_machine.travel(later):
        # No job ended it: the time filter alone.
        assert list(selectors.offene_ausleihen(geraet)) == []
        assert selectors.ausleihe_der_akte(akte) is None
        assert koffer_client(token).get("/api/v1/koffer/zustand").json()["ausleihen"] == []
        [new] = services.ausleihen(actor=kollegin, geraet=anderer_koffer, akten=[akte])
    old.refresh_from_db()
    assert old.zurueck_am == old.bis
    assert new.geraet_id == anderer_koffer.pk
    assert AuditEvent.objects.filter(action="field.ausleihe.abgelaufen").count() == 1


def test_revocation_ends_the_checkouts_of_the_koffer(
    gekoppelt: tuple[Geraet, str], aussendienst: User, admin_user: User, akte: Akte
) -> None:
    geraet, _ = gekoppelt
    services.ausleihen(actor=aussendienst, geraet=geraet, akten=[akte])
    with pytest.raises(ReasonError) as no_reason:
        services.sperren(actor=admin_user, geraet=geraet, grund="  ")
    assert no_reason.value.code == "reason_required"
    services.sperren(actor=admin_user, geraet=geraet, grund="Laptop verloren")
    assert selectors.ausleihe_der_akte(akte) is None
    row = Ausleihe.objects.for_tenant(akte.tenant_id).get()
    assert row.zurueck_am is not None
    event = AuditEvent.objects.get(action="field.ausleihe.gesperrt")
    assert event.object_id == str(akte.pk)
    assert event.reason == "Laptop verloren"
    assert AuditEvent.objects.get(action="field.geraet.sperren").reason == "Laptop verloren"
    with pytest.raises(Conflict):
        services.ausleihen(actor=aussendienst, geraet=geraet, akten=[akte])


def test_the_koffer_checks_out_and_returns_by_api(
    gekoppelt: tuple[Geraet, str], akte: Akte
) -> None:
    _, token = gekoppelt
    client = koffer_client(token)
    created = client.post(AUSLEIHEN, {"akten": [str(akte.pk)]}, content_type="application/json")
    assert created.status_code == 201, created.content
    [row] = conforms(created, AUSLEIHEN, "post")
    assert row["aktenzeichen"] == akte.aktenzeichen
    state = conforms(client.get("/api/v1/koffer/zustand"), "/api/v1/koffer/zustand", "get")
    assert [a["id"] for a in state["ausleihen"]] == [row["id"]]
    listed = conforms(client.get(AUSLEIHEN), AUSLEIHEN, "get")
    assert [a["id"] for a in listed] == [row["id"]]
    path = f"{AUSLEIHEN}/{row['id']}/zurueckgeben"
    returned = client.post(path)
    assert returned.status_code == 200, returned.content
    conforms(returned, "/api/v1/koffer/ausleihen/{ausleihe_id}/zurueckgeben", "post")
    assert selectors.ausleihe_der_akte(akte) is None
    again = client.post(path)
    assert again.status_code == 404
    assert client.get(AUSLEIHEN).json() == []


def test_a_conflict_by_api_is_a_problem_document(
    gekoppelt: tuple[Geraet, str], anderer_koffer: Geraet, kollegin: User, akte: Akte
) -> None:
    services.ausleihen(actor=kollegin, geraet=anderer_koffer, akten=[akte])
    response = koffer_client(gekoppelt[1]).post(
        AUSLEIHEN, {"akten": [str(akte.pk)]}, content_type="application/json"
    )
    assert response.status_code == 409
    body = conforms(response, AUSLEIHEN, "post")
    assert body["code"] == "im_koffer"
    assert "Karla Kollegin" in body["detail"]


def test_a_person_checks_out_into_their_koffer_by_session(
    gekoppelt: tuple[Geraet, str], aussendienst: User, akte: Akte, admin_user: User
) -> None:
    geraet, _ = gekoppelt
    body = {"akten": [str(akte.pk)], "geraet_id": str(geraet.pk)}
    refused = signed_in(admin_user).post(AUSLEIHEN, body, content_type="application/json")
    assert refused.status_code == 404  # the administration revokes, but carries no Koffer
    response = signed_in(aussendienst).post(AUSLEIHEN, body, content_type="application/json")
    assert response.status_code == 201, response.content
    admin_list = conforms(signed_in(admin_user).get(AUSLEIHEN), AUSLEIHEN, "get")
    assert [a["aktenzeichen"] for a in admin_list] == [akte.aktenzeichen]


def test_revoke_by_api_needs_a_reason(gekoppelt: tuple[Geraet, str], admin_user: User) -> None:
    geraet, _ = gekoppelt
    path = f"/api/v1/koffer/geraete/{geraet.pk}/sperren"
    client = signed_in(admin_user)
    empty = client.post(path, {"grund": " "}, content_type="application/json")
    assert empty.status_code == 422
    assert json_code(empty) == "reason_required"
    done = client.post(path, {"grund": "gestohlen"}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert conforms(done, "/api/v1/koffer/geraete/{geraet_id}/sperren", "post")["status"] == (
        "gesperrt"
    )
    twice = client.post(path, {"grund": "gestohlen"}, content_type="application/json")
    assert twice.status_code == 409


def json_code(response: object) -> str:
    return response.json()["code"]  # type: ignore[attr-defined, no-any-return]


def _lists_cost(client: object, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)  # type: ignore[attr-defined]
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries)


def test_lists_cost_the_same_for_one_koffer_or_many(
    tenant: Mandant,
    team: Organisationseinheit,
    plan: Aktenplaneinheit,
    team_caseworker: User,
    admin_user: User,
    gekoppelt: tuple[Geraet, str],
    aussendienst: User,
    akte: Akte,
) -> None:
    geraet, token = gekoppelt
    services.ausleihen(actor=aussendienst, geraet=geraet, akten=[akte])
    admin = signed_in(admin_user)
    koffer = koffer_client(token)
    urls = [
        (admin, "/api/v1/koffer/geraete"),
        (admin, AUSLEIHEN),
        (koffer, AUSLEIHEN),
        (koffer, "/api/v1/koffer/zustand"),
        (admin, "/koffer/geraete/"),
        (signed_in(aussendienst), "/koffer/"),
    ]
    for client, url in urls:  # a session's first request loads more once
        client.get(url)  # type: ignore[attr-defined]
    before = [_lists_cost(c, u) for c, u in urls]
    for n in range(3):
        worker = factories.user(tenant, role="aussendienst", unit_=team)
        more, code = services.geraet_anlegen(actor=worker, tenant_id=tenant.pk, name=f"L{n}")
        services.koppeln(code=code)
        extra = record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team)
        services.ausleihen(actor=worker, geraet=more, akten=[extra])
        own = record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team)
        services.ausleihen(actor=aussendienst, geraet=geraet, akten=[own])
    # The Koffer's contact write happens once a minute: the second round sees none.
    with time_machine.travel(timezone.now() + timedelta(seconds=1)):
        after = [_lists_cost(c, u) for c, u in urls]
    assert after == before, list(zip(urls, before, after, strict=True))


@pytest.mark.django_db(transaction=True)
def test_four_koffer_racing_for_one_akte_one_wins_the_others_are_told_who() -> None:
    """Real threads on PostgreSQL: whether a loser sees the winner's row under lock or only
    meets the unique constraint, it gets the same Conflict, never a 500."""
    if connection.vendor != "postgresql":
        pytest.skip("SQLite's in-memory test database cannot be shared across threads")
    tenant = factories.mandant()
    team = factories.unit(tenant, "Seniorenbüro")
    plan = record_factories.leistungsplan(tenant)
    akte = record_factories.akte(
        caseworker=factories.user(tenant, unit_=team), plan=plan, unit=team
    )
    koffer = []
    for n in range(4):
        worker = factories.user(tenant, role="aussendienst", unit_=team, last_name=f"Feld{n}")
        koffer.append(
            (worker, services.geraet_anlegen(actor=worker, tenant_id=tenant.pk, name=f"K{n}")[0])
        )
    start = threading.Barrier(len(koffer))
    won: list[str] = []
    refused: list[str] = []
    errors: list[BaseException] = []

    def take(worker: User, geraet: Geraet) -> None:
        try:
            start.wait(timeout=10)
            services.ausleihen(actor=worker, geraet=geraet, akten=[akte])
            won.append(str(worker))
        except Conflict as conflict:
            refused.append(conflict.message)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=take, args=pair) for pair in koffer]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors, errors
    assert len(won) == 1 and len(refused) == 3
    for message in refused:
        assert message.startswith(
            f"Die Akte {akte.aktenzeichen} ist bereits im Koffer bei {won[0]}"
        )
    assert Ausleihe.objects.for_tenant(tenant).filter(zurueck_am__isnull=True).count() == 1
