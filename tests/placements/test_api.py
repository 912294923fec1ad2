"""The Platzbörse API: search, needs, holds with problem+json for every refusal."""

from __future__ import annotations

from datetime import date

import pytest
from django.utils import timezone

from koffer.placements.angebote import services as angebot_services
from tests.conftest import signed_in

# Data built from today's date: make test-dates runs these on several days.
pytestmark = [pytest.mark.django_db, pytest.mark.calendar]
PROBLEM = "application/problem+json"


def test_search_reserve_confirm_through_the_api(
    angebot, provider_user, traeger, jugendamt_user, heim, region
):
    plaetze = angebot_services.add_plaetze(
        actor=provider_user,
        angebot=angebot,
        count=1,
        valid_from=date(2026, 1, 1),
        frei_ab=timezone.localdate(),
    )
    office = signed_in(jugendamt_user)
    hits = office.get(
        "/api/v1/platzboerse/suche",
        {
            "betreuungsform": str(heim.pk),
            "alter": 12,
            "geschlecht": "w",
            "ab": timezone.localdate().isoformat(),
            "lat": region.lat,
            "lon": region.lon,
        },
    )
    assert hits.status_code == 200, hits.content
    [hit] = hits.json()
    assert hit["reason"].startswith("erfüllt 4 von 4 Kriterien · 182,50 €/Tag")
    created = office.post(
        "/api/v1/platzboerse/gesuche",
        {
            "betreuungsform": str(heim.pk),
            "alter": 12,
            "geschlecht": "w",
            "ab": timezone.localdate().isoformat(),
            "region": "Musterstadt",
        },
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    gesuch = created.json()["id"]
    held = office.post(
        "/api/v1/platzboerse/reservierungen",
        {"gesuch": gesuch, "angebot": hit["angebot_id"]},
        content_type="application/json",
    )
    assert held.status_code == 201, held.content
    assert held.json()["platz_id"] == str(plaetze[0].pk)

    other = office.post(
        "/api/v1/platzboerse/gesuche",
        {
            "betreuungsform": str(heim.pk),
            "alter": 9,
            "geschlecht": "m",
            "ab": timezone.localdate().isoformat(),
            "region": "Musterstadt",
        },
        content_type="application/json",
    ).json()["id"]
    taken = office.post(
        "/api/v1/platzboerse/reservierungen",
        {"gesuch": other, "angebot": hit["angebot_id"]},
        content_type="application/json",
    )
    assert taken.status_code == 409
    assert taken["Content-Type"].startswith(PROBLEM)
    assert taken.json()["code"] == "vergeben"

    provider = signed_in(provider_user)
    listed = provider.get("/api/v1/platzboerse/reservierungen").json()
    assert [r["id"] for r in listed["items"]] == [held.json()["id"]]
    confirmed = provider.post(
        f"/api/v1/platzboerse/reservierungen/{held.json()['id']}/zusage",
        {"beginn": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert confirmed.status_code == 201, confirmed.content
    twice = provider.post(
        f"/api/v1/platzboerse/reservierungen/{held.json()['id']}/zusage",
        {"beginn": timezone.localdate().isoformat()},
        content_type="application/json",
    )
    assert twice.status_code == 409 and twice.json()["code"] == "already_decided"
    # The youth office cannot confirm, the provider cannot search.
    assert (
        office.post(
            f"/api/v1/platzboerse/reservierungen/{held.json()['id']}/zusage",
            {"beginn": "2026-12-01"},
            content_type="application/json",
        ).status_code
        == 403
    )
    assert provider.get("/api/v1/platzboerse/suche").status_code in (403, 422)


def test_provider_updates_availability(angebot, provider_user):
    angebot_services.add_plaetze(
        actor=provider_user, angebot=angebot, count=1, valid_from=date(2026, 1, 1)
    )
    provider = signed_in(provider_user)
    [platz] = provider.get("/api/v1/platzboerse/plaetze").json()["items"]
    assert platz["frei_ab"] is None
    changed = provider.put(
        f"/api/v1/platzboerse/plaetze/{platz['id']}/frei",
        {"frei_ab": "2026-12-01"},
        content_type="application/json",
    )
    assert changed.status_code == 200 and changed.json()["frei_ab"] == "2026-12-01"
    gone = provider.put(
        f"/api/v1/platzboerse/plaetze/{platz['id']}/frei",
        {"frei_ab": "2099-12-01"},
        content_type="application/json",
    )
    assert gone.status_code == 200
