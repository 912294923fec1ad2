from __future__ import annotations

import json
import re

import pytest
from django.test import Client
from pytest_django import DjangoAssertNumQueries

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.models import AuditEvent
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.privacy.conftest import (
    AKTE_1,
    ERIKA,
    Person,
    Trail,
    berlin,
    chunks_of,
    csv_seqs,
    frozen_at,
    query_events,
    read_csv,
)

PAGE = "/datenschutz/protokoll/"
# Session, user, Mandant and access (5), the actor list, the audit event of the view (head,
# insert, head update, savepoint pair), one page, one query for all names, the chain head.
PAGE_QUERIES = 14
EXPORT = "/datenschutz/protokoll/export.csv"


@pytest.fixture
def dpo_client(dpo: User) -> Client:
    return signed_in(dpo)


# --- Access ---------------------------------------------------------------------------------


def test_nav_entry_only_for_the_audit_role(dpo_client: Client, caseworker: User) -> None:
    assert f'href="{PAGE}"' in dpo_client.get("/").content.decode()
    assert f'href="{PAGE}"' not in signed_in(caseworker).get("/").content.decode()


@pytest.mark.parametrize("url", [PAGE, EXPORT])
def test_caseworker_gets_403(caseworker: User, url: str) -> None:
    response = signed_in(caseworker).get(url)
    assert response.status_code == 403
    assert "Keine Berechtigung" in response.content.decode()


def test_anonymous_is_sent_to_login(db: None) -> None:
    response = Client().get(PAGE)
    assert response.status_code == 302 and response["Location"].startswith("/anmelden/")


# --- What the page shows --------------------------------------------------------------------


def test_page_shows_berlin_time_german_labels_and_shortcuts(
    dpo_client: Client, trail: Trail
) -> None:
    body = dpo_client.get(PAGE).content.decode()
    # 2026-03-10 00:30 in Berlin is still the 9th in UTC.
    assert "10.03.2026&nbsp;00:30:00" in body
    assert "Gelesen" in body and "Akteneinsicht nach Antrag" in body
    assert "Status: offen → geschlossen" in body
    assert "Alice Akte" in body and "Erika Beispiel" in body and AKTE_1.aktenzeichen in body
    assert f"?objekt_typ=akte&amp;objekt_id={AKTE_1.pk}" in body
    assert f"?person_typ=person&amp;person_id={ERIKA.pk}" in body
    assert "alle Einträge zu diesem Objekt" in body and "alle Einträge zu dieser Person" in body
    assert "Unversehrtheit der Protokollkette" in body
    assert "Erika Fremdmandant" not in body and "Fremdzugriff" not in body


def test_action_labels_fall_back_to_the_model_and_then_the_code(
    dpo_client: Client, tenant: Mandant
) -> None:
    for action in ("accounts.user.delete", "fachverfahren.sonderlauf"):
        audit.record(actor=None, tenant_id=tenant.pk, action=action)
    body = dpo_client.get(PAGE).content.decode()
    assert "Benutzer gelöscht" in body and "fachverfahren.sonderlauf" in body


def test_name_search_lists_the_matching_people(dpo_client: Client, trail: Trail) -> None:
    body = dpo_client.get(PAGE, {"person": "beispiel"}).content.decode()
    assert "Gefundene Personen zu „beispiel“" in body
    assert f"?person_typ=person&amp;person_id={ERIKA.pk}" in body
    assert "Max Mustermann" not in body
    nobody = dpo_client.get(PAGE, {"person": "Niemand"}).content.decode()
    assert "Keine Person mit diesem Namen" in nobody


# --- Filters find exactly the right events -------------------------------------------------


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        (
            {"person_typ": "person", "person_id": ERIKA.pk},
            {"erika_created", "akte1_read", "akte1_changed"},
        ),
        ({"person": "Beispiel"}, {"erika_created", "akte1_read", "akte1_changed"}),
        ({"objekt_typ": "akte", "objekt_id": AKTE_1.pk}, {"akte1_read", "akte1_changed"}),
        ({"aktion": "read"}, {"akte1_read", "akte2_read"}),
        ({"text": "akteneinsicht"}, {"akte1_read"}),
        ({"text": "2026/0002"}, {"akte2_read"}),
        ({"wer": "system", "aktion": "records.person.create"}, {"max_created"}),
        # Berlin days: 09.03. 23:30 is out, 10.03. 00:30 and 23:59:59 are in.
        ({"von": "10.03.2026", "bis": "10.03.2026"}, {"akte1_read", "akte1_changed"}),
        ({"bis": "09.03.2026"}, {"erika_created"}),
        ({"von": "2026-03-10", "bis": "11.03.26"}, {"akte1_read", "akte1_changed", "max_created"}),
        ({"person": "Beispiel", "von": "10.03.2026"}, {"akte1_read", "akte1_changed"}),
    ],
)
def test_filters_find_exactly_the_right_events(
    dpo_client: Client, trail: Trail, params: dict[str, str], expected: set[str]
) -> None:
    assert csv_seqs(dpo_client, **params) == {trail.seqs[name] for name in expected}


def test_actor_filter(dpo_client: Client, trail: Trail) -> None:
    assert csv_seqs(dpo_client, wer=str(trail.bob.pk)) == {trail.seqs["akte1_changed"]}
    alice = csv_seqs(dpo_client, wer=str(trail.alice.pk))
    assert {trail.seqs[n] for n in ("erika_created", "akte1_read", "akte2_read")} <= alice
    assert trail.seqs["akte1_changed"] not in alice


def test_former_member_can_still_be_filtered(
    dpo_client: Client, trail: Trail, other_tenant: Mandant
) -> None:
    outsider = factories.user(other_tenant)
    response = dpo_client.get(PAGE, {"wer": str(outsider.pk)})
    assert response.status_code == 200
    assert "Keine Einträge zu diesem Filter" in response.content.decode()


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"von": "31.02.2026"}, "Format TT.MM.JJJJ"),
        ({"von": "gestern"}, "Format TT.MM.JJJJ"),
        ({"von": "12.03.2026", "bis": "10.03.2026"}, "„Bis“ liegt vor „Von“"),
        ({"von": "01.01.1000"}, "zwischen 01.01.2000"),
        ({"vor": "abc"}, "Seitenangabe ist ungültig"),
        ({"wer": "niemand"}, "Wer:"),
        ({"aktion": "<script>"}, "Aktion:"),
    ],
)
def test_bad_filter_input_gets_a_german_message(
    dpo_client: Client, trail: Trail, params: dict[str, str], message: str
) -> None:
    before = len(query_events(trail.tenant))
    response = dpo_client.get(PAGE, params)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert len(query_events(trail.tenant)) == before  # nothing was shown, nothing to log
    assert dpo_client.get(EXPORT, params).status_code == 400


# --- Tenant isolation ----------------------------------------------------------------------


def test_other_mandants_events_never_appear(
    dpo_client: Client, trail: Trail, other_tenant: Mandant
) -> None:
    foreign = set(
        AuditEvent.objects.filter(tenant_id=other_tenant.pk).values_list("reason", flat=True)
    )
    assert "Fremdzugriff" in foreign
    for params in ({}, {"person_typ": "person", "person_id": ERIKA.pk}, {"text": "Fremd"}):
        body = dpo_client.get(PAGE, params).content.decode()
        assert "Fremdzugriff" not in body and "Erika Fremdmandant" not in body
        rows = read_csv(dpo_client.get(EXPORT, params))
        assert all(r["Grund"] != "Fremdzugriff" for r in rows)
        assert all("Fremd" not in r["Betroffene Person"] for r in rows)
    assert "Erika Fremdmandant" not in dpo_client.get(PAGE, {"person": "Erika"}).content.decode()


# --- CSV ------------------------------------------------------------------------------------


def test_csv_has_bom_header_and_the_right_rows(dpo_client: Client, trail: Trail) -> None:
    response = dpo_client.get(EXPORT, {"objekt_typ": "akte", "objekt_id": AKTE_1.pk})
    assert response.streaming
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="protokoll-')
    raw = b"".join(chunks_of(response))
    assert raw.startswith(
        b"\xef\xbb\xbfZeit;Zeit (UTC, ISO 8601);Wer;Wer (Kennung);Aktion;Aktion (Code);"
        b"Objekttyp;Objekttyp (Code);Objekt;Objekt (Kennung);"
    )
    changed, read = read_csv(raw)
    assert changed["Zeit"] == "10.03.2026 23:59:59"
    assert changed["Zeit (UTC, ISO 8601)"] == "2026-03-10T22:59:59Z"
    assert changed["Wer"] == f"Bob Bescheid ({trail.bob.username})"
    assert changed["Änderungen"] == "Status: offen → geschlossen"
    assert json.loads(changed["Änderungen (JSON)"]) == {
        "status": {"old": "offen", "new": "geschlossen"}
    }
    assert changed["Betroffene Person"] == "Erika Beispiel"
    assert read["Aktion"] == "Gelesen" and read["Grund"] == "Akteneinsicht nach Antrag"


def test_csv_defuses_formulas(dpo_client: Client, trail: Trail) -> None:
    rows = read_csv(
        dpo_client.get(EXPORT, {"person": "Mustermann", "aktion": "records.person.create"})
    )
    assert [r["Änderungen"] for r in rows] == ["Name: =Max Mustermann"]
    with frozen_at(berlin(2026, 3, 13, 8, 0)):
        audit.record(actor=None, tenant_id=trail.tenant.pk, action="x", reason="=HYPERLINK(1)")
    rows = read_csv(dpo_client.get(EXPORT, {"aktion": "x"}))
    assert rows[0]["Grund"] == "'=HYPERLINK(1)"


def test_csv_streams_in_chunks(
    dpo_client: Client, trail: Trail, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("koffer.privacy.selectors.EXPORT_CHUNK", 2)
    response = dpo_client.get(EXPORT)
    chunks = chunks_of(response)
    total = AuditEvent.objects.filter(tenant_id=trail.tenant.pk).count() - 1  # minus this export
    assert len(chunks) == 1 + (total + 1) // 2  # header block, then one block per query
    seqs = [int(line.rsplit(b";", 1)[1]) for line in b"".join(chunks[1:]).splitlines()]
    assert seqs == sorted(seqs, reverse=True) and len(seqs) == len(set(seqs)) == total


# --- Looking is itself audited -------------------------------------------------------------


def test_each_view_and_export_is_one_audit_event(
    dpo_client: Client, dpo: User, trail: Trail
) -> None:
    params = {"person_typ": "person", "person_id": ERIKA.pk, "von": "10.03.2026"}
    before = AuditEvent.objects.filter(tenant_id=trail.tenant.pk).count()
    dpo_client.get(PAGE, params)
    chunks_of(dpo_client.get(EXPORT, params))
    assert AuditEvent.objects.filter(tenant_id=trail.tenant.pk).count() == before + 2
    page_event, export_event = query_events(trail.tenant)
    assert page_event.actor_id == dpo.pk and page_event.client_ip == "127.0.0.1"
    assert page_event.changes == {
        "subject_type": "person",
        "subject_id": ERIKA.pk,
        "since": "2026-03-10",
        "format": "html",
    }
    assert export_event.changes["format"] == "csv"
    # The look at Erika's trail is part of Erika's trail from now on.
    assert (page_event.subject_type, page_event.subject_id) == ("person", ERIKA.pk)
    body = dpo_client.get(PAGE, {"person_typ": "person", "person_id": ERIKA.pk}).content.decode()
    assert "Protokoll eingesehen" in body


def test_the_own_query_is_not_in_its_own_result(dpo_client: Client, trail: Trail) -> None:
    rows = read_csv(dpo_client.get(EXPORT, {"aktion": "privacy.audit.query"}))
    assert rows == []


# --- Paging ---------------------------------------------------------------------------------


def _seqs_on_page(body: str) -> list[str]:
    return re.findall(r"<td class=\"kern-table__cell\">[^<]*x-(\d+)", body)


def test_keyset_paging_walks_everything_once(dpo_client: Client, tenant: Mandant) -> None:
    for i in range(1, 121):
        audit.record(actor=None, tenant_id=tenant.pk, action="probe", reason=f"x-{i}")
    seen: list[str] = []
    url = PAGE + "?aktion=probe"
    pages = 0
    while url:
        body = dpo_client.get(url).content.decode()
        seen += _seqs_on_page(body)
        pages += 1
        match = re.search(r'href="([^"]+)" rel="next"', body)
        url = match.group(1).replace("&amp;", "&") if match else ""
    assert pages == 3
    assert seen == [str(i) for i in range(120, 0, -1)]
    # ...and back: the newer link of the last page shows the middle page again.
    newer = re.search(r'href="([^"]+)" rel="prev"', body)
    assert newer is not None
    middle = dpo_client.get(newer.group(1).replace("&amp;", "&")).content.decode()
    assert _seqs_on_page(middle) == [str(i) for i in range(70, 20, -1)]


# --- Query count ----------------------------------------------------------------------------


def test_query_count_does_not_grow_with_rows(
    dpo_client: Client, tenant: Mandant, django_assert_max_num_queries: DjangoAssertNumQueries
) -> None:
    actors = [factories.user(tenant) for _ in range(3)]
    for i in range(60):
        person = Person(f"p-{i}", f"Person {i}")
        actor = actors[i % 3]
        audit.record(actor=actor, tenant_id=tenant.pk, action="create", obj=person, subject=person)
        audit.record(
            actor=actor, tenant_id=tenant.pk, action="read", obj=("akte", i), subject=person
        )
    dpo_client.get(PAGE)  # warm the action list cache like any second visit
    with django_assert_max_num_queries(PAGE_QUERIES):
        response = dpo_client.get(PAGE)
    assert response.status_code == 200 and response.content.decode().count("Person 5") >= 2
    with django_assert_max_num_queries(PAGE_QUERIES + 2):  # resolving the name: one more
        response = dpo_client.get(PAGE, {"person": "Person 1"})
    assert response.status_code == 200 and "Person 17" in response.content.decode()


# --- Verification panel ---------------------------------------------------------------------


def test_chain_panel_links_to_jobs_only_for_those_who_may_run_them(
    dpo: User, dpo_client: Client, tenant: Mandant
) -> None:
    from django.urls import NoReverseMatch, reverse

    from koffer.accounts import services as accounts

    try:
        jobs_url = reverse("jobs:list")
    except NoReverseMatch:
        pytest.skip("keine Auftragsseite eingebunden")
    body = dpo_client.get(PAGE).content.decode()
    assert "Unversehrtheit der Protokollkette" in body and f'href="{jobs_url}"' not in body
    accounts.add_membership(
        actor=None, user=dpo, unit=factories.root_unit(tenant), role="teamleitung"
    )
    assert f'href="{jobs_url}"' in dpo_client.get(PAGE).content.decode()
