"""The loaded demo: each Mandant's Aktenplan holds the sections of its own work."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from koffer.records.models import Aktenplaneinheit, Module
from koffer.tenancy.models import Mandant


def _modules(slug: str) -> set[str]:
    tenant = Mandant.objects.get(slug=slug)
    return set(Aktenplaneinheit.objects.for_tenant(tenant).values_list("module", flat=True))


@pytest.mark.django_db
def test_demo_jobcenter_aktenplan_has_no_jugendhilfe_or_infektionsschutz() -> None:
    call_command("load_demo", stdout=io.StringIO())
    assert _modules("jobcenter-musterland") == {Module.SGB2, Module.ALLGEMEIN}
    assert _modules("landkreis-musterland") == {Module.SGB8, Module.SGB9, Module.IFSG}
