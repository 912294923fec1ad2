"""Akten made on a Koffer get their human numbers on sync: the Koffer draws a provisional
``KOFFER-…`` number, the office the next real Aktenzeichen / BG-Nummer from its gap-free
counters, the UUID stays, the answer maps them, the next pull shows them; the Akte's
documents are findable as an upload's. Through the real API with a paired Koffer's token.

The Koffer's side is made with the real services in KOFFER_MODE=koffer inside a
transaction of the same database that is then rolled back: what ``sammeln`` collects
there is exactly what a Koffer sends, and the office has none of it before the push."""

from __future__ import annotations

import hashlib
import uuid
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction
from django.test import Client, override_settings
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.audit.models import AuditEvent
from koffer.field.geraete import services as geraete
from koffer.field.models import Ausleihe, Konflikt
from koffer.field.rueckgabe.sammeln import sammeln
from koffer.records import numbering
from koffer.records import services as records
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import (
    AccessLevel,
    Akte,
    Bedarfsgemeinschaft,
    Dokument,
    Person,
    Vorgang,
    VorgangSchritt,
    VorgangTyp,
    Wiedervorlage,
)
from koffer.records.selectors import Viewer
from koffer.records.suche import services as search
from koffer.tenancy.models import Counter, Mandant
from tests import factories
from tests.conftest import signed_in
from tests.field.conftest import paket_json
from tests.field.paket_bestand import Bestand, bestand
from tests.inbox.openapi import conforms

pytestmark = pytest.mark.django_db

ABGLEICH = "/api/v1/koffer/abgleich"


class _Zurueck(Exception):
    """Rolls the Koffer's side back after collecting it."""


@pytest.fixture
def daten(tenant: Mandant) -> Bestand:
    return bestand(tenant, akten=1, dokumente=1, groesse=500)


@pytest.fixture
def koffer(daten: Bestand) -> Client:
    _, token = geraete.koppeln(code=daten.kopplungscode)
    return Client(headers={"Authorization": f"Bearer {token}"})


def offline_angelegt(daten: Bestand, unit: Any = None) -> tuple[dict[str, Any], dict[str, bytes]]:
    """A field worker's day on the Koffer: a new Akte for a new person with a new BG, a
    Vorgang and a scanned paper in it. Returns the push ``sammeln`` makes and the blobs."""
    akte0 = daten.akten[0]
    typ = VorgangTyp.objects.for_tenant(daten.tenant).first()
    assert typ is not None
    blob = f"Mietbescheinigung Frau Offlinerin, Kofferstraße {uuid.uuid4()}".encode()
    payload: dict[str, Any] = {}
    try:
        with override_settings(KOFFER_MODE="koffer"), transaction.atomic():
            akte = records.open_akte_for_person(
                actor=daten.worker,
                tenant=daten.tenant,
                aktenplaneinheit=akte0.aktenplaneinheit,
                unit=unit or akte0.unit,
                title="Hilfe zur Pflege",
                family_name="Offlinerin",
                given_names="Erna",
                bg_nummer="neu",
                access=Access.for_user(daten.worker.pk, daten.tenant.pk),
            )
            vorgang = records.create_vorgang(
                actor=daten.worker, akte=akte, typ=typ, title="Erstantrag"
            )
            records.set_wiedervorlage(
                actor=daten.worker,
                akte=akte,
                vorgang=vorgang,
                due_date=timezone.localdate() + timedelta(days=7),
                assignee=daten.worker,
                note="Pflegegrad nachfragen",
            )
            result = documents.ingest_file(
                actor=daten.worker,
                akte=akte,
                file=naming.IncomingFile.from_bytes("Mietbescheinigung.txt", blob),
            )
            assert result.ok, result.message
            payload.update(sammeln())
            raise _Zurueck
    except _Zurueck:
        pass
    return payload, {hashlib.sha256(blob).hexdigest(): blob}


def hochladen(koffer: Client, blobs: dict[str, bytes]) -> None:
    for sha, data in blobs.items():
        response = koffer.put(
            f"/api/v1/koffer/blobs/{sha}", data, content_type="application/octet-stream"
        )
        assert response.status_code in (200, 201), response.content


def senden(koffer: Client, daten: dict[str, Any]) -> Any:
    response = koffer.post(ABGLEICH, daten, content_type="application/json")
    conforms(response, ABGLEICH, "post")
    return response


def zeile(payload: dict[str, Any], modell: str) -> dict[str, Any]:
    [found] = [r for r in payload["neu"] if r["model"] == modell]
    return found


def zaehler(tenant: Mandant, key: str) -> int:
    row = Counter.objects.filter(tenant_id=tenant.pk, key=key).first()
    return row.value if row is not None else 0


def test_the_koffer_draws_a_provisional_number_and_sends_the_new_akte(daten: Bestand) -> None:
    payload, blobs = offline_angelegt(daten)

    akte = zeile(payload, "records.akte")
    kurz = daten.geraet.pk.hex[-4:].upper()
    assert akte["fields"]["aktenzeichen"] == f"KOFFER-{kurz}-0001"
    bg = zeile(payload, "records.bedarfsgemeinschaft")
    assert bg["fields"]["bg_nummer"] == f"KOFFER-{kurz}-BG-0001"
    modelle = [r["model"] for r in payload["neu"]]
    # dependency order: the person and BG before the Akte, its rows after it
    assert modelle.index("records.person") < modelle.index("records.akte")
    assert modelle.index("records.akte") < modelle.index("records.aktesubjekt")
    assert modelle.index("records.akte") < modelle.index("records.vorgang")
    assert "records.aktezugriff" not in modelle and "field.ausleihe" not in modelle
    assert set(blobs) <= set(payload["blobs"])
    # nothing of it in the office (the Koffer's side was rolled back)
    assert not Akte.objects.unscoped().filter(pk=akte["pk"]).exists()


def test_an_akte_made_offline_gets_the_next_real_aktenzeichen_and_keeps_its_uuid(
    daten: Bestand, koffer: Client
) -> None:
    payload, blobs = offline_angelegt(daten)
    plan = daten.akten[0].aktenplaneinheit
    key = numbering.aktenzeichen_key(plan.pk, timezone.now().date())
    vorher, bg_vorher = zaehler(daten.tenant, key), zaehler(daten.tenant, "bg")
    akte_row = zeile(payload, "records.akte")
    bg_row = zeile(payload, "records.bedarfsgemeinschaft")
    hochladen(koffer, blobs)

    response = senden(koffer, payload)

    assert response.status_code == 200, response.content
    body = response.json()
    akte = Akte.objects.unscoped().get(pk=akte_row["pk"])  # the UUID kept
    erwartet = numbering.format_aktenzeichen(
        plan.aktenzeichen_pattern,
        kennzeichen=plan.kennzeichen,
        year=timezone.now().year,
        lfd=vorher + 1,
    )
    assert akte.aktenzeichen == erwartet
    assert zaehler(daten.tenant, key) == vorher + 1  # gap-free: one number drawn
    bg = Bedarfsgemeinschaft.objects.unscoped().get(pk=bg_row["pk"])
    assert bg.bg_nummer == f"BG{bg_vorher + 1:07d}"
    assert akte.bg_id == bg.pk
    assert body["nummern"] == {str(akte.pk): erwartet, str(bg.pk): bg.bg_nummer}
    assert any(erwartet in h and "KOFFER-" in h for h in body["hinweise"])
    person = Person.objects.unscoped().get(pk=zeile(payload, "records.person")["pk"])
    assert (person.family_name, person.given_names) == ("Offlinerin", "Erna")
    # the Vorgang and the Wiedervorlage made through the E-Akte's services, as in the office
    vorgang = Vorgang.objects.unscoped().get(akte=akte)
    assert vorgang.title == "Erstantrag"
    assert str(vorgang.pk) == zeile(payload, "records.vorgang")["pk"]
    [schritt] = VorgangSchritt.objects.unscoped().filter(vorgang=vorgang, action="angelegt")
    [koffer_schritt] = [
        r
        for r in payload["neu"]
        if r["model"] == "records.vorgangschritt" and r["fields"]["action"] == "angelegt"
    ]
    assert str(schritt.pk) == koffer_schritt["pk"]  # one row, the same id on both sides
    wv = Wiedervorlage.objects.unscoped().get(akte=akte)
    assert (wv.assignee_id, wv.vorgang_id, wv.note) == (
        daten.worker.pk,
        vorgang.pk,
        "Pflegegrad nachfragen",
    )
    for action, pk in (
        ("records.vorgang.create", vorgang.pk),
        ("records.wiedervorlage.create", wv.pk),
    ):
        assert AuditEvent.objects.filter(action=action, object_id=str(pk)).count() == 1
    [event] = AuditEvent.objects.filter(action="field.akte_angelegt")
    assert event.object_id == str(akte.pk)
    assert event.changes["vorlaeufig"] == akte_row["fields"]["aktenzeichen"]
    assert event.changes["aktenzeichen"] == erwartet
    # the office's own creation is in the audit as well, done by the field worker
    assert AuditEvent.objects.filter(
        action="records.akte.create", object_id=str(akte.pk), actor_id=daten.worker.pk
    ).exists()
    # it stays in the Koffer: the next pull shows the real numbers
    assert (
        Ausleihe.objects.unscoped()
        .filter(akte=akte, geraet=daten.geraet, zurueck_am__isnull=True)
        .exists()
    )
    paket = paket_json(koffer.get("/api/v1/koffer/paket"))
    [im_paket] = [r for r in paket["objekte"] if r["pk"] == str(akte.pk)]
    assert im_paket["fields"]["aktenzeichen"] == erwartet
    # its document is findable by its text, as an upload in the office
    dokument = Dokument.objects.unscoped().get(akte=akte)
    caseworker = daten.akten[0].caseworker
    assert caseworker is not None
    viewer = Viewer(access=Access.for_user(caseworker.pk, daten.tenant.pk), user_id=caseworker.pk)
    hits = search.search(viewer, "Mietbescheinigung Offlinerin").hits
    assert [h.dokument_id for h in hits] == [dokument.pk]


def test_a_retried_push_draws_no_second_number(daten: Bestand, koffer: Client) -> None:
    payload, blobs = offline_angelegt(daten)
    plan = daten.akten[0].aktenplaneinheit
    key = numbering.aktenzeichen_key(plan.pk, timezone.now().date())
    hochladen(koffer, blobs)
    erste = senden(koffer, payload).json()
    stand = zaehler(daten.tenant, key), zaehler(daten.tenant, "bg")

    # the same push again (the answer was lost): the stored answer
    assert senden(koffer, payload).json() == erste
    # collected again after a crash (a new id, the same rows): nothing drawn or made twice
    again = senden(koffer, {**payload, "abgleich_id": str(uuid.uuid4())})

    assert again.status_code == 200, again.content
    assert again.json()["nummern"] == erste["nummern"]
    assert again.json()["neu"] == 0
    assert (zaehler(daten.tenant, key), zaehler(daten.tenant, "bg")) == stand
    assert Akte.objects.unscoped().filter(pk=zeile(payload, "records.akte")["pk"]).count() == 1
    assert AuditEvent.objects.filter(action="field.akte_angelegt").count() == 1


def test_an_akte_in_a_unit_the_worker_may_not_open_akten_in_is_refused(
    daten: Bestand, koffer: Client
) -> None:
    payload, blobs = offline_angelegt(daten)
    fremd = factories.unit(daten.tenant, name="Ordnungsamt")
    zeile(payload, "records.akte")["fields"]["unit"] = str(fremd.pk)
    plan = daten.akten[0].aktenplaneinheit
    key = numbering.aktenzeichen_key(plan.pk, timezone.now().date())
    vorher = zaehler(daten.tenant, key), zaehler(daten.tenant, "bg")
    hochladen(koffer, blobs)

    response = senden(koffer, payload)

    assert response.status_code == 422, response.content
    assert any("keine Akten anlegen" in f for f in response.json()["fehler"])
    assert not Akte.objects.unscoped().filter(pk=zeile(payload, "records.akte")["pk"]).exists()
    assert not Person.objects.unscoped().filter(family_name="Offlinerin").exists()
    assert (zaehler(daten.tenant, key), zaehler(daten.tenant, "bg")) == vorher


def test_a_person_without_a_new_akte_is_refused(daten: Bestand, koffer: Client) -> None:
    payload, _ = offline_angelegt(daten)
    person = zeile(payload, "records.person")

    response = senden(
        koffer,
        {**payload, "neu": [person], "blobs": [], "abgleich_id": str(uuid.uuid4())},
    )

    assert response.status_code == 422, response.content
    assert any("keiner im Koffer angelegten Akte" in f for f in response.json()["fehler"])
    assert not Person.objects.unscoped().filter(pk=person["pk"]).exists()


def test_a_deletion_in_the_office_beats_an_offline_edit_with_a_note_on_the_akte(
    daten: Bestand, koffer: Client
) -> None:
    paket = paket_json(koffer.get("/api/v1/koffer/paket"))
    akte = daten.akten[0]
    wv = Wiedervorlage.objects.for_tenant(daten.tenant).filter(akte=akte).get()
    [alt] = [r["fields"] for r in paket["objekte"] if r["pk"] == str(wv.pk)]
    wv.delete()  # in the office, while the Koffer is out
    push = {
        "format": 1,
        "abgleich_id": str(uuid.uuid4()),
        "erstellt": timezone.now().isoformat(),
        "geaendert": [
            {
                "modell": "records.wiedervorlage",
                "id": str(wv.pk),
                "felder": {"note": {"basis": alt["note"], "neu": "beim Besuch erledigt"}},
                "akte": str(akte.pk),
            }
        ],
        "neu": [],
        "blobs": [],
        "zurueckgeben": False,
    }

    response = senden(koffer, push)

    assert response.status_code == 200, response.content
    assert any("Im Büro gelöscht" in h for h in response.json()["hinweise"])
    assert not Wiedervorlage.objects.unscoped().filter(pk=wv.pk).exists()
    [konflikt] = Konflikt.objects.unscoped().all()
    assert (konflikt.art, konflikt.akte_id, konflikt.koffer_wert) == (
        "geloescht",
        akte.pk,
        "beim Besuch erledigt",  # the Koffer's value kept, nothing lost
    )
    seite = signed_in(factories.user(daten.tenant, unit_=akte.unit)).get(f"/akten/{akte.pk}/")
    assert "der im Büro gelöscht wurde: das Löschen gilt" in seite.content.decode()


def test_an_akte_no_longer_changeable_refuses_with_a_clear_note(
    daten: Bestand, koffer: Client
) -> None:
    payload, _ = offline_angelegt(daten)
    akte = daten.akten[0]
    vorgang = zeile(payload, "records.vorgang")
    neu_pk = str(uuid.uuid4())
    fields = {**vorgang["fields"], "akte": str(akte.pk), "title": "Offline begonnen"}
    Akte.objects.unscoped().filter(pk=akte.pk).update(access_level=AccessLevel.RESTRICTED)

    response = senden(
        koffer,
        {
            **payload,
            "neu": [{"model": "records.vorgang", "pk": neu_pk, "fields": fields}],
            "blobs": [],
        },
    )

    assert response.status_code == 422, response.content
    [fehler] = response.json()["fehler"]
    assert akte.aktenzeichen in fehler and "nicht mehr ändern" in fehler
    assert not Vorgang.objects.unscoped().filter(pk=neu_pk).exists()
