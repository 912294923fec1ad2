"""The portal's lists and files (issue 19): the mailbox and the list of Vorgänge to write
about are reads of personal data, audited by one selector each that page and API share;
every file a citizen downloads streams from the blob store (a FileResponse over the
store's ``open()``), byte for byte what the store holds."""

from __future__ import annotations

import os
from typing import Any

import pytest

from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.portal.models import Antrag, NachforderungDatei, NachrichtAnlage
from koffer.tenancy.models import Mandant
from tests.factories import portal as portal_factories
from tests.inbox.openapi import conforms

pytestmark = [pytest.mark.django_db]

POSTFACH = "/api/v1/portal/postfach"
NACHRICHTEN = "/api/v1/portal/nachrichten"
BRIEF = "/api/v1/portal/postfach/{brief_id}/brief.pdf"
ANLAGE = "/api/v1/portal/nachrichten/{vorgang_id}/anlagen/{anlage_id}"


def _gelesen(konto_id: object, zweck: str) -> int:
    return AuditEvent.objects.filter(action="read", actor_id=konto_id, reason=zweck).count()


def test_mailbox_and_vorgaenge_lists_are_audited_on_page_and_by_api(tenant: Mandant) -> None:
    konto = portal_factories.buergerkonto(tenant)
    brief = portal_factories.postfachbrief(konto)
    vorgang = portal_factories.vorgang_des_kontos(konto)
    client = portal_factories.buerger_client(konto)
    assert _gelesen(konto.pk, "Postfach im Portal") == 0

    seite = client.get(f"/portal/{tenant.slug}/postfach/")
    assert seite.status_code == 200
    html = seite.content.decode()
    assert brief.betreff in html and vorgang.title in html
    assert _gelesen(konto.pk, "Postfach im Portal") == 1
    assert _gelesen(konto.pk, "Nachrichten: Vorgänge im Portal") == 1
    event = AuditEvent.objects.get(actor_id=konto.pk, reason="Postfach im Portal")
    assert event.subject_id == str(konto.person_id)

    [eintrag] = conforms(client.get(POSTFACH), POSTFACH, "get")
    assert eintrag["id"] == str(brief.pk)
    assert _gelesen(konto.pk, "Postfach abrufen (API)") == 1
    [liste] = conforms(client.get(NACHRICHTEN), NACHRICHTEN, "get")
    assert liste["id"] == str(vorgang.pk)
    assert _gelesen(konto.pk, "Nachrichten: Vorgänge abrufen (API)") == 1


def _gestreamt(antwort: Any, sha256: str) -> bytes:
    """The download's bytes, after checking that it streamed and matches the store."""
    assert antwort.status_code == 200, antwort.status_code
    assert antwort.streaming, "read whole instead of streamed from the blob store"
    teile = list(antwort.streaming_content)
    daten = b"".join(teile)
    with get_store().open(sha256) as datei:
        assert daten == datei.read()
    assert antwort["Cache-Control"] == "private, no-store"
    return daten


def test_every_portal_download_streams_from_the_blob_store(tenant: Mandant) -> None:
    konto = portal_factories.buergerkonto(tenant)
    client = portal_factories.buerger_client(konto)
    portal = f"/portal/{tenant.slug}"

    # A letter in the Postfach, by page and API.
    brief = portal_factories.postfachbrief(konto)
    sha = brief.dokument.current_version.sha256
    assert _gestreamt(client.get(f"{portal}/postfach/{brief.pk}/brief.pdf"), sha).startswith(
        b"%PDF"
    )
    _gestreamt(client.get(BRIEF.format(brief_id=brief.pk)), sha)

    # A file sent with an application: large, so it comes in more than one piece.
    antrag = portal_factories.antrag(konto)
    gross = b"%PDF-1.4\n" + os.urandom(300_000)
    blob = get_store().put(gross).sha256
    Antrag.objects.for_tenant(tenant).filter(pk=antrag.pk).update(
        antworten={
            "belege": [
                {"blob": blob, "name": "beleg.pdf", "typ": "application/pdf", "groesse": 300_009}
            ]
        }
    )
    antwort = client.get(f"{portal}/antraege/{antrag.pk}/anlagen/{blob}/")
    assert antwort["Content-Disposition"] == 'attachment; filename="beleg.pdf"'
    teile = list(antwort.streaming_content)
    assert len(teile) > 1 and b"".join(teile) == gross

    # A file sent for a request of documents.
    datei = portal_factories.nachforderung_datei(konto)
    assert NachforderungDatei.objects.for_tenant(tenant).filter(pk=datei.pk).exists()
    _gestreamt(client.get(f"{portal}/unterlagen/dateien/{datei.pk}/"), datei.blob)

    # The office's attachment to an answer, by page and API.
    anlage_id = portal_factories.nachricht_anlage(konto)
    anlage = NachrichtAnlage.objects.for_tenant(tenant).select_related(
        "nachricht", "dokument__current_version"
    )
    gefunden = anlage.get(pk=anlage_id)
    vorgang_id = gefunden.nachricht.vorgang_id
    version_sha = gefunden.dokument.current_version.sha256  # type: ignore[union-attr]
    _gestreamt(client.get(f"{portal}/nachrichten/{vorgang_id}/anlagen/{anlage_id}/"), version_sha)
    _gestreamt(client.get(ANLAGE.format(vorgang_id=vorgang_id, anlage_id=anlage_id)), version_sha)


def test_the_start_page_audits_the_home_visit_requests_it_lists(tenant: Mandant) -> None:
    """„Mein Bereich“ lists the account's home-visit requests (the person visited, the
    address): a read like the home-visit page's own list."""
    konto = portal_factories.buergerkonto(tenant)
    wunsch = portal_factories.besuchswunsch(konto)
    client = portal_factories.buerger_client(konto)
    assert _gelesen(konto.pk, "Mein Bereich im Portal") == 0

    seite = client.get(f"/portal/{tenant.slug}/")
    assert seite.status_code == 200
    assert f"hausbesuch/{wunsch.pk}/zurueckziehen/" in seite.content.decode()
    assert _gelesen(konto.pk, "Mein Bereich im Portal") == 1


def test_the_start_page_without_home_visit_requests_records_no_read(tenant: Mandant) -> None:
    konto = portal_factories.buergerkonto(tenant)
    client = portal_factories.buerger_client(konto)
    assert client.get(f"/portal/{tenant.slug}/").status_code == 200
    assert _gelesen(konto.pk, "Mein Bereich im Portal") == 0
