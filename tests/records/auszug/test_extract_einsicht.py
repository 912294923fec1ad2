"""Akteneinsicht: the read-only link with PIN for a court. Right, wrong and locked PIN,
expired and revoked links, unknown tokens, no personal data before the PIN, and an audit
event with the link's id for every access."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.records.auszug import einsicht
from koffer.records.auszug import services as extract
from koffer.records.dokumente import services as documents
from koffer.records.errors import RecordsError
from koffer.records.models import Akte, Aktenauszug, Akteneinsicht
from tests.conftest import signed_in
from tests.records.dokumente.test_documents_fixtures import *  # noqa: F403 - the fixtures
from tests.records.dokumente.test_documents_fixtures import png_bytes, stored, text_pdf

# Data built from today's date: make test-dates runs these on several days.
pytestmark = pytest.mark.calendar

RECIPIENT = "Sozialgericht Musterstadt, 12. Kammer"
PURPOSE = "Aktenauszug für das Sozialgericht Musterstadt, Az. S 12 SB 345/26"


@pytest.fixture
def auszug(
    akte: Akte,
    team_caseworker: User,
    django_capture_on_commit_callbacks: Callable[..., Any],
) -> Aktenauszug:
    stored(
        akte,
        team_caseworker,
        "antrag.pdf",
        text_pdf(2, marker="Antrag"),
        meta=documents.DocumentMeta(title="Antrag", received_on=date(2026, 1, 5)),
    )
    stored(akte, team_caseworker, "scan.png", png_bytes())
    with django_capture_on_commit_callbacks(execute=True):
        ordered = extract.create_auszug(
            actor=team_caseworker,
            akte=akte,
            auswahl=extract.Auswahl(ganze_akte=True),
            purpose=PURPOSE,
        )
    ordered.refresh_from_db()
    assert ordered.status == Aktenauszug.Status.DONE
    return ordered


@pytest.fixture
def link(auszug: Aktenauszug, team_caseworker: User) -> tuple[Akteneinsicht, str, str]:
    return einsicht.create_einsicht(actor=team_caseworker, auszug=auszug, recipient=RECIPIENT)


def _url(token: str, tail: str = "") -> str:
    return f"/einsicht/{token}/{tail}"


def _events(link: Akteneinsicht, action: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(tenant_id=link.tenant_id, action=action).order_by("seq"))


def test_link_is_stored_hashed_with_default_expiry(
    link: tuple[Akteneinsicht, str, str], team_caseworker: User
) -> None:
    record, token, pin = link
    assert token.startswith("ein_") and len(token) > 40
    assert len(pin) == 6 and pin.isdigit()
    assert record.token_digest == hashlib.sha256(token.encode()).hexdigest()
    assert pin not in record.pin_hash and token not in record.pin_hash
    days = (record.expires_at - timezone.now()).total_seconds() / 86400
    assert 13.9 < days <= 14
    created = _events(record, "records.einsicht.create")
    assert len(created) == 1 and created[0].actor_id == team_caseworker.pk
    assert pin not in str(created[0].changes) and token not in str(created[0].changes)


def test_validity_and_readiness_are_checked(auszug: Aktenauszug, team_caseworker: User) -> None:
    with pytest.raises(RecordsError) as too_long:
        einsicht.create_einsicht(
            actor=team_caseworker, auszug=auszug, recipient=RECIPIENT, valid_days=91
        )
    assert too_long.value.code == "validity"
    with pytest.raises(RecordsError) as nobody:
        einsicht.create_einsicht(actor=team_caseworker, auszug=auszug, recipient=" ")
    assert nobody.value.code == "recipient_required"
    record, _, _ = einsicht.create_einsicht(
        actor=team_caseworker, auszug=auszug, recipient=RECIPIENT, valid_days=90
    )
    assert (record.expires_at - timezone.now()).days == 89
    Aktenauszug.objects.for_tenant(auszug.tenant_id).filter(pk=auszug.pk).update(
        status=Aktenauszug.Status.BUILDING
    )
    auszug.refresh_from_db()
    with pytest.raises(RecordsError) as building:
        einsicht.create_einsicht(actor=team_caseworker, auszug=auszug, recipient=RECIPIENT)
    assert building.value.code == "not_ready"


def test_pin_page_shows_no_personal_data(
    link: tuple[Akteneinsicht, str, str], akte: Akte, tenant
) -> None:  # type: ignore[no-untyped-def]
    _, token, _ = link
    response = Client().get(_url(token))
    body = response.content.decode()
    assert response.status_code == 200
    assert "PIN" in body and tenant.name in body
    for secret in (akte.aktenzeichen, akte.title, "Beispiel", PURPOSE, RECIPIENT, "Antrag"):
        assert secret not in body, secret
    assert response["Cache-Control"] == "private, no-store"
    assert response["Referrer-Policy"] == "same-origin"
    # Download and page view need the PIN first.
    assert Client().get(_url(token, "pdf/")).status_code == 302
    assert Client().get(_url(token, "seiten/1/")).status_code == 302


def test_right_pin_gives_access_and_every_access_is_audited(
    link: tuple[Akteneinsicht, str, str], akte: Akte, auszug: Aktenauszug
) -> None:
    record, token, pin = link
    client = Client()
    answer = client.post(_url(token), {"pin": pin})
    assert answer.status_code == 302 and answer["Location"] == _url(token)
    page = client.get(_url(token))
    body = page.content.decode()
    assert page.status_code == 200
    assert akte.aktenzeichen in body and PURPOSE in body and "Beispiel, Anna" in body
    assert "PDF herunterladen" in body and "Bl. 1–2" in body

    download = client.get(_url(token, "pdf/"))
    assert download.status_code == 200 and download["Content-Type"] == "application/pdf"
    assert b"".join(download.streaming_content).startswith(b"%PDF")  # type: ignore[attr-defined]
    view = client.get(_url(token, "ansicht/") + "?seite=3")
    assert view.status_code == 200 and "Bl. 1" in view.content.decode()
    client.get(_url(token, "ansicht/") + "?seite=4")  # the page view is audited once
    image = client.get(_url(token, "seiten/3/"))
    assert image.status_code == 200 and image["Content-Type"].startswith("image/")
    assert client.get(_url(token, "seiten/99/")).status_code == 404

    record.refresh_from_db()
    assert record.access_count == 2 and record.last_access_at is not None
    ok = _events(record, "records.einsicht.pin_ok")
    assert len(ok) == 1 and ok[0].object_id == str(record.pk)
    reads = [e for e in _events(record, "read") if e.object_id == str(auszug.pk)]
    assert [e.reason for e in reads] == [
        "Akteneinsicht: Aktenauszug heruntergeladen",
        "Akteneinsicht: Seitenansicht geöffnet",
    ]
    for event in [*ok, *reads]:
        assert event.actor_id is None
        assert event.actor_label == f"Akteneinsicht {RECIPIENT}"
    assert all(e.changes["einsicht"] == str(record.pk) for e in reads)
    assert reads[0].subject_type == "records.person"


def test_wrong_pins_lock_the_link(link: tuple[Akteneinsicht, str, str]) -> None:
    record, token, pin = link
    wrong = "000000" if pin != "000000" else "111111"
    client = Client()
    malformed = client.post(_url(token), {"pin": "12ab"})
    assert malformed.status_code == 400 and "6 Ziffern" in malformed.content.decode()
    for remaining in (4, 3, 2, 1):
        response = client.post(_url(token), {"pin": wrong})
        assert response.status_code == 400
        text = response.content.decode()
        assert "Die PIN ist falsch" in text and f"Noch {remaining} Versuch" in text
    locked = client.post(_url(token), {"pin": wrong})
    assert locked.status_code == 403 and "gesperrt" in locked.content.decode()
    # Locked for good, also for the right PIN and in other browsers.
    assert client.post(_url(token), {"pin": pin}).status_code == 403
    assert Client().get(_url(token)).status_code == 403
    record.refresh_from_db()
    assert record.locked_at is not None and record.failed_pins == 5
    failed = _events(record, "records.einsicht.pin_failed")
    assert len(failed) == 5 and failed[-1].changes["locked"] is True
    assert all(e.object_id == str(record.pk) and e.actor_id is None for e in failed)
    assert not _events(record, "records.einsicht.pin_ok")


def test_expired_link_is_410(link: tuple[Akteneinsicht, str, str]) -> None:
    record, token, pin = link
    Akteneinsicht.objects.for_tenant(record.tenant_id).filter(pk=record.pk).update(
        expires_at=timezone.now() - timedelta(minutes=1)
    )
    response = Client().get(_url(token))
    assert response.status_code == 410 and "abgelaufen" in response.content.decode()
    assert Client().post(_url(token), {"pin": pin}).status_code == 410
    assert not _events(record, "records.einsicht.pin_ok")


def test_revoked_link_is_410_even_for_a_granted_session(
    link: tuple[Akteneinsicht, str, str], team_caseworker: User, akte: Akte
) -> None:
    record, token, pin = link
    visitor = Client()
    assert visitor.post(_url(token), {"pin": pin}).status_code == 302
    caseworker = signed_in(team_caseworker)
    akte_page = caseworker.get(f"/akten/{akte.pk}/").content.decode()
    assert RECIPIENT in akte_page and "Widerrufen" in akte_page
    response = caseworker.post(f"/akteneinsichten/{record.pk}/widerrufen/", {"zurueck": "akte"})
    assert response.status_code == 302 and response["Location"] == f"/akten/{akte.pk}/"
    gone = visitor.get(_url(token, "pdf/"))
    assert gone.status_code == 410 and "widerrufen" in gone.content.decode()
    assert visitor.get(_url(token)).status_code == 410
    record.refresh_from_db()
    assert record.revoked_by_id == team_caseworker.pk
    assert len(_events(record, "records.einsicht.revoke")) == 1
    again = caseworker.post(f"/akteneinsichten/{record.pk}/widerrufen/")
    assert again.status_code == 302  # with a message, nothing changes
    assert len(_events(record, "records.einsicht.revoke")) == 1


def test_unknown_tokens_are_404(link: tuple[Akteneinsicht, str, str]) -> None:
    _, token, _ = link
    client = Client()
    assert client.get(_url("ein_" + "A" * 43)).status_code == 404
    assert client.get(_url(token[:-1] + ("B" if token[-1] != "B" else "C"))).status_code == 404
    assert client.get(_url("nichts")).status_code == 404
    assert client.get(_url("ein_" + "A" * 43, "pdf/")).status_code == 404


def test_caseworker_creates_link_and_sees_pin_once(
    auszug: Aktenauszug, team_caseworker: User
) -> None:
    client = signed_in(team_caseworker)
    bad = client.post(
        f"/auszuege/{auszug.pk}/einsicht/", {"recipient": RECIPIENT, "valid_days": 120}
    )
    assert bad.status_code == 400
    response = client.post(
        f"/auszuege/{auszug.pk}/einsicht/", {"recipient": RECIPIENT, "valid_days": 7}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "nur jetzt angezeigt" in body and "http://testserver/einsicht/ein_" in body
    assert "no-store" in response["Cache-Control"]
    record = Akteneinsicht.objects.for_tenant(auszug.tenant_id).get()
    assert (record.expires_at - timezone.now()).days == 6
    detail = client.get(f"/auszuege/{auszug.pk}/").content.decode()
    assert RECIPIENT in detail and "gültig" in detail
    assert "ein_" not in detail  # the link is never shown again
