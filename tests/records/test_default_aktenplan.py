"""The default Aktenplan follows the kind of Mandant and its offices: a Jobcenter holds
no Jugendhilfe or Infektionsschutz sections, a Kreis the sections of its offices."""

from __future__ import annotations

import pytest

from koffer.demo.records import AKTENPLAN_CSV
from koffer.records import defaults
from koffer.records.konfiguration import aktenplan
from koffer.records.models import Aktenplaneinheit, Module
from koffer.tenancy.models import Mandant
from tests import factories


def _modules_after_import(tenant: Mandant) -> set[str]:
    text = defaults.aktenplan_for(tenant, AKTENPLAN_CSV.read_text(encoding="utf-8"))
    result = aktenplan.import_csv(actor=None, tenant=tenant, text=text)
    assert result.created > 0
    return set(Aktenplaneinheit.objects.for_tenant(tenant).values_list("module", flat=True))


@pytest.mark.django_db
def test_jobcenter_aktenplan_holds_sgb2_only() -> None:
    jobcenter = factories.mandant("Jobcenter Prüfstadt", kind=Mandant.Kind.JOBCENTER)
    assert _modules_after_import(jobcenter) == {Module.SGB2, Module.ALLGEMEIN}


@pytest.mark.django_db
def test_kreis_aktenplan_holds_the_sections_of_its_offices() -> None:
    kreis = factories.mandant("Landkreis Prüfstadt", kind=Mandant.Kind.KREIS)
    factories.unit(kreis, "Jugendamt")
    factories.unit(kreis, "Gesundheitsamt")
    assert _modules_after_import(kreis) == {Module.SGB8, Module.IFSG}


@pytest.mark.django_db
def test_kreis_without_known_offices_gets_every_section_of_its_kind() -> None:
    kreis = factories.mandant("Landkreis Prüfstadt", kind=Mandant.Kind.KREIS)
    assert _modules_after_import(kreis) == {Module.SGB8, Module.SGB9, Module.IFSG}
