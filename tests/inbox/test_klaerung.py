"""Triage (die Zuordnung): the queue, one document with its pages and suggestion, filing
into the suggested or another Akte, not assignable, another team; two people at two
screens never file one document twice (the second is told who filed it); the API does
the same. Documents are put into the queue directly (the pipeline has its own tests)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.inbox.klaerung import selectors, services
from koffer.inbox.models import Eingangsdokument, Protokolleintrag
from koffer.records.models import Akte, Dokument, Wiedervorlage
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.factories import records as record_factories
from tests.inbox.conftest import Deliver
from tests.inbox.warteschlange import waiting

pytestmark = pytest.mark.django_db
State = Eingangsdokument.State


@pytest.fixture
def team(tenant: Mandant) -> Organisationseinheit:
    return factories.unit(tenant, "Leistungsteam 1")


@pytest.fixture
def akte(tenant: Mandant, team: Organisationseinheit) -> Akte:
    plan = record_factories.leistungsplan(tenant)
    worker = factories.user(tenant, role="sachbearbeitung", unit_=team)
    return record_factories.akte(
        caseworker=worker, plan=plan, unit=team, family_name="Kowalski", given_names="Erika"
    )


def _waiting(
    deliver: Deliver, akte: Akte | None, *, batch: str = "2026-11-25-0001"
) -> Eingangsdokument:
    """A scanned page waiting in the mail room's queue, suggesting ``akte`` at 80 %."""
    vorschlaege = (
        [
            {
                "akte_id": str(akte.pk),
                "vorgang_id": None,
                "confidence": 0.8,
                "reasons": ["Name steht im Text"],
            }
        ]
        if akte
        else []
    )
    return waiting(
        deliver,
        ["Erika Kowalski", f"Bitte um Rückruf ({batch})."],
        batch=batch,
        text="Erika Kowalski\nBitte um Rückruf.",
        kind="sonstiges",
        vorschlaege=vorschlaege,
        confidence=0.8 if akte else None,
        reason="Vorschlag mit Sicherheit 80 %, unter der Schwelle von 95 % für die automatische Ablage.",
    )


def test_mail_room_files_the_suggestion_from_the_queue(
    deliver: Deliver, akte: Akte, mail_room: User
) -> None:
    doc = _waiting(deliver, akte)
    client = signed_in(mail_room)
    listing = client.get(reverse("inbox:klaerung")).content.decode()
    assert "Warten auf Zuordnung (1)" in listing and "0001.pdf S. 1" in listing
    page = client.get(reverse("inbox:klaerung_dokument", args=[doc.pk])).content.decode()
    assert f"In Akte {akte.aktenzeichen} ablegen (Taste A)" in page
    assert "Name steht im Text" in page and "Tastenkürzel" in page
    image = client.get(reverse("inbox:klaerung_seite", args=[doc.pk, 1]))
    assert image.status_code == 200 and image["Content-Type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    assert client.get(reverse("inbox:klaerung_seite", args=[doc.pk, 2])).status_code == 404
    doc.refresh_from_db()
    assert doc.claimed_by == mail_room  # opened: the claim tells others
    assert AuditEvent.objects.filter(action="read", object_id=str(doc.pk)).exists()

    response = client.post(reverse("inbox:klaerung_ablegen", args=[doc.pk]), {"akte": akte.pk})
    assert response.status_code == 302 and response["Location"] == reverse("inbox:klaerung")
    doc.refresh_from_db()
    assert doc.state == State.ABGELEGT and doc.filed_by == mail_room
    assert doc.filed_rule == "Vorschlag bestätigt"
    filed = Dokument.objects.for_tenant(akte.tenant_id).get(pk=doc.dokument_id)
    assert filed.akte_id == akte.pk and filed.source == Dokument.Source.SCAN
    assert Wiedervorlage.objects.for_tenant(akte.tenant_id).filter(dokument=filed).count() == 1
    assert (
        Protokolleintrag.objects.for_tenant(doc.tenant_id)
        .filter(dokument=doc, action="abgelegt", actor=mail_room)
        .exists()
    )
    assert "1 Dokument wartet" not in client.get("/").content.decode()


def test_two_people_never_file_one_document_twice(
    tenant: Mandant, deliver: Deliver, akte: Akte, mail_room: User, poststelle: Organisationseinheit
) -> None:
    doc = _waiting(deliver, akte)
    colleague = factories.user(
        tenant, role="poststelle", unit_=poststelle, first_name="Jonas", last_name="Weber"
    )
    first, second = signed_in(mail_room), signed_in(colleague)
    first.get(reverse("inbox:klaerung_dokument", args=[doc.pk]))
    seen = second.get(reverse("inbox:klaerung_dokument", args=[doc.pk])).content.decode()
    assert f"{mail_room.get_full_name()} hat dieses Dokument seit" in seen
    # The colleague is sent elsewhere by "next": the document is someone else's now.
    assert selectors.next_waiting(_access(colleague, tenant), tenant, colleague.pk) is None

    first.post(reverse("inbox:klaerung_ablegen", args=[doc.pk]), {"akte": akte.pk})
    late = second.post(
        reverse("inbox:klaerung_ablegen", args=[doc.pk]), {"akte": akte.pk}, follow=True
    ).content.decode()
    assert "Dieses Dokument wurde bereits abgelegt" in late
    assert mail_room.get_full_name() in late or mail_room.username in late
    assert Dokument.objects.for_tenant(tenant).filter(source=Dokument.Source.SCAN).count() == 1
    assert Wiedervorlage.objects.for_tenant(tenant).count() == 1


def _access(user: User, tenant: Mandant):  # type: ignore[no-untyped-def]
    from koffer.accounts.access import Access

    return Access.for_user(user.pk, tenant.pk)


def test_another_akte_not_assignable_and_another_team(
    tenant: Mandant, deliver: Deliver, akte: Akte, mail_room: User, team: Organisationseinheit
) -> None:
    client = signed_in(mail_room)
    search = _waiting(deliver, None, batch="B-1")
    page = client.get(
        reverse("inbox:klaerung_dokument", args=[search.pk]), {"suche": "Kowal"}
    ).content.decode()
    assert "Kein Vorschlag" in page and akte.aktenzeichen in page and "Hier ablegen" in page
    client.post(reverse("inbox:klaerung_ablegen", args=[search.pk]), {"akte": akte.pk})
    search.refresh_from_db()
    assert search.state == State.ABGELEGT and search.filed_rule == "von Hand zugeordnet"

    advert = _waiting(deliver, None, batch="B-2")
    refused = client.post(
        reverse("inbox:klaerung_nicht_zuordenbar", args=[advert.pk]), {"grund": "  "}, follow=True
    ).content.decode()
    assert "Bitte geben Sie an, warum" in refused
    client.post(reverse("inbox:klaerung_nicht_zuordenbar", args=[advert.pk]), {"grund": "Werbung"})
    advert.refresh_from_db()
    assert advert.state == State.NICHT_ZUORDENBAR and advert.reason == "Werbung"

    handed = _waiting(deliver, None, batch="B-3")
    client.post(reverse("inbox:klaerung_weitergeben", args=[handed.pk]), {"team": team.pk})
    handed.refresh_from_db()
    assert handed.unit == team and handed.state == State.ZU_PRUEFEN
    # Now in the team's queue: its caseworkers see it on their start page and can file it.
    worker = factories.user(tenant, role="sachbearbeitung", unit_=team)
    start = signed_in(worker).get("/").content.decode()
    assert "1 Dokument wartet auf Zuordnung" in start
    assert list(selectors.waiting(_access(mail_room, tenant), tenant)) == []
    services.accept(actor=worker, doc=handed, akte=akte)
    handed.refresh_from_db()
    assert handed.state == State.ABGELEGT and handed.filed_by == worker


def test_api_files_and_answers_409_the_second_time(
    deliver: Deliver, akte: Akte, mail_room: User
) -> None:
    doc = _waiting(deliver, akte)
    client = signed_in(mail_room)
    listed = client.get("/api/v1/posteingang/zuordnung").json()
    assert [item["id"] for item in listed["items"]] == [str(doc.pk)]
    assert listed["items"][0]["vorschlaege"][0]["akte_id"] == str(akte.pk)
    url = f"/api/v1/posteingang/dokumente/{doc.pk}/ablegen"
    done = client.post(url, {"akte": str(akte.pk)}, content_type="application/json")
    assert done.status_code == 200, done.content
    assert done.json()["state"] == "abgelegt" and done.json()["dokument"]
    again = client.post(url, {"akte": str(akte.pk)}, content_type="application/json")
    assert again.status_code == 409
    assert again["Content-Type"] == "application/problem+json"
    assert again.json()["code"] == "already_filed"
