"""The sync back through the E-Akte's own services, through the real API with a paired
Koffer's token: a closed Akte takes nothing (its changes and new documents wait in the
queue, never lost), a Vorgang's status goes through the status service, a change the
service refuses waits with its German reason while the rest applies, and Fristen made
offline are opened by the office's Fristregel."""

from __future__ import annotations

import hashlib
import uuid
from datetime import date, timedelta
from typing import Any

import pytest
from django.test import Client

from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.field.geraete import services as geraete
from koffer.field.models import Konflikt
from koffer.records import deadlines
from koffer.records import services as records
from koffer.records.dokumente import blob_ledger
from koffer.records.models import (
    Akte,
    AkteSubjekt,
    Dokument,
    DokumentVersion,
    Frist,
    FristRegel,
    Person,
    Vorgang,
    VorgangSchritt,
)
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.field.conftest import paket_json
from tests.field.paket_bestand import Bestand, bestand, text
from tests.inbox.openapi import conforms

pytestmark = pytest.mark.django_db

ABGLEICH = "/api/v1/koffer/abgleich"
KONFLIKTE = "/api/v1/koffer/konflikte"


@pytest.fixture
def daten(tenant: Mandant) -> Bestand:
    return bestand(tenant, akten=2, dokumente=1, groesse=500)


@pytest.fixture
def koffer(daten: Bestand) -> Client:
    _, token = geraete.koppeln(code=daten.kopplungscode)
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def paket(koffer: Client) -> dict[str, Any]:
    return dict(paket_json(koffer.get("/api/v1/koffer/paket")))


def zeile(paket: dict[str, Any], modell: str, **filter: str) -> dict[str, Any]:
    for row in paket["objekte"]:
        if row["model"] == modell and all(
            str(row["fields"].get(k)) == v for k, v in filter.items()
        ):
            return {"model": modell, "pk": row["pk"], "fields": dict(row["fields"])}
    raise AssertionError(f"{modell} {filter} nicht im Paket")


def push(
    geaendert: list[dict[str, Any]] | None = None, neu: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    return {
        "format": 1,
        "abgleich_id": str(uuid.uuid4()),
        "erstellt": "2026-11-25T09:00:00+01:00",
        "geaendert": geaendert or [],
        "neu": neu or [],
        "blobs": [],
        "zurueckgeben": False,
    }


def aenderung(modell: str, pk: Any, **felder: tuple[Any, Any]) -> dict[str, Any]:
    return {
        "modell": modell,
        "id": str(pk),
        "felder": {k: {"basis": b, "neu": n} for k, (b, n) in felder.items()},
    }


def senden(koffer: Client, daten: dict[str, Any]) -> Any:
    response = koffer.post(ABGLEICH, daten, content_type="application/json")
    conforms(response, ABGLEICH, "post")
    return response


def person_der(akte: Akte) -> Person:
    subjekt = AkteSubjekt.objects.for_tenant(akte.tenant_id).filter(akte=akte).get()
    return Person.objects.for_tenant(akte.tenant_id).get(pk=subjekt.person_id)


def neues_dokument(
    koffer: Client, paket: dict[str, Any], akte: Akte, titel: str
) -> tuple[list[dict[str, Any]], str]:
    """A document photographed on the Koffer (its file uploaded), as the push's rows."""
    data = text(900, f"foto-{titel}")
    sha = hashlib.sha256(data).hexdigest()
    hoch = koffer.put(f"/api/v1/koffer/blobs/{sha}", data, content_type="application/octet-stream")
    assert hoch.status_code == 201, hoch.content
    dokument = zeile(paket, "records.dokument", akte=str(akte.pk))
    version = zeile(paket, "records.dokumentversion", dokument=dokument["pk"])
    dokument["pk"], version["pk"] = str(uuid.uuid4()), str(uuid.uuid4())
    dokument["fields"].update(title=titel, current_version=version["pk"], vorgang=None)
    version["fields"].update(
        dokument=dokument["pk"], sha256=sha, pdf_sha256="", size=len(data), filename="foto.txt"
    )
    return [dokument, version], sha


def test_a_closed_akte_takes_nothing_its_changes_and_documents_wait_in_the_queue(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    geschlossen, offen = daten.akten
    caseworker = geschlossen.caseworker
    assert caseworker is not None
    records.change_akte(
        actor=caseworker, akte=geschlossen, reason="Verfahren beendet", status="closed"
    )
    person, andere = person_der(geschlossen), person_der(offen)
    alt, alt_andere = person.telefon, andere.telefon
    rows, sha = neues_dokument(koffer, paket, geschlossen, "Foto Mietvertrag")
    daten_push = push(
        [
            aenderung("records.person", person.pk, telefon=(alt, "030 111")),
            aenderung("records.person", andere.pk, telefon=(alt_andere, "030 222")),
        ],
        rows,
    )
    response = senden(koffer, daten_push)
    assert response.status_code == 200, response.content
    antwort = response.json()
    # The open Akte's change applies; the closed one's change and document wait.
    assert (antwort["uebernommen"], antwort["neu"]) == (1, 0)
    person.refresh_from_db()
    andere.refresh_from_db()
    assert (person.telefon, andere.telefon) == (alt, "030 222")
    assert not Dokument.objects.unscoped().filter(pk=rows[0]["pk"]).exists()
    heute = f"{date(2026, 11, 25):%d.%m.%Y}"
    grund = f"Akte {geschlossen.aktenzeichen} wurde im Büro abgeschlossen am {heute}"
    wartend = Konflikt.objects.unscoped().filter(art="abgelehnt", status="offen")
    assert sorted(k.modell for k in wartend) == [
        "records.dokument",
        "records.dokumentversion",
        "records.person",
    ]
    assert all(k.hinweis.startswith(grund) for k in wartend)
    assert all(k.akte_id == geschlossen.pk for k in wartend)
    assert sum(grund in h for h in antwort["hinweise"]) == 3
    # The file of the waiting document stays, also when the ledger collects.
    blob_ledger.collect(older_than=timedelta(0))
    assert get_store().exists(sha)

    # The Koffer sends it again (its pull has not changed it): nothing queued twice.
    again = senden(koffer, {**daten_push, "abgleich_id": str(uuid.uuid4())})
    assert again.status_code == 200
    assert Konflikt.objects.unscoped().filter(art="abgelehnt").count() == 3

    # Listed for the caseworker with the reason; taking it needs the Akte open again.
    bearbeiter = signed_in(caseworker)
    liste = bearbeiter.get(KONFLIKTE)
    assert liste.status_code == 200
    dokument_k = next(k for k in liste.json() if k["modell"] == "records.dokument")
    assert (dokument_k["art"], dokument_k["feld"]) == ("abgelehnt", "")
    url = f"{KONFLIKTE}/{dokument_k['id']}/entscheiden"
    refused = bearbeiter.post(url, {"entscheidung": "koffer"}, content_type="application/json")
    assert refused.status_code == 422
    assert "abgeschlossen" in refused.json()["detail"]
    geschlossen.refresh_from_db()
    records.change_akte(actor=caseworker, akte=geschlossen, reason="Nachtrag", status="open")
    # Taking the document files it with its waiting file (that entry settled with it).
    taken = bearbeiter.post(url, {"entscheidung": "koffer"}, content_type="application/json")
    assert taken.status_code == 200, taken.content
    assert not wartend.filter(feld="").exists()
    dokument = Dokument.objects.unscoped().get(pk=rows[0]["pk"])
    assert dokument.title == "Foto Mietvertrag"
    version = DokumentVersion.objects.unscoped().get(pk=rows[1]["pk"])
    assert (version.sha256, version.number, dokument.current_version_id) == (sha, 1, version.pk)


def test_a_vorgang_status_goes_through_the_status_service_a_refusal_waits(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    erster = Vorgang.objects.for_tenant(daten.tenant).get(akte=daten.akten[0])
    zweiter = Vorgang.objects.for_tenant(daten.tenant).get(akte=daten.akten[1])
    response = senden(
        koffer,
        push(
            [
                aenderung(
                    "records.vorgang",
                    erster.pk,
                    status=("open", "done"),
                    closed_at=(None, "2026-11-25T08:30:00+01:00"),
                ),
                aenderung("records.vorgang", zweiter.pk, status=("open", "verschollen")),
            ]
        ),
    )
    assert response.status_code == 200, response.content
    erster.refresh_from_db()
    zweiter.refresh_from_db()
    assert (erster.status, zweiter.status) == ("done", "open")
    assert erster.closed_at is not None  # set by the service, on the office's clock
    schritt = VorgangSchritt.objects.for_tenant(daten.tenant).get(vorgang=erster, action="status")
    assert schritt.actor_id == daten.worker.pk
    event = AuditEvent.objects.filter(action="records.vorgang.status").get()
    assert (event.actor_id, event.object_id) == (daten.worker.pk, str(erster.pk))
    wartet = Konflikt.objects.unscoped().get(art="abgelehnt")
    assert (wartet.objekt_id, wartet.feld, wartet.koffer_wert) == (
        str(zweiter.pk),
        "status",
        "verschollen",
    )
    assert wartet.hinweis == "Diesen Status gibt es nicht."
    assert any("Diesen Status gibt es nicht." in h for h in response.json()["hinweise"])


def test_a_vorgang_made_offline_gets_its_fristen_by_the_office_rule(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    akte = daten.akten[0]
    regel = FristRegel.objects.for_tenant(daten.tenant).get(code="widerspruchsfrist")
    vorgang = zeile(paket, "records.vorgang", akte=str(akte.pk))
    vorgang["pk"] = str(uuid.uuid4())
    vorgang["fields"]["title"] = "Widerspruch im Hausbesuch"
    schritt = zeile(paket, "records.vorgangschritt", action="angelegt")
    schritt["pk"] = str(uuid.uuid4())
    schritt["fields"].update(vorgang=vorgang["pk"], actor=str(daten.worker.pk))
    basis = date(2026, 11, 24)
    # The Koffer's end is a day off (an older rule there): the office's rule counts.
    koffer_ende = date(2026, 12, 29)
    frist = {
        "model": "records.frist",
        "pk": str(uuid.uuid4()),
        "fields": {
            "tenant": str(daten.tenant.pk),
            "vorgang": vorgang["pk"],
            "regel": str(regel.pk),
            "label": regel.label,
            "base_date": basis.isoformat(),
            "due_date": koffer_ende.isoformat(),
            "done_at": None,
        },
    }
    ende = deadlines.due_date(
        basis,
        notification_days=regel.notification_days,
        months=regel.months,
        days=regel.days,
        shift=regel.shift_to_workday,
    )
    assert ende != koffer_ende
    frist_schritt = {
        "model": "records.vorgangschritt",
        "pk": str(uuid.uuid4()),
        "fields": {
            **schritt["fields"],
            "action": "frist",
            "detail": f"{regel.label} bis {ende:%d.%m.%Y}",
        },
    }
    # In the Koffer's order (steps before Fristen): the office writes the Frist first.
    daten_push = push(neu=[vorgang, schritt, frist_schritt, frist])
    response = senden(koffer, daten_push)
    assert response.status_code == 200, response.content
    made = Frist.objects.unscoped().get(pk=frist["pk"])
    assert (made.vorgang_id, made.regel_id, made.due_date) == (
        uuid.UUID(vorgang["pk"]),
        regel.pk,
        ende,
    )
    schritte = VorgangSchritt.objects.unscoped().filter(vorgang_id=vorgang["pk"])
    # The services' steps carry the Koffer's ids: none doubled.
    assert sorted((s.action, str(s.pk)) for s in schritte) == sorted(
        [("angelegt", schritt["pk"]), ("frist", frist_schritt["pk"])]
    )
    event = AuditEvent.objects.filter(action="records.frist.create", object_id=frist["pk"]).get()
    assert event.actor_id == daten.worker.pk
    again = senden(koffer, {**daten_push, "abgleich_id": str(uuid.uuid4())})
    assert again.status_code == 200
    assert again.json()["neu"] == 0
    assert Frist.objects.unscoped().filter(vorgang_id=vorgang["pk"]).count() == 1
