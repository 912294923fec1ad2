"""The page „Posteingang: FIT-Connect“: the administration sets up a destination and sees
its public keys, a wrong entry is answered in German beside the form, and the mail room
finds a rejected submission with its reason among the Posteingang's refused deliveries."""

from __future__ import annotations

import json
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit import geheimnisse
from koffer.audit.models import AuditEvent
from koffer.inbox.models import FitConnectZiel
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests.conftest import signed_in

pytestmark = pytest.mark.django_db

URL = "/posteingang/fitconnect/"


def test_the_administration_sets_up_a_destination_on_the_page(
    tenant: Mandant,
    admin_user: User,
    mail_room: User,
    poststelle: Organisationseinheit,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.KOFFER_FITCONNECT_KEY_DIR = tmp_path / "fitconnect"
    settings.KOFFER_FITCONNECT_KEY_BITS = 2048
    client = signed_in(admin_user)
    page = client.get(URL)
    assert page.status_code == 200
    assert "Noch kein Zustellpunkt eingerichtet." in page.content.decode()

    wrong = client.post(URL, {"destination_id": "abc", "name": "", "unit": "", "base_url": ""})
    assert wrong.status_code == 400
    text = wrong.content.decode()
    assert "Zustellpunkt-ID" in text and not FitConnectZiel.objects.for_tenant(tenant).exists()

    destination_id = uuid.uuid4()
    made = client.post(
        URL,
        {
            "destination_id": str(destination_id),
            "name": "Wohngeld online",
            "unit": str(poststelle.pk),
            "base_url": "https://submission-api-testing.fit-connect.fitko.dev",
            "client_secret": "nicht-auf-der-seite",
        },
        follow=True,
    )
    assert made.status_code == 200
    text = made.content.decode()
    assert "Der Zustellpunkt ist eingerichtet." in text
    assert str(destination_id) in text and "Wohngeld online" in text
    ziel = FitConnectZiel.objects.for_tenant(tenant).get()
    assert ziel.unit_id == poststelle.pk and ziel.eingerichtet_von_id == admin_user.pk
    assert ziel.encryption_kid in text and "RSA-OAEP-256" in text
    assert "nicht-auf-der-seite" not in text
    stored = json.loads(geheimnisse.lesen(f"fitconnect/{tenant.pk}/{destination_id}") or b"")
    assert stored["entschluesselung"]["d"] not in text  # only the public keys are shown

    assert signed_in(mail_room).get(URL).status_code in (403, 404)


def test_a_new_key_from_the_page_after_asking_once_more(
    tenant: Mandant,
    admin_user: User,
    mail_room: User,
    poststelle: Organisationseinheit,
    settings: Any,
    tmp_path: Path,
) -> None:
    """„Neuen Schlüssel erzeugen“: the current key id and its age shown, a confirm step,
    then the same service as ``manage.py inbox_fitconnect_schluessel`` (audited, the old
    decryption key kept)."""
    settings.KOFFER_FITCONNECT_KEY_DIR = tmp_path / "fitconnect"
    settings.KOFFER_FITCONNECT_KEY_BITS = 2048
    client = signed_in(admin_user)
    client.post(
        URL,
        {
            "destination_id": str(uuid.uuid4()),
            "name": "Wohngeld online",
            "unit": str(poststelle.pk),
            "base_url": "https://submission-api-testing.fit-connect.fitko.dev",
        },
    )
    ziel = FitConnectZiel.objects.for_tenant(tenant).get()
    alt = ziel.encryption_kid
    # made ten days ago: the page says the key's id and its age
    FitConnectZiel.objects.for_tenant(tenant).filter(pk=ziel.pk).update(
        schluessel_seit=timezone.now() - timedelta(days=10)
    )
    text = client.get(URL).content.decode()
    assert alt in text and "vor 10 Tagen erzeugt" in text
    assert "Neuen Schlüssel erzeugen" in text
    # the button asks first; nothing is changed by asking
    frage = client.get(f"{URL}?schluessel={ziel.pk}")
    assert frage.status_code == 200
    assert "Ja, neuen Schlüssel erzeugen" in frage.content.decode()
    ziel.refresh_from_db()
    assert ziel.encryption_kid == alt
    assert client.get(f"{URL}?schluessel={uuid.uuid4()}").status_code == 404
    # confirmed: new keys, the old decryption key kept in the file, audited
    fertig = client.post(URL, {"aktion": "schluessel", "ziel": str(ziel.pk)}, follow=True)
    text = fertig.content.decode()
    assert "wurden neue Schlüssel erzeugt" in text
    ziel.refresh_from_db()
    assert ziel.encryption_kid != alt and ziel.encryption_kid in text
    assert "heute erzeugt" in text
    stored = json.loads(geheimnisse.lesen(f"fitconnect/{tenant.pk}/{ziel.destination_id}") or b"")
    assert alt in json.dumps(stored)  # kept while submissions may need it
    event = AuditEvent.objects.get(action="inbox.fitconnect.schluesselwechsel")
    assert event.actor_id == admin_user.pk
    assert event.changes["encryption_kid"] == {"old": alt, "new": ziel.encryption_kid}
    # the mail room may not change keys
    nicht = signed_in(mail_room).post(URL, {"aktion": "schluessel", "ziel": str(ziel.pk)})
    assert nicht.status_code in (403, 404)
    ziel.refresh_from_db()
    assert ziel.encryption_kid in text
