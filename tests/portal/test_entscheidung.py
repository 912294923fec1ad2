"""The decision a citizen can see (issue 19): the caseworker records the outcome when
closing the Vorgang of an online application (through the E-Akte's service, audited), and
„Entschieden“ says it — with the Bescheid in the mailbox when it went there, otherwise
„Der Bescheid wurde Ihnen per Post gesendet.“ And an online application that waited in
triage opens its Vorgang when the mail room files it, as the automatic filing does."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.inbox.errors import Conflict
from koffer.inbox.klaerung import services as klaerung
from koffer.inbox.models import Eingangsdokument
from koffer.outbox.briefe import services as briefe
from koffer.outbox.models import Brief, Briefkopf, Vorlage
from koffer.portal.models import Buergerkonto, OnlineAngebot, PortalEinstellung
from koffer.records import services as records
from koffer.records.errors import RecordsError
from koffer.records.models import Akte, Dokument, Vorgang
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.factories import portal as portal_factories
from tests.outbox.briefe.conftest import vorlage
from tests.portal.test_anliegen import (
    _eingereicht,
    _jobs,
    _schritte,
    _vorgang,
    admin_access,
    akte,
    angebot,
    formular,
    konto,
    verknuepft,
)
from tests.portal.test_antrag import _url

__all__ = ["admin_access", "akte", "angebot", "formular", "konto", "verknuepft"]

pytestmark = pytest.mark.django_db


def _schliessen(caseworker: User, vorgang: Vorgang, **felder: str) -> str:
    antwort = signed_in(caseworker).post(
        f"/vorgaenge/{vorgang.pk}/", {"action": "status", "note": "", **felder}, follow=True
    )
    return antwort.content.decode()


def _bescheid_ins_postfach(
    tenant: Mandant, akte: Akte, vorgang: Vorgang, caseworker: User, konto: Buergerkonto
) -> Brief:
    PortalEinstellung.objects.update_or_create(
        tenant=tenant, defaults={"elektronische_zustellung_erlaubt": True}
    )
    konto.email_bestaetigt_am = konto.postfach_einwilligung_am = timezone.now()
    konto.save()
    Briefkopf.objects.create(
        tenant=tenant,
        unit=None,
        behoerde="Jobcenter Prüfstadt",
        anschrift="Marktplatz 1\n12345 Musterstadt",
        ruecksendeangabe="Jobcenter Prüfstadt · Marktplatz 1 · 12345 Musterstadt",
        telefon="0123 4567-0",
        updated_at=timezone.now(),
    )
    access = Access.for_user(caseworker.pk, tenant.pk)
    brief = briefe.entwerfen(
        actor=caseworker,
        access=access,
        akte=akte,
        vorlage=vorlage(tenant, art=Vorlage.Art.BESCHEID),
        vorgang=vorgang,
        kanal=Brief.Kanal.PORTAL,
    )
    brief = briefe.aendern(
        actor=caseworker,
        access=access,
        brief=brief,
        eingaben={"frist": "31.12.2026", "betrag": "120,00"},
    )
    return briefe.freigeben(actor=caseworker, access=access, brief=brief)


def test_the_outcome_with_the_bescheid_in_the_mailbox(
    tenant: Mandant,
    angebot: OnlineAngebot,
    verknuepft: Buergerkonto,
    akte: Akte,
    team_caseworker: User,
) -> None:
    client = portal_factories.buerger_client(verknuepft)
    antrag = _eingereicht(client, tenant, angebot)
    _jobs(tenant)
    vorgang = _vorgang(antrag)
    brief = _bescheid_ins_postfach(tenant, akte, vorgang, team_caseworker, verknuepft)
    assert brief.status == Brief.Status.BEREITGESTELLT
    gestern = timezone.localdate() - timedelta(days=1)
    seite = _schliessen(
        team_caseworker,
        vorgang,
        status="done",
        ergebnis="teilweise",
        bescheid_am=gestern.isoformat(),
    )
    assert "teilweise bewilligt" in seite and f"Bescheid vom {gestern:%d.%m.%Y}" in seite
    vorgang.refresh_from_db()
    assert (vorgang.status, vorgang.ergebnis, vorgang.bescheid_am) == ("done", "teilweise", gestern)
    event = AuditEvent.objects.get(action="records.vorgang.status", object_id=str(vorgang.pk))
    assert event.changes["ergebnis"] == {"old": "", "new": "teilweise"}
    assert event.changes["bescheid_am"] == gestern.isoformat()
    html = client.get(_url(antrag, "")).content.decode()
    assert _schritte(html)[-1] == ("Entschieden", "erledigt")
    assert "Ihr Antrag wurde teilweise bewilligt." in html
    assert f"Den Bescheid vom {gestern:%d.%m.%Y} finden Sie in Ihrem Postfach." in html
    link = f"/portal/{tenant.slug}/postfach/{brief.pk}/brief.pdf"
    assert f'href="{link}"' in html
    # an app reads the same step, and which letter of the mailbox is the Bescheid
    api = client.get(f"/api/v1/portal/anliegen/{antrag.pk}")
    assert api.status_code == 200
    entschieden = api.json()["schritte"][-1]
    assert "teilweise bewilligt" in entschieden["text"]
    assert entschieden["bescheid_id"] == str(brief.pk)
    pdf = client.get(link)
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content).startswith(b"%PDF")
    brief.refresh_from_db()
    assert brief.abgerufen_am is not None  # opening it from the timeline is the receipt


def test_the_outcome_without_the_mailbox_says_by_post_and_reopening_clears_it(
    tenant: Mandant,
    angebot: OnlineAngebot,
    verknuepft: Buergerkonto,
    team_caseworker: User,
) -> None:
    client = portal_factories.buerger_client(verknuepft)
    antrag = _eingereicht(client, tenant, angebot)
    _jobs(tenant)
    vorgang = _vorgang(antrag)
    # an outcome belongs to a closed Vorgang only; a Bescheid is not dated tomorrow
    seite = _schliessen(team_caseworker, vorgang, status="open", ergebnis="abgelehnt")
    assert "nur, wenn der Vorgang erledigt ist" in seite
    morgen = timezone.localdate() + timedelta(days=1)
    with pytest.raises(RecordsError, match="nicht in der Zukunft"):
        records.change_vorgang_status(
            actor=team_caseworker, vorgang=vorgang, status="done", bescheid_am=morgen
        )
    vorgang.refresh_from_db()
    assert (vorgang.status, vorgang.ergebnis) == ("open", "")
    _schliessen(team_caseworker, vorgang, status="done", ergebnis="abgelehnt")
    html = client.get(_url(antrag, "")).content.decode()
    assert "Ihr Antrag wurde abgelehnt." in html
    assert "Der Bescheid wurde Ihnen per Post gesendet." in html
    assert "/postfach/" not in html.split("Entschieden", 1)[1]
    # reopened: the outcome goes with the closing
    _schliessen(team_caseworker, vorgang, status="open")
    vorgang.refresh_from_db()
    assert (vorgang.ergebnis, vorgang.closed_at) == ("", None)
    html = client.get(_url(antrag, "")).content.decode()
    assert "abgelehnt" not in html
    assert _schritte(html)[-1] == ("Entschieden", "noch offen")


def test_an_application_filed_from_triage_opens_its_vorgang_once(
    tenant: Mandant,
    angebot: OnlineAngebot,
    konto: Buergerkonto,
    akte: Akte,
    team_caseworker: User,
    admin_user: User,
) -> None:
    client = portal_factories.buerger_client(konto)  # linked to no person: triage
    antrag = _eingereicht(client, tenant, angebot)
    _jobs(tenant)
    doc = (
        Eingangsdokument.objects.for_tenant(tenant)
        .select_related("stapel")
        .get(pk=antrag.eingang_id)
    )
    assert doc.state == Eingangsdokument.State.ZU_PRUEFEN and doc.vorgang_id is None
    vorher = Vorgang.objects.for_tenant(tenant).count()
    doc = klaerung.accept(actor=team_caseworker, doc=doc, akte=akte)
    assert doc.state == Eingangsdokument.State.ABGELEGT
    vorgang = Vorgang.objects.for_tenant(tenant).select_related("typ").get(pk=doc.vorgang_id)
    assert vorgang.akte_id == akte.pk and vorgang.typ.code == "antrag"
    assert Dokument.objects.for_tenant(tenant).get(pk=doc.dokument_id).vorgang_id == vorgang.pk
    # a second filing is told who was first, and opens nothing
    again = Eingangsdokument.objects.for_tenant(tenant).select_related("stapel").get(pk=doc.pk)
    again.state = Eingangsdokument.State.ZU_PRUEFEN  # as seen on a page opened before
    with pytest.raises(Conflict):
        klaerung.accept(actor=admin_user, doc=again, akte=akte)
    assert Vorgang.objects.for_tenant(tenant).count() == vorher + 1
    # the citizen's timeline follows the Vorgang as for an automatic filing
    html = client.get(_url(antrag, "")).content.decode()
    assert ("In Bearbeitung", "aktueller Stand") in _schritte(html)
