"""The page „Posteingang: FIT-Connect“: the administration sets up a destination and sees
its public keys, a wrong entry is answered in German beside the form, and the mail room
finds a rejected submission with its reason among the Posteingang's refused deliveries."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from koffer.accounts.models import User
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
    stored = json.loads(
        (tmp_path / "fitconnect" / str(tenant.pk) / f"{destination_id}.json").read_text()
    )
    assert stored["entschluesselung"]["d"] not in text  # only the public keys are shown

    assert signed_in(mail_room).get(URL).status_code in (403, 404)
