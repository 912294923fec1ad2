"""A draft begun offline on the Koffer, then an expert session in the office: „Im Büro mit
Expertin/Experte ausfüllen“ syncs first when the office has the draft not yet, then leads
to the office's invitation page for the same draft (the office as a real process, seeded
as in test_paket_koffer; the test database is the Koffer's)."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from koffer.field.unterwegs import tasks
from koffer.forms.ausfuellen import services as ausfuellen
from koffer.forms.models import Formular
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.records.models import Akte
from tests.conftest import signed_in
from tests.field.test_paket_koffer import Buero, buero  # noqa: F401  (the fixture)
from tests.field.test_unterwegs_buero import _erste_abholung, koffer  # noqa: F401


@pytest.mark.django_db(transaction=True)  # as on the Koffer: see test_unterwegs_buero
@pytest.mark.real_clock
@pytest.mark.long
def test_an_offline_draft_is_synced_first_then_the_office_invites(
    buero: Buero,  # noqa: F811
    koffer: Path,  # noqa: F811
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
