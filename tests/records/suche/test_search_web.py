"""The search page, the header quick search and the search API, over HTTP."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date

import pytest
from django.test import Client, override_settings

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records.models import AccessLevel, Akte, Aktenplaneinheit, Dokument
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.records.suche.test_search import keeper, open_akte, store

PROBLEM = "application/problem+json"


@pytest.fixture(autouse=True)
def _no_otp() -> Iterator[None]:
    with override_settings(KOFFER_REQUIRE_OTP=False):
        yield


@pytest.fixture
def client_cw(team_caseworker: User) -> Client:
    return signed_in(team_caseworker)


@pytest.fixture
def secrets(
    tenant: Mandant,
    other_tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    other_team: Organisationseinheit,
    akte: Akte,
    team_caseworker: User,
) -> dict[str, Dokument]:
    """One visible document and three invisible ones, all with the word Pfändung."""
    other_unit = open_akte(tenant, plan, other_team, "Fremdteam")
    restricted = open_akte(
        tenant,
        plan,
        team,
        "Verschlossen",
        access_level=AccessLevel.RESTRICTED,
        named_users=[keeper(tenant)],
    )
    from tests.records.suche.test_search import _plan

    foreign = open_akte(
        other_tenant, _plan(other_tenant), factories.root_unit(other_tenant), "Anderswo"
    )
    return {
        "own": store(akte, team_caseworker, "Pfändung des Kontos. Sichtbar.", "Sichtbarer Vermerk"),
        "unit": store(other_unit, team_caseworker, "Pfändung GEHEIM-EINHEIT.", "Titel-Einheit"),
        "restricted": store(
            restricted, team_caseworker, "Pfändung GEHEIM-RESTRICTED.", "Titel-Restricted"
        ),
        "foreign": store(
            foreign, factories.user(other_tenant), "Pfändung GEHEIM-MANDANT.", "Titel-Mandant"
        ),
    }


def _page(client: Client, **params: str) -> str:
    response = client.get("/suche/", params)
    assert response.status_code == 200
    return response.content.decode()


# --- Page -------------------------------------------------------------------------------------


def test_search_page_shows_hits_with_marks_and_links(
    secrets: dict[str, Dokument], client_cw: Client, akte: Akte
) -> None:
    html = _page(client_cw, q="Pfändungen")
    assert "Sichtbarer Vermerk" in html
    assert "<mark>Pfändung</mark>" in html
    assert f"/akten/{akte.pk}/" in html
    assert f"/dokumente/{secrets['own'].pk}/" in html
    assert "1 Treffer" in html
    for leak in ("GEHEIM", "Titel-Einheit", "Titel-Restricted", "Titel-Mandant"):
        assert leak not in html


def test_search_page_does_not_leak_through_filters_or_finder(
    secrets: dict[str, Dokument], client_cw: Client
) -> None:
    for params in (
        {"q": "GEHEIM"},
        {"q": "Verschlossen"},
        {"q": "Fremdteam"},
        {"q": "", "person": "Verschlossen"},
        {"q": "", "person": "Fremdteam"},
        {"q": "", "person": "Anderswo"},
    ):
        html = _page(client_cw, **params)
        for leak in ("GEHEIM-", "Titel-", "Leistungsakte Verschlossen", "Leistungsakte Fremdteam"):
            assert leak not in html, params
    suggestions = client_cw.get("/suche/akten/", {"q": "Versch"}, HTTP_HX_REQUEST="true")
    assert "Verschlossen" not in suggestions.content.decode().replace("„Versch“", "")


def test_search_reads_are_not_audited_per_hit(
    secrets: dict[str, Dokument], client_cw: Client
) -> None:
    before = AuditEvent.objects.filter(action__startswith="records.dokument.read").count()
    _page(client_cw, q="Pfändung")
    assert AuditEvent.objects.filter(action__startswith="records.dokument.read").count() == before


@pytest.mark.parametrize("q", ['" * ( ) - : ^', "-Pfändung", "der die das", '"""', "NOT"])
def test_unusable_query_gets_a_german_message_not_a_500(
    q: str, secrets: dict[str, Dokument], client_cw: Client
) -> None:
    html = _page(client_cw, q=q)
    assert "kern-alert--danger" in html
    assert "Sichtbarer Vermerk" not in html


def test_filters_form_is_bookmarkable_and_validated(
    secrets: dict[str, Dokument], client_cw: Client, akte: Akte
) -> None:
    html = _page(client_cw, q="Pfändung", aktenzeichen=akte.aktenzeichen.lower())
    assert "Sichtbarer Vermerk" in html
    assert "open>" in html or "(aktiv)" in html
    html = _page(client_cw, q="Pfändung", aktenzeichen="ZZ")
    assert "Keine Treffer" in html
    html = _page(client_cw, q="", art="Schreiben")
    assert "Sichtbarer Vermerk" in html
    html = _page(client_cw, q="Pfändung", eingang_von="2026-05-01", eingang_bis="2026-04-01")
    assert "Das Ende des Zeitraums liegt vor seinem Anfang." in html
    html = _page(client_cw, q="Pfändung", geburtsdatum="31.02.2020")
    assert "gültiges Datum" in html
    html = _page(client_cw, q="Pfändung", art="Erfunden")
    assert "Bitte prüfen Sie Ihre Eingaben" in html


def test_empty_search_page(client_cw: Client) -> None:
    html = _page(client_cw)
    assert "Suchbegriffe" in html and "Treffer" not in html


def test_search_page_needs_records_permission(tenant: Mandant) -> None:
    admin = signed_in(factories.user(tenant, role="mandant_admin"))
    assert admin.get("/suche/", {"q": "x"}).status_code == 403
    assert admin.get("/suche/akten/", {"q": "xy"}, HTTP_HX_REQUEST="true").status_code == 403


def test_paging_links(
    akte: Akte, team_caseworker: User, client_cw: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    from koffer.records.suche import services as search
    from koffer.records.suche import views as search_views

    monkeypatch.setattr(search_views, "PAGE_SIZE", 2)
    monkeypatch.setattr(search, "RANK_MAX", 0)  # never rank
    for i in range(3):
        store(akte, team_caseworker, f"Zahlungserinnerung {i}.", f"Erinnerung {i}")
    html = _page(client_cw, q="Zahlungserinnerung")
    assert "Weitere Treffer" in html and "seite=2" in html
    html = _page(client_cw, q="Zahlungserinnerung", seite="2")
    assert "Erinnerung 0" in html and "Vorherige Treffer" in html


# --- Header quick search ----------------------------------------------------------------------


def test_header_has_the_quick_search_form(client_cw: Client) -> None:
    html = client_cw.get("/").content.decode()
    assert 'role="search"' in html and 'role="combobox"' in html
    assert 'hx-get="/suche/akten/"' in html and 'action="/suche/"' in html
    assert 'aria-live="polite"' in html


def test_header_has_no_search_without_records_permission(tenant: Mandant) -> None:
    admin = signed_in(factories.user(tenant, role="mandant_admin"))
    assert 'role="combobox"' not in admin.get("/").content.decode()


def test_quick_search_suggestions(akte: Akte, client_cw: Client) -> None:
    response = client_cw.get("/suche/akten/", {"q": "beisp"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert akte.aktenzeichen in html and 'role="option"' in html
    assert f'data-href="/akten/{akte.pk}/"' in html
    assert "1 Akte gefunden." in html and 'hx-swap-oob="innerHTML"' in html
    assert "/suche/?q=beisp" in html  # the last option opens the full search

    by_az = client_cw.get(
        "/suche/akten/", {"q": akte.aktenzeichen[:4].lower()}, HTTP_HX_REQUEST="true"
    )
    assert akte.aktenzeichen in by_az.content.decode()
    nothing = client_cw.get("/suche/akten/", {"q": "qqqq"}, HTTP_HX_REQUEST="true").content.decode()
    assert "Keine Akte gefunden" in nothing
    short = client_cw.get("/suche/akten/", {"q": "b"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'role="option"' not in short


def test_quick_search_without_javascript_lands_on_the_search_page(
    akte: Akte, client_cw: Client
) -> None:
    response = client_cw.get("/suche/akten/", {"q": "Beispiel"})
    assert response.status_code == 302 and response["Location"] == "/suche/?q=Beispiel"
    html = _page(client_cw, q="Beispiel")
    assert akte.aktenzeichen in html  # the Akten section of the search page


# --- API --------------------------------------------------------------------------------------


def test_api_search(secrets: dict[str, Dokument], client_cw: Client, akte: Akte) -> None:
    response = client_cw.get("/api/v1/suche", {"q": "Pfändung"})
    assert response.status_code == 200, response.content
    body = response.json()
    assert [i["title"] for i in body["items"]] == ["Sichtbarer Vermerk"]
    item = body["items"][0]
    assert item["akte"]["aktenzeichen"] == akte.aktenzeichen
    assert "<mark>Pfändung</mark>" in item["snippet_html"]
    assert body["total"] == 1 and body["more"] is False and body["order"] == "relevanz"
    assert "GEHEIM" not in response.content.decode()

    filtered = client_cw.get("/api/v1/suche", {"q": "", "aktenzeichen": akte.aktenzeichen})
    assert [i["title"] for i in filtered.json()["items"]] == ["Sichtbarer Vermerk"]


@pytest.mark.parametrize(
    ("params", "status", "code"),
    [
        ({"q": '" * ( ) - : ^'}, 400, "query_invalid"),
        ({"q": ""}, 400, "query_invalid"),
        ({"q": "x" * 301}, 422, "validation_failed"),
        ({"q": "Pfändung", "geburtsdatum": "gestern"}, 422, "validation_failed"),
        ({"q": "Pfändung", "status": "gelöscht"}, 422, "validation_failed"),
        ({"q": "Pfändung", "limit": "0"}, 422, "validation_failed"),
        (
            {"q": "Pfändung", "eingang_von": "2026-02-01", "eingang_bis": "2026-01-01"},
            422,
            "validation_failed",
        ),
    ],
)
def test_api_search_bad_input_is_problem_json(
    params: dict[str, str], status: int, code: str, client_cw: Client
) -> None:
    response = client_cw.get("/api/v1/suche", params)
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith(PROBLEM)
    assert response.json()["code"] == code


def test_api_finder(akte: Akte, client_cw: Client, tenant: Mandant) -> None:
    response = client_cw.get("/api/v1/akten/finden", {"q": "BEISPIEL"})
    assert response.status_code == 200, response.content
    [item] = response.json()["items"]
    assert item["id"] == str(akte.pk) and item["matched"] == "Name"
    short = client_cw.get("/api/v1/akten/finden", {"q": "b"})
    assert short.status_code == 422 and short["Content-Type"].startswith(PROBLEM)
    admin = signed_in(factories.user(tenant, role="mandant_admin"))
    denied = admin.get("/api/v1/akten/finden", {"q": "Beispiel"})
    assert denied.status_code == 403 and denied.json()["code"] == "forbidden"


def test_api_search_by_birth_date(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    team: Organisationseinheit,
    team_caseworker: User,
    client_cw: Client,
) -> None:
    person_akte = open_akte(tenant, plan, team, "Geboren", birth_date=date(1990, 7, 1))
    store(person_akte, team_caseworker, "Schulbescheinigung.", "Schule")
    body = client_cw.get("/api/v1/suche", {"q": "", "geburtsdatum": "1990-07-01"}).json()
    assert [i["title"] for i in body["items"]] == ["Schule"]
    assert json.dumps(body).count("Schule") >= 1
