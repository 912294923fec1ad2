"""E-mail accounts: off by default, registration with a confirmation link, sign-in,
the same answers for known and unknown addresses, and the lock-out."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.mail.backends.base import BaseEmailBackend
from django.test import Client

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.portal import emailkonten, sitzung
from koffer.portal.models import Buergerkonto, PortalEinstellung, PortalMail
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.factories import portal as portal_factories

PASSWORT = "Richtig-geheim-42"


@pytest.fixture
def erlaubt(tenant: Mandant) -> Mandant:
    PortalEinstellung.objects.create(tenant=tenant, email_konten_erlaubt=True)
    return tenant


def _registrieren(client: Client, tenant: Mandant, email: str) -> str:
    response = client.post(
        f"/portal/{tenant.slug}/email/registrieren/",
        {"email": email, "password": PASSWORT, "password2": PASSWORT},
    )
    assert response.status_code == 200
    return response.content.decode()


def _ohne_csrf(html: str) -> str:
    html = re.sub(r'name="csrf-token" content="[^"]+"', "", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)


def _link(message: mail.EmailMessage) -> str:
    found = re.search(r"http://testserver(/portal/\S+/email/bestaetigen/\S+/)", str(message.body))
    assert found, message.body
    return found.group(1)


def _anmelden(client: Client, tenant: Mandant, email: str, password: str = PASSWORT) -> object:
    return client.post(
        f"/portal/{tenant.slug}/email/anmelden/", {"email": email, "password": password}
    )


@pytest.fixture(autouse=True)
def _base_url(settings: object) -> None:
    settings.KOFFER_PORTAL_SAML_BASE_URL = "http://testserver"  # type: ignore[attr-defined]


def test_email_accounts_are_off_by_default(tenant: Mandant) -> None:
    assert Client().get(f"/portal/{tenant.slug}/email/registrieren/").status_code == 404
    assert Client().get(f"/portal/{tenant.slug}/email/anmelden/").status_code == 404
    assert (
        "Mit E-Mail-Adresse"
        not in Client().get(f"/portal/{tenant.slug}/anmelden/").content.decode()
    )


def test_register_confirm_and_sign_in(
    erlaubt: Mandant, django_capture_on_commit_callbacks: object
) -> None:
    client = Client()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        html = _registrieren(client, erlaubt, " Erika@Example.org ")
    assert "Wir haben Ihnen eine E-Mail geschickt" in html
    # sent by its job, queued once the registration committed
    job = Job.objects.for_tenant(erlaubt).get(kind=emailkonten.JOB_KIND)
    assert job.status == Job.Status.DONE
    [message] = mail.outbox
    assert message.to == ["erika@example.org"]
    konto = Buergerkonto.objects.for_tenant(erlaubt).get()
    assert konto.kennung == "email:erika@example.org" and konto.art == "email"
    assert konto.zugang.password != PASSWORT  # hashed

    # Not yet confirmed: refused with the one message.
    refused = _anmelden(client, erlaubt, "erika@example.org")
    assert refused.status_code == 400  # type: ignore[attr-defined]
    assert emailkonten.FALSCH in refused.content.decode()  # type: ignore[attr-defined]

    link = _link(message)
    assert client.get(link).status_code == 200  # a button, not yet confirmed
    assert client.post(link).status_code == 302
    konto.refresh_from_db()
    assert konto.email_bestaetigt_am is not None

    response = _anmelden(client, erlaubt, "ERIKA@example.org")
    assert response.status_code == 302  # type: ignore[attr-defined]
    assert client.session[sitzung.SESSION_NIVEAU] == "niedrig"
    assert client.get(f"/portal/{erlaubt.slug}/").status_code == 200
    actions = set(
        AuditEvent.objects.filter(tenant_id=erlaubt.pk, actor_id=konto.pk).values_list(
            "action", flat=True
        )
    )
    assert actions == {
        "portal.emailkonto.create",
        "portal.emailkonto.bestaetigt",
        "portal.anmeldung",
    }


def test_a_known_address_gets_the_same_answer(erlaubt: Mandant) -> None:
    Buergerkonto.objects.create(
        tenant=erlaubt,
        kennung="email:bekannt@example.org",
        art="email",
        vertrauensniveau="niedrig",
        email="bekannt@example.org",
    )
    neu = _registrieren(Client(), erlaubt, "neu@example.org")
    bekannt = _registrieren(Client(), erlaubt, "bekannt@example.org")
    assert _ohne_csrf(neu) == _ohne_csrf(bekannt)
    assert Buergerkonto.objects.for_tenant(erlaubt).count() == 2
    portal_factories.mails_senden(erlaubt)
    notice = [m for m in mail.outbox if m.to == ["bekannt@example.org"]]
    assert len(notice) == 1 and "schon ein Konto" in str(notice[0].body)


def test_unknown_address_and_wrong_password_answer_alike(erlaubt: Mandant) -> None:
    konto = Buergerkonto.objects.create(
        tenant=erlaubt,
        kennung="email:erika@example.org",
        art="email",
        vertrauensniveau="niedrig",
        email="erika@example.org",
    )
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from koffer.portal.models import EmailZugang

    EmailZugang.objects.create(tenant=erlaubt, konto=konto, password=make_password(PASSWORT))
    konto.email_bestaetigt_am = timezone.now()
    konto.save()
    unbekannt = _anmelden(Client(), erlaubt, "niemand@example.org")
    falsch = _anmelden(Client(), erlaubt, "erika@example.org", "Falsch-geheim-42")
    for response in (unbekannt, falsch):
        assert response.status_code == 400  # type: ignore[attr-defined]
        assert emailkonten.FALSCH in response.content.decode()  # type: ignore[attr-defined]
    assert (
        AuditEvent.objects.filter(
            tenant_id=erlaubt.pk, action="portal.anmeldung.fehlgeschlagen"
        ).count()
        == 2
    )


def test_too_many_failures_lock_the_address(erlaubt: Mandant, settings: object) -> None:
    settings.KOFFER_LOGIN_FAILURE_LIMIT = 3  # type: ignore[attr-defined]
    client = Client()
    for _ in range(3):
        assert _anmelden(client, erlaubt, "x@example.org", "falsch").status_code == 400  # type: ignore[attr-defined]
    locked = _anmelden(client, erlaubt, "x@example.org", "falsch")
    assert locked.status_code == 429  # type: ignore[attr-defined]
    assert "Zu viele fehlgeschlagene Anmeldeversuche" in locked.content.decode()  # type: ignore[attr-defined]


def test_a_forged_confirmation_link_is_refused(erlaubt: Mandant) -> None:
    response = Client().post(f"/portal/{erlaubt.slug}/email/bestaetigen/abc:def/")
    assert response.status_code == 400
    assert emailkonten.LINK_UNGUELTIG in response.content.decode()


class KaputterServer(BaseEmailBackend):
    """A mail server that refuses every connection."""

    def send_messages(self, email_messages: object) -> int:
        raise ConnectionRefusedError("Verbindung abgelehnt")


def test_mails_go_by_a_job_and_a_failed_send_is_visible_and_retried(
    erlaubt: Mandant, settings: object, admin_user: User
) -> None:
    settings.EMAIL_BACKEND = "tests.portal.test_email.KaputterServer"  # type: ignore[attr-defined]
    # the server is down: the page answers all the same, the mail waits in its job
    html = _registrieren(Client(), erlaubt, "erika@example.org")
    assert "Wir haben Ihnen eine E-Mail geschickt" in html
    job = Job.objects.for_tenant(erlaubt).get(kind=emailkonten.JOB_KIND)
    eintrag = PortalMail.objects.for_tenant(erlaubt).get()
    assert job.params == {"mail": str(eintrag.pk)}  # no address in the job list or audit
    assert runner.execute(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == Job.Status.FAILED
    assert "Die E-Mail konnte nicht gesendet werden" in job.error
    assert "Verbindung abgelehnt" in job.error
    eintrag.refresh_from_db()
    assert eintrag.gesendet_am is None and eintrag.adresse == "erika@example.org"
    # visible to the administration on „Aufträge“, and retried from there
    admin = signed_in(admin_user)
    seite = admin.get(f"/auftraege/{job.pk}/").content.decode()
    assert "Die E-Mail konnte nicht gesendet werden" in seite
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"  # type: ignore[attr-defined]
    assert admin.post(f"/auftraege/{job.pk}/wiederholen/").status_code == 302
    assert runner.execute(job.pk) == "done"
    [message] = mail.outbox
    assert message.to == ["erika@example.org"] and "/email/bestaetigen/" in str(message.body)
    eintrag.refresh_from_db()
    assert eintrag.gesendet_am is not None and eintrag.adresse == ""  # not kept once sent
    # a job run again sends nothing twice
    Job.objects.for_tenant(erlaubt).filter(pk=job.pk).update(status=Job.Status.WAITING)
    assert runner.execute(job.pk) == "done"
    assert len(mail.outbox) == 1
