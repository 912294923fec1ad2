"""The API of FIT-Connect in the Posteingang: the administration sets up a destination
and gets only the public keys back; the administration and the mail room list the
submissions with their decision, and a caseworker sees none of it."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from jwcrypto import jwk

from koffer.accounts.models import User
from koffer.inbox.fitconnect import services
from koffer.inbox.models import FitConnectZiel
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests import factories
from tests.conftest import signed_in
from tests.inbox import scans
from tests.inbox.fitconnect import zustelldienst as zd
from tests.inbox.openapi import conforms

pytestmark = pytest.mark.django_db

ZIELE = "/api/v1/posteingang/fitconnect/ziele"
EINREICHUNGEN = "/api/v1/posteingang/fitconnect/einreichungen"


def test_set_up_a_destination_and_follow_its_submissions(
    tenant: Mandant,
    admin_user: User,
    mail_room: User,
    poststelle: Organisationseinheit,
    settings: Any,
    tmp_path: Path,
) -> None:
    settings.KOFFER_FITCONNECT_KEY_DIR = tmp_path / "fitconnect"
    settings.KOFFER_FITCONNECT_KEY_BITS = 2048
    destination_id = uuid.uuid4()
    dienst, server = zd.starten(destination_id)
    try:
        admin = signed_in(admin_user)
        made = admin.post(
            ZIELE,
            {
                "destination_id": str(destination_id),
                "name": "Bürgergeld online",
                "unit": str(poststelle.pk),
                "base_url": dienst.url,
                "token_url": dienst.url + "/token",
                "client_id": "koffer",
                "client_secret": zd.SECRET,
            },
            content_type="application/json",
        )
        assert made.status_code == 201, made.content
        body = conforms(made, ZIELE, "post")
        public = body["schluessel"]["verschluesselung"]
        assert "d" not in public and public["alg"] == "RSA-OAEP-256"
        assert zd.SECRET not in made.content.decode()
        again = admin.post(
            ZIELE,
            {
                "destination_id": str(destination_id),
                "name": "doppelt",
                "unit": str(poststelle.pk),
                "base_url": dienst.url,
            },
            content_type="application/json",
        )
        assert again.status_code == 409
        listed = admin.get(ZIELE)
        assert [z["destination_id"] for z in conforms(listed, ZIELE, "get")] == [
            str(destination_id)
        ]

        key = jwk.JWK(**public)
        good = zd.sendung(files=[("antrag.pdf", scans.pdf())])
        bad = zd.sendung(files=[("antrag.pdf", scans.pdf())])
        bad.metadata["contentStructure"]["attachments"][0]["hash"]["content"] = "f" * 128
        dienst.einreichen(key, good)
        dienst.einreichen(key, bad)
        ziel = FitConnectZiel.objects.for_tenant(tenant).get()
        services.abholen(ziel=ziel)

        for client in (admin, signed_in(mail_room)):
            page = client.get(EINREICHUNGEN)
            assert page.status_code == 200
            items = conforms(page, EINREICHUNGEN, "get")["items"]
            by_state = {i["state"]: i for i in items}
            assert set(by_state) == {"angenommen", "abgelehnt"}
            assert by_state["angenommen"]["stapel"] and by_state["angenommen"]["grund"] is None
            assert by_state["abgelehnt"]["problem"] == "hash-mismatch"
            assert "Prüfsumme (SHA-512)" in by_state["abgelehnt"]["grund"]
        # The accepted submission is a batch of the mail room, from FIT-Connect.
        stapel = signed_in(mail_room).get("/api/v1/posteingang/stapel").json()["items"]
        assert [s["source"] for s in stapel] == ["fitconnect"]
        # The rejected one waits in the Posteingang's quarantine, with its reason.
        page = signed_in(mail_room).get("/posteingang/").content.decode()
        assert "FIT-Connect-Einreichung abgelehnt: Die Prüfsumme (SHA-512)" in page

        caseworker = signed_in(factories.user(tenant, role="sachbearbeitung"))
        assert caseworker.get(EINREICHUNGEN).status_code == 403
        assert caseworker.get(ZIELE).status_code == 403
        assert signed_in(mail_room).get(ZIELE).status_code == 403
    finally:
        server.shutdown()
        server.server_close()


def test_another_mandant_sees_nothing(
    tenant: Mandant, other_tenant: Mandant, admin_user: User, settings: Any, tmp_path: Path
) -> None:
    settings.KOFFER_FITCONNECT_KEY_DIR = tmp_path / "fitconnect"
    settings.KOFFER_FITCONNECT_KEY_BITS = 2048
    other_unit = factories.unit(other_tenant, "Poststelle")
    made = signed_in(admin_user).post(
        ZIELE,
        {
            "destination_id": str(uuid.uuid4()),
            "name": "fremd",
            "unit": str(other_unit.pk),
            "base_url": "https://zustelldienst.example",
        },
        content_type="application/json",
    )
    assert made.status_code == 404
    assert not FitConnectZiel.objects.unscoped().exists()
