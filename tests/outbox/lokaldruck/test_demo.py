"""The demo has a printer for local printing and a letter to print on it, so that the
crawl reaches every page of local printing; its printer process is ``demo_drucker``."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from koffer.demo import district
from koffer.demo.briefe import DRUCKER
from koffer.outbox.models import Brief, Drucker

pytestmark = pytest.mark.django_db


def _client(username: str) -> Client:
    from koffer.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def test_the_demo_has_a_printer_and_a_letter_to_print() -> None:
    district.load()
    drucker = Drucker.objects.unscoped().get(name=DRUCKER)
    brief = Brief.objects.unscoped().get(kanal=Brief.Kanal.LOKAL, status="freigegeben")
    caseworker = _client("sb.sozialamt")
    assert brief.betreff in caseworker.get(reverse("outbox:zu_drucken")).content.decode()
    page = caseworker.get(reverse("outbox:brief", args=[brief.pk])).content.decode()
    assert DRUCKER in page and "PDF herunterladen" in page
    admin = _client("admin.kreis")
    assert DRUCKER in admin.get(reverse("outbox:drucker")).content.decode()
    assert admin.get(reverse("outbox:drucker_aendern", args=[drucker.pk])).status_code == 200
