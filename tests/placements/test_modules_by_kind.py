"""Which Platzbörse modules a user sees follows the kind of Mandant as well as the role:
a Jobcenter's caseworker holds the same Sachbearbeitung role as a Jugendamt's, but places
nobody. Menu, start page and address agree."""

from __future__ import annotations

import pytest
from django.urls import reverse

from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in

PLACING_PAGES = ("placements:gesuche", "placements:abrechnung_eingang")


@pytest.mark.django_db
def test_jobcenter_caseworker_sees_neither_platzboerse_nor_rechnungseingang() -> None:
    jobcenter = factories.mandant("Jobcenter Prüfstadt", kind=Mandant.Kind.JOBCENTER)
    client = signed_in(factories.user(jobcenter, role="sachbearbeitung"))
    start = client.get("/").content.decode()
    assert "Meine Akten" in start
    for label in ("Platzbörse", "Rechnungseingang"):
        assert label not in start
    for name in PLACING_PAGES:
        assert client.get(reverse(name)).status_code == 403


@pytest.mark.django_db
def test_jobcenter_teamleitung_has_no_platzboerse_statistics() -> None:
    jobcenter = factories.mandant("Jobcenter Prüfstadt", kind=Mandant.Kind.JOBCENTER)
    client = signed_in(factories.user(jobcenter, role="teamleitung"))
    assert "Statistik Platzbörse" not in client.get("/").content.decode()
    assert client.get(reverse("placements:statistik")).status_code == 403


@pytest.mark.django_db
def test_jugendamt_caseworker_sees_both() -> None:
    kreis = factories.mandant("Landkreis Prüfstadt", kind=Mandant.Kind.KREIS)
    client = signed_in(factories.user(kreis, role="sachbearbeitung"))
    start = client.get("/").content.decode()
    for label in ("Meine Akten", "Platzbörse", "Rechnungseingang"):
        assert label in start
    for name in PLACING_PAGES:
        assert client.get(reverse(name)).status_code == 200


@pytest.mark.django_db
def test_mail_room_sees_no_module_but_its_own() -> None:
    kreis = factories.mandant("Landkreis Prüfstadt", kind=Mandant.Kind.KREIS)
    client = signed_in(factories.user(kreis, role="poststelle"))
    start = client.get("/").content.decode()
    for label in ("Meine Akten", "Platzbörse", "Rechnungseingang"):
        assert label not in start
    assert "noch keine Module freigeschaltet" not in start
    # Its own module, the Posteingang, takes scan batches; filing into Akten is to come.
    assert 'href="/posteingang/"' in start
    assert "wartet in der Zuordnung; dort legen Sie es mit einer Taste ab" in start
    for name in PLACING_PAGES:
        assert client.get(reverse(name)).status_code == 403
