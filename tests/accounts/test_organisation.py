from __future__ import annotations

import pytest
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


def test_admin_sets_the_mandants_upload_limits_and_uploads_follow(
    tenant: Mandant, admin_client: Client
) -> None:
    from koffer.audit.models import AuditEvent
    from koffer.records.dokumente.services import inspection_bounds

    page = admin_client.get(reverse("accounts:organisation")).content.decode()
    assert "Grenzen für hochgeladene Dateien" in page and "2.000 Seiten" in page
    response = admin_client.post(
        reverse("accounts:organisation_limits"),
        {"max_pages_per_file": "300", "max_image_frames": ""},
    )
    assert response.status_code == 302
    tenant.refresh_from_db()
    assert (tenant.max_pages_per_file, tenant.max_image_frames) == (300, None)
    bounds = inspection_bounds(tenant.pk)
    assert bounds.max_pages == 300 and bounds.max_frames == 200  # the frames keep the default
    event = AuditEvent.objects.get(tenant_id=tenant.pk, action="tenancy.mandant.upload_limits")
    assert event.changes["new"]["max_pages_per_file"] == 300
    assert event.changes["old"]["max_pages_per_file"] is None


def test_upload_limits_out_of_range_get_a_german_message(
    tenant: Mandant, admin_client: Client
) -> None:
    response = admin_client.post(
        reverse("accounts:organisation_limits"), {"max_pages_per_file": "0"}
    )
    assert response.status_code == 400
    assert "größer oder gleich 1" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.max_pages_per_file is None


def test_only_an_admin_of_the_whole_mandant_sets_upload_limits(tenant: Mandant) -> None:
    from koffer.accounts import services

    branch_admin = factories.user(tenant, role="mandant_admin", unit_=factories.unit(tenant))
    client = Client()
    client.force_login(branch_admin)
    response = client.post(reverse("accounts:organisation_limits"), {"max_pages_per_file": "10"})
    assert response.status_code == 400
    assert "Administration des ganzen Mandanten" in response.content.decode()
    tenant.refresh_from_db()
    assert tenant.max_pages_per_file is None
    caseworker = factories.user(tenant)
    with pytest.raises(services.AccountError):
        services.set_upload_limits(
            actor=caseworker, tenant=tenant, max_pages_per_file=5, max_image_frames=None
        )
