"""The Koffer keeps the pushes the office accepted until a confirmed backup of the office
holds them (``manage.py backup_bestaetigt``): however many, no fixed count. Every push
answer and every state the pull asks for name the newest push in the newest confirmed
backup (``gesichert``); the Koffer drops its kept pushes up to that one only, so an
office restored from that backup can still ask for every later one (409
``abgleich_nachholen``).

The office is the real API (its own test database); between the Koffer's side
(``field.rueckgabe.abgleich``) and it only the transport is the test client."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client, override_settings
from django.utils import timezone

from koffer.audit.models import AuditEvent
from koffer.errors import DomainError
from koffer.field.abgleich import selectors, services
from koffer.field.geraete import services as geraete
from koffer.field.models import Abgleich, Geraet, Sicherung
from koffer.field.paket import abholung
from koffer.field.paket.abholung import AbholungFehlgeschlagen, Buero
from koffer.field.rueckgabe import abgleich
from koffer.records.models import AkteSubjekt, Person
from koffer.tenancy.models import Mandant
from tests.field.paket_bestand import Bestand, bestand
from tests.field.test_abgleich_dienste import aenderung, push

pytestmark = pytest.mark.django_db

VIELE = 56  # more than the 50 the Koffer kept before


@pytest.fixture
def daten(tenant: Mandant) -> Bestand:
    return bestand(tenant, akten=1, dokumente=1, groesse=500)


@pytest.fixture
def koffer(daten: Bestand) -> Client:
    _, token = geraete.koppeln(code=daten.kopplungscode)
    return Client(headers={"Authorization": f"Bearer {token}"})


def person_von(daten: Bestand) -> Person:
    subjekt = AkteSubjekt.objects.for_tenant(daten.tenant).filter(akte=daten.akten[0]).get()
    return Person.objects.for_tenant(daten.tenant).get(pk=subjekt.person_id)


class Koffer:
    """The Koffer's push path (``abgleich._senden``) over the test client."""

    def __init__(self, client: Client, monkeypatch: pytest.MonkeyPatch) -> None:
        self.client = client
        self.buero = Buero(url="http://buero.invalid", token="-")
        self.meldungen: list[str] = []
        self.telefon = 0
        monkeypatch.setattr(abholung, "json_anfrage", self._anfrage)

    def _anfrage(self, _buero: Buero, pfad: str, body: Any = None, **_: Any) -> Any:
        if body is None:
            response = self.client.get(f"/api/v1{pfad}")
        else:
            response = self.client.post(f"/api/v1{pfad}", body, content_type="application/json")
        if response.status_code >= 400:
            problem = response.json()
            raise AbholungFehlgeschlagen(
                str(problem.get("detail")), status=response.status_code, problem=problem
            )
        return response.json()

    def telefon_aendern(self, person: Person) -> dict[str, Any]:
        """One push: the phone number one further (each push's base is the last one's)."""
        basis = person.telefon if self.telefon == 0 else f"0170 {self.telefon}"
        self.telefon += 1
        payload = push(
            [aenderung("records.person", person.pk, telefon=(basis, f"0170 {self.telefon}"))]
        )
        datei = abgleich.ordner() / f"{payload['abgleich_id']}.json"
        abgleich.schreiben(datei, payload)
        return abgleich._senden(self.buero, payload, datei, self.meldungen.append)


def kept_ids() -> list[str]:
    return [p.stem.split("-", 1)[1] for p in abgleich.aufbewahrte()]


@override_settings(KOFFER_SICHERUNG_SPIELRAUM=0)
def test_pushes_beyond_fifty_stay_until_a_backup_holds_them_and_a_restore_still_works(
    daten: Bestand, koffer: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    person = person_von(daten)
    seite = Koffer(koffer, monkeypatch)
    with override_settings(VAR_DIR=str(tmp_path)):
        antworten = [seite.telefon_aendern(person) for _ in range(VIELE)]
        ids = [a["abgleich_id"] for a in antworten]
        # No backup confirmed: every accepted push is kept, more than 50.
        assert kept_ids() == ids
        assert all(a["gesichert"] is None for a in antworten)

        # The backup job confirms a backup that began right after the 40th push.
        vierzigster = Abgleich.objects.unscoped().get(abgleich_id=ids[39])
        services.sicherung_bestaetigen(
            actor=None, tenant_id=daten.tenant.pk, stand=vierzigster.empfangen_am, von="Test"
        )
        assert AuditEvent.objects.filter(action="field.sicherung.bestaetigt").count() == 1
        # The pull's state names it as well as the next push's answer.
        zustand = koffer.get("/api/v1/koffer/zustand")
        assert zustand.json()["gesichert"] == ids[39]

        naechste = seite.telefon_aendern(person)
        assert naechste["gesichert"] == ids[39]
        # Dropped up to the 40th only; the 16 later ones and the new one stay.
        assert kept_ids() == [*ids[40:], naechste["abgleich_id"]]

        # The office is restored from that backup: the pushes after the 40th are lost
        # (and the marker, recorded after the backup began).
        Abgleich.objects.unscoped().filter(
            abgleich_id__in=[*ids[40:], naechste["abgleich_id"]]
        ).delete()
        Sicherung.objects.unscoped().delete()
        Person.objects.unscoped().filter(pk=person.pk).update(telefon="0170 40")

        letzte = seite.telefon_aendern(person)

    assert any("fehlen 17 schon angenommene Abgleiche" in m for m in seite.meldungen)
    assert letzte["gesichert"] is None
    assert Person.objects.unscoped().get(pk=person.pk).telefon == f"0170 {VIELE + 2}"
    assert Abgleich.objects.unscoped().count() == VIELE + 2  # each applied once


def test_a_marker_confirms_no_push_that_arrived_within_the_margin(
    daten: Bestand, koffer: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A push whose transaction was still running when the backup began is not in it: only
    pushes ``KOFFER_SICHERUNG_SPIELRAUM`` seconds older than the backup count."""
    person = person_von(daten)
    seite = Koffer(koffer, monkeypatch)
    geraet = Geraet.objects.unscoped().get()
    with override_settings(VAR_DIR=str(tmp_path), KOFFER_SICHERUNG_SPIELRAUM=600):
        erster = seite.telefon_aendern(person)
        services.sicherung_bestaetigen(actor=None, tenant_id=daten.tenant.pk, stand=timezone.now())
        assert selectors.gesichert(geraet) is None
        Abgleich.objects.unscoped().filter(abgleich_id=erster["abgleich_id"]).update(
            empfangen_am=timezone.now() - timedelta(minutes=11)
        )
        assert str(selectors.gesichert(geraet)) == erster["abgleich_id"]
        # An id the Koffer no longer keeps (or never kept) drops nothing.
        assert abgleich.gesicherte_verwerfen("0190e6f0-0000-7000-8000-000000000000") == 0
        assert kept_ids() == [erster["abgleich_id"]]
        assert abgleich.gesicherte_verwerfen(erster["abgleich_id"]) == 1
        assert kept_ids() == []


def test_the_backup_command_records_a_marker_per_mandant_and_refuses_a_future_time(
    tenant: Mandant, other_tenant: Mandant
) -> None:
    stand = timezone.now() - timedelta(hours=1)
    call_command("backup_bestaetigt", "--stand", stand.isoformat())
    assert {s.tenant_id for s in Sicherung.objects.unscoped()} == {tenant.pk, other_tenant.pk}
    assert AuditEvent.objects.filter(action="field.sicherung.bestaetigt").count() == 2

    with pytest.raises(CommandError, match="Zukunft"):
        call_command(
            "backup_bestaetigt", "--stand", (timezone.now() + timedelta(hours=1)).isoformat()
        )
    with pytest.raises(CommandError, match="Zeitzone"):
        call_command("backup_bestaetigt", "--stand", "2026-12-07T02:00:00")
    with pytest.raises(DomainError):
        services.sicherung_bestaetigen(
            actor=None, tenant_id=tenant.pk, stand=timezone.now() + timedelta(days=1)
        )
    assert Sicherung.objects.unscoped().count() == 2
