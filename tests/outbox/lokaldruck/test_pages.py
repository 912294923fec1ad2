"""The pages of local printing: the administration's printers (address checked in German,
writes audited), a local letter's page with its print form, PDF and „Zur Post gegeben
am“ (Bekanntgabe and objection deadline as a provider's report), the letters still to
print and their Sammel-PDF (each letter on an odd page when duplex, the read audited)."""

from __future__ import annotations

import io
from datetime import timedelta

import pikepdf
import pytest
from django.urls import reverse
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.outbox.lokaldruck import services
from koffer.outbox.models import Brief, Druckauftrag, Drucker, Vorlage, Zustellung
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant
from tests.conftest import query_count, signed_in
from tests.factories import records as record_factories
from tests.outbox.factories import released_letter
from tests.outbox.lokaldruck.conftest import add_printer

pytestmark = pytest.mark.django_db


def test_the_administration_adds_a_printer_and_a_bad_address_is_explained(
    tenant: Mandant, admin_user: User
) -> None:
    client = signed_in(admin_user)
    url = reverse("outbox:drucker")
    assert client.get(url).status_code == 200
    bad = client.post(
        url, {"name": "Team 1", "uri": "ipp://admin:geheim@drucker/ipp/print", "duplex": "on"}
    )
    assert bad.status_code == 200
    assert "keinen Benutzernamen und kein Kennwort" in bad.content.decode()
    assert not Drucker.objects.for_tenant(tenant).exists()
    good = client.post(
        url, {"name": "Team 1", "uri": "ipp://drucker-team1:631/ipp/print", "is_active": "on"}
    )
    assert good.status_code == 302
    drucker = Drucker.objects.for_tenant(tenant).get()
    assert not drucker.duplex and drucker.is_active
    assert AuditEvent.objects.filter(tenant_id=tenant.pk, action="outbox.drucker.create").exists()
    edit = reverse("outbox:drucker_aendern", args=[drucker.pk])
    assert client.get(edit).status_code == 200
    changed = client.post(
        edit, {"name": "Team 1", "uri": "ipps://drucker-team1/ipp/print", "duplex": "on"}
    )
    assert changed.status_code == 302
    drucker.refresh_from_db()
    assert drucker.uri.startswith("ipps://") and drucker.duplex and not drucker.is_active


def test_caseworkers_do_not_manage_printers(team_caseworker: User) -> None:
    assert signed_in(team_caseworker).get(reverse("outbox:drucker")).status_code in (403, 404)


def test_the_letter_page_offers_printing_and_starts_a_job(
    tenant: Mandant, admin_user: User, team_caseworker: User, brief: Brief
) -> None:
    client = signed_in(team_caseworker)
    page = client.get(reverse("outbox:brief", args=[brief.pk])).content.decode()
    assert "kein Drucker eingerichtet" in page and "PDF herunterladen" in page
    drucker = add_printer(tenant, admin_user, "ipp://127.0.0.1:9/ipp/print")
    page = client.get(reverse("outbox:brief", args=[brief.pk])).content.decode()
    assert "Drucker Team 1" in page and "Zur Post gegeben am" in page
    response = client.post(
        reverse("outbox:brief_drucken", args=[brief.pk]), {"druck-drucker": str(drucker.pk)}
    )
    assert response.status_code == 302
    auftrag = Druckauftrag.objects.for_tenant(tenant).get(brief=brief)
    assert auftrag.status == Druckauftrag.Status.WARTET and auftrag.job_id
    page = client.get(reverse("outbox:brief", args=[brief.pk])).content.decode()
    assert "wird gerade gedruckt" in page


def test_the_pdf_download_is_the_filed_one_and_audited(
    tenant: Mandant, team_caseworker: User, brief: Brief
) -> None:
    response = signed_in(team_caseworker).get(reverse("outbox:brief_pdf", args=[brief.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == services.pdf_of(brief)  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(
        tenant_id=tenant.pk, action="outbox.brief.gelesen", object_id=str(brief.pk)
    ).exists()


def test_zur_post_gegeben_sets_bekanntgabe_and_objection_deadline(
    tenant: Mandant, team_caseworker: User, akte: Akte
) -> None:
    vorgang = record_factories.vorgang(akte)
    bescheid = released_letter(
        tenant,
        akte,
        actor=team_caseworker,
        kanal=Brief.Kanal.LOKAL,
        art=Vorlage.Art.BESCHEID,
        vorgang=vorgang,
        freigegeben_at=timezone.now() - timedelta(days=3),
    )
    client = signed_in(team_caseworker)
    url = reverse("outbox:brief", args=[bescheid.pk])
    today = timezone.localdate()
    future = client.post(url, {"aktion": "aushaendigen", "am": str(today + timedelta(days=1))})
    assert "in der Zukunft" in future.content.decode()
    early = client.post(url, {"aktion": "aushaendigen", "am": str(today - timedelta(days=5))})
    assert "vor der Freigabe des Briefs" in early.content.decode()
    bescheid.refresh_from_db()
    assert bescheid.status == Brief.Status.FREIGEGEBEN
    posted = today - timedelta(days=1)
    assert client.post(url, {"aktion": "aushaendigen", "am": str(posted)}).status_code == 302
    bescheid.refresh_from_db()
    assert bescheid.status == Brief.Status.VERSENDET and bescheid.versendet_am == posted
    assert bescheid.bekanntgabe_am is not None and bescheid.bekanntgabe_am > posted
    frist = Zustellung.objects.for_tenant(tenant).get(brief=bescheid).widerspruchsfrist
    assert frist is not None and frist.base_date == bescheid.bekanntgabe_am


def test_the_letters_to_print_and_their_sammel_pdf(
    tenant: Mandant, team_caseworker: User, akte: Akte
) -> None:
    letters = [
        released_letter(tenant, akte, actor=team_caseworker, kanal="lokal", seiten=n)
        for n in (1, 2, 3)
    ]
    released_letter(tenant, akte, actor=team_caseworker)  # hybrid: not here
    client = signed_in(team_caseworker)
    url = reverse("outbox:zu_drucken")
    page = client.get(url).content.decode()
    assert all(b.betreff in page for b in letters)
    duplex = client.get(reverse("outbox:sammel_pdf") + "?duplex=1")
    assert duplex.status_code == 200 and duplex["Content-Type"] == "application/pdf"
    with pikepdf.open(io.BytesIO(duplex.content)) as pdf:
        assert len(pdf.pages) == 1 + 1 + 2 + 3  # a blank page after the one-page letter
    with pikepdf.open(
        io.BytesIO(client.get(reverse("outbox:sammel_pdf") + "?duplex=0").content)
    ) as pdf:
        assert len(pdf.pages) == 6
    assert (
        AuditEvent.objects.filter(tenant_id=tenant.pk, action="outbox.brief.sammel_pdf").count()
        == 6
    )
    few = query_count(client, url)
    released_letter(tenant, akte, actor=team_caseworker, kanal="lokal")
    assert query_count(client, url) == few
