from __future__ import annotations

import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from koffer.accounts.access import Access
from koffer.accounts.models import ApiToken, User
from koffer.accounts.roles import Perm
from koffer.inbox.lieferung import services
from koffer.inbox.models import Stapel
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.api.jsonschema_check import errors
from tests.inbox import scans

API = "/api/v1/posteingang/stapel"
DOCUMENT = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text(encoding="utf-8")
)


def conforms(response: Any, path: str, method: str) -> Any:
    """The answer's body, after checking it against the committed schema."""
    operation = DOCUMENT["paths"][path][method]
    documented = operation["responses"].get(str(response.status_code))
    body = json.loads(response.content)
    if documented is None:
        assert response.status_code >= 400, response.status_code
        schema: dict[str, Any] = {"$ref": "#/components/schemas/Problem"}
    else:
        content = documented["content"]
        schema = (content.get("application/json") or content["application/problem+json"])["schema"]
    found = errors(body, schema, DOCUMENT["components"]["schemas"])
    assert not found, found
    return body


@dataclass
class Provider:
    user: User
    secret: str
    token: ApiToken | None = None

    @property
    def access(self) -> Access:
        if self.token is not None:
            return Access.for_token(self.token)
        return Access.for_user(self.user.pk, self.user.memberships.get().tenant_id)

    @property
    def client(self) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.secret}")


@pytest.fixture
def poststelle(tenant: Mandant) -> Organisationseinheit:
    return factories.unit(tenant, "Poststelle")


def _provider(tenant: Mandant, unit: Organisationseinheit) -> Provider:
    token, secret = factories.api_token(
        tenant, [Perm.INBOX_UPLOAD], role="scandienst", units=[unit], name="Scan"
    )
    return Provider(token.user, secret, token)


@pytest.fixture
def provider(tenant: Mandant, poststelle: Organisationseinheit) -> Provider:
    return _provider(tenant, poststelle)


@pytest.fixture
def other_provider(tenant: Mandant, poststelle: Organisationseinheit) -> Provider:
    return _provider(tenant, poststelle)


@pytest.fixture
def mail_room(tenant: Mandant, poststelle: Organisationseinheit) -> User:
    return factories.user(tenant, role="poststelle", unit_=poststelle)


Deliver = Callable[..., services.Delivery]


@pytest.fixture
def deliver(tenant: Mandant, provider: Provider) -> Deliver:
    """Deliver ``files`` (name -> bytes) with a Lieferschein through the service, as the
    provider; the check job is not started (tests run it themselves)."""

    def run(
        files: dict[str, bytes], note: bytes | None = None, *, as_: Provider | None = None
    ) -> services.Delivery:
        who = as_ or provider
        return services.deliver(
            actor=who.user,
            access=who.access,
            tenant=tenant,
            manifest_bytes=note if note is not None else scans.manifest(files),
            files=[services.IncomingFile(n, io.BytesIO(d)) for n, d in files.items()],
            start_check=False,
        )

    return run


def checked(stapel: Stapel) -> Stapel:
    from koffer.inbox.lieferung.tasks import check_stapel

    return check_stapel(actor=None, stapel=stapel)
