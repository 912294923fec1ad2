"""The office's side of the sync back through the real API, with a paired Koffer's token
and hand-built pushes whose bases come from the real package: per-field merge, the
conflict queue, idempotency, deletions, the rules, files."""

from __future__ import annotations

import hashlib
import uuid
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from koffer.audit.models import AuditEvent
from koffer.field.geraete import services as geraete
from koffer.field.models import Ausleihe, Konflikt
from koffer.records.models import AkteSubjekt, Person, Vorgang, Wiedervorlage
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.field.paket_bestand import Bestand, bestand

pytestmark = pytest.mark.django_db


@pytest.fixture
def daten(tenant: Mandant) -> Bestand:
    return bestand(tenant, akten=1, dokumente=1, groesse=500)


@pytest.fixture
def koffer(daten: Bestand) -> Client:
    _, token = geraete.koppeln(code=daten.kopplungscode)
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def paket(koffer: Client) -> dict[str, Any]:
    response = koffer.get("/api/v1/koffer/paket")
    assert response.status_code == 200
    return response.json()


def basis(paket: dict[str, Any], modell: str, pk: Any) -> dict[str, Any]:
    for row in paket["objekte"]:
        if row["model"] == modell and row["pk"] == str(pk):
            return dict(row["fields"])
    raise AssertionError(f"{modell} {pk} nicht im Paket")


def person_der_akte(daten: Bestand) -> Person:
    subjekt = AkteSubjekt.objects.for_tenant(daten.tenant).filter(akte=daten.akten[0]).first()
    assert subjekt is not None
    return Person.objects.unscoped().get(pk=subjekt.person_id)


def push(
    geaendert: list[dict[str, Any]] | None = None,
    neu: list[dict[str, Any]] | None = None,
    **extra: Any,
) -> dict[str, Any]:
    return {
        "format": 1,
        "abgleich_id": str(uuid.uuid4()),
        "erstellt": "2020-01-01T08:00:00+01:00",  # a Koffer clock years wrong
        "geaendert": geaendert or [],
        "neu": neu or [],
        "blobs": [],
        "zurueckgeben": False,
        **extra,
    }


def aenderung(modell: str, pk: Any, **felder: tuple[Any, Any]) -> dict[str, Any]:
    return {
        "modell": modell,
        "id": str(pk),
        "felder": {k: {"basis": b, "neu": n} for k, (b, n) in felder.items()},
    }


def senden(koffer: Client, daten: dict[str, Any]) -> Any:
    return koffer.post("/api/v1/koffer/abgleich", daten, content_type="application/json")


def test_changes_of_different_fields_on_both_sides_both_survive(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    person = person_der_akte(daten)
    alt = basis(paket, "records.person", person.pk)
    Person.objects.unscoped().filter(pk=person.pk).update(city="Bürostadt")  # the office, meanwhile
    response = senden(
        koffer,
        push([aenderung("records.person", person.pk, telefon=(alt["telefon"], "030 1234567"))]),
    )
    assert response.status_code == 200, response.content
    antwort = response.json()
    assert (antwort["uebernommen"], antwort["konflikte"], antwort["status"]) == (1, 0, "fertig")
    person.refresh_from_db()
    assert (person.city, person.telefon) == ("Bürostadt", "030 1234567")
    event = AuditEvent.objects.filter(action="field.abgleich").get()
    assert event.actor_id == daten.worker.pk
    from koffer.field.models import Abgleich

    row = Abgleich.objects.unscoped().get()
    assert abs((row.empfangen_am - timezone.now()).total_seconds()) < 60
    assert row.erstellt_koffer is not None and row.erstellt_koffer.year == 2020


def test_a_true_conflict_waits_in_the_queue_and_is_decided_both_ways(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    person = person_der_akte(daten)
    alt = basis(paket, "records.person", person.pk)
    Person.objects.unscoped().filter(pk=person.pk).update(street="Büroweg 1", city="Bürostadt")
    response = senden(
        koffer,
        push(
            [
                aenderung(
                    "records.person",
                    person.pk,
                    street=(alt["street"], "Kofferweg 2"),
                    city=(alt["city"], "Kofferstadt"),
                )
            ]
        ),
    )
    assert response.status_code == 200, response.content
    assert response.json()["konflikte"] == 2
    person.refresh_from_db()
    assert (person.street, person.city) == ("Büroweg 1", "Bürostadt")  # never silently

    sachbearbeitung = signed_in(factories.user(daten.tenant, unit_=daten.akten[0].unit))
    queue = sachbearbeitung.get("/api/v1/koffer/konflikte")
    assert queue.status_code == 200
    by_feld = {k["feld"]: k for k in queue.json()}
    assert by_feld["street"]["buero_wert"] == "Büroweg 1"
    assert by_feld["street"]["koffer_wert"] == "Kofferweg 2"
    assert by_feld["street"]["basis"] == alt["street"]

    taken = sachbearbeitung.post(
        f"/api/v1/koffer/konflikte/{by_feld['street']['id']}/entscheiden",
        {"entscheidung": "koffer"},
        content_type="application/json",
    )
    assert taken.status_code == 200, taken.content
    kept = sachbearbeitung.post(
        f"/api/v1/koffer/konflikte/{by_feld['city']['id']}/entscheiden",
        {"entscheidung": "buero"},
        content_type="application/json",
    )
    assert kept.status_code == 200
    person.refresh_from_db()
    assert (person.street, person.city) == ("Kofferweg 2", "Bürostadt")
    assert sachbearbeitung.get("/api/v1/koffer/konflikte").json() == []
    again = sachbearbeitung.post(
        f"/api/v1/koffer/konflikte/{by_feld['city']['id']}/entscheiden",
        {"entscheidung": "koffer"},
        content_type="application/json",
    )
    assert again.status_code == 409
    assert AuditEvent.objects.filter(action="field.konflikt.entscheiden").count() == 2

    andere = factories.unit(daten.tenant, name="Jugendamt")
    fremd = signed_in(factories.user(daten.tenant, unit_=andere))
    assert fremd.get("/api/v1/koffer/konflikte").json() == []
    assert (
        fremd.post(
            f"/api/v1/koffer/konflikte/{by_feld['city']['id']}/entscheiden",
            {"entscheidung": "koffer"},
            content_type="application/json",
        ).status_code
        == 404
    )


def test_the_same_push_twice_applies_once(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    person = person_der_akte(daten)
    alt = basis(paket, "records.person", person.pk)
    daten_push = push([aenderung("records.person", person.pk, email=(alt["email"], "a@b.de"))])
    first = senden(koffer, daten_push)
    Person.objects.unscoped().filter(pk=person.pk).update(email="buero@b.de")
    second = senden(koffer, daten_push)
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    person.refresh_from_db()
    assert person.email == "buero@b.de"  # the retry did not apply it again
    assert AuditEvent.objects.filter(action="field.abgleich").count() == 1


def test_a_row_deleted_in_the_office_is_a_visible_note(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    wv = Wiedervorlage.objects.for_tenant(daten.tenant).filter(akte=daten.akten[0]).first()
    assert wv is not None
    alt = basis(paket, "records.wiedervorlage", wv.pk)
    wv.delete()
    response = senden(
        koffer, push([aenderung("records.wiedervorlage", wv.pk, note=(alt["note"], "erledigt"))])
    )
    assert response.status_code == 200, response.content
    assert response.json()["konflikte"] == 1
    assert any("Im Büro gelöscht" in h for h in response.json()["hinweise"])
    konflikt = Konflikt.objects.unscoped().get()
    assert (konflikt.art, konflikt.status) == ("geloescht", "entschieden")
    assert konflikt.hinweis.startswith("Im Büro gelöscht")


def test_forbidden_changes_are_refused_and_nothing_applies(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    person = person_der_akte(daten)
    alt = basis(paket, "records.person", person.pk)
    fremder_vorgang = Vorgang.objects.for_tenant(daten.tenant).filter(akte=daten.fremd).get()
    response = senden(
        koffer,
        push(
            [
                aenderung("records.person", person.pk, telefon=(alt["telefon"], "030 1234567")),
                aenderung("records.person", person.pk, family_name=(alt["family_name"], "X")),
                aenderung("records.vorgang", fremder_vorgang.pk, title=("a", "b")),
                aenderung("records.akte", daten.akten[0].pk, status=("open", "closed")),
            ]
        ),
    )
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["code"] == "abgleich_abgelehnt"
    assert len(body["fehler"]) == 3
    assert any("family_name" in f for f in body["fehler"])
    person.refresh_from_db()
    assert person.telefon == alt["telefon"]
    assert not AuditEvent.objects.filter(action="field.abgleich").exists()


def test_new_rows_are_inserted_once_and_the_checkout_ends(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    vorgang = Vorgang.objects.for_tenant(daten.tenant).filter(akte=daten.akten[0]).get()
    fields = basis(paket, "records.vorgang", vorgang.pk)
    neu_pk = str(uuid.uuid4())
    fields["title"] = "Im Hausbesuch begonnen"
    daten_push = push(
        neu=[{"model": "records.vorgang", "pk": neu_pk, "fields": fields}], zurueckgeben=True
    )
    response = senden(koffer, daten_push)
    assert response.status_code == 200, response.content
    assert response.json()["neu"] == 1
    assert Vorgang.objects.unscoped().get(pk=neu_pk).title == "Im Hausbesuch begonnen"
    assert Ausleihe.objects.unscoped().get(akte=daten.akten[0]).zurueck_am is not None
    # A new push with the same row (a retry after a lost answer, new id): skipped.
    again = senden(koffer, {**daten_push, "abgleich_id": str(uuid.uuid4())})
    assert again.status_code == 200
    assert again.json()["neu"] == 0


def test_new_rows_outside_the_held_akten_are_refused(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    vorgang = Vorgang.objects.for_tenant(daten.tenant).filter(akte=daten.akten[0]).get()
    fields = basis(paket, "records.vorgang", vorgang.pk)
    fields["akte"] = str(daten.fremd.pk)
    neu_pk = str(uuid.uuid4())
    response = senden(
        koffer, push(neu=[{"model": "records.vorgang", "pk": neu_pk, "fields": fields}])
    )
    assert response.status_code == 422
    assert not Vorgang.objects.unscoped().filter(pk=neu_pk).exists()


def test_blob_upload_good_bad_and_again(koffer: Client) -> None:
    data = b"Foto vom Hausbesuch " * 50
    sha = hashlib.sha256(data).hexdigest()
    url = f"/api/v1/koffer/blobs/{sha}"
    first = koffer.put(url, data, content_type="application/octet-stream")
    assert first.status_code == 201, first.content
    assert koffer.put(url, data, content_type="application/octet-stream").status_code == 200
    wrong = koffer.put(
        f"/api/v1/koffer/blobs/{'ab' * 32}", b"anders", content_type="application/octet-stream"
    )
    assert wrong.status_code == 422
    assert wrong.json()["code"] == "hash_falsch"
    from koffer.blobs.store import get_store

    assert get_store().exists(sha)
    assert not get_store().exists("ab" * 32)
    assert not get_store().exists(hashlib.sha256(b"anders").hexdigest())


def test_a_new_version_naming_a_missing_blob_asks_for_it(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    version = next(r for r in paket["objekte"] if r["model"] == "records.dokumentversion")
    fields = dict(version["fields"])
    fields["sha256"] = "cd" * 32
    fields["pdf_sha256"] = ""
    fields["upload_key"] = "koffer-1"
    response = senden(
        koffer,
        push(neu=[{"model": "records.dokumentversion", "pk": str(uuid.uuid4()), "fields": fields}]),
    )
    assert response.status_code == 409, response.content
    assert response.json()["code"] == "blob_fehlt"
    assert response.json()["blobs"] == ["cd" * 32]


def test_a_revoked_koffer_is_refused(daten: Bestand, koffer: Client) -> None:
    geraete.sperren(actor=daten.worker, geraet=daten.geraet, grund="Verloren")
    response = senden(koffer, push())
    assert response.status_code == 401
    assert response.json()["code"] == "koffer_gesperrt"
    assert response.json()["loeschen"] is True
