"""Every list page and list endpoint of the Platzbörse costs the same number of queries for
two rows as for five: an N+1 (a query per row) fails here. The ceilings pin the counts
measured when this was written plus two, so a slow creep shows too."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from koffer.accounts.models import User
from koffer.placements.abrechnung import services as billing
from koffer.placements.models import Angebot, Betreuungsform, Einrichtung, Fachbereich
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.factories import placements as placement_factories

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]

OCTOBER = date(2026, 10, 1)
TODAY = date(2026, 11, 25)
API = "/api/v1/platzboerse"

PROVIDER_LISTS = {
    "/plaetze/einrichtungen/": 10,
    "/plaetze/anfragen/": 11,
    "/plaetze/meldungen/": 7,
    "/plaetze/abrechnung/?monat=2026-10": 15,
    "/plaetze/abrechnung/rechnungen/": 7,
    f"{API}/plaetze": 8,
    f"{API}/reservierungen": 8,
    f"{API}/leistungsnachweise?monat=2026-10": 9,
    f"{API}/rechnungen": 8,
    f"{API}/meldungen": 8,
}
YOUTH_OFFICE_LISTS = {
    "/plaetze/gesuche/": 6,
    "/plaetze/rechnungseingang/": 9,
    f"{API}/reservierungen": 8,
    f"{API}/rechnungen": 8,
}
SUPERVISOR_LISTS = {
    "/plaetze/meldungen/posteingang/": 9,
    f"{API}/meldungen": 8,
}


class World:
    def __init__(self, make_belegung, provider_user: User, traeger: Mandant, **kw) -> None:
        self.make_belegung = make_belegung
        self.provider_user = provider_user
        self.traeger = traeger
        self.catalogue: Fachbereich = kw["catalogue"]
        self.heim: Betreuungsform = kw["heim"]
        self.angebot: Angebot = kw["angebot"]
        self.rounds = 0

    def grow(self, n: int) -> None:
        """``n`` more of everything the lists show: a facility, a Belegung billed for
        October and sent to the youth office, and a § 47 report."""
        for _ in range(n):
            self.rounds += 1
            einrichtung: Einrichtung = placement_factories.einrichtung(
                actor=self.provider_user,
                tenant=self.traeger,
                fachbereich=self.catalogue,
                formen=[self.heim],
                name=f"Wohngruppe {self.rounds}",
            )
            belegung = self.make_belegung(OCTOBER)
            nachweis = billing.compute_nachweis(
                actor=self.provider_user, belegung=belegung, monat=OCTOBER, today=TODAY
            )
            billing.confirm_nachweis(actor=self.provider_user, nachweis=nachweis)
            rechnung = billing.create_rechnung(
                actor=self.provider_user, nachweis=nachweis, today=TODAY
            )
            billing.send_rechnung(actor=self.provider_user, rechnung=rechnung)
            placement_factories.meldung(
                actor=self.provider_user,
                tenant=self.traeger,
                einrichtung=einrichtung,
                ereignis_datum=TODAY,
            )


@pytest.fixture
def world(
    make_belegung, provider_user, traeger, catalogue, heim, angebot, profil, rechnungsempfaenger
) -> World:
    factories.mandant("Landesjugendamt Testland", kind=Mandant.Kind.LANDESJUGENDAMT)
    built = World(
        make_belegung, provider_user, traeger, catalogue=catalogue, heim=heim, angebot=angebot
    )
    built.grow(2)
    return built


def _queries(client: Client, url: str) -> int:
    client.get(url)  # warm: the session and the user's access are loaded the same way
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    return len(queries.captured_queries)


def _assert_flat(world: World, client: Client, lists: dict[str, int]) -> None:
    before = {url: _queries(client, url) for url in lists}
    world.grow(3)
    after = {url: _queries(client, url) for url in lists}
    grew = {url: (before[url], after[url]) for url in lists if after[url] > before[url]}
    assert grew == {}, f"queries grow with the rows (2 rows, 5 rows): {grew}"
    over = {url: after[url] for url in lists if after[url] > lists[url]}
    assert over == {}, f"more queries than pinned: {over}"


def test_provider_lists_do_not_query_per_row(world: World, provider_user: User) -> None:
    _assert_flat(world, signed_in(provider_user), PROVIDER_LISTS)


def test_youth_office_lists_do_not_query_per_row(world: World, jugendamt_user: User) -> None:
    _assert_flat(world, signed_in(jugendamt_user), YOUTH_OFFICE_LISTS)


def test_supervisor_lists_do_not_query_per_row(world: World) -> None:
    lja = Mandant.objects.get(kind=Mandant.Kind.LANDESJUGENDAMT)
    _assert_flat(world, signed_in(factories.user(lja, role="landesjugendamt")), SUPERVISOR_LISTS)
