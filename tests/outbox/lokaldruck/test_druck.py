"""Printing a released letter on a real IPP printer (ippeveprinter): the filed PDF arrives
byte for byte with the job attributes koffer sends; a printer that is down or jams fails
visibly in German, the letter stays as it is, and a retry prints it once; a printed
letter is printed again only with „nochmals“ and a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.errors import DomainError
from koffer.jobs import runner
from koffer.jobs import services as jobs
from koffer.outbox.errors import Conflict
from koffer.outbox.lokaldruck import services, virtuell
from koffer.outbox.models import Brief, BriefEreignis, Druckauftrag
from koffer.tenancy.models import Mandant
from tests.outbox.factories import released_letter
from tests.outbox.lokaldruck.conftest import add_printer, needs_printer

pytestmark = [pytest.mark.django_db, needs_printer]


def _print(user: User, tenant: Mandant, brief: Brief, drucker, **kw) -> Druckauftrag:  # type: ignore[no-untyped-def]
    auftrag = services.drucken(
        actor=user, access=Access.for_user(user.pk, tenant.pk), ziel=brief, drucker=drucker, **kw
    )
    assert auftrag.job_id is not None
    runner.execute(auftrag.job_id)
    auftrag.refresh_from_db()
    return auftrag


def _retry(user: User, tenant: Mandant, auftrag: Druckauftrag) -> Druckauftrag:
    access = Access.for_user(user.pk, tenant.pk)
    again = services.wiederholen(actor=user, access=access, auftrag=auftrag)
    assert again.job_id is not None and runner.execute(again.job_id) == "done"
    again.refresh_from_db()
    return again


def test_the_filed_pdf_arrives_byte_for_byte_with_its_job_attributes(
    tenant: Mandant,
    admin_user: User,
    team_caseworker: User,
    brief: Brief,
    virtueller_drucker: virtuell.VirtuellerDrucker,
) -> None:
    drucker = add_printer(tenant, admin_user, virtueller_drucker.uri, duplex=True)
    auftrag = _print(team_caseworker, tenant, brief, drucker)
    assert auftrag.status == Druckauftrag.Status.GEDRUCKT, auftrag.meldung
    [pdf] = virtueller_drucker.pdfs()
    assert pdf.read_bytes() == services.pdf_of(brief)
    sent = virtueller_drucker.attributes(pdf)
    assert sent["IPP_SIDES"] == "two-sided-long-edge"
    assert sent["IPP_DOCUMENT_FORMAT_SUPPLIED"] == "application/pdf"
    assert sent["IPP_JOB_NAME"] == f"{brief.akte.aktenzeichen} {brief.betreff}"
    assert sent["IPP_JOB_ORIGINATING_USER_NAME"] == team_caseworker.username
    brief.refresh_from_db()
    assert brief.status == Brief.Status.GEDRUCKT
    event = BriefEreignis.objects.for_tenant(tenant).get(brief=brief, status=Brief.Status.GEDRUCKT)
    assert "Drucker Team 1" in event.detail
    assert (
        AuditEvent.objects.filter(tenant_id=tenant.pk, action="outbox.brief.lokal_gedruckt").count()
        == 1
    )


def test_simplex_printer_asks_for_one_side(
    tenant: Mandant,
    admin_user: User,
    team_caseworker: User,
    brief: Brief,
    virtueller_drucker: virtuell.VirtuellerDrucker,
) -> None:
    drucker = add_printer(tenant, admin_user, virtueller_drucker.uri, duplex=False)
    assert _print(team_caseworker, tenant, brief, drucker).status == "gedruckt"
    [pdf] = virtueller_drucker.pdfs()
    assert virtueller_drucker.attributes(pdf)["IPP_SIDES"] == "one-sided"


def test_a_printer_that_is_down_fails_in_german_and_the_retry_prints_once(
    tenant: Mandant,
    admin_user: User,
    team_caseworker: User,
    brief: Brief,
    tmp_path,  # type: ignore[no-untyped-def]
) -> None:
    later = virtuell.VirtuellerDrucker(tmp_path / "spaeter")
    drucker = add_printer(tenant, admin_user, later.uri)  # nothing listens there yet
    auftrag = _print(team_caseworker, tenant, brief, drucker)
    assert auftrag.status == Druckauftrag.Status.FEHLGESCHLAGEN
    assert "nicht erreichbar" in auftrag.meldung and "abgelehnt" in auftrag.meldung
    brief.refresh_from_db()
    assert brief.status == Brief.Status.FREIGEGEBEN
    later.start()
    try:
        again = _retry(team_caseworker, tenant, auftrag)
        assert again.versuch == 2 and again.status == Druckauftrag.Status.GEDRUCKT
        [pdf] = later.pdfs()
        assert pdf.read_bytes() == services.pdf_of(brief)
    finally:
        later.stop()
    brief.refresh_from_db()
    assert brief.status == Brief.Status.GEDRUCKT


def test_a_jam_aborts_the_job_and_the_retry_sends_it_again(
    tenant: Mandant,
    admin_user: User,
    team_caseworker: User,
    brief: Brief,
    virtueller_drucker: virtuell.VirtuellerDrucker,
) -> None:
    drucker = add_printer(tenant, admin_user, virtueller_drucker.uri)
    virtueller_drucker.stoerung(True)
    auftrag = _print(team_caseworker, tenant, brief, drucker)
    assert auftrag.status == Druckauftrag.Status.FEHLGESCHLAGEN
    assert "abgebrochen" in auftrag.meldung
    virtueller_drucker.stoerung(False)
    assert _retry(team_caseworker, tenant, auftrag).status == Druckauftrag.Status.GEDRUCKT
    assert len(virtueller_drucker.pdfs()) == 2  # the aborted one and the printed one


def test_printed_once_means_nochmals_with_a_reason(
    tenant: Mandant,
    admin_user: User,
    team_caseworker: User,
    brief: Brief,
    virtueller_drucker: virtuell.VirtuellerDrucker,
) -> None:
    drucker = add_printer(tenant, admin_user, virtueller_drucker.uri)
    _print(team_caseworker, tenant, brief, drucker)
    access = Access.for_user(team_caseworker.pk, tenant.pk)
    with pytest.raises(Conflict) as refused:
        services.drucken(actor=team_caseworker, access=access, ziel=brief, drucker=drucker)
    assert refused.value.code == "schon_gedruckt"
    with pytest.raises(DomainError):
        services.drucken(
            actor=team_caseworker, access=access, ziel=brief, drucker=drucker, nochmals=True
        )
    again = _print(
        team_caseworker,
        tenant,
        brief,
        drucker,
        nochmals=True,
        grund="Papierstau, Blatt zerknittert",
    )
    assert again.status == Druckauftrag.Status.GEDRUCKT and again.nochmals
    assert len(virtueller_drucker.pdfs()) == 2
    event = (
        AuditEvent.objects.filter(tenant_id=tenant.pk, action="outbox.brief.drucken")
        .order_by("-pk")
        .first()
    )
    assert event is not None and event.reason == "Papierstau, Blatt zerknittert"


def test_after_a_timeout_the_retry_asks_again_and_prints_nothing_twice(
    tenant: Mandant,
    admin_user: User,
    team_caseworker: User,
    brief: Brief,
    virtueller_drucker: virtuell.VirtuellerDrucker,
    settings,  # type: ignore[no-untyped-def]
) -> None:
    drucker = add_printer(tenant, admin_user, virtueller_drucker.uri)
    virtueller_drucker.langsam(2)
    settings.KOFFER_LOKALDRUCK_WAIT_SECONDS = 0.3
    auftrag = _print(team_caseworker, tenant, brief, drucker)
    assert auftrag.status == Druckauftrag.Status.FEHLGESCHLAGEN
    assert "fragt nur nach" in auftrag.meldung
    brief.refresh_from_db()
    assert brief.status == Brief.Status.FREIGEGEBEN
    settings.KOFFER_LOKALDRUCK_WAIT_SECONDS = 30
    again = _retry(team_caseworker, tenant, auftrag)
    assert again.status == Druckauftrag.Status.GEDRUCKT and again.versuch == 1
    assert len(virtueller_drucker.pdfs()) == 1  # asked again, not sent again


class Killed(BaseException):
    """Stands for SIGKILL: no handler of koffer catches it."""


def test_a_worker_killed_after_the_printers_answer_does_not_print_twice(
    tenant: Mandant,
    admin_user: User,
    team_caseworker: User,
    brief: Brief,
    virtueller_drucker: virtuell.VirtuellerDrucker,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drucker = add_printer(tenant, admin_user, virtueller_drucker.uri)
    # An earlier print of another letter by the same person stands in the printer's list.
    # (the same Akte and subject: the same job name, below the mark taken before sending).
    earlier = released_letter(tenant, brief.akte, actor=team_caseworker, kanal=Brief.Kanal.LOKAL)
    other = _print(team_caseworker, tenant, earlier, drucker)
    assert other.status == Druckauftrag.Status.GEDRUCKT
    recorded = services.gesendet

    def killed(*args: object, **kwargs: object) -> None:
        raise Killed  # the printer has the letter; koffer never learnt its job number

    monkeypatch.setattr(services, "gesendet", killed)
    auftrag = services.drucken(
        actor=team_caseworker,
        access=Access.for_user(team_caseworker.pk, tenant.pk),
        ziel=brief,
        drucker=drucker,
    )
    assert auftrag.job_id is not None
    with pytest.raises(Killed):
        runner.execute(auftrag.job_id)
    monkeypatch.setattr(services, "gesendet", recorded)
    later = timezone.now() + timedelta(hours=1)
    assert auftrag.job_id in jobs.recover_stale_jobs(now=later)
    assert runner.execute(auftrag.job_id) == "done"
    auftrag.refresh_from_db()
    assert auftrag.status == Druckauftrag.Status.GEDRUCKT and auftrag.versuch == 1
    assert len(virtueller_drucker.pdfs()) == 2  # the other letter's and this one's, once
    brief.refresh_from_db()
    assert brief.status == Brief.Status.GEDRUCKT
