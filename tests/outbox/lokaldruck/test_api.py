"""The API of local printing: the printers one may use, printing a letter (202 with the
job's reference, a second print 409 as problem+json), „versendet“ with its date."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from koffer.accounts.models import User
from koffer.outbox.models import Brief
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.outbox.lokaldruck.conftest import add_printer

pytestmark = pytest.mark.django_db

API = "/api/v1/postausgang"


def test_print_and_post_a_letter_through_the_api(
    tenant: Mandant, admin_user: User, team_caseworker: User, brief: Brief
) -> None:
    drucker = add_printer(tenant, admin_user, "ipp://127.0.0.1:9/ipp/print")
    client = signed_in(team_caseworker)
    listed = client.get(f"{API}/drucker").json()
    assert [d["name"] for d in listed] == ["Drucker Team 1"]
    url = f"{API}/briefe/{brief.pk}/drucken"
    started = client.post(url, {"drucker": str(drucker.pk)}, content_type="application/json")
    assert started.status_code == 202, started.content
    assert started.json()["job"] and started.json()["status"] == "wartet"
    again = client.post(url, {"drucker": str(drucker.pk)}, content_type="application/json")
    assert again.status_code == 409
    assert again["Content-Type"].startswith("application/problem+json")
    assert again.json()["code"] == "druck_laeuft"
    unknown = client.post(
        f"{API}/briefe/{brief.pk}/drucken",
        {"drucker": str(brief.pk)},
        content_type="application/json",
    )
    assert unknown.status_code == 404
    day = timezone.localdate()
    posted = client.post(
        f"{API}/briefe/{brief.pk}/versendet",
        {"versendet_am": str(day)},
        content_type="application/json",
    )
    assert posted.status_code == 200, posted.content
    assert posted.json()["status"] == "versendet" and posted.json()["bekanntgabe_am"]
    future = client.post(
        f"{API}/briefe/{brief.pk}/versendet",
        {"versendet_am": str(day + timedelta(days=2))},
        content_type="application/json",
    )
    assert future.status_code == 422
