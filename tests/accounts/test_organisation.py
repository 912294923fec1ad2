from __future__ import annotations

from django.test import Client
from django.urls import reverse

from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories


def test_admin_adds_unit_below_parent(tenant: Mandant, admin_client: Client) -> None:
    amt = factories.unit(tenant, "Jugendamt")
    response = admin_client.post(
        reverse("accounts:organisation"), {"parent": str(amt.pk), "name": "ASD Ost", "kind": "team"}
    )
    assert response.status_code == 302
    unit = Organisationseinheit.objects.for_tenant(tenant).get(name="ASD Ost")
    assert unit.parent == amt and unit.path.startswith(amt.path)
    assert "ASD Ost" in admin_client.get(reverse("accounts:organisation")).content.decode()


def test_duplicate_unit_name_gets_german_message(tenant: Mandant, admin_client: Client) -> None:
    amt = factories.unit(tenant, "Sozialamt")
    response = admin_client.post(
        reverse("accounts:organisation"),
        {"parent": str(amt.parent_id), "name": "Sozialamt", "kind": "amt"},
    )
    assert response.status_code == 400
    assert "bereits" in response.content.decode()
