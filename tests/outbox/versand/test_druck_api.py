"""The provider's API: list, fetch (twice: the same bytes), confirm, report statuses —
idempotent, out of order without going backwards, unknown or foreign letters 404, a
batch taken over 409; the Bekanntgabe and the objection deadline from the posting date,
returned mail with a Wiedervorlage; every write audited with the provider as actor."""

from __future__ import annotations

import io
import json
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.outbox.models import Brief, BriefEreignis, Versandstapel, Vorlage
from koffer.outbox.versand import selectors, tasks
from koffer.records import deadlines
from koffer.records.models import Akte, Frist, Wiedervorlage
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.factories import records as record_factories
from tests.inbox.openapi import conforms
from tests.outbox.factories import released_letter
from tests.outbox.versand.conftest import Provider
from tests.outbox.versand.test_stapel import at

pytestmark = pytest.mark.django_db

LIST = "/api/v1/postausgang/druck/stapel"
ZIP = "/api/v1/postausgang/druck/stapel/{versandstapel_id}/zip"
CONFIRM = "/api/v1/postausgang/druck/stapel/{versandstapel_id}/bestaetigung"
REPORT = "/api/v1/postausgang/druck/briefe/{brief_id}/status"
STATUS = "/api/v1/postausgang/briefe/{brief_id}/status"


def _report(client: Client, brief: Brief, **body: Any) -> Any:
    return client.post(
        REPORT.replace("{brief_id}", str(brief.pk)), body, content_type="application/json"
    )


def _batch(tenant: Mandant, akte: Akte, caseworker: User, **kw: Any) -> tuple[Brief, Versandstapel]:
    brief = released_letter(tenant, akte, actor=caseworker, freigegeben_at=at(9), **kw)
    [stapel] = tasks.runde(now=at(10))
    return brief, Versandstapel.objects.for_tenant(tenant).get(pk=stapel.pk)


def test_the_provider_lists_fetches_twice_and_confirms(
    tenant: Mandant, akte: Akte, team_caseworker: User, provider: Provider
) -> None:
    brief, stapel = _batch(tenant, akte, team_caseworker)
    client = provider.client
    listed = conforms(client.get(LIST), LIST, "get")
    assert [s["id"] for s in listed["items"]] == [str(stapel.pk)]
    assert listed["items"][0]["status"] == "bereit"

    url = ZIP.replace("{versandstapel_id}", str(stapel.pk))
    first, second = client.get(url), client.get(url)
    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "application/zip"
    data = b"".join(first.streaming_content)  # type: ignore[arg-type]
    assert data == b"".join(second.streaming_content)  # type: ignore[arg-type]
    assert zipfile.ZipFile(io.BytesIO(data)).namelist()[-1] == "manifest.json"
    brief.refresh_from_db()
    assert brief.status == "abgeholt"
    assert (
        BriefEreignis.objects.for_tenant(tenant).filter(brief=brief, status="abgeholt").count() == 1
    )

    confirm = CONFIRM.replace("{versandstapel_id}", str(stapel.pk))
    done = conforms(client.post(confirm), CONFIRM, "post")
    again = conforms(client.post(confirm), CONFIRM, "post")
    assert done == again and done["status"] == "bestaetigt"
    assert conforms(client.get(LIST), LIST, "get")["items"] == []
    actors = set(
        AuditEvent.objects.filter(
            tenant_id=tenant.pk,
            action__in=["outbox.versandstapel.fetch", "outbox.versandstapel.confirm"],
        ).values_list("actor_id", flat=True)
    )
    assert actors == {provider.user.pk}


def test_reports_are_idempotent_and_never_go_back(
    tenant: Mandant, akte: Akte, team_caseworker: User, provider: Provider
) -> None:
    brief, _ = _batch(tenant, akte, team_caseworker)
    client = provider.client
    posted = timezone.localdate()
    body = conforms(
        _report(client, brief, ereignis_id="e-3", status="versendet", versanddatum=str(posted)),
        REPORT,
        "post",
    )
    assert body["status"] == "versendet"
    # Late and out of order: recorded, the letter stays „versendet“.
    late = conforms(_report(client, brief, ereignis_id="e-1", status="empfangen"), REPORT, "post")
    assert late["status"] == "versendet"
    # The same report twice: the same answer, one event.
    twice = _report(client, brief, ereignis_id="e-3", status="versendet", versanddatum=str(posted))
    assert twice.status_code == 200 and json.loads(twice.content) == body
    assert (
        BriefEreignis.objects.for_tenant(tenant).filter(brief=brief, key="druck:e-3").count() == 1
    )
    # Another report under the same id: refused.
    clash = _report(client, brief, ereignis_id="e-3", status="gedruckt")
    assert conforms(clash, REPORT, "post")["code"] == "ereignis_conflict"
    assert clash.status_code == 409
    # The batch counts as confirmed by the first report.
    assert Versandstapel.objects.for_tenant(tenant).get().status == "bestaetigt"
    assert (
        AuditEvent.objects.filter(tenant_id=tenant.pk, action="outbox.brief.report")
        .exclude(actor_id=provider.user.pk)
        .count()
        == 0
    )


@pytest.mark.parametrize(
    ("body", "code"),
    [
        ({"ereignis_id": "x", "status": "versendet"}, "versanddatum_missing"),
        ({"ereignis_id": "x", "status": "unzustellbar"}, "grund_missing"),
        ({"ereignis_id": "", "status": "gedruckt"}, "ereignis_id"),
        ({"ereignis_id": "x", "status": "gedruckt", "grund": "g" * 501}, "grund_long"),
    ],
)
def test_bad_reports_are_422_with_a_reason(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    provider: Provider,
    body: dict[str, str],
    code: str,
) -> None:
    brief, _ = _batch(tenant, akte, team_caseworker)
    response = _report(provider.client, brief, **body)
    assert response.status_code == 422
    assert conforms(response, REPORT, "post")["code"] == code


def test_a_posting_date_in_the_future_or_an_unknown_status_is_refused(
    tenant: Mandant, akte: Akte, team_caseworker: User, provider: Provider
) -> None:
    brief, _ = _batch(tenant, akte, team_caseworker)
    tomorrow = timezone.localdate() + timedelta(days=1)
    future = _report(
        provider.client, brief, ereignis_id="f", status="versendet", versanddatum=str(tomorrow)
    )
    assert future.status_code == 422
    assert json.loads(future.content)["code"] == "versanddatum_invalid"
    assert _report(provider.client, brief, ereignis_id="g", status="verworfen").status_code == 422
    brief.refresh_from_db()
    assert brief.status == "im_stapel"


def test_unknown_and_foreign_letters_are_404(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    provider: Provider,
    second_provider: Provider,
) -> None:
    brief, stapel = _batch(tenant, akte, team_caseworker)
    unbatched = released_letter(tenant, akte, actor=team_caseworker)
    for who, target in [(provider, unbatched), (second_provider, brief)]:
        response = _report(who.client, target, ereignis_id="a", status="gedruckt")
        assert response.status_code == 404
        assert response["Content-Type"].startswith("application/problem+json")
    missing = _report(
        provider.client,
        Brief(pk="0190c0de-0000-7000-8000-000000000000"),
        ereignis_id="a",
        status="gedruckt",
    )  # type: ignore[misc]
    assert missing.status_code == 404
    foreign_zip = second_provider.client.get(ZIP.replace("{versandstapel_id}", str(stapel.pk)))
    assert foreign_zip.status_code == 404


def test_without_a_provider_account_the_api_is_forbidden(
    tenant: Mandant, akte: Akte, team_caseworker: User
) -> None:
    response = signed_in(team_caseworker).get(LIST)
    assert response.status_code == 403


def test_a_batch_never_confirmed_is_taken_over_and_refused_to_the_first(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    provider: Provider,
    second_provider: Provider,
) -> None:
    brief, stapel = _batch(tenant, akte, team_caseworker)
    assert provider.client.get(ZIP.replace("{versandstapel_id}", str(stapel.pk))).status_code == 200
    # The provider never answers: an hour later the next one takes over.
    assert tasks.runde(now=at(10, 30)) == []
    [new] = tasks.runde(now=at(11, 5))
    new.refresh_from_db()
    assert new.druckdienst == second_provider.dienst and new.vorgaenger_id == stapel.pk
    assert new.status == "bereit"
    stapel.refresh_from_db()
    assert stapel.status == "uebernommen"

    for response in [
        provider.client.get(ZIP.replace("{versandstapel_id}", str(stapel.pk))),
        provider.client.post(CONFIRM.replace("{versandstapel_id}", str(stapel.pk))),
        _report(provider.client, brief, ereignis_id="late", status="gedruckt"),
    ]:
        assert response.status_code == 409
        body = json.loads(response.content)
        assert body["code"] == "uebernommen" and "keinen Brief daraus drucken" in body["detail"]
    assert conforms(provider.client.get(LIST), LIST, "get")["items"] == []
    assert [s["id"] for s in conforms(second_provider.client.get(LIST), LIST, "get")["items"]] == [
        str(new.pk)
    ]
    # No third provider: the second one's batch, left unconfirmed, stays with it and is
    # an alarm on the mail room's page, until its provider answers.
    assert tasks.runde(now=at(12, 10)) == []
    assert [s.pk for s in selectors.overdue_batches(tenant, at(12, 10))] == [new.pk]
    ok = _report(second_provider.client, brief, ereignis_id="b-1", status="gedruckt")
    assert ok.status_code == 200
    assert selectors.overdue_batches(tenant, at(12, 10)) == []


def test_posting_sets_the_bekanntgabe_and_a_bescheids_objection_deadline(
    tenant: Mandant, akte: Akte, team_caseworker: User, provider: Provider
) -> None:
    vorgang = record_factories.vorgang(akte, actor=team_caseworker)
    brief, _ = _batch(tenant, akte, team_caseworker, art=Vorlage.Art.BESCHEID, vorgang=vorgang)
    today = timezone.localdate()
    first_day = today
    body = conforms(
        _report(
            provider.client,
            brief,
            ereignis_id="v1",
            status="versendet",
            versanddatum=str(first_day),
        ),
        REPORT,
        "post",
    )
    expected = deadlines.next_workday(first_day + timedelta(days=4))
    assert body["bekanntgabe_am"] == str(expected)
    [frist] = Frist.objects.for_tenant(tenant).filter(vorgang=vorgang, label="Widerspruchsfrist")
    assert frist.base_date == expected
    assert frist.due_date == deadlines.due_date(
        expected, notification_days=0, months=1, days=0, shift=True
    )


def test_a_correction_of_the_posting_date_moves_bekanntgabe_and_deadline(
    tenant: Mandant, akte: Akte, team_caseworker: User, provider: Provider
) -> None:
    vorgang = record_factories.vorgang(akte, actor=team_caseworker)
    brief = released_letter(
        tenant,
        akte,
        actor=team_caseworker,
        art=Vorlage.Art.BESCHEID,
        vorgang=vorgang,
        freigegeben_at=at(9, days=-3),
    )
    assert len(tasks.runde(now=at(10, days=-3))) == 1
    three_days_ago = timezone.localdate() - timedelta(days=3)
    _report(
        provider.client,
        brief,
        ereignis_id="v1",
        status="versendet",
        versanddatum=str(three_days_ago),
    )
    corrected = three_days_ago + timedelta(days=1)
    body = conforms(
        _report(
            provider.client,
            brief,
            ereignis_id="v2",
            status="versendet",
            versanddatum=str(corrected),
        ),
        REPORT,
        "post",
    )
    new_day = deadlines.next_workday(corrected + timedelta(days=4))
    assert body["versendet_am"] == str(corrected) and body["bekanntgabe_am"] == str(new_day)
    fristen = Frist.objects.for_tenant(tenant).filter(vorgang=vorgang, label="Widerspruchsfrist")
    open_ = [f for f in fristen if f.done_at is None]
    assert len(open_) == 1 and open_[0].base_date == new_day
    assert len(fristen) == 2  # the old one closed with a note, never silently rewritten


def test_a_letter_not_a_bescheid_gets_a_bekanntgabe_but_no_deadline(
    tenant: Mandant, akte: Akte, team_caseworker: User, provider: Provider
) -> None:
    vorgang = record_factories.vorgang(akte, actor=team_caseworker)
    brief, _ = _batch(tenant, akte, team_caseworker, vorgang=vorgang)
    body = json.loads(
        _report(
            provider.client,
            brief,
            ereignis_id="v",
            status="versendet",
            versanddatum=str(timezone.localdate()),
        ).content
    )
    assert body["bekanntgabe_am"]
    assert not Frist.objects.for_tenant(tenant).filter(label="Widerspruchsfrist").exists()


def test_returned_mail_keeps_the_reason_and_puts_the_akte_on_the_caseworkers_desk(
    tenant: Mandant, akte: Akte, team_caseworker: User, provider: Provider
) -> None:
    brief, _ = _batch(tenant, akte, team_caseworker)
    _report(
        provider.client,
        brief,
        ereignis_id="v",
        status="versendet",
        versanddatum=str(timezone.localdate()),
    )
    body = conforms(
        _report(
            provider.client,
            brief,
            ereignis_id="u",
            status="unzustellbar",
            grund="Empfänger unbekannt verzogen",
        ),
        REPORT,
        "post",
    )
    assert body["status"] == "unzustellbar"
    assert body["unzustellbar_grund"] == "Empfänger unbekannt verzogen"
    [wv] = Wiedervorlage.objects.for_tenant(tenant).filter(akte=akte)
    assert wv.assignee == team_caseworker and "unzustellbar" in wv.note
    # A late „gedruckt“ does not take it back; a second return makes no second Wiedervorlage.
    _report(provider.client, brief, ereignis_id="g", status="gedruckt")
    _report(
        provider.client, brief, ereignis_id="u2", status="unzustellbar", grund="Annahme verweigert"
    )
    brief.refresh_from_db()
    assert brief.status == "unzustellbar"
    assert Wiedervorlage.objects.for_tenant(tenant).filter(akte=akte).count() == 1


def test_the_caseworker_reads_the_status_and_timeline_others_get_404(
    tenant: Mandant,
    akte: Akte,
    team_caseworker: User,
    provider: Provider,
    other_team: Any,
) -> None:
    brief, _ = _batch(tenant, akte, team_caseworker)
    _report(provider.client, brief, ereignis_id="e", status="empfangen")
    url = STATUS.replace("{brief_id}", str(brief.pk))
    body = conforms(signed_in(team_caseworker).get(url), STATUS, "get")
    assert [e["status"] for e in body["ereignisse"]] == ["im_stapel", "abgeholt", "empfangen"]
    assert body["versandstapel"]
    from tests import factories

    stranger = factories.user(tenant, role="sachbearbeitung", unit_=other_team)
    assert signed_in(stranger).get(url).status_code == 404
    assert provider.client.get(url).status_code == 404
