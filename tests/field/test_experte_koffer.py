"""A draft begun offline on the Koffer and the expert session in the office: the office
answers a Koffer (its own token) whether it has the draft; on the Koffer „Im Büro mit
Expertin/Experte ausfüllen“ syncs first when the office has it not yet, then leads to the
office's invitation page for the same draft (the office as a real process, seeded as in
test_paket_koffer; the test database is the Koffer's)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.urls import reverse
from uuid6 import uuid7

from koffer.field.geraete import services as geraete
from koffer.field.unterwegs import tasks
from koffer.forms.ausfuellen import services as ausfuellen
from koffer.forms.models import Formular
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.records.models import Akte
from tests import factories
from tests.conftest import signed_in
from tests.field.conftest import koffer_client
from tests.field.experte_daten import feld, sitzung
from tests.field.test_paket_koffer import Buero, buero  # noqa: F401  (the fixture)
from tests.field.test_unterwegs_buero import _erste_abholung, koffer

__all__ = ["feld", "koffer"]  # fixtures


def _token(user: Any, tenant_id: Any) -> str:
    _, code = geraete.geraet_anlegen(actor=user, tenant_id=tenant_id, name="Laptop")
    return geraete.koppeln(code=code, client_ip="192.0.2.7")[1]


def test_the_office_tells_a_koffer_whether_it_has_the_draft(feld: dict[str, Any]) -> None:
    tenant_id = feld["entwurf"].tenant_id
    client = koffer_client(_token(feld["aussendienst"], tenant_id))
    url = f"/api/v1/koffer/experte/entwuerfe/{feld['entwurf'].pk}"
    antwort = client.get(url)
    assert antwort.status_code == 200
    assert antwort.json()["einladen"] == reverse(
        "field:experte_einladen", args=[feld["entwurf"].pk]
    )
    assert antwort.json()["sitzung"] is None
    row = sitzung(feld, beigetreten=False)
    assert client.get(url).json()["sitzung_url"] == reverse("field:experte_sitzung", args=[row.pk])

    unbekannt = client.get(f"/api/v1/koffer/experte/entwuerfe/{uuid7()}")
    assert unbekannt.status_code == 404
    # Another field worker's Koffer learns nothing of this draft.
    kollegin = factories.user(row.entwurf.akte.tenant, role="aussendienst")
    assert koffer_client(_token(kollegin, tenant_id)).get(url).status_code == 404
    # Without a Koffer's token: refused.
    assert signed_in(feld["experte"]).get(url).status_code == 401


@pytest.mark.django_db
@pytest.mark.real_clock
@pytest.mark.long
def test_an_offline_draft_is_synced_first_then_the_office_invites(
    buero: Buero,  # noqa: F811
    koffer: Path,
) -> None:
    case = buero.seed["rundreise"]
    user, _ = _erste_abholung(buero, case)
    akte = Akte.objects.unscoped().get(pk=case["akten"][0])
    formular = Formular.objects.unscoped().filter(tenant_id=akte.tenant_id).first()
    assert formular is not None
    # Begun offline: only the Koffer has it.
    entwurf = ausfuellen.entwurf_beginnen(actor=user, formular=formular, akte=akte)
    client = signed_in(user)
    liste = client.get(reverse("field:experte")).content.decode()
    assert "Im Büro mit Expertin/Experte ausfüllen" in liste

    url = reverse("field:experte_im_buero", args=[entwurf.pk])
    erst = client.post(url)
    assert erst.status_code == 302 and erst["Location"] == reverse("field:unterwegs")
    job = Job.objects.unscoped().filter(kind=tasks.ABGLEICHEN).order_by("-created_at").first()
    assert job is not None
    runner.execute(job.pk)
    job.refresh_from_db()
    assert job.status == Job.Status.DONE, job

    # The office has it now, under the same id: off to its invitation page.
    dann = client.post(url)
    assert dann.status_code == 302
    assert dann["Location"] == buero.url.rstrip("/") + f"/koffer/experte/einladen/{entwurf.pk}/"
