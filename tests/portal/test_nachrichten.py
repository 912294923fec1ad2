"""Messages both ways about a Vorgang (issue 19, item 4): the citizen's message is filed
in the Vorgang through the Posteingang with a Wiedervorlage for the caseworker; the
caseworker answers from the Vorgang's page, the answer is filed as an outgoing document
and lands in the mailbox with an e-mail notice naming nothing; limited per account."""

from __future__ import annotations

from typing import Any

import pytest
from django.core import mail
from django.utils import timezone

from koffer.audit.models import AuditEvent
from koffer.inbox.models import Eingangsdokument
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.portal.models import Buergerkonto, Nachricht
from koffer.portal.postfach.empfang import JOB_KIND
from koffer.records.models import Dokument, Vorgang, Wiedervorlage
from tests.conftest import signed_in
from tests.factories import portal as portal_factories
from tests.factories import records as rf
from tests.outbox.briefe.conftest import Welt, welt

__all__ = ["welt"]

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]


def _konto(welt: Welt, **fields: Any) -> Buergerkonto:
    values: dict[str, Any] = {
        "person": welt.akte.subjekte.get().person,
        "given_names": "Erika",
        "family_name": "Beispiel",
        "email": "erika@example.org",
        "email_bestaetigt_am": timezone.now(),
    }
    return portal_factories.buergerkonto(welt.tenant, **(values | fields))


def _url(vorgang: Vorgang) -> str:
    return f"/portal/{vorgang.tenant.slug}/nachrichten/{vorgang.pk}/"


def _ablegen(welt: Welt) -> None:
    waiting = Job.objects.for_tenant(welt.tenant).filter(kind="inbox.online", status="waiting")
    for job in waiting:
        runner.execute(job.pk)


def test_messages_both_ways_are_filed_in_the_vorgang(welt: Welt) -> None:
    vorgang = rf.vorgang(welt.akte, actor=welt.writer, title="Weiterbewilligung 2027")
    konto = _konto(welt)
    client = portal_factories.buerger_client(konto)
    postfach = client.get(f"/portal/{welt.tenant.slug}/postfach/").content.decode()
    assert "Weiterbewilligung 2027" in postfach

    sent = client.post(_url(vorgang), {"text": "Guten Tag,\n\nmein Kontoauszug folgt morgen."})
    assert sent.status_code == 302
    nachricht = Nachricht.objects.for_tenant(welt.tenant).get()
    assert nachricht.richtung == Nachricht.Richtung.EINGANG and nachricht.eingang_id
    _ablegen(welt)
    eingang = Eingangsdokument.objects.for_tenant(welt.tenant).get(pk=nachricht.eingang_id)
    assert eingang.state == Eingangsdokument.State.ABGELEGT
    dokument = Dokument.objects.for_tenant(welt.tenant).get(pk=eingang.dokument_id)
    assert (dokument.akte_id, dokument.vorgang_id) == (welt.akte.pk, vorgang.pk)
    assert dokument.direction == Dokument.Direction.INCOMING
    assert dokument.kind == "Nachricht (online)"
    version = dokument.current_version
    assert version is not None and "mein Kontoauszug folgt morgen" in version.text
    wiedervorlage = Wiedervorlage.objects.for_tenant(welt.tenant).get(dokument=dokument)
    assert wiedervorlage.vorgang_id == vorgang.pk
    assert wiedervorlage.assignee_id == welt.akte.caseworker_id

    # The caseworker finds it from the Vorgang's page and answers there.
    staff = signed_in(welt.writer)
    vorgang_page = staff.get(f"/vorgaenge/{vorgang.pk}/").content.decode()
    staff_url = f"/verwaltung/portal/vorgaenge/{vorgang.pk}/nachrichten/"
    assert staff_url in vorgang_page
    assert "mein Kontoauszug folgt morgen" in staff.get(staff_url).content.decode()
    answered = staff.post(staff_url, {"text": "Danke, wir warten darauf."})
    assert answered.status_code == 302
    assert not mail.outbox  # the notice is a job's
    [job] = Job.objects.for_tenant(welt.tenant).filter(kind=JOB_KIND)
    runner.execute(job.pk)
    Job.objects.for_tenant(welt.tenant).filter(pk=job.pk).update(status="waiting")
    runner.execute(job.pk)  # once per answer, a retry sends nothing more
    antwort = Nachricht.objects.for_tenant(welt.tenant).get(richtung=Nachricht.Richtung.AUSGANG)
    filed = Dokument.objects.for_tenant(welt.tenant).get(pk=antwort.dokument_id)
    assert (filed.vorgang_id, filed.direction) == (vorgang.pk, Dokument.Direction.OUTGOING)
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["erika@example.org"]
    assert "liegt eine neue Nachricht" in notice.body
    for secret in ("Beispiel", welt.akte.aktenzeichen, "Weiterbewilligung", "warten"):
        assert secret not in notice.body and secret not in notice.subject
    assert AuditEvent.objects.filter(action="portal.nachricht.beantwortet").count() == 1

    # It lands in the citizen's mailbox, new until the thread is opened.
    postfach = client.get(f"/portal/{welt.tenant.slug}/postfach/").content.decode()
    assert "<strong>Antwort zu: Weiterbewilligung 2027</strong>" in postfach
    thread = client.get(_url(vorgang)).content.decode()
    assert "Danke, wir warten darauf." in thread
    antwort.refresh_from_db()
    assert antwort.gelesen_am is not None
    postfach = client.get(f"/portal/{welt.tenant.slug}/postfach/").content.decode()
    assert "Antwort zu: Weiterbewilligung 2027" not in postfach


def test_messages_are_limited_per_account(welt: Welt, settings: Any) -> None:
    settings.KOFFER_PORTAL_NACHRICHTEN_PRO_STUNDE = 2
    vorgang = rf.vorgang(welt.akte, actor=welt.writer)
    client = portal_factories.buerger_client(_konto(welt))
    for n in range(2):
        assert client.post(_url(vorgang), {"text": f"Nachricht {n}"}).status_code == 302
    refused = client.post(_url(vorgang), {"text": "Noch eine"})
    assert refused.status_code == 429
    assert "in der letzten Stunde schon 2 Nachrichten" in refused.content.decode()
    assert Nachricht.objects.for_tenant(welt.tenant).count() == 2
    empty = client.post(_url(vorgang), {"text": "  "})
    assert empty.status_code == 400
    assert "Bitte schreiben Sie Ihre Nachricht." in empty.content.decode()


def test_another_account_cannot_reach_the_thread(welt: Welt) -> None:
    vorgang = rf.vorgang(welt.akte, actor=welt.writer)
    fremd = portal_factories.buerger_client(portal_factories.buergerkonto(welt.tenant))
    assert fremd.get(_url(vorgang)).status_code == 404
    assert fremd.post(_url(vorgang), {"text": "Hallo"}).status_code == 404
    assert not Nachricht.objects.for_tenant(welt.tenant).exists()
