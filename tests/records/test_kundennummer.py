"""Person.kundennummer (issue 15): the Jobcenter's customer number is entered with a new
person on the page and through the API, stored compact, checked for its shape, and shown
where the person is shown."""

from __future__ import annotations

import json

import pytest
from django.db import connection
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records import selectors
from koffer.records.models import Akte, Aktenplaneinheit, Person
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests.conftest import signed_in


def test_page_creates_akte_with_kundennummer_and_shows_it(
    tenant: Mandant, plan: Aktenplaneinheit, team: Organisationseinheit, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    form = {
        "aktenplaneinheit": str(plan.pk),
        "unit": str(team.pk),
        "title": "Leistungsakte Kunde",
        "family_name": "Kunde",
        "given_names": "Karla",
        "kundennummer": "123 d 456789",
        "bg_nummer": "neu",
    }
    wrong = client.post(reverse("records:akte_create"), {**form, "kundennummer": "12D456789"})
    assert wrong.status_code == 400 and "keine Kundennummer" in wrong.content.decode()
    created = client.post(reverse("records:akte_create"), form)
    assert created.status_code == 302, created.content.decode()
    person = Person.objects.for_tenant(tenant).get(family_name="Kunde")
    assert person.kundennummer == "123D456789"
    event = AuditEvent.objects.filter(tenant_id=tenant.pk, action="records.person.create").last()
    assert event is not None and event.changes["kundennummer"] == "123D456789"
    akte = Akte.objects.for_tenant(tenant).get(title="Leistungsakte Kunde")
    detail = client.get(reverse("records:akte_detail", args=[akte.pk])).content.decode()
    assert "Kundennummer 123D456789" in detail
    bg_page = client.get(reverse("records:bedarfsgemeinschaft", args=[akte.pk])).content.decode()
    assert "123D456789" in bg_page


def test_api_takes_and_shows_kundennummer(akte: Akte, team_caseworker: User) -> None:
    client = signed_in(team_caseworker)
    base = f"/api/v1/akten/{akte.pk}/bedarfsgemeinschaft"
    wrong = client.post(
        f"{base}/mitglieder",
        data=json.dumps(
            {"rolle": "partner", "person": {"family_name": "Beispiel", "kundennummer": "ABC"}}
        ),
        content_type="application/json",
    )
    assert wrong.status_code == 422 and wrong.json()["code"] == "kundennummer_invalid"
    created = client.post(
        f"{base}/mitglieder",
        data=json.dumps(
            {
                "rolle": "partner",
                "person": {
                    "family_name": "Beispiel",
                    "given_names": "Piet",
                    "kundennummer": "987x654321",
                },
            }
        ),
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    by_role = {m["rolle"]: m["kundennummer"] for m in created.json()["mitglieder"]}
    assert by_role == {"antragsteller": "", "partner": "987X654321"}
    members = selectors.bg_mitglieder(akte.bg_id, akte.tenant_id)
    assert sorted(m.person.kundennummer for m in members) == ["", "987X654321"]


@pytest.mark.django_db
def test_folded_name_index_survives_the_migration() -> None:
    """Adding the column rebuilds records_person on SQLite; the search's expression index
    on the folded family name (migration 0007) must be there afterwards."""
    if connection.vendor != "sqlite":
        pytest.skip("the rebuild happens only on SQLite")
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = %s",
            ["records_person_folded_idx"],
        )
        assert cursor.fetchone() == (1,)
