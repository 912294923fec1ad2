from __future__ import annotations

import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from koffer.accounts.access import Access
from koffer.accounts.models import ApiToken, User
from koffer.accounts.roles import Perm
from koffer.outbox.models import Druckdienst
from koffer.outbox.versand import services
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import dbtemplate, factories
from tests.factories import records as record_factories
from tests.subprocesses import ROOT, koffer_env

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
def root(settings: Any, tmp_path: Path) -> Path:
    settings.KOFFER_ABLAGE_ROOT = tmp_path / "ablage"
    return tmp_path / "ablage"


def to_folder(tenant: Mandant, admin: User, provider: Provider, ordner: str) -> Druckdienst:
    d = provider.dienst
    return services.save_druckdienst(
        actor=admin,
        access=Access.for_user(admin.pk, tenant.pk),
        tenant=tenant,
        konto=provider.user,
        name=d.name,
        rang=d.rang,
        bestaetigung_minuten=d.bestaetigung_minuten,
        kanal="ablage",
        ordner=ordner,
    )


@pytest.fixture
def folder_provider(
    tenant: Mandant, admin_user: User, zentrale: Organisationseinheit, root: Path
) -> Provider:
    provider = make_provider(tenant, zentrale, admin_user, rang=1)
    provider.dienst = to_folder(tenant, admin_user, provider, "druckhaus/nord")
    return provider


@pytest.fixture
def akte(team_caseworker: User, plan: Aktenplaneinheit, team: Organisationseinheit) -> Akte:
    return record_factories.akte(caseworker=team_caseworker, plan=plan, unit=team)


@pytest.fixture(scope="session")
def migrated_sqlite(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty koffer database, migrated once per session for the tests that run
    koffer as processes of its own (each copies it into its own var folder)."""
    var = tmp_path_factory.mktemp("versand-vorlage")
    result = dbtemplate.migrate_var_dir(var, koffer_env(var))
    assert result.returncode == 0, result.stderr
    return var / dbtemplate.SQLITE_FILE


def process_env(var: Path, migrated: Path) -> dict[str, str]:
    """The environment of a koffer process on a fresh copy of the migrated database."""
    shutil.copy(migrated, var / "koffer.sqlite3")
    return koffer_env(var, KOFFER_FAST_HASHER="1", KOFFER_OUTBOX_DISPATCH_SECONDS="0")


def run_python(env: dict[str, str], *args: str, timeout: float = 300) -> str:
    result = subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout
