"""„Segment neu beginnen“ in the office: the administration begins a new audit segment for
a Koffer whose segment was refused for good (confirm step with a reason, audited), the
quarantined segment stays, the Koffer is told at its next push (409 ``segment_neu`` with
the new key, its old keys retired, its pairing kept), and its segment under the new key
goes through with the waiting changes. The Koffer's own side runs in
tests/field/test_segment_prozesse.py."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.field.models import Geraet, SegmentQuarantaene
from koffer.field.segment import schluessel
from koffer.records.models import Person
from tests.conftest import signed_in
from tests.field.paket_bestand import Bestand
from tests.field.test_abgleich_buero import aenderung, person_der_akte, push, senden
from tests.field.test_segment import Kette, _kette, daten, koppelung  # noqa: F401

pytestmark = pytest.mark.django_db


def test_an_admin_begins_a_new_segment_and_the_waiting_push_then_goes_through(
    daten: Bestand,  # noqa: F811
    koppelung: tuple[Geraet, Client],  # noqa: F811
    admin_user: User,
) -> None:
    geraet, koffer = koppelung
    alt = list(geraet.segment_schluessel)
    kette = _kette(geraet, daten)
    assert senden(koffer, push(segment=kette.segment(bis=2))).status_code == 200
    # The laptop's database from an old copy: its chain forks after what the office took.
    gabel = Kette(geraet)
    gabel.beginn()
    gabel.add("records.akte.update", reason="aus der alten Sicherung")
    gabel.add("records.akte.update")
    person = person_der_akte(daten)
    telefon = person.telefon
    wartend = [aenderung("records.person", person.pk, telefon=(telefon, "0170 4444444"))]
    refused = senden(koffer, push(wartend, segment=gabel.segment(von=2)))
    assert refused.status_code == 422

    # The confirm step, with the reason required.
    admin = signed_in(admin_user)
    url = reverse("field:segment_neu", args=[geraet.pk])
    assert url in admin.get(reverse("field:geraete")).content.decode()
    page = admin.get(url)
    assert page.status_code == 200
    assert "Segment neu beginnen" in page.content.decode()
    ohne = admin.post(url, {"grund": " "})
    assert ohne.status_code == 200
    assert "kern-error" in ohne.content.decode() or "Fehler" in ohne.content.decode()
    geraet.refresh_from_db()
    assert geraet.segment_neu == ""
    done = admin.post(url, {"grund": "Datenbank aus alter Sicherung"})
    assert done.status_code == 302
    geraet.refresh_from_db()
    neu = geraet.segment_neu
    assert neu and geraet.segment_schluessel == [neu] and neu not in alt
    assert geraet.segment_seq is None and geraet.token_hash
    event = AuditEvent.objects.get(
        tenant_id=daten.tenant.pk, action="field.segment.neu_begonnen", object_id=str(geraet.pk)
    )
    assert (event.actor_id, event.reason) == (admin_user.pk, "Datenbank aus alter Sicherung")
    assert event.changes["alt"]["schluessel"] == alt

    # The Koffer's next push (its old segment) is told, with the new key; nothing applied.
    told = senden(koffer, push(wartend, segment=gabel.segment(von=2)))
    assert told.status_code == 409
    problem = told.json()
    assert problem["code"] == "segment_neu"
    assert problem["segment"]["schluessel_id"] == neu
    assert problem["segment"]["schluessel"] == schluessel.geheimnis(neu)
    assert Person.objects.unscoped().get(pk=person.pk).telefon == telefon

    # Begun again under the new key: the segment and the waiting change go through.
    neue = Kette(geraet, key_id=neu)
    neue.beginn()
    neue.gelesen(daten.worker, person)
    taken = senden(koffer, push(wartend, segment=neue.segment()))
    assert taken.status_code == 200, taken.content
    assert Person.objects.unscoped().get(pk=person.pk).telefon == "0170 4444444"
    geraet.refresh_from_db()
    assert (geraet.segment_neu, geraet.segment_seq) == ("", 2)
    assert SegmentQuarantaene.objects.unscoped().filter(geraet=geraet).count() == 1


def test_only_the_administration_begins_a_new_segment(
    daten: Bestand,  # noqa: F811
    koppelung: tuple[Geraet, Client],  # noqa: F811
) -> None:
    geraet, _ = koppelung
    worker = signed_in(daten.worker)
    url = reverse("field:segment_neu", args=[geraet.pk])
    assert worker.get(url).status_code in (403, 404)
    assert worker.post(url, {"grund": "selbst"}).status_code in (403, 404)
    geraet.refresh_from_db()
    assert geraet.segment_neu == ""
