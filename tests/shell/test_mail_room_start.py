"""The mail room's Posteingang takes scan batches in, filing into Akten is still to come;
its start page says so and shows what is real: its Poststelle, what its role covers,
where the post goes."""

from __future__ import annotations

import pytest
from django.urls import reverse
from pytest_django import DjangoAssertNumQueries

from koffer.accounts import services
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.shell.test_start_page_queries import START_PAGE_QUERIES


@pytest.mark.django_db
def test_mail_room_start_page(django_assert_num_queries: DjangoAssertNumQueries) -> None:
    kreis = factories.mandant("Landkreis Prüfstadt", kind=Mandant.Kind.KREIS)
    jugendamt = factories.unit(kreis, "Jugendamt")
    factories.unit(kreis, "ASD Nord", parent=jugendamt)
    poststelle = factories.unit(kreis, "Poststelle")
    jobcenter = factories.mandant("Jobcenter Prüfstadt", kind=Mandant.Kind.JOBCENTER)
    person = factories.user(kreis, role="poststelle", unit_=poststelle)
    services.add_membership(
        actor=None, user=person, unit=factories.unit(jobcenter, "Eingangszone"), role="poststelle"
    )
    client = signed_in(person)
    client.post(reverse("accounts:switch_tenant"), {"tenant": str(kreis.pk)})
    client.get("/")  # the first request after the switch writes the session
    # The mail room has no E-Akte or Platzbörse tasks (a caseworker's page counts one query
    # for each in START_PAGE_QUERIES), but reads the Mandant's units once; its Posteingang
    # kinds (batches arriving or with problems, overdue destruction lists, triage) are
    # counted in the one statement that is the caseworker's triage count.
    with django_assert_num_queries(START_PAGE_QUERIES - 2 + 1):
        body = client.get("/").content.decode()
    assert "wartet in der Zuordnung; dort legen Sie es mit einer Taste ab" in body
    assert "noch keine Module freigeschaltet" not in body
    assert "Posteingang bearbeiten, Scans einliefern" in body
    assert "Akten öffnen kann sie nicht; Dokumente legt sie über die Zuordnung" in body
    assert "Wohin die Post geht" in body
    for unit in ("Jugendamt", "ASD Nord", "Poststelle"):
        assert f'">{unit} <span class="koffer-muted">' in body
    assert "Sie arbeiten auch für Jobcenter Prüfstadt. Wechseln" in body
    # No Akte search: the role may not read Akten.
    assert 'name="q"' not in body


@pytest.mark.django_db
def test_caseworker_start_page_has_no_mail_room_part() -> None:
    kreis = factories.mandant("Landkreis Prüfstadt", kind=Mandant.Kind.KREIS)
    body = signed_in(factories.user(kreis)).get("/").content.decode()
    assert "Verteilen der Post in die Akten ist in Vorbereitung" not in body
    assert "Ihre Module" in body
