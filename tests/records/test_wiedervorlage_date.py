"""A Wiedervorlage dated in the past is refused, with the same German message on the page
and in the API, because both go through ``services.set_wiedervorlage`` (issue 14, item 3)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.urls import reverse

from koffer.accounts.models import User
from koffer.records import services
from koffer.records.errors import RecordsError
from koffer.records.forms import WiedervorlageForm
from koffer.records.models import Akte, Wiedervorlage
from tests.conftest import signed_in

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-12-06")]

TODAY = date(2026, 12, 6)
MESSAGE = (
    "Das Datum der Wiedervorlage (05.12.2026) liegt in der Vergangenheit. "
    "Bitte wählen Sie heute (06.12.2026) oder einen späteren Tag."
)


def _count(akte: Akte) -> int:
    return Wiedervorlage.objects.for_tenant(akte.tenant_id).filter(akte=akte).count()


def test_service_refuses_a_past_day_and_takes_today(akte: Akte, team_caseworker: User) -> None:
    with pytest.raises(RecordsError) as err:
        services.set_wiedervorlage(
            actor=team_caseworker,
            akte=akte,
            due_date=TODAY - timedelta(days=1),
            assignee=team_caseworker,
        )
    assert err.value.code == "wv_past" and err.value.message == MESSAGE
    services.set_wiedervorlage(
        actor=team_caseworker, akte=akte, due_date=TODAY, assignee=team_caseworker
    )
    assert _count(akte) == 1


def test_page_shows_the_message_and_saves_nothing(akte: Akte, team_caseworker: User) -> None:
    client = signed_in(team_caseworker)
    url = reverse("records:wiedervorlage_create", args=[akte.pk])
    answer = client.post(url, {"due_date": "2026-12-05", "note": "zu spät"}, follow=True)
    assert MESSAGE in answer.content.decode()
    assert _count(akte) == 0
    # The date picker itself offers no past day.
    html = WiedervorlageForm().as_div()
    assert 'min="2026-12-06"' in html and 'type="date"' in html


def test_api_refuses_it_alike(akte: Akte, team_caseworker: User) -> None:
    client = signed_in(team_caseworker)
    answer = client.post(
        f"/api/v1/akten/{akte.pk}/wiedervorlagen",
        {"due_date": "2026-12-05", "note": "zu spät"},
        content_type="application/json",
    )
    assert answer.status_code == 422, answer.content
    assert answer["Content-Type"].startswith("application/problem+json")
    assert answer.json()["code"] == "wv_past"
    assert answer.json()["detail"] == MESSAGE
    assert _count(akte) == 0
    ok = client.post(
        f"/api/v1/akten/{akte.pk}/wiedervorlagen",
        {"due_date": "2026-12-07"},
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content
