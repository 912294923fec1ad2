"""The citizen's mailbox (issue 19, item 4): the Postausgang's channel „Bürgerpostfach“
only with the Mandant's setting and the citizen's consent, a released letter made
available at once with one e-mail notice that names nothing, the first opening as the
receipt (§ 37 Abs. 2a SGB X: Bekanntgabe the day after, the objection deadline from it),
and a letter not retrieved within ten days sent on paper."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from koffer.audit.models import AuditEvent
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.outbox.briefe import services as briefe
from koffer.outbox.errors import Invalid
from koffer.outbox.models import Brief, Vorlage, Zustellung
from koffer.outbox.postfach import services as postfach
from koffer.outbox.versand import services as versand
from koffer.portal.models import Buergerkonto, PortalEinstellung, Vertretung
from koffer.portal.postfach.empfang import JOB_KIND
from koffer.records.models import Frist, Person
from tests.conftest import BERLIN, signed_in
from tests.factories import portal as portal_factories
from tests.factories import records as rf
from tests.outbox.briefe.conftest import Welt, vorlage, welt

__all__ = ["welt"]

pytestmark = [pytest.mark.django_db, pytest.mark.today("2026-11-25")]

EINGABEN = {"frist": "31.12.2026", "betrag": "120,00"}


def _person(welt: Welt) -> Person:
    return welt.akte.subjekte.get().person


def _konto(welt: Welt, *, einwilligung: bool = True, **fields: Any) -> Buergerkonto:
    values: dict[str, Any] = {
        "person": _person(welt),
        "email": "erika@example.org",
        "email_bestaetigt_am": timezone.now(),
        "postfach_einwilligung_am": timezone.now() if einwilligung else None,
    }
    return portal_factories.buergerkonto(welt.tenant, **(values | fields))


def _erlauben(welt: Welt) -> None:
    PortalEinstellung.objects.create(tenant=welt.tenant, elektronische_zustellung_erlaubt=True)


def _brief(welt: Welt, *, art: str = Vorlage.Art.BRIEF, mit_vorgang: bool = False) -> Brief:
    access = welt.access(welt.writer)
    brief = briefe.entwerfen(
        actor=welt.writer,
        access=access,
        akte=welt.akte,
        vorlage=vorlage(welt.tenant, art=art),
        vorgang=rf.vorgang(welt.akte, actor=welt.writer) if mit_vorgang else None,
        kanal=Brief.Kanal.PORTAL,
    )
    brief = briefe.aendern(actor=welt.writer, access=access, brief=brief, eingaben=EINGABEN)
    return briefe.freigeben(actor=welt.writer, access=access, brief=brief)


def _benachrichtigen(welt: Welt) -> None:
    for job in Job.objects.for_tenant(welt.tenant).filter(kind=JOB_KIND, status=Job.Status.WAITING):
        runner.execute(job.pk)


def _pdf_url(brief: Brief) -> str:
    return f"/portal/{brief.tenant.slug}/postfach/{brief.pk}/brief.pdf"


def test_the_channel_needs_the_setting_an_account_and_consent(welt: Welt) -> None:
    access = welt.access(welt.writer)
    v = vorlage(welt.tenant)

    def entwerfen() -> Brief:
        return briefe.entwerfen(
            actor=welt.writer, access=access, akte=welt.akte, vorlage=v, kanal=Brief.Kanal.PORTAL
        )

    with pytest.raises(Invalid, match="kein Konto in den Online-Diensten") as refused:
        entwerfen()  # no account, no setting
    assert refused.value.field == "kanal"
    konto = _konto(welt, einwilligung=False)
    with pytest.raises(Invalid):
        entwerfen()  # an account, the Mandant does not allow it
    _erlauben(welt)
    with pytest.raises(Invalid):
        entwerfen()  # allowed, but no consent
    # A hybrid draft cannot be switched to the mailbox either.
    draft = briefe.entwerfen(actor=welt.writer, access=access, akte=welt.akte, vorlage=v)
    with pytest.raises(Invalid):
        briefe.aendern(actor=welt.writer, access=access, brief=draft, kanal=Brief.Kanal.PORTAL)
    client = portal_factories.buerger_client(konto)
    client.post(f"/portal/{welt.tenant.slug}/postfach/", {"aktion": "einwilligen"})
    konto.refresh_from_db()
    assert konto.postfach_einwilligung_am is not None
    assert entwerfen().kanal == Brief.Kanal.PORTAL
    assert AuditEvent.objects.filter(action="portal.postfach.einwilligung").count() == 1
    # Revoked, the next letter cannot go there (those in the mailbox stay).
    client.post(f"/portal/{welt.tenant.slug}/postfach/", {"aktion": "widerrufen"})
    with pytest.raises(Invalid):
        entwerfen()


def test_consent_needs_a_confirmed_address(welt: Welt) -> None:
    _erlauben(welt)
    konto = _konto(welt, einwilligung=False, email="", email_bestaetigt_am=None)
    client = portal_factories.buerger_client(konto)
    answer = client.post(
        f"/portal/{welt.tenant.slug}/postfach/", {"aktion": "einwilligen"}, follow=True
    )
    assert "bestätigte E-Mail-Adresse" in answer.content.decode()
    konto.refresh_from_db()
    assert konto.postfach_einwilligung_am is None


def test_release_goes_to_the_mailbox_with_one_notice_naming_nothing(welt: Welt) -> None:
    _erlauben(welt)
    _konto(welt)
    brief = _brief(welt)
    assert brief.status == Brief.Status.BEREITGESTELLT
    assert brief.bereitgestellt_am is not None and brief.dokument_id is not None
    # No print batch: the dispatch never sees it.
    assert brief.pk not in versand.wartende_briefe(welt.tenant.pk, timezone.now())
    _benachrichtigen(welt)
    assert len(mail.outbox) == 1
    notice = mail.outbox[0]
    assert notice.to == ["erika@example.org"]
    assert "In Ihrem Postfach beim Jobcenter Prüfstadt liegt eine neue Nachricht." in notice.body
    assert f"/portal/{welt.tenant.slug}/postfach/" in notice.body
    person = _person(welt)
    for secret in (person.family_name, person.given_names, welt.akte.aktenzeichen, brief.betreff):
        assert secret not in notice.body and secret not in notice.subject
    brief.refresh_from_db()
    assert brief.benachrichtigt_am is not None
    # Once per letter: the job again (a retry) sends nothing more.
    job = Job.objects.for_tenant(welt.tenant).get(kind=JOB_KIND)
    Job.objects.for_tenant(welt.tenant).filter(pk=job.pk).update(status=Job.Status.WAITING)
    runner.execute(job.pk)
    assert len(mail.outbox) == 1
    assert AuditEvent.objects.filter(action="outbox.brief.benachrichtigt").count() == 1


def test_first_open_is_the_receipt_and_starts_the_deadline(welt: Welt) -> None:
    _erlauben(welt)
    konto = _konto(welt)
    brief = _brief(welt, art=Vorlage.Art.BESCHEID, mit_vorgang=True)
    _benachrichtigen(welt)
    client = portal_factories.buerger_client(konto)
    liste = client.get(f"/portal/{welt.tenant.slug}/postfach/").content.decode()
    assert f"<strong>{brief.betreff}</strong>" in liste and ">neu<" in liste

    opened = client.get(_pdf_url(brief))
    assert opened.status_code == 200
    assert opened["Content-Type"] == "application/pdf"
    assert b"".join(opened.streaming_content).startswith(b"%PDF")
    brief.refresh_from_db()
    assert brief.status == Brief.Status.ABGERUFEN
    assert brief.abgerufen_am is not None
    assert timezone.localdate(brief.abgerufen_am) == date(2026, 11, 25)
    assert brief.abgerufen_von == konto.anzeigename
    # § 37 Abs. 2a Satz 3 SGB X: known on the day after the retrieval.
    assert brief.bekanntgabe_am == date(2026, 11, 26)
    frist = Zustellung.objects.for_tenant(welt.tenant).get(brief=brief).widerspruchsfrist
    assert frist is not None
    assert (frist.base_date, frist.due_date) == (date(2026, 11, 26), date(2026, 12, 28))
    assert AuditEvent.objects.filter(action="outbox.brief.abgerufen").count() == 1
    liste = client.get(f"/portal/{welt.tenant.slug}/postfach/").content.decode()
    assert ">neu<" not in liste and "geöffnet am 25.11.2026" in liste

    # The second open changes nothing (a day later, too), it is only a read.
    with time_machine.travel(datetime(2026, 11, 27, 9, 0, tzinfo=BERLIN), tick=True):
        again = portal_factories.buerger_client(konto).get(_pdf_url(brief))
    assert again.status_code == 200
    before = (brief.abgerufen_am, brief.bekanntgabe_am, brief.status)
    brief.refresh_from_db()
    assert (brief.abgerufen_am, brief.bekanntgabe_am, brief.status) == before
    assert (
        Frist.objects.for_tenant(welt.tenant)
        .filter(vorgang=brief.vorgang, label="Widerspruchsfrist")
        .count()
        == 1
    )
    assert AuditEvent.objects.filter(action="outbox.brief.abgerufen").count() == 1
    assert AuditEvent.objects.filter(action="read", object_id=str(brief.pk)).count() >= 1

    # The staff page says when and by whom.
    page = signed_in(welt.writer).get(f"/postausgang/briefe/{brief.pk}/").content.decode()
    assert "im Postfach bereitgestellt am 25.11.2026" in page
    assert "abgerufen am 25.11.2026" in page and f"von {konto.anzeigename}" in page


def test_not_retrieved_in_ten_days_goes_on_paper(welt: Welt) -> None:
    _erlauben(welt)
    konto = _konto(welt)
    brief = _brief(welt)
    _benachrichtigen(welt)
    # Ten days after the notice (25.11.) it may still be opened: nothing to send yet.
    with time_machine.travel(datetime(2026, 12, 5, 20, 0, tzinfo=BERLIN), tick=True):
        staff = signed_in(welt.writer)
        assert (
            "nicht abgerufen — auf Papier senden"
            not in staff.get("/postausgang/versand/").content.decode()
        )
    with time_machine.travel(datetime(2026, 12, 6, 8, 0, tzinfo=BERLIN), tick=True):
        staff = signed_in(welt.writer)
        versand_page = staff.get("/postausgang/versand/").content.decode()
        assert (
            "nicht abgerufen — auf Papier senden" in versand_page and brief.betreff in versand_page
        )
        letter_page = staff.get(f"/postausgang/briefe/{brief.pk}/").content.decode()
        assert "nicht abgerufen — auf Papier senden" in letter_page
        # Too late for the citizen: the provision ended, nothing is recorded.
        client = portal_factories.buerger_client(konto)
        late = client.get(_pdf_url(brief))
        assert late.status_code == 302
        brief.refresh_from_db()
        assert brief.abgerufen_am is None and brief.bekanntgabe_am is None
        assert "per Post" in client.get(f"/portal/{welt.tenant.slug}/postfach/").content.decode()
        # One click: the same filed letter on the hybrid channel, into the next batch.
        done = staff.post(f"/postausgang/briefe/{brief.pk}/", {"aktion": "auf_papier"})
        assert done.status_code == 302
        brief.refresh_from_db()
        assert (brief.kanal, brief.status) == (Brief.Kanal.HYBRID, Brief.Status.FREIGEGEBEN)
        assert brief.bereitstellung_beendet_am is not None
        assert brief.pk in versand.wartende_briefe(welt.tenant.pk, timezone.now())
        assert (
            "nicht abgerufen — auf Papier senden"
            not in staff.get("/postausgang/versand/").content.decode()
        )
        assert AuditEvent.objects.filter(action="outbox.brief.auf_papier").count() == 1


def test_a_representative_opens(welt: Welt) -> None:
    _erlauben(welt)
    person = _person(welt)
    betreuerin = portal_factories.buergerkonto(
        welt.tenant,
        given_names="Bettina",
        family_name="Betreuer",
        email="betreuung@example.org",
        email_bestaetigt_am=timezone.now(),
        postfach_einwilligung_am=timezone.now(),
    )
    Vertretung.objects.create(
        tenant=welt.tenant,
        konto=betreuerin,
        person=person,
        family_name=person.family_name,
        given_names=person.given_names,
        birth_date=date(1970, 1, 1),
        art=Vertretung.Art.BETREUUNG,
        nachweis="AG Prüfstadt XVII 12/26",
        bestaetigt_von=welt.writer,
        bestaetigt_am=timezone.now(),
    )
    brief = _brief(welt)  # the representative's consent is enough to receive
    _benachrichtigen(welt)
    assert [m.to for m in mail.outbox] == [["betreuung@example.org"]]
    opened = portal_factories.buerger_client(betreuerin).get(_pdf_url(brief))
    assert opened.status_code == 200
    brief.refresh_from_db()
    assert brief.abgerufen_von == "Bettina Betreuer (Vertretung)"
    assert brief.bekanntgabe_am == date(2026, 11, 26)


def test_another_account_gets_404(welt: Welt) -> None:
    _erlauben(welt)
    _konto(welt)
    brief = _brief(welt)
    fremd = portal_factories.buergerkonto(welt.tenant, email="x@example.org")
    client = portal_factories.buerger_client(fremd)
    assert client.get(_pdf_url(brief)).status_code == 404
    assert brief.betreff not in client.get(f"/portal/{welt.tenant.slug}/postfach/").content.decode()
    brief.refresh_from_db()
    assert brief.abgerufen_am is None


def test_the_ten_days_run_from_the_notice() -> None:
    notice = timezone.make_aware(datetime.combine(date(2026, 11, 25), time(23, 30)))
    brief = Brief(
        status=Brief.Status.BEREITGESTELLT,
        bereitgestellt_am=notice - timedelta(days=3),
        benachrichtigt_am=notice,
    )
    assert postfach.abruf_bis(brief) == date(2026, 12, 5)
    assert postfach.abrufbar(brief, date(2026, 12, 5))
    assert not postfach.abrufbar(brief, date(2026, 12, 6))
