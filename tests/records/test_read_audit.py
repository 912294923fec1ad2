"""Reading is recorded (issue 5, item 9): every way of opening an Akte, a Vorgang or a
Dokument, on a page or through the API, writes one read event with the person as subject;
a refused look (404) writes none."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records.models import Akte, Vorgang
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import stored, text_pdf


def _reads(tenant: Mandant, obj_id: object) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(tenant_id=tenant.pk, action="read", object_id=str(obj_id))
    )


def test_api_get_dokument_records_a_read(
    akte: Akte, team_caseworker: User, client_cw: Client, tenant: Mandant
) -> None:
    doc = stored(akte, team_caseworker, "brief.pdf", text_pdf(1, marker="lesen"))
    response = client_cw.get(f"/api/v1/dokumente/{doc.pk}")
    assert response.status_code == 200
    reads = _reads(tenant, doc.pk)
    assert len(reads) == 1
    assert reads[0].subject_type == "records.person" and reads[0].actor_id == team_caseworker.pk
    assert "API" in reads[0].reason


def test_vorgang_page_records_a_read(vorgang: Vorgang, client_cw: Client, tenant: Mandant) -> None:
    response = client_cw.get(reverse("records:vorgang_detail", args=[vorgang.pk]))
    assert response.status_code == 200
    reads = _reads(tenant, vorgang.pk)
    assert len(reads) == 1 and reads[0].subject_type == "records.person"
    assert reads[0].object_type == "records.vorgang"


def test_api_get_vorgang_records_a_read(
    vorgang: Vorgang, client_cw: Client, tenant: Mandant
) -> None:
    assert client_cw.get(f"/api/v1/vorgaenge/{vorgang.pk}").status_code == 200
    assert len(_reads(tenant, vorgang.pk)) == 1


def test_refused_look_writes_no_read(
    akte: Akte,
    vorgang: Vorgang,
    team_caseworker: User,
    tenant: Mandant,
    other_team: Organisationseinheit,
) -> None:
    doc = stored(akte, team_caseworker, "geheim.pdf", text_pdf(1, marker="geheim"))
    stranger = signed_in(factories.user(tenant, role="sachbearbeitung", unit_=other_team))
    assert stranger.get(f"/api/v1/dokumente/{doc.pk}").status_code == 404
    assert stranger.get(reverse("records:vorgang_detail", args=[vorgang.pk])).status_code == 404
    assert stranger.get(f"/api/v1/vorgaenge/{vorgang.pk}").status_code == 404
    assert _reads(tenant, doc.pk) == [] and _reads(tenant, vorgang.pk) == []
