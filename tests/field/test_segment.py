"""The Koffer's audit segment in the office, through the real API with a paired Koffer's
token: segments built and sealed here exactly as a Koffer seals them (the canonical form
of ``koffer.audit.chain`` under the key the pairing issued), then verified and appended,
or refused and quarantined. The Koffer's own side runs in
tests/field/test_segment_prozesse.py."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from koffer.accounts.models import User
from koffer.audit import keys
from koffer.audit.chain import HASHED_FIELDS, canonical
from koffer.audit.models import GENESIS_HASH, AuditEvent
from koffer.audit.verification import verify_tenant
from koffer.field.errors import SegmentNachholen, SegmentUngueltig
from koffer.field.geraete import services as geraete
from koffer.field.models import Abgleich, Geraet, SegmentQuarantaene
from koffer.field.segment import pruefung, schluessel
from koffer.privacy.selectors import AuditFilter, AuditQuery
from koffer.records.models import Person
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.field.paket_bestand import Bestand, bestand
from tests.field.test_abgleich_buero import (
    ABGLEICH,
    aenderung,
    person_der_akte,
    push,
    senden,
)

pytestmark = pytest.mark.django_db

KOFFER_ZEIT = datetime(2026, 12, 3, 9, 30, tzinfo=UTC)


@pytest.fixture
def daten(tenant: Mandant) -> Bestand:
    return bestand(tenant, akten=1, dokumente=1, groesse=500)


@pytest.fixture
def koppelung(daten: Bestand) -> tuple[Geraet, Client]:
    geraet, token = geraete.koppeln(code=daten.kopplungscode)
    return geraet, Client(headers={"Authorization": f"Bearer {token}"})


class Kette:
    """A Koffer's local chain for the Mandant, sealed with a segment key, event by event."""

    def __init__(self, geraet: Geraet, *, key_id: str | None = None) -> None:
        self.geraet = geraet
        self.key_id = key_id or geraet.segment_schluessel[-1]
        self.secret = schluessel.geheimnis(self.key_id)
        self.events: list[dict[str, Any]] = []

    def add(self, action: str, **felder: Any) -> dict[str, Any]:
        seq = len(self.events) + 1
        fields: dict[str, Any] = {
            "tenant_id": str(self.geraet.tenant_id),
            "seq": seq,
            "prev_hash": self.events[-1]["hash"] if self.events else GENESIS_HASH,
            "at": KOFFER_ZEIT + timedelta(minutes=seq),
            "actor_id": None,
            "actor_label": "System",
            "action": action,
            "object_type": "",
            "object_id": "",
            "object_label": "",
            "subject_type": "",
            "subject_id": "",
            "changes": {},
            "reason": "",
            "client_ip": "",
            **felder,
        }
        return self.siegeln(fields)

    def siegeln(self, fields: dict[str, Any], secret: str | None = None) -> dict[str, Any]:
        event = {name: fields[name] for name in HASHED_FIELDS}
        event["hash"] = schluessel.siegel(secret or self.secret, canonical(event))
        event["at"] = fields["at"].isoformat()
        event["key_id"] = self.key_id
        self.events.append(event)
        return event

    def beginn(self) -> dict[str, Any]:
        return self.add(
            pruefung.BEGINN,
            object_type="field.geraet",
            object_id=str(self.geraet.pk),
            changes={"geraet": str(self.geraet.pk), "schluessel": self.key_id},
        )

    def gelesen(self, worker: User, person: Person) -> dict[str, Any]:
        return self.add(
            "read",
            actor_id=str(worker.pk),
            actor_label=str(worker),
            object_type="records.person",
            object_id=str(person.pk),
            object_label=str(person),
            subject_type="records.person",
            subject_id=str(person.pk),
            reason="Hausbesuch",
        )

    def segment(self, von: int = 1, bis: int | None = None) -> dict[str, Any]:
        events = self.events[von - 1 : bis]
        return {
            "von_seq": events[0]["seq"],
            "bis_seq": events[-1]["seq"],
            "vorher": events[0]["prev_hash"] if events[0]["seq"] > 1 else "",
            "ereignisse": [dict(e) for e in events],
        }


def _kette(geraet: Geraet, daten: Bestand, lesen: int = 2) -> Kette:
    kette = Kette(geraet)
    kette.beginn()
    person = person_der_akte(daten)
    for _ in range(lesen):
        kette.gelesen(daten.worker, person)
    return kette


def _aus_koffer(tenant: Mandant) -> list[AuditEvent]:
    return [
        e
        for e in AuditEvent.objects.filter(tenant_id=tenant.pk).order_by("seq")
        if isinstance(e.changes, dict) and "koffer_ereignis" in e.changes
    ]


def test_pairing_issues_a_segment_key_kept_beside_the_audit_keys_not_among_them(
    daten: Bestand, client: Client
) -> None:
    response = client.post(
        "/api/v1/koffer/kopplung", {"code": daten.kopplungscode}, content_type="application/json"
    )

    assert response.status_code == 201, response.content
    segment = response.json()["segment"]
    assert segment["mandant_id"] == str(daten.tenant.pk)
    assert segment["geraet_id"] == str(daten.geraet.pk)
    daten.geraet.refresh_from_db()
    assert daten.geraet.segment_schluessel == [segment["schluessel_id"]]
    assert schluessel.geheimnis(segment["schluessel_id"]) == segment["schluessel"]
    # The office's own chains never take a Koffer's key as their newest.
    assert segment["schluessel_id"] not in keys.key_ids()
    datei = schluessel.ordner() / f"audit-{segment['schluessel_id']}.key"
    assert datei.stat().st_mode & 0o777 == 0o600


def test_a_verified_segment_is_appended_to_the_mandants_chain_findable_by_person(
    daten: Bestand, koppelung: tuple[Geraet, Client]
) -> None:
    geraet, koffer = koppelung
    kette = _kette(geraet, daten)
    person = person_der_akte(daten)

    response = senden(koffer, push(segment=kette.segment()))

    assert response.status_code == 200, response.content
    assert response.json()["segment"] == {
        "bis_seq": 3,
        "hash": kette.events[-1]["hash"],
        "uebernommen": 3,
    }
    angehaengt = _aus_koffer(daten.tenant)
    assert [e.action for e in angehaengt] == [pruefung.BEGINN, "read", "read"]
    gelesen = angehaengt[1]
    assert gelesen.actor_id == daten.worker.pk and gelesen.reason == "Hausbesuch"
    assert gelesen.object_label == str(person)
    assert gelesen.changes["koffer_ereignis"] == {
        "geraet": str(geraet.pk),
        "seq": 2,
        "hash": kette.events[1]["hash"],
        "at": (KOFFER_ZEIT + timedelta(minutes=2)).isoformat(),
        "client_ip": "",
    }
    # The privacy report about the person finds the reads made in the Koffer.
    ueber_person = AuditQuery(
        daten.tenant, AuditFilter(subject_type="records.person", subject_id=str(person.pk))
    ).queryset()
    assert ueber_person.filter(action="read", changes__koffer_ereignis__seq=3).exists()
    assert AuditEvent.objects.filter(
        tenant_id=daten.tenant.pk, action="field.segment.angehaengt", object_id=str(geraet.pk)
    ).exists()
    assert verify_tenant(daten.tenant.pk).ok
    geraet.refresh_from_db()
    assert (geraet.segment_seq, geraet.segment_hash) == (3, kette.events[-1]["hash"])


def test_the_same_push_again_and_a_replayed_segment_append_nothing_twice(
    daten: Bestand, koppelung: tuple[Geraet, Client]
) -> None:
    geraet, koffer = koppelung
    kette = _kette(geraet, daten)
    erster = push(segment=kette.segment())
    assert senden(koffer, erster).status_code == 200
    vorher = AuditEvent.objects.filter(tenant_id=daten.tenant.pk).count()

    wieder = senden(koffer, erster)
    replay = senden(koffer, push(segment=kette.segment()))

    assert wieder.status_code == 200 and wieder.json()["segment"]["uebernommen"] == 3
    assert replay.status_code == 200 and replay.json()["segment"]["uebernommen"] == 0
    assert AuditEvent.objects.filter(tenant_id=daten.tenant.pk).count() == vorher
    assert len(_aus_koffer(daten.tenant)) == 3

    # The next segment goes on from the last accepted event; overlapping is fine.
    kette.gelesen(daten.worker, person_der_akte(daten))
    weiter = senden(koffer, push(segment=kette.segment(von=3)))
    assert weiter.status_code == 200 and weiter.json()["segment"]["uebernommen"] == 1
    assert [e.changes["koffer_ereignis"]["seq"] for e in _aus_koffer(daten.tenant)] == [1, 2, 3, 4]
    assert verify_tenant(daten.tenant.pk).ok


def _verfaelscht(kette: Kette, daten: Bestand, art: str) -> dict[str, Any]:
    segment = kette.segment()
    events = segment["ereignisse"]
    if art == "feld":
        events[1]["changes"] = {"gelesen": "nichts"}
    elif art == "fehlt":
        del events[1]
    elif art == "reihenfolge":
        events[1], events[2] = events[2], events[1]
        segment["bis_seq"] = events[-1]["seq"]
    elif art == "fremder_schluessel":
        kette.events = kette.events[:1]
        fields = {**kette.events[0], "at": KOFFER_ZEIT}
        kette.events = []
        kette.siegeln(fields, secret="ab" * 32)
        segment = kette.segment()
    elif art == "fremder_mandant":
        kette.events = []
        kette.add(pruefung.BEGINN, tenant_id=str(uuid.uuid4()), changes={"geraet": "x"})
        segment = kette.segment()
    elif art == "fremde_person":
        andere = factories.user(daten.tenant)
        kette.add("read", actor_id=str(andere.pk), actor_label=str(andere))
        segment = kette.segment()
    elif art == "ohne_beginn":
        segment = kette.segment(von=2)
        segment["vorher"] = ""
    return segment


@pytest.mark.parametrize(
    ("art", "grund"),
    [
        ("feld", "Ereignis 2: Prüfsumme stimmt nicht."),
        ("fehlt", "Lücke zwischen 1 und 3."),
        ("reihenfolge", "Ereignis 2: Reihenfolge gestört (nach 3)."),
        ("fremder_schluessel", "Ereignis 1: Prüfsumme stimmt nicht."),
        ("fremder_mandant", "Ereignis 1: gehört zu einem anderen Mandanten."),
        ("fremde_person", "Ereignis 4: von einer anderen Person"),
        ("ohne_beginn", "Ereignis 2: Verkettung gebrochen"),
    ],
)
def test_a_segment_that_does_not_verify_names_the_event_and_the_reason(
    daten: Bestand, koppelung: tuple[Geraet, Client], art: str, grund: str
) -> None:
    geraet, _ = koppelung
    segment = _verfaelscht(_kette(geraet, daten), daten, art)

    with pytest.raises(SegmentUngueltig) as refused:
        pruefung.pruefen(geraet, segment)

    assert refused.value.grund.startswith(grund), refused.value.grund


def test_a_segment_must_go_on_from_the_last_accepted_event(
    daten: Bestand, koppelung: tuple[Geraet, Client]
) -> None:
    geraet, koffer = koppelung
    kette = _kette(geraet, daten, lesen=4)
    assert senden(koffer, push(segment=kette.segment(bis=2))).status_code == 200
    geraet.refresh_from_db()

    # A segment beginning after it is neither taken nor quarantined: the Koffer is asked
    # for the events from the one after (test below).
    with pytest.raises(SegmentNachholen) as gap:
        pruefung.pruefen(geraet, kette.segment(von=4))
    # Another chain of the same Koffer (its database replaced): it forks after the start.
    first = Kette(geraet)
    first.beginn()
    first.add("records.akte.update", reason="anders")
    first.add("records.akte.update")
    with pytest.raises(SegmentUngueltig) as fork:
        pruefung.pruefen(geraet, first.segment(von=3))

    assert gap.value.extra == {"ab_seq": 3}
    assert (
        fork.value.grund == "Ereignis 3: schließt nicht an das zuletzt übernommene Ereignis 2 an."
    )


def test_a_key_never_issued_to_this_koffer_is_refused(
    daten: Bestand, koppelung: tuple[Geraet, Client]
) -> None:
    geraet, _ = koppelung
    fremd, _ = schluessel.ausstellen()
    kette = Kette(geraet, key_id=fremd)
    kette.beginn()

    with pytest.raises(SegmentUngueltig) as refused:
        pruefung.pruefen(geraet, kette.segment())

    assert "Schlüssel gesichert, den dieser Koffer nicht bekommen hat" in refused.value.grund


def test_a_refused_segment_refuses_the_whole_push_and_is_quarantined(
    daten: Bestand, koppelung: tuple[Geraet, Client], admin_user: User
) -> None:
    geraet, koffer = koppelung
    person = person_der_akte(daten)
    telefon = person.telefon
    segment = _verfaelscht(_kette(geraet, daten), daten, "feld")
    daten_push = push(
        [aenderung("records.person", person.pk, telefon=(telefon, "0170 9999999"))],
        segment=segment,
    )

    response = senden(koffer, daten_push)

    assert response.status_code == 422
    problem = response.json()
    assert problem["code"] == "segment_ungueltig"
    assert problem["grund"] == "Ereignis 2: Prüfsumme stimmt nicht."
    assert "Prüfsumme stimmt nicht" in problem["detail"]
    person.refresh_from_db()
    assert person.telefon == telefon  # nothing of the push applied
    assert not Abgleich.objects.for_tenant(daten.tenant).exists()
    assert _aus_koffer(daten.tenant) == []
    geraet.refresh_from_db()
    assert geraet.segment_seq is None
    row = SegmentQuarantaene.objects.for_tenant(daten.tenant).get()
    assert row.geraet_id == geraet.pk and row.grund == problem["grund"]
    assert row.abgleich_id == uuid.UUID(daten_push["abgleich_id"])
    assert row.segment == segment  # kept as received
    event = AuditEvent.objects.get(tenant_id=daten.tenant.pk, action="field.segment.quarantaene")
    assert event.reason == problem["grund"] and event.object_id == str(geraet.pk)
    assert verify_tenant(daten.tenant.pk).ok

    # The administration sees it on „Koffer: Quarantäne“; the look is audited.
    page = signed_in(admin_user).get("/koffer/quarantaene/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Ereignis 2: Prüfsumme stimmt nicht." in html and geraet.name in html
    assert "3 Ereignisse (1–3)" in html
    assert AuditEvent.objects.filter(
        tenant_id=daten.tenant.pk,
        action="field.segment_quarantaene_gelesen",
        actor_id=admin_user.pk,
    ).exists()
    # The field worker does not.
    assert signed_in(daten.worker).get("/koffer/quarantaene/").status_code in (403, 404)


def test_a_koffer_paired_before_segment_keys_is_told_to_pair_again(
    daten: Bestand, koppelung: tuple[Geraet, Client]
) -> None:
    geraet, koffer = koppelung
    kette = _kette(geraet, daten)
    Geraet.objects.for_tenant(daten.tenant).filter(pk=geraet.pk).update(segment_schluessel=[])

    response = koffer.post(ABGLEICH, push(segment=kette.segment()), content_type="application/json")

    assert response.status_code == 422
    assert response.json()["code"] == "segment_ungueltig"
    assert "koppeln Sie den Koffer neu" in response.json()["grund"]


def test_pairing_again_adds_a_key_and_the_segment_goes_on_under_it(
    daten: Bestand, koppelung: tuple[Geraet, Client]
) -> None:
    geraet, koffer = koppelung
    kette = _kette(geraet, daten, lesen=1)
    assert senden(koffer, push(segment=kette.segment())).status_code == 200
    code = geraete.neuer_kopplungscode(actor=daten.worker, geraet=geraet)
    geraet, token = geraete.koppeln(code=code)
    assert len(geraet.segment_schluessel) == 2
    kette.key_id = geraet.segment_schluessel[-1]
    kette.secret = schluessel.geheimnis(kette.key_id)
    kette.gelesen(daten.worker, person_der_akte(daten))

    response = Client(headers={"Authorization": f"Bearer {token}"}).post(
        ABGLEICH, push(segment=kette.segment(von=3)), content_type="application/json"
    )

    assert response.status_code == 200, response.content
    assert response.json()["segment"]["uebernommen"] == 1
    assert verify_tenant(daten.tenant.pk).ok


def test_an_office_restored_from_a_backup_asks_for_the_events_again_and_takes_them_once(
    daten: Bestand, koppelung: tuple[Geraet, Client]
) -> None:
    geraet, koffer = koppelung
    person = person_der_akte(daten)
    kette = _kette(geraet, daten, lesen=4)
    # The office (as restored from its backup) accepted the segment up to event 2; the
    # Koffer had sent up to 3 before the restore and now goes on from 4.
    assert senden(koffer, push(segment=kette.segment(bis=2))).status_code == 200
    telefon = person.telefon
    daten_push = push(
        [aenderung("records.person", person.pk, telefon=(telefon, "0170 1234567"))],
        segment=kette.segment(von=4),
    )

    behind = senden(koffer, daten_push)

    assert behind.status_code == 409, behind.content
    problem = behind.json()
    assert (problem["code"], problem["ab_seq"]) == ("segment_nachholen", 3)
    assert "nur bis Ereignis 2" in problem["detail"]
    person.refresh_from_db()
    assert person.telefon == telefon  # nothing applied, nothing quarantined
    assert not SegmentQuarantaene.objects.for_tenant(daten.tenant).exists()

    # The Koffer sends the same push again with its events from 3 on: taken, once.
    wieder = {**daten_push, "segment": kette.segment(von=3)}
    taken = senden(koffer, wieder)
    assert taken.status_code == 200, taken.content
    assert taken.json()["segment"] == {
        "bis_seq": 5,
        "hash": kette.events[-1]["hash"],
        "uebernommen": 3,
    }
    person.refresh_from_db()
    assert person.telefon == "0170 1234567"
    assert senden(koffer, wieder).json() == taken.json()
    assert [e.changes["koffer_ereignis"]["seq"] for e in _aus_koffer(daten.tenant)] == [
        1,
        2,
        3,
        4,
        5,
    ]
    assert verify_tenant(daten.tenant.pk).ok

    # Events from another chain (the Koffer's database replaced) do not link: quarantined.
    anders = Kette(geraet)
    for _ in range(6):
        anders.add("records.akte.update", reason="anders")
    fork = senden(koffer, push(segment=anders.segment(von=6)))
    assert fork.status_code == 422
    assert fork.json()["grund"] == (
        "Ereignis 6: schließt nicht an das zuletzt übernommene Ereignis 5 an."
    )


def test_an_office_restored_to_before_the_first_push_asks_for_the_beginning(
    daten: Bestand, koppelung: tuple[Geraet, Client], tmp_path: Any, settings: Any
) -> None:
    geraet, koffer = koppelung
    kette = _kette(geraet, daten, lesen=3)

    behind = senden(koffer, push(segment=kette.segment(von=3)))

    assert behind.status_code == 409
    assert (behind.json()["code"], behind.json()["ab_seq"]) == ("segment_nachholen", None)
    assert not SegmentQuarantaene.objects.for_tenant(daten.tenant).exists()
    assert senden(koffer, push(segment=kette.segment())).status_code == 200


def test_the_koffer_collects_its_events_again_from_where_the_office_stands(
    daten: Bestand, koppelung: tuple[Geraet, Client], tmp_path: Any, settings: Any
) -> None:
    """The Koffer's side (``segment.koffer.nachholen``), on this database's chain."""
    from koffer.field.rueckgabe.abgleich import AbholungFehlgeschlagen
    from koffer.field.segment import koffer as koffer_seite

    geraet, _ = koppelung
    settings.VAR_DIR = tmp_path
    events = list(AuditEvent.objects.filter(tenant_id=daten.tenant.pk).order_by("seq"))
    koffer_seite._speichern(
        {
            "mandant": str(daten.tenant.pk),
            "geraet": str(geraet.pk),
            "von_seq": events[-1].seq + 1,
            "vorher": events[-1].hash,
        }
    )
    ab = events[-3].seq

    segment = koffer_seite.nachholen(ab)

    assert (segment["von_seq"], segment["bis_seq"]) == (ab, events[-1].seq)
    assert segment["vorher"] == events[-4].hash
    assert [e["hash"] for e in segment["ereignisse"]] == [e.hash for e in events[-3:]]
    # Without a beginning of this Koffer in the chain it cannot: said in German.
    with pytest.raises(AbholungFehlgeschlagen, match="Administration"):
        koffer_seite.nachholen(None)
