"""/api/v1/jobs: list with cursor, one job, retry; problem+json errors; tenant isolation."""

from __future__ import annotations

from django.test import Client

from koffer.accounts.models import User
from koffer.jobs import services
from koffer.jobs.models import Job
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.jobs.conftest import FLAKY, Flaky


def test_list_is_cursor_paginated(
    admin_client: Client, admin_user: User, tenant: Mandant, flaky: Flaky
) -> None:
    ids = [
        str(services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title=f"J{i}").pk)
        for i in range(5)
    ]
    first = admin_client.get("/api/v1/jobs?limit=2").json()
    assert [j["id"] for j in first["items"]] == ids[:2] and first["next_cursor"]
    seen = [j["id"] for j in first["items"]]
    cursor = first["next_cursor"]
    while cursor:
        page = admin_client.get(f"/api/v1/jobs?limit=2&cursor={cursor}").json()
        seen += [j["id"] for j in page["items"]]
        cursor = page["next_cursor"]
    assert seen == ids
    item = first["items"][0]
    assert item["status"] == "waiting" and item["status_label"] == "wartend"
    assert item["kind_label"] == "Testauftrag"


def test_list_filters_by_status_and_rejects_bad_input(
    admin_client: Client, admin_user: User, tenant: Mandant, flaky: Flaky
) -> None:
    job = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="x")
    assert admin_client.get("/api/v1/jobs?status=failed").json()["items"] == []
    assert admin_client.get("/api/v1/jobs?status=waiting").json()["items"][0]["id"] == str(job.pk)
    for bad in ("status=kaputt", "limit=0", "cursor=%%%"):
        response = admin_client.get(f"/api/v1/jobs?{bad}")
        assert response.status_code in (400, 422), bad
        assert response["Content-Type"] == "application/problem+json"


def test_get_and_retry(
    admin_client: Client,
    admin_user: User,
    tenant: Mandant,
    flaky: Flaky,
    django_capture_on_commit_callbacks,
) -> None:
    flaky.fail_at = "b"
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="x")
    body = admin_client.get(f"/api/v1/jobs/{job.pk}").json()
    assert body["status"] == "failed" and "unerwarteter Fehler" in body["error"]
    assert body["progress_done"] == 1 and body["progress_total"] == 3

    flaky.fail_at = None
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(f"/api/v1/jobs/{job.pk}/retry")
    assert response.status_code == 202
    assert response.json()["status"] in ("waiting", "done")
    assert Job.objects.for_tenant(tenant).get(pk=job.pk).status == Job.Status.DONE
    assert flaky.calls == {"a": 1, "b": 2, "c": 1}

    again = admin_client.post(f"/api/v1/jobs/{job.pk}/retry")
    assert again.status_code == 409 and again.json()["code"] == "not_failed"
    assert again["Content-Type"] == "application/problem+json"


def test_another_mandants_job_is_404_problem(
    admin_user: User, tenant: Mandant, other_tenant: Mandant, flaky: Flaky
) -> None:
    job = services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="geheim")
    stranger = signed_in(factories.user(other_tenant, role="mandant_admin"))
    for response in (
        stranger.get(f"/api/v1/jobs/{job.pk}"),
        stranger.post(f"/api/v1/jobs/{job.pk}/retry"),
    ):
        assert response.status_code == 404
        assert response.json()["code"] == "not_found"
    assert stranger.get("/api/v1/jobs").json()["items"] == []


def test_token_without_jobs_run_sees_only_own_jobs_and_cannot_retry(
    admin_user: User, tenant: Mandant, flaky: Flaky, django_capture_on_commit_callbacks
) -> None:
    # records.edit starts Aktenauszüge, so such a token has jobs of its own to follow.
    token, secret = factories.api_token(tenant, ["records.edit"], name="t")
    flaky.fail_at = "a"
    with django_capture_on_commit_callbacks(execute=True):
        own = services.start_job(actor=token.user, tenant=tenant, kind=FLAKY, title="eigen")
    services.start_job(actor=admin_user, tenant=tenant, kind=FLAKY, title="fremd")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert [j["id"] for j in client.get("/api/v1/jobs").json()["items"]] == [str(own.pk)]
    response = client.post(f"/api/v1/jobs/{own.pk}/retry")
    assert response.status_code == 403 and response.json()["code"] == "forbidden"


def test_malformed_id_is_not_a_500(admin_client: Client) -> None:
    response = admin_client.get("/api/v1/jobs/keine-uuid")
    assert response.status_code in (404, 422)
    assert response["Content-Type"] == "application/problem+json"
