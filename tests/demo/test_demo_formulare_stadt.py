"""The demo's Stadt Beispielstadt has a senior office's form catalogue, so its field
worker (user ``aussendienst``) finds the forms of the day's home visits and can fill
them on a visit's Akte."""

from __future__ import annotations

from django.urls import reverse

from koffer.demo import besuche as demo_besuche
from koffer.demo import formulare as demo_formulare
from koffer.demo.outbox import STADT
from koffer.field.models import Hausbesuch
from koffer.forms.katalog import selectors as katalog
from koffer.forms.models import Entwurf
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in


def test_the_stadt_gets_a_senior_offices_forms_and_its_field_worker_fills_them(
    tenant: Mandant,
) -> None:
    stadt = factories.mandant("Stadt Beispielstadt", kind=Mandant.Kind.GEMEINDE)
    buero = factories.unit(stadt, "Bürgerbüro")
    worker = factories.user(stadt, role="aussendienst", unit_=buero, username="aussendienst")

    demo_formulare.load({STADT: stadt})
    demo_besuche.load({STADT: stadt})

    im_katalog = set(katalog.katalog(stadt.pk).values_list("schluessel", flat=True))
    assert im_katalog == set(demo_formulare.STADT_FORMULARE)
    besuch = Hausbesuch.objects.for_tenant(stadt).order_by("uhrzeit").first()
    assert besuch is not None
    client = signed_in(worker)
    seite = client.get(reverse("forms:akte_formulare", args=[besuch.akte_id])).content.decode()
    assert "Hilfe zur Pflege" in seite and "Wohngeld" in seite
    formular = katalog.katalog(stadt.pk).get(schluessel="hilfe-zur-pflege")
    antwort = client.post(
        reverse("forms:entwurf_beginnen", args=[besuch.akte_id]), {"formular": str(formular.pk)}
    )
    assert antwort.status_code == 302
    entwurf = Entwurf.objects.for_tenant(stadt).get(akte_id=besuch.akte_id)
    assert entwurf.created_by_id == worker.pk
    assert client.get(antwort["Location"]).status_code == 200
