"""Steps of the two-process sync tests (tests/field/test_abgleich_koffer_prozesse.py), run
in the office's or the Koffer's process with ``manage.py shell -c``; each prints one line
of JSON."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from koffer.field.models import Konflikt
from koffer.field.paket import abholung
from koffer.field.rueckgabe import abgleich
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import (
    Akte,
    AkteSubjekt,
    Dokument,
    DokumentVersion,
    Person,
    Wiedervorlage,
)
from tests.field.paket_bestand import text


def _person(akte_id: str) -> Person:
    akte = Akte.objects.unscoped().get(pk=akte_id)
    subjekt = AkteSubjekt.objects.for_tenant(akte.tenant_id).filter(akte=akte).first()
    assert subjekt is not None
    return Person.objects.for_tenant(akte.tenant_id).get(pk=subjekt.person_id)


def person_aendern(akte_id: str, **felder: str) -> None:
    """Change fields of the Akte's first person (in whichever process runs it)."""
    person = _person(akte_id)
    for name, wert in felder.items():
        setattr(person, name, wert)
    person.save(update_fields=list(felder))
    print(json.dumps({"person": str(person.pk)}))


def dokument_anlegen(akte_id: str, name: str) -> None:
    """File a new text document into the Akte (on the Koffer)."""
    akte = Akte.objects.unscoped().get(pk=akte_id)
    data = text(3000, f"koffer-{name}")
    result = documents.ingest_file(
        actor=None, akte=akte, file=naming.IncomingFile.from_bytes(name, data)
    )
    assert result.ok, result.message
    assert result.dokument is not None
    print(
        json.dumps({"dokument": str(result.dokument.pk), "sha": hashlib.sha256(data).hexdigest()})
    )


def nur_blobs_senden() -> None:
    """A push that dies right after its blobs went up: the payload written, no POST."""
    payload, _ = abgleich.vorbereiten()
    assert payload is not None
    buero = abholung.zugang_laden()
    for sha in payload["blobs"]:
        abgleich.blob_senden(buero, sha)
    print(json.dumps({"abgleich_id": payload["abgleich_id"], "blobs": payload["blobs"]}))


def senden_ohne_abschluss() -> None:
    """A push that dies after the office applied it, before the Koffer learnt the answer:
    the payload written, its blobs uploaded, the POST sent, the file left behind."""
    payload, _ = abgleich.vorbereiten()
    assert payload is not None
    buero = abholung.zugang_laden()
    for sha in payload["blobs"]:
        abgleich.blob_senden(buero, sha)
    antwort = abholung.json_anfrage(buero, "/koffer/abgleich", payload)
    print(json.dumps({"abgleich_id": payload["abgleich_id"], "antwort": antwort}))


def stand(akte_id: str) -> None:
    """What the office has now: the person's contact fields, the Akte's documents with
    their versions' hashes, the open conflicts."""
    person = _person(akte_id)
    akte = Akte.objects.unscoped().get(pk=akte_id)
    dokumente = Dokument.objects.for_tenant(akte.tenant_id).filter(akte=akte)
    versionen = DokumentVersion.objects.for_tenant(akte.tenant_id).filter(dokument__akte=akte)
    konflikte = Konflikt.objects.for_tenant(akte.tenant_id).values_list("feld", flat=True)
    found: dict[str, Any] = {
        "telefon": person.telefon,
        "email": person.email,
        "city": person.city,
        "dokumente": sorted(str(d.pk) for d in dokumente),
        "shas": sorted(v.sha256 for v in versionen),
        "konflikte": sorted(konflikte),
    }
    print(json.dumps(found))


def im_buero_entfernen(akte_id: str) -> None:
    """Remove a document (with its versions) and the Wiedervorlage of the Akte in the
    office the way no service does (straight from the database, unaudited): the Koffer's
    next pull must notice it all the same."""
    akte = Akte.objects.unscoped().get(pk=akte_id)
    dokument = Dokument.objects.for_tenant(akte.tenant_id).filter(akte=akte).order_by("pk")[0]
    versionen = DokumentVersion.objects.for_tenant(akte.tenant_id).filter(dokument=dokument)
    shas = sorted(versionen.values_list("sha256", flat=True))
    wv = Wiedervorlage.objects.for_tenant(akte.tenant_id).filter(akte=akte).get()
    wv_id = str(wv.pk)
    wv.delete()
    Dokument.objects.for_tenant(akte.tenant_id).filter(pk=dokument.pk).update(current_version=None)
    versionen.delete()
    dokument_id = str(dokument.pk)
    dokument.delete()
    print(json.dumps({"dokument": dokument_id, "shas": shas, "wiedervorlage": wv_id}))


def wiedervorlage_notiz(akte_id: str, note: str) -> None:
    """Change the note of the Akte's Wiedervorlage (on the Koffer: an unsent change)."""
    akte = Akte.objects.unscoped().get(pk=akte_id)
    wv = Wiedervorlage.objects.for_tenant(akte.tenant_id).filter(akte=akte).get()
    wv.note = note
    wv.save(update_fields=["note"])
    print(json.dumps({"wiedervorlage": str(wv.pk)}))
