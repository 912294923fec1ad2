"""An office restored from a backup loses no accepted push: the Koffer keeps the pushes
the office accepted and names them in the next one; an office that no longer has one
answers 409 ``abgleich_nachholen`` (which, and the last it has), and the Koffer sends
them again in their order — each applied once — before the new one.

The office is the real API (its own test database); between the Koffer's side
(``field.rueckgabe.abgleich``) and it only the transport is the test client instead of
a socket."""

from __future__ import annotations

import uuid
from pathlib import Path
from typing import Any

import pytest
from django.test import Client, override_settings

from koffer.field.geraete import services as geraete
from koffer.field.models import Abgleich
from koffer.field.paket import abholung
from koffer.field.paket.abholung import AbholungFehlgeschlagen, Buero
from koffer.field.rueckgabe import abgleich
from koffer.records.models import AkteSubjekt, Person
from koffer.tenancy.models import Mandant
from tests.field.paket_bestand import Bestand, bestand
from tests.field.test_abgleich_dienste import aenderung, push, senden

pytestmark = pytest.mark.django_db


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


def test_the_office_asks_for_an_accepted_push_it_no_longer_has(
    daten: Bestand, koffer: Client
) -> None:
    person = person_von(daten)
    erster = push([aenderung("records.person", person.pk, telefon=(person.telefon, "0170 1"))])
    assert senden(koffer, erster).status_code == 200
    verloren = str(uuid.uuid4())
    spaeter = push([aenderung("records.person", person.pk, email=(person.email, "a@example.org"))])

    told = senden(koffer, {**spaeter, "angenommen": [erster["abgleich_id"], verloren]})

    assert told.status_code == 409
    problem = told.json()
    assert problem["code"] == "abgleich_nachholen"
    assert (problem["fehlen"], problem["letzter"]) == ([verloren], erster["abgleich_id"])
    assert Person.objects.unscoped().get(pk=person.pk).email == person.email  # nothing applied
    # Naming only what the office has: taken.
    taken = senden(koffer, {**spaeter, "angenommen": [erster["abgleich_id"]]})
    assert taken.status_code == 200, taken.content


def test_the_koffer_sends_what_a_restored_office_lost_again_and_nothing_is_doubled(
    daten: Bestand, koffer: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def ueber_client(buero: Buero, pfad: str, body: dict[str, Any] | None = None, **_: Any) -> Any:
        response = koffer.post(f"/api/v1{pfad}", body, content_type="application/json")
        if response.status_code >= 400:
            problem = response.json()
            raise AbholungFehlgeschlagen(
                str(problem.get("detail")), status=response.status_code, problem=problem
            )
        return response.json()

    monkeypatch.setattr(abholung, "json_anfrage", ueber_client)
    buero = Buero(url="http://buero.invalid", token="-")
    person = person_von(daten)
    meldungen: list[str] = []

    def senden_vom_koffer(payload: dict[str, Any]) -> dict[str, Any]:
        datei = abgleich.ordner() / f"{payload['abgleich_id']}.json"
        abgleich.schreiben(datei, payload)
        return abgleich._senden(buero, payload, datei, meldungen.append)

    with override_settings(VAR_DIR=str(tmp_path)):
        a = push([aenderung("records.person", person.pk, telefon=(person.telefon, "0170 1"))])
        b = push([aenderung("records.person", person.pk, telefon=("0170 1", "0170 2"))])
        senden_vom_koffer(a)
        senden_vom_koffer(b)
        # Kept, in order, once accepted; nothing waits.
        assert [p.name.split("-", 1)[1] for p in abgleich.aufbewahrte()] == [
            f"{a['abgleich_id']}.json",
            f"{b['abgleich_id']}.json",
        ]
        assert abgleich.offene() == []

        # The office restored from a backup taken before b: b's push and its change gone.
        Abgleich.objects.unscoped().filter(abgleich_id=b["abgleich_id"]).delete()
        Person.objects.unscoped().filter(pk=person.pk).update(telefon="0170 1")

        c = push([aenderung("records.person", person.pk, email=(person.email, "c@example.org"))])
        antwort = senden_vom_koffer(c)

    assert antwort["abgleich_id"] == c["abgleich_id"]
    assert any("fehlen 1 schon angenommene Abgleiche" in m for m in meldungen), meldungen
    nachher = Person.objects.unscoped().get(pk=person.pk)
    assert (nachher.telefon, nachher.email) == ("0170 2", "c@example.org")
    ids = {a["abgleich_id"], b["abgleich_id"], c["abgleich_id"]}
    assert {str(x.abgleich_id) for x in Abgleich.objects.unscoped().all()} == ids
    assert Abgleich.objects.unscoped().count() == 3
