from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client

from koffer.accounts.models import ApiToken, User
from koffer.accounts.roles import Perm
from koffer.outbox.models import Druckdienst
from koffer.outbox.versand import services
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.factories import records as record_factories

API = "/api/v1/postausgang"


@dataclass
class Provider:
    user: User
    secret: str
    token: ApiToken
    dienst: Druckdienst

    @property
    def client(self) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {self.secret}")


@pytest.fixture
def zentrale(tenant: Mandant) -> Organisationseinheit:
    return factories.unit(tenant, "Zentrale Dienste")


def make_provider(
    tenant: Mandant, unit: Organisationseinheit, admin: User, *, rang: int, minuten: int = 60
) -> Provider:
    from koffer.accounts.access import Access

    token, secret = factories.api_token(
        tenant, [Perm.OUTBOX_FETCH], role="druckdienst", units=[unit], name=f"Druck {rang}"
    )
    dienst = services.save_druckdienst(
        actor=admin,
        access=Access.for_user(admin.pk, tenant.pk),
        tenant=tenant,
        konto=token.user,
        name=f"Druckhaus {rang}",
        rang=rang,
        bestaetigung_minuten=minuten,
    )
    return Provider(token.user, secret, token, dienst)


@pytest.fixture
def provider(tenant: Mandant, zentrale: Organisationseinheit, admin_user: User) -> Provider:
    return make_provider(tenant, zentrale, admin_user, rang=1)


@pytest.fixture
def second_provider(tenant: Mandant, zentrale: Organisationseinheit, admin_user: User) -> Provider:
    return make_provider(tenant, zentrale, admin_user, rang=2)


@pytest.fixture
def akte(team_caseworker: User, plan: Aktenplaneinheit, team: Organisationseinheit) -> Akte:
    return record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team)
