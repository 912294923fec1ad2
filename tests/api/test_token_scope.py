"""A token's scope is explicit: permissions the machine role allows, in named units."""

from __future__ import annotations

import json
import re
import uuid
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

from koffer.accounts import services
from koffer.accounts.models import ApiToken, User
from koffer.tenancy.models import Mandant
from tests import factories


def _upload_client(tenant: Mandant) -> Client:
    _, secret = factories.api_token(tenant, ["inbox.upload"], role="scandienst", name="Scanstraße")
    return Client(HTTP_AUTHORIZATION=f"Bearer {secret}")


def test_upload_only_token_reads_neither_organisation_nor_jobs(tenant: Mandant) -> None:
    client = _upload_client(tenant)
    root = factories.root_unit(tenant)
    for url in ("/api/v1/units", f"/api/v1/units/{root.pk}", "/api/v1/jobs"):
        response = client.get(url)
        assert response.status_code in (403, 404), url
        assert response["Content-Type"] == "application/problem+json", url
        assert response.json()["code"] in ("forbidden", "not_found"), url


def test_service_refuses_accounts_manage_for_a_scan_provider(tenant: Mandant) -> None:
    machine = factories.user(tenant, role="scandienst", is_machine=True)
    with pytest.raises(services.AccountError) as refused:
        services.create_api_token(
            actor=None,
            tenant=tenant,
            user=machine,
            name="zu viel",
            permissions=["inbox.upload", "accounts.manage"],
            units=[factories.root_unit(tenant)],
        )
    assert refused.value.code == "perm_not_allowed"
    assert "Benutzer verwalten" in refused.value.message
    assert not ApiToken.objects.for_tenant(tenant).exists()


def test_service_refuses_units_outside_the_machine_account(tenant: Mandant) -> None:
    own = factories.unit(tenant, "Scanteam")
    elsewhere = factories.unit(tenant, "Leistungsteam")
    machine = factories.user(tenant, role="scandienst", is_machine=True, unit_=own)
    for units in ([elsewhere], []):
        with pytest.raises(services.AccountError) as refused:
            services.create_api_token(
                actor=None,
                tenant=tenant,
                user=machine,
                name="t",
                permissions=["inbox.upload"],
                units=units,
            )
        assert refused.value.code in ("unit_outside", "units_missing")


def test_form_offers_only_the_machine_roles_permissions_and_units(
    tenant: Mandant, admin_client: Client
) -> None:
    own = factories.unit(tenant, "Scanteam")
    below = factories.unit(tenant, "Scanteam Nord", parent=own)
    elsewhere = factories.unit(tenant, "Leistungsteam")
    machine = factories.user(tenant, role="scandienst", is_machine=True, unit_=own)
    url = reverse("accounts:token_create", args=[machine.pk])
    form = admin_client.get(url).context["form"]
    assert [code for code, _ in form.fields["permissions"].choices] == ["inbox.upload"]
    offered = {code for code, _ in form.fields["units"].choices}
    assert offered == {str(own.pk), str(below.pk)} and str(elsewhere.pk) not in offered
    response = admin_client.post(
        url,
        {
            "name": "zu viel",
            "permissions": ["inbox.upload", "accounts.manage"],
            "units": [str(own.pk)],
            "valid_days": 30,
        },
    )
    assert response.status_code == 400
    assert "permissions" in response.context["form"].errors
    assert not ApiToken.objects.for_tenant(tenant).exists()
    admin_client.post(
        url,
        {
            "name": "Scan",
            "permissions": ["inbox.upload"],
            "units": [str(below.pk)],
            "valid_days": 30,
        },
    )
    page = admin_client.get(reverse("accounts:user_detail", args=[machine.pk])).content.decode()
    assert "inbox.upload" in page and "Scanteam Nord" in page


def test_token_loses_what_its_account_no_longer_holds(tenant: Mandant, admin_user: User) -> None:
    # A token issued before the allowed sets existed may name accounts.manage; it counts for
    # nothing, because a token never holds more than its machine account's roles.
    token, secret = factories.api_token(tenant, ["inbox.upload"], role="scandienst", name="alt")
    ApiToken.objects.for_tenant(tenant).filter(pk=token.pk).update(
        permissions=["accounts.manage", "inbox.upload"]
    )
    body = Client(HTTP_AUTHORIZATION=f"Bearer {secret}").get("/api/v1/me").json()
    assert body["permissions"] == ["inbox.upload"]


def test_upload_only_token_reads_nothing_but_itself(tenant: Mandant) -> None:
    # Walks the committed document, so a new GET endpoint without a permission shows up.
    document = json.loads((Path(__file__).resolve().parents[2] / "docs/openapi.json").read_text())
    client = _upload_client(tenant)
    readable = []
    for path, operations in document["paths"].items():
        if "get" not in operations:
            continue
        url = re.sub(r"\{[^}]+\}", str(uuid.uuid4()), path)
        response = client.get(url)
        if response.status_code < 300:
            readable.append(path)
    # Besides itself, a scan provider reads only its own batches' status and its own
    # destruction lists (issue 15), here none; tests/inbox/test_api.py and
    # tests/inbox/test_originale.py show it never sees another provider's.
    assert readable == [
        "/api/v1/me",
        "/api/v1/posteingang/stapel",
        "/api/v1/posteingang/vernichtungslisten",
    ]
