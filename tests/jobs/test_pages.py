"""The Aufträge pages: start, live progress, retry, tenant isolation."""

from __future__ import annotations

from django.test import Client

from koffer.accounts.models import User
from koffer.jobs import kinds, services
from koffer.jobs.models import Job
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.jobs.conftest import FLAKY, Flaky


def test_list_offers_the_two_checks(admin_client: Client) -> None:
    body = admin_client.get("/auftraege/").content.decode()
    assert "Audit-Kette prüfen" in body and "Dokumentenspeicher prüfen" in body
    assert "Noch keine Aufträge" in body


def test_nav_entry_for_job_runners_only(admin_client: Client, caseworker: User) -> None:
    assert 'href="/auftraege/"' in admin_client.get("/").content.decode()
    assert 'href="/auftraege/"' not in signed_in(caseworker).get("/").content.decode()
    assert signed_in(caseworker).get("/auftraege/").status_code == 403


def test_start_audit_check_from_the_page(
    admin_client: Client, tenant: Mandant, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post("/auftraege/starten/", {"kind": kinds.AUDIT_CHAIN})
    assert response.status_code == 302
    job = Job.objects.for_tenant(tenant).get()
    assert response["Location"] == f"/auftraege/{job.pk}/"
    body = admin_client.get(response["Location"]).content.decode()
    assert "Audit-Kette in Ordnung" in body and "fertig" in body
    assert 'hx-trigger="every 1s"' not in body  # finished: no polling
    assert "<progress" in body and 'value="100"' in body


def test_start_unknown_kind_is_400_in_german(admin_client: Client) -> None:
    response = admin_client.post("/auftraege/starten/", {"kind": "gibts.nicht"})
    assert response.status_code == 400
    assert "Diese Auftragsart gibt es nicht" in response.content.decode()


def test_running_job_polls_and_finished_job_answers_286(
    admin_client: Client, admin_user: User, tenant: Mandant
) -> None:
    job = services.start_job(
        actor=admin_user, tenant=tenant, kind=kinds.AUDIT_CHAIN, title="Prüfung"
    )  # not committed in this test, so no worker has taken it yet
    Job.objects.for_tenant(tenant).filter(pk=job.pk).update(
        status=Job.Status.RUNNING, progress_done=4, progress_total=10
    )
    page = admin_client.get(f"/auftraege/{job.pk}/").content.decode()
    assert f'hx-get="/auftraege/{job.pk}/fortschritt/"' in page
    assert 'hx-trigger="every 1s"' in page
    partial = admin_client.get(f"/auftraege/{job.pk}/fortschritt/")
    assert partial.status_code == 200
    text = partial.content.decode()
    assert "4 von 10" in text and 'value="40"' in text and "<html" not in text

    Job.objects.for_tenant(tenant).filter(pk=job.pk).update(
        status=Job.Status.DONE, progress_done=10, message="Audit-Kette in Ordnung"
    )
    partial = admin_client.get(f"/auftraege/{job.pk}/fortschritt/")
    assert partial.status_code == 286
    assert "Audit-Kette in Ordnung" in partial.content.decode()


def test_failed_job_shows_error_and_retries(
    admin_client: Client,
    admin_user: User,
    tenant: Mandant,
    flaky: Flaky,
    django_capture_on_commit_callbacks,
) -> None:
    flaky.fail_at = "c"
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="Import")
    body = admin_client.get(f"/auftraege/{job.pk}/").content.decode()
    assert "unerwarteter Fehler" in body and "Auftrag wiederholen" in body
    assert "explodiert" not in body
    start = admin_client.get("/").content.decode()
    assert "Auftrag: Import" in start and "fehlgeschlagen" in start

    flaky.fail_at = None
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/auftraege/{job.pk}/wiederholen/")
    assert response.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.DONE and flaky.calls == {"a": 1, "b": 1, "c": 2}
    assert "Auftrag: Import" not in admin_client.get("/").content.decode()
    # Retrying a finished job again is refused with a message, not an error page.
    response = admin_client.post(f"/auftraege/{job.pk}/wiederholen/", follow=True)
    assert "Nur fehlgeschlagene Aufträge" in response.content.decode()


def test_running_job_appears_on_the_start_page(
    admin_client: Client, admin_user: User, tenant: Mandant
) -> None:
    job = services.start_job(actor=admin_user, tenant=tenant, kind=kinds.AUDIT_CHAIN, title="Lauf")
    Job.objects.for_tenant(tenant).filter(pk=job.pk).update(
        status=Job.Status.RUNNING, progress_done=1, progress_total=4
    )
    body = admin_client.get("/").content.decode()
    assert "Auftrag: Lauf" in body and "läuft, 25 %" in body


def test_another_mandants_job_is_404(
    admin_user: User, tenant: Mandant, other_tenant: Mandant, flaky: Flaky
) -> None:
    job = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="geheim")
    stranger = signed_in(factories.user(other_tenant, role="mandant_admin"))
    for url in (
        f"/auftraege/{job.pk}/",
        f"/auftraege/{job.pk}/fortschritt/",
    ):
        assert stranger.get(url).status_code == 404
    assert stranger.post(f"/auftraege/{job.pk}/wiederholen/").status_code == 404
    assert "geheim" not in stranger.get("/auftraege/").content.decode()


def test_members_without_jobs_run_see_only_their_own_jobs(
    tenant: Mandant, admin_user: User, caseworker: User, flaky: Flaky
) -> None:
    own = services.start_job(actor=caseworker, tenant=tenant, kind=FLAKY, title="meins")
    foreign = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="fremd")
    client = signed_in(caseworker)
    assert client.get(f"/auftraege/{own.pk}/").status_code == 200
    assert client.get(f"/auftraege/{foreign.pk}/").status_code == 404


def test_anonymous_is_sent_to_login(db: None) -> None:
    response = Client().get("/auftraege/00000000-0000-0000-0000-000000000000/")
    assert response.status_code == 302 and "/anmelden/" in response["Location"]
