"""An API token reads Akten with its own permissions in its own Organisationseinheiten."""

from __future__ import annotations

from django.test import Client

from koffer.accounts.models import User
from koffer.records import services
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories


def _token_client(tenant: Mandant, units: list[Organisationseinheit]) -> Client:
    _, secret = factories.api_token(tenant, ["records.view"], units=units, name="Fachverfahren")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_records_view_token_sees_the_akten_of_its_units_only(
    tenant: Mandant,
    plan: Aktenplaneinheit,
    akte: Akte,
    other_team: Organisationseinheit,
    team: Organisationseinheit,
    team_caseworker: User,
) -> None:
    foreign = services.open_akte_for_person(
        actor=None,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=other_team,
        title="Akte des anderen Teams",
        family_name="Fremd",
        given_names="Frieda",
        bg_nummer="neu",
    )
    client = _token_client(tenant, [team])
    listed = client.get("/api/v1/akten").json()["items"]
    assert [a["id"] for a in listed] == [str(akte.pk)]
    assert client.get(f"/api/v1/akten/{akte.pk}").status_code == 200
    response = client.get(f"/api/v1/akten/{foreign.pk}")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
