"""The demo's Hausbesuche: planned for today when the demo field worker exists (another
feature adds the user), nothing when not."""

from __future__ import annotations

from koffer.demo import besuche as demo_besuche
from koffer.field.models import Hausbesuch
from koffer.records.models import Wiedervorlage
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.field.besuche_daten import heute


def test_without_the_demo_field_worker_nothing_is_planned(tenant: Mandant) -> None:
    demo_besuche.load({})
    assert not Hausbesuch.objects.unscoped().exists()


def test_the_demo_field_worker_finds_todays_visits_in_akten_of_their_unit(
    tenant: Mandant,
) -> None:
    stadt = factories.mandant("Stadt Beispielstadt", kind=Mandant.Kind.GEMEINDE)
    buero = factories.unit(stadt, "Seniorenbüro")
    worker = factories.user(stadt, role="aussendienst", unit_=buero, username="aussendienst")
    demo_besuche.load({})
    visits = list(Hausbesuch.objects.for_tenant(stadt).order_by("uhrzeit"))
    assert len(visits) == 3 and {v.datum for v in visits} == {heute()}
    assert {v.aussendienst_id for v in visits} == {worker.pk}
    assert Wiedervorlage.objects.for_tenant(stadt).filter(assignee=worker).count() == 3
    page = signed_in(worker).get("/koffer/hausbesuche/").content.decode()
    assert "Gertrud Hoffmann" in page and "Am Kirchplatz 4, 54321 Beispielstadt" in page
    assert "Klingel defekt" in page
