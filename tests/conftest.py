from __future__ import annotations

import pytest
from django.test import Client

from koffer.accounts.models import User
from koffer.tenancy.models import Mandant
from tests import factories


@pytest.fixture
def tenant(db: None) -> Mandant:
    return factories.mandant("Landkreis Prüfstadt")


@pytest.fixture
def other_tenant(db: None) -> Mandant:
    return factories.mandant("Landkreis Anderswo")


@pytest.fixture
def caseworker(tenant: Mandant) -> User:
    return factories.user(tenant, role="sachbearbeitung")


@pytest.fixture
def admin_user(tenant: Mandant) -> User:
    return factories.user(tenant, role="mandant_admin")


@pytest.fixture
def dpo(tenant: Mandant) -> User:
    return factories.user(tenant, role="datenschutz")


def signed_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def admin_client(admin_user: User) -> Client:
    return signed_in(admin_user)
