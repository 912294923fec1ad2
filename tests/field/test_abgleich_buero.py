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
from koffer.field.models import Ausleihe, Hausbesuch, Konflikt
from koffer.records.models import AccessLevel, Akte, AkteSubjekt, Person, Vorgang, Wiedervorlage
from koffer.tenancy.models import Mandant
from tests import factories
from tests.conftest import signed_in
from tests.field.conftest import paket_json
from tests.field.paket_bestand import Bestand, bestand
from tests.inbox.openapi import conforms

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
    return dict(paket_json(koffer.get("/api/v1/koffer/paket")))


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


ABGLEICH = "/api/v1/koffer/abgleich"
KONFLIKTE = "/api/v1/koffer/konflikte"
ENTSCHEIDEN = "/api/v1/koffer/konflikte/{konflikt_id}/entscheiden"
BLOB = "/api/v1/koffer/blobs/{sha256}"


def senden(koffer: Client, daten: dict[str, Any]) -> Any:
    response = koffer.post(ABGLEICH, daten, content_type="application/json")
    conforms(response, ABGLEICH, "post")
    return response


def entscheiden(client: Client, konflikt_id: str, entscheidung: str) -> Any:
    response = client.post(
        f"{KONFLIKTE}/{konflikt_id}/entscheiden",
        {"entscheidung": entscheidung},
        content_type="application/json",
    )
    conforms(response, ENTSCHEIDEN, "post")
    return response


def konflikt_der_person(
    daten: Bestand, koffer: Client, paket: dict[str, Any], feld: str = "street"
) -> Person:
    """A push whose change of ``feld`` the office changed differently meanwhile."""
    person = person_der_akte(daten)
    alt = basis(paket, "records.person", person.pk)
    Person.objects.unscoped().filter(pk=person.pk).update(**{feld: "Büroweg 1"})
    response = senden(
        koffer, push([aenderung("records.person", person.pk, **{feld: (alt[feld], "Kofferweg 2")})])
    )
    assert response.json()["konflikte"] == 1
    return person


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
    queue = sachbearbeitung.get(KONFLIKTE)
    assert queue.status_code == 200
    by_feld = {k["feld"]: k for k in conforms(queue, KONFLIKTE, "get")}
    assert by_feld["street"]["buero_wert"] == "Büroweg 1"
    assert by_feld["street"]["koffer_wert"] == "Kofferweg 2"
    assert by_feld["street"]["basis"] == alt["street"]

    taken = entscheiden(sachbearbeitung, by_feld["street"]["id"], "koffer")
    assert taken.status_code == 200, taken.content
    kept = entscheiden(sachbearbeitung, by_feld["city"]["id"], "buero")
    assert kept.status_code == 200
    person.refresh_from_db()
    assert (person.street, person.city) == ("Kofferweg 2", "Bürostadt")
    assert sachbearbeitung.get("/api/v1/koffer/konflikte").json() == []
    again = entscheiden(sachbearbeitung, by_feld["city"]["id"], "koffer")
    assert again.status_code == 409
    assert AuditEvent.objects.filter(action="field.konflikt.entscheiden").count() == 2

    andere = factories.unit(daten.tenant, name="Jugendamt")
    fremd = signed_in(factories.user(daten.tenant, unit_=andere))
    assert fremd.get("/api/v1/koffer/konflikte").json() == []
    assert entscheiden(fremd, by_feld["city"]["id"], "koffer").status_code == 404


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
    assert conforms(first, BLOB, "put") == {"sha256": sha, "neu": True}
    again = koffer.put(url, data, content_type="application/octet-stream")
    assert again.status_code == 200
    assert conforms(again, BLOB, "put")["neu"] is False
    wrong = koffer.put(
        f"/api/v1/koffer/blobs/{'ab' * 32}", b"anders", content_type="application/octet-stream"
    )
    assert wrong.status_code == 422
    assert conforms(wrong, BLOB, "put")["code"] == "hash_falsch"
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


def test_the_queue_page_decides_and_the_akte_shows_a_notice(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    person = konflikt_der_person(daten, koffer, paket)
    akte = daten.akten[0]
    sachbearbeitung = signed_in(factories.user(daten.tenant, unit_=akte.unit))
    akte_seite = sachbearbeitung.get(f"/akten/{akte.pk}/")
    assert "Ein Konflikt aus dem Koffer wartet" in akte_seite.content.decode()

    page = sachbearbeitung.get("/koffer/konflikte/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "Koffer: Konflikte" in html and akte.aktenzeichen in html
    assert "Büroweg 1" in html and "Kofferweg 2" in html
    assert "Wert aus dem Büro behalten" in html and "Wert aus dem Koffer übernehmen" in html
    assert AuditEvent.objects.filter(action="field.konflikte_gelesen").exists()

    konflikt = Konflikt.objects.unscoped().get()
    url = f"/koffer/konflikte/{konflikt.pk}/entscheiden/"
    fremd = signed_in(factories.user(daten.tenant, unit_=factories.unit(daten.tenant, name="X")))
    assert fremd.post(url, {"entscheidung": "koffer"}).status_code == 404
    assert fremd.get("/koffer/konflikte/").content.decode().count("Kofferweg 2") == 0

    done = sachbearbeitung.post(url, {"entscheidung": "koffer"}, follow=True)
    assert "Der Wert aus dem Koffer ist übernommen." in done.content.decode()
    person.refresh_from_db()
    assert person.street == "Kofferweg 2"
    assert (
        "Ein Konflikt aus dem Koffer"
        not in sachbearbeitung.get(f"/akten/{akte.pk}/").content.decode()
    )

    # The field worker sees their Koffer's conflicts too.
    konflikt_der_person(daten, koffer, paket, feld="city")
    assert "Kofferweg 2" in signed_in(daten.worker).get("/koffer/konflikte/").content.decode()


def test_taking_the_koffer_value_of_a_row_deleted_meanwhile_keeps_the_deletion(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    wv = Wiedervorlage.objects.for_tenant(daten.tenant).filter(akte=daten.akten[0]).get()
    alt = basis(paket, "records.wiedervorlage", wv.pk)
    Wiedervorlage.objects.unscoped().filter(pk=wv.pk).update(note="Büro")
    senden(koffer, push([aenderung("records.wiedervorlage", wv.pk, note=(alt["note"], "Koffer"))]))
    konflikt = Konflikt.objects.unscoped().get()
    wv.delete()
    worker = signed_in(daten.worker)
    answer = entscheiden(worker, str(konflikt.pk), "koffer")
    assert answer.status_code == 200
    assert (answer.json()["art"], answer.json()["entscheidung"]) == ("geloescht", "buero")


def test_a_home_visit_done_on_the_koffer_and_values_that_do_not_fit(
    daten: Bestand, koffer: Client
) -> None:
    besuch = Hausbesuch.objects.create(
        tenant=daten.tenant,
        akte=daten.akten[0],
        aussendienst=daten.worker,
        datum=timezone.localdate(),
        anlass="Antrag aufnehmen",
        created_at=timezone.now(),
    )
    # „erledigt“ without the time it was done: the table's own rule refuses it.
    half = senden(
        koffer, push([aenderung("field.hausbesuch", besuch.pk, status=("geplant", "erledigt"))])
    )
    assert half.status_code == 422
    assert "passen nicht zusammen" in " ".join(half.json()["fehler"])

    erledigt = "2026-12-07T10:15:00+01:00"
    response = senden(
        koffer,
        push(
            [
                aenderung(
                    "field.hausbesuch",
                    besuch.pk,
                    status=("geplant", "erledigt"),
                    erledigt_am=(None, erledigt),
                )
            ]
        ),
    )
    assert response.status_code == 200, response.content
    assert response.json()["uebernommen"] == 2
    besuch.refresh_from_db()
    assert besuch.status == "erledigt"
    assert (
        besuch.erledigt_am is not None
        and besuch.erledigt_am.isoformat() == "2026-12-07T09:15:00+00:00"
    )


def test_an_akte_the_worker_may_no_longer_change_takes_nothing_back(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    person = person_der_akte(daten)
    alt = basis(paket, "records.person", person.pk)
    Akte.objects.unscoped().filter(pk=daten.akten[0].pk).update(access_level=AccessLevel.RESTRICTED)
    response = senden(
        koffer,
        push([aenderung("records.person", person.pk, telefon=(alt["telefon"], "030 1234567"))]),
    )
    assert response.status_code == 422
    person.refresh_from_db()
    assert person.telefon == alt["telefon"]
