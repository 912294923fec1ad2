"""Documents and Vorgänge made on the Koffer enter the office through the E-Akte's
services, through the real API with a paired Koffer's token: a new document and a new
version are inspected like a hand upload, numbered by the office, made current and
audited as the field worker; a file the inspection refuses waits in the queue with its
reason (the push reports it, its file kept); a Vorgang made offline gets its status
through the status service."""

from __future__ import annotations

import hashlib
import uuid
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.test import Client

from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.field.geraete import services as geraete
from koffer.field.models import Konflikt
from koffer.records.dokumente import blob_ledger
from koffer.records.dokumente import services as dokumente
from koffer.records.dokumente.naming import IncomingFile
from koffer.records.models import Dokument, DokumentVersion, Vorgang, VorgangSchritt
from koffer.tenancy.models import Mandant
from tests.field.conftest import paket_json
from tests.field.paket_bestand import Bestand, bestand, text
from tests.field.test_abgleich_dienste import neues_dokument, push, senden, zeile

pytestmark = pytest.mark.django_db

KOFFER_ZEIT = "2026-11-24T15:30:00+01:00"


@pytest.fixture
def daten(tenant: Mandant) -> Bestand:
    return bestand(tenant, akten=1, dokumente=1, groesse=500)


@pytest.fixture
def koffer(daten: Bestand) -> Client:
    _, token = geraete.koppeln(code=daten.kopplungscode)
    return Client(headers={"Authorization": f"Bearer {token}"})


@pytest.fixture
def paket(koffer: Client) -> dict[str, Any]:
    return paket_json(koffer.get("/api/v1/koffer/paket"))


def hochladen(koffer: Client, data: bytes) -> str:
    sha = hashlib.sha256(data).hexdigest()
    response = koffer.put(
        f"/api/v1/koffer/blobs/{sha}", data, content_type="application/octet-stream"
    )
    assert response.status_code == 201, response.content
    return sha


def test_documents_and_versions_made_offline_are_filed_through_the_e_aktes_service(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    [akte] = daten.akten
    rows, sha = neues_dokument(koffer, paket, akte, "Foto Mietvertrag")
    rows[0]["fields"]["created_at"] = rows[1]["fields"]["created_at"] = KOFFER_ZEIT
    # A new version of a document the office has, numbered 2 on the Koffer; the office
    # added a version of its own meanwhile (2), so the Koffer's becomes 3.
    vorhanden = zeile(paket, "records.dokument", akte=str(akte.pk))
    basis = zeile(paket, "records.dokumentversion", dokument=vorhanden["pk"])
    assert akte.caseworker is not None
    im_buero = dokumente.add_version(
        actor=akte.caseworker,
        dokument=Dokument.objects.unscoped().get(pk=vorhanden["pk"]),
        file=IncomingFile.from_bytes("nachtrag.txt", text(700, "büro-nachtrag")),
    )
    assert im_buero.ok and im_buero.version is not None and im_buero.version.number == 2
    nachtrag = text(800, "koffer-nachtrag")
    version = {
        **basis,
        "pk": str(uuid.uuid4()),
        "fields": {
            **basis["fields"],
            "number": 2,
            "sha256": hochladen(koffer, nachtrag),
            "pdf_sha256": "",
            "size": len(nachtrag),
            "filename": "nachtrag-koffer.txt",
            "created_at": KOFFER_ZEIT,
            "note": "Beim Hausbesuch fotografiert",
        },
    }
    daten_push = push(neu=[*rows, version])
    response = senden(koffer, daten_push)
    assert response.status_code == 200, response.content
    assert response.json()["neu"] == 3

    koffer_zeit = datetime.fromisoformat(KOFFER_ZEIT)
    dokument = Dokument.objects.unscoped().get(pk=rows[0]["pk"])
    erste = DokumentVersion.objects.unscoped().get(pk=rows[1]["pk"])
    assert (dokument.title, dokument.current_version_id) == ("Foto Mietvertrag", erste.pk)
    assert (dokument.created_at, dokument.created_by_id) == (koffer_zeit, daten.worker.pk)
    assert (erste.number, erste.sha256, erste.created_by_id) == (1, sha, daten.worker.pk)
    assert erste.created_at == koffer_zeit
    assert "foto-Foto Mietvertrag" in erste.text  # inspected here: its text found
    dritte = DokumentVersion.objects.unscoped().get(pk=version["pk"])
    assert (dritte.number, dritte.note) == (3, "Beim Hausbesuch fotografiert")
    vorhanden_jetzt = Dokument.objects.unscoped().get(pk=vorhanden["pk"])
    assert vorhanden_jetzt.current_version_id == dritte.pk

    # Audited as the field worker, naming the Koffer (not as a system actor).
    for action, object_id in (
        ("records.dokument.create", dokument.pk),
        ("records.dokument.version", vorhanden_jetzt.pk),
    ):
        event = AuditEvent.objects.get(
            tenant_id=daten.tenant.pk,
            action=action,
            object_id=str(object_id),
            actor_id=daten.worker.pk,
        )
        assert event.changes["koffer"] == str(daten.geraet.pk)
        assert "koffer_ereignis" in event.changes

    # The same push again (its answer lost): nothing doubled.
    again = senden(koffer, {**daten_push, "abgleich_id": str(uuid.uuid4())})
    assert again.status_code == 200, again.content
    assert again.json()["neu"] == 0
    assert DokumentVersion.objects.unscoped().filter(dokument_id=vorhanden["pk"]).count() == 3
    assert Dokument.objects.unscoped().filter(akte=akte).count() == 2


def test_a_file_the_inspection_refuses_waits_in_the_queue_with_its_reason(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    [akte] = daten.akten
    gut, _ = neues_dokument(koffer, paket, akte, "Foto Bescheid")
    schlecht, _ = neues_dokument(koffer, paket, akte, "Programm")
    programm = b"MZ\x90\x00\x03\x00\x00\x00" + bytes(600)
    sha = hochladen(koffer, programm)
    schlecht[1]["fields"].update(sha256=sha, size=len(programm), filename="bild.exe")
    response = senden(koffer, push(neu=[*schlecht, *gut]))
    assert response.status_code == 200, response.content
    antwort = response.json()
    # The good one is filed; the refused one is not lost: it waits, with the reason.
    assert antwort["neu"] == 2
    assert Dokument.objects.unscoped().filter(pk=gut[0]["pk"]).exists()
    assert not Dokument.objects.unscoped().filter(pk=schlecht[0]["pk"]).exists()
    assert any("Programme und Skripte" in h for h in antwort["hinweise"]), antwort
    wartend = Konflikt.objects.unscoped().filter(art="abgelehnt", status="offen")
    assert sorted(k.modell for k in wartend) == ["records.dokument", "records.dokumentversion"]
    assert all("Programme und Skripte werden nicht angenommen" in k.hinweis for k in wartend)
    assert all(k.akte_id == akte.pk for k in wartend)
    blob_ledger.collect(older_than=timedelta(0))
    assert get_store().exists(sha)


def test_a_vorgang_made_offline_gets_its_status_through_the_status_service(
    daten: Bestand, koffer: Client, paket: dict[str, Any]
) -> None:
    basis = zeile(paket, "records.vorgang")
    erledigt = {
        **basis,
        "pk": str(uuid.uuid4()),
        "fields": {
            **basis["fields"],
            "title": "Hausbesuch: Pflegegrad",
            "status": "done",
            "closed_at": KOFFER_ZEIT,
        },
    }
    unbekannt = {
        **basis,
        "pk": str(uuid.uuid4()),
        "fields": {**basis["fields"], "title": "Verlegt", "status": "verschollen"},
    }
    response = senden(koffer, push(neu=[erledigt, unbekannt]))
    assert response.status_code == 200, response.content
    vorgang = Vorgang.objects.unscoped().get(pk=erledigt["pk"])
    assert vorgang.status == "done" and vorgang.closed_at is not None
    schritte = VorgangSchritt.objects.unscoped().filter(vorgang=vorgang)
    assert sorted(s.action for s in schritte) == ["angelegt", "status"]
    event = AuditEvent.objects.get(
        tenant_id=daten.tenant.pk, action="records.vorgang.status", object_id=str(vorgang.pk)
    )
    assert (event.actor_id, event.changes["status"]) == (
        daten.worker.pk,
        {"old": "open", "new": "done"},
    )
    # A status the service refuses: the Vorgang waits whole, with the service's message.
    assert not Vorgang.objects.unscoped().filter(pk=unbekannt["pk"]).exists()
    [wartet] = Konflikt.objects.unscoped().filter(art="abgelehnt", objekt_id=unbekannt["pk"])
    assert wartet.hinweis == "Diesen Status gibt es nicht."
