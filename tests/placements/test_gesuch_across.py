"""A provider's rows name the youth office's Gesuch, which lives in another Mandant: it is
loaded after the rows by Mandant and id in one query (koffer.tenancy.across), never joined
(on Citus the join is not co-located and refused; tests/distributed checks the routing)."""

from __future__ import annotations

from datetime import date

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from koffer.placements.abrechnung import services as billing
from koffer.placements.models import Belegung, Leistungsnachweis, Platzgesuch, with_gesuch
from koffer.privacy import references
from koffer.tenancy.across import split
from tests import factories
from tests.factories import placements as placement_factories

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]

OCTOBER = date(2026, 10, 1)


@pytest.fixture
def belegungen(make_belegung, angebot, provider_user, heim, region) -> list[Belegung]:
    """Three Belegungen: two for the fixture's youth office, one for another."""
    other = factories.mandant("Stadt Anderswo")
    other_user = factories.user(other, role="sachbearbeitung")
    rows = [make_belegung(OCTOBER), make_belegung(OCTOBER)]
    rows.append(
        placement_factories.belegung(
            angebot, provider_user, other, other_user, heim, region, OCTOBER
        )
    )
    return rows


def test_the_gesuche_come_in_one_query_by_mandant_and_id(belegungen, traeger) -> None:
    with CaptureQueriesContext(connection) as captured:
        rows = list(with_gesuch(Belegung.objects.for_tenant(traeger).order_by("pk")))
        gesuche = [(b.gesuch.pk, b.gesuch.pseudonym) for b in rows]
    assert len(captured.captured_queries) == 2
    rows_sql, gesuche_sql = (q["sql"] for q in captured.captured_queries)
    assert "placements_platzgesuch" not in rows_sql  # not joined
    assert '"placements_platzgesuch"."tenant_id" IN' in gesuche_sql  # routed by Mandant
    expected = {b.pk: (b.gesuch_id, b.gesuch.pseudonym) for b in belegungen}
    assert gesuche == [expected[b.pk] for b in rows] and len(set(gesuche)) == 3
    assert {b.gesuch.tenant_id for b in rows} == {b.jugendamt_id for b in rows}


def test_a_nested_path_costs_one_query_however_many_rows(
    belegungen, traeger, provider_user
) -> None:
    for belegung in belegungen:
        billing.compute_nachweis(
            actor=provider_user, belegung=belegung, monat=OCTOBER, today=date(2026, 11, 25)
        )
    qs = with_gesuch(
        Leistungsnachweis.objects.for_tenant(traeger).select_related("belegung"),
        "belegung__gesuch",
    )
    with CaptureQueriesContext(connection) as captured:
        pseudonyms = {n.belegung.gesuch.pseudonym for n in qs if n.belegung is not None}
    assert len(captured.captured_queries) == 2
    assert pseudonyms == {b.gesuch.pseudonym for b in belegungen}


def test_first_and_get_fill_the_gesuch_too(belegungen, traeger) -> None:
    qs = with_gesuch(Belegung.objects.for_tenant(traeger))
    with CaptureQueriesContext(connection) as captured:
        first = qs.filter(pk=belegungen[0].pk).first()
        got = qs.get(pk=belegungen[1].pk)
        assert first is not None
        names = (first.gesuch.pseudonym, got.gesuch.pseudonym)
    assert len(captured.captured_queries) == 4
    assert names == (belegungen[0].gesuch.pseudonym, belegungen[1].gesuch.pseudonym)


def test_paths_through_a_key_into_another_mandant_are_split() -> None:
    assert split(Leistungsnachweis, ["belegung__gesuch", "platz__einrichtung"]) == (
        ["belegung", "platz__einrichtung"],
        ["belegung__gesuch"],
    )
    assert split(Belegung, ["gesuch", "einrichtung"]) == (["einrichtung"], ["gesuch"])
    assert split(Platzgesuch, ["region"]) == (["region"], [])


def test_the_audit_names_a_belegung_by_its_gesuch_without_a_join(belegungen) -> None:
    belegung = belegungen[2]
    with CaptureQueriesContext(connection) as captured:
        found = references.resolve(
            [("placements.belegung", str(belegung.pk))], tenant_id=belegung.tenant_id
        )
    text = found[("placements.belegung", str(belegung.pk))]
    assert belegung.gesuch.pseudonym in text
    assert all(
        "placements_platzgesuch" not in q["sql"] or "placements_belegung" not in q["sql"]
        for q in captured.captured_queries
    )


def test_each_party_reads_the_other_partys_rows_in_its_log(belegungen, traeger, jugendamt) -> None:
    """The youth office's log names the provider's Belegung, the provider's log the youth
    office's Gesuch (a read's subject): not the reader's own rows, found by id after its own
    (privacy.references, koffer.tenancy.across.seen_by_others)."""
    belegung = belegungen[0]
    as_youth_office = references.resolve(
        [("placements.belegung", str(belegung.pk))], tenant_id=jugendamt.pk
    )
    assert belegung.gesuch.pseudonym in as_youth_office[("placements.belegung", str(belegung.pk))]
    gesuch = ("placements.platzgesuch", str(belegung.gesuch_id))
    as_provider = references.resolve([gesuch], tenant_id=traeger.pk)
    assert belegung.gesuch.pseudonym in as_provider[gesuch]
