"""Helpers of the benchmarks that measure pages in-process with Django's test client.

Shared here, not imported from one benchmark into another (see ``served``)."""

from __future__ import annotations

import gc
import time
from dataclasses import dataclass
from typing import Any

from django.db import connection
from django.test import Client

from koffer.accounts import services as accounts
from koffer.records import defaults, services
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant

PASSWORD = "Benchmark-Passwort-1"


@dataclass
class Leistungsakte:
    """A Jobcenter with a team, its caseworker and one person's Akte."""

    tenant: Any
    root: Any
    team: Any
    caseworker: Any
    akte: Any


def leistungsakte(slug: str) -> Leistungsakte:
    """A fresh Mandant ``slug`` with the defaults installed, a team whose caseworker holds
    "sachbearbeitung" (never a superuser) and one Leistungsakte of Anna Beispiel."""
    tenant = tenancy.create_mandant(
        actor=None, slug=slug, name="Jobcenter Benchmark", kind=Mandant.Kind.JOBCENTER
    )
    root = tenancy.create_unit(actor=None, tenant=tenant, parent=None, name="Leistung", kind="amt")
    team = tenancy.create_unit(
        actor=None, tenant=tenant, parent=root, name="Leistungsteam 1", kind="team"
    )
    caseworker = accounts.create_user(
        actor=None,
        must_change_password=False,
        tenant=tenant,
        username="bench.sb",
        first_name="Lea",
        last_name="Wagner",
        email=None,
        password=PASSWORD,
        unit=team,
        role="sachbearbeitung",
    )
    defaults.install(actor=None, tenant=tenant)
    plan = services.create_aktenplaneinheit(
        actor=None,
        tenant=tenant,
        parent=None,
        kennzeichen="50.2.1",
        title="Leistungsakten",
        module="sgb2",
    )
    akte = services.open_akte_for_person(
        actor=caseworker,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=team,
        title="Leistungsakte Beispiel",
        family_name="Beispiel",
        given_names="Anna",
        bg_nummer="neu",
        caseworker=caseworker,
    )
    return Leistungsakte(tenant, root, team, caseworker, akte)


def measure(client: Client, url: str, requests: int) -> tuple[list[float], int]:
    """Wall-clock milliseconds of ``requests`` GETs of ``url`` (after 20 warm-up ones),
    and the SQL statements one GET runs."""
    for _ in range(20):
        assert client.get(url).status_code == 200
    statements = queries(client, url)
    samples = []
    gc.collect()
    for _ in range(requests):
        began = time.perf_counter()
        response = client.get(url)
        samples.append((time.perf_counter() - began) * 1000)
        assert response.status_code == 200
    return samples, statements


def queries(client: Client, url: str) -> int:
    """How many SQL statements one GET of ``url`` runs. Counted with a wrapper: Django
    empties its query log when a request starts."""
    executed: list[str] = []

    def count(execute, sql, params, many, context):  # type: ignore[no-untyped-def]
        executed.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count):
        client.get(url)
    return len(executed)
