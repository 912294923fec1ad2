"""The Aktenauszug's page says the build's real state (wartet, läuft, erledigt,
fehlgeschlagen) instead of a green "Erledigt" while the job still waits, and it dates
each document as the Akte does: by its date of receipt, or, for a document filed
without one, explicitly by the day it was uploaded."""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import pytest
from django.test import Client

from koffer.accounts.models import User
from koffer.jobs.models import Job
from koffer.records.models import Akte, Aktenauszug, Dokument
from tests.conftest import signed_in, test_today
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import stored, text_pdf

PURPOSE = "Aktenauszug für das Sozialgericht"


@pytest.fixture(autouse=True)
def _no_ghostscript(settings: Any) -> None:
    settings.KOFFER_GHOSTSCRIPT = ""


def _alert_title(html: str) -> str:
    found = re.search(
        r'<div class="kern-alert[^"]*"[^>]*>\s*<div class="kern-alert__header">'
        r'.*?<span class="kern-title">([^<]+)</span>',
        html,
        re.S,
    )
    assert found, "keine Meldung auf der Seite"
    return found.group(1)


def _order(client: Client, akte: Akte) -> Aktenauszug:
    response = client.post(
        f"/akten/{akte.pk}/auszuege/neu/", {"purpose": PURPOSE, "ganze_akte": "1"}
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    return Aktenauszug.objects.for_tenant(akte.tenant_id).get()


def test_the_alert_follows_the_build(
    akte: Akte,
    team_caseworker: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    stored(akte, team_caseworker, "antrag.pdf", text_pdf(1))
    client = signed_in(team_caseworker)
    auszug = _order(client, akte)  # the job is queued, nobody runs it
    page = client.get(f"/auszuege/{auszug.pk}/", follow=True).content.decode()
    assert _alert_title(page) == "Wartet" and "Erledigt" not in page

    job = auszug.job
    assert job is not None and job.status == Job.Status.WAITING
    Job.objects.for_tenant(akte.tenant_id).filter(pk=job.pk).update(status=Job.Status.RUNNING)
    live = client.get(f"/auszuege/{auszug.pk}/stand/").content.decode()
    assert _alert_title(live) == "Läuft"

    Aktenauszug.objects.for_tenant(akte.tenant_id).filter(pk=auszug.pk).update(
        status=Aktenauszug.Status.FAILED, error="Der Dienst ist abgestürzt."
    )
    live = client.get(f"/auszuege/{auszug.pk}/stand/").content.decode()
    assert _alert_title(live) == "Fehlgeschlagen" and "Der Dienst ist abgestürzt." in live

    # Done (with its PDF): test_the_extract_dates_documents_as_the_akte_does.


def test_the_extract_dates_documents_as_the_akte_does(
    akte: Akte,
    team_caseworker: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> None:
    client = signed_in(team_caseworker)
    new = stored(akte, team_caseworker, "neu.pdf", text_pdf(1, marker="neu"))
    old = stored(akte, team_caseworker, "alt.pdf", text_pdf(1, marker="alt"))
    # A row from before uploads took the upload day as their date of receipt.
    Dokument.objects.for_tenant(akte.tenant_id).filter(pk=old.pk).update(received_on=None)
    today = f"{test_today():%d.%m.%Y}"
    akte_page = client.get(f"/akten/{akte.pk}/").content.decode()
    assert today in akte_page  # the new document's date of receipt

    selection = client.get(f"/akten/{akte.pk}/auszuege/neu/").content.decode()
    assert f"{today} · {new.title}" in selection
    assert f"hochgeladen am {today} · {old.title}" in selection

    with django_capture_on_commit_callbacks(execute=True):
        auszug = _order(client, akte)
    auszug.refresh_from_db()
    assert auszug.status == Aktenauszug.Status.DONE, auszug.error
    dates = {entry["title"]: entry["date"] for entry in auszug.contents}
    assert dates == {new.title: today, old.title: f"hochgeladen am {today}"}
    detail = client.get(f"/auszuege/{auszug.pk}/").content.decode()
    assert f"hochgeladen am {today}" in detail
    assert _alert_title(detail) == "Erledigt"
