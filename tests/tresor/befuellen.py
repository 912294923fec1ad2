"""Run inside a Koffer process (``python -m tests.tresor.befuellen``): a person with an
address and an uploaded document that names them, through the real services, and the
document read back from the encrypted store. Personal strings: :data:`GEHEIM`."""

from __future__ import annotations

import os
from pathlib import Path

import django

NACHNAME = "Quendelmeier"
VORNAME = "Zyprian"
STRASSE = "Wiesenkerbelweg 17"
ORT = "Kleinquendelhausen"
DOKUMENT = (
    f"Antrag auf Hilfe zur Pflege\n\nAntragsteller: {VORNAME} {NACHNAME}\n"
    f"Anschrift: {STRASSE}, 12345 {ORT}\nDiagnose: Pflegegrad 3 wegen Morbus Quendel\n"
).encode()
# Everything a stolen Koffer must not reveal, as the bytes a careless store would hold.
GEHEIM = [
    NACHNAME.encode(),
    VORNAME.encode(),
    STRASSE.encode(),
    ORT.encode(),
    b"Morbus Quendel",
    NACHNAME.encode("utf-16-le"),
]


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "koffer.settings")
    django.setup()

    from django.conf import settings

    from koffer.blobs.store import get_store
    from koffer.pdf import typesetting
    from koffer.records import services
    from koffer.records.dokumente import naming, pages
    from koffer.records.dokumente import services as documents
    from koffer.records.models import Person
    from tests import factories
    from tests.factories import records as record_factories

    tenant = factories.mandant("Landkreis Koffertal")
    team = factories.unit(tenant, "Seniorenbüro")
    worker = factories.user(tenant, role="sachbearbeitung", unit_=team)
    plan = record_factories.leistungsplan(tenant)
    akte = services.open_akte_for_person(
        actor=worker,
        tenant=tenant,
        aktenplaneinheit=plan,
        unit=team,
        title="Hilfe zur Pflege",
        family_name=NACHNAME,
        given_names=VORNAME,
        bg_nummer="neu",
        caseworker=worker,
    )
    person = Person.objects.for_tenant(tenant).get(family_name=NACHNAME)
    services.change_person(
        actor=worker, person=person, street=STRASSE, postal_code="12345", city=ORT
    )
    result = documents.ingest_file(
        actor=worker,
        akte=akte,
        file=naming.IncomingFile.from_bytes("antrag.txt", DOKUMENT),
        meta=documents.DocumentMeta(title=f"Antrag {NACHNAME}"),
    )
    assert result.ok, result.message
    assert result.dokument is not None
    version = result.dokument.versionen.get()
    with get_store().open(version.sha256) as stream:
        assert stream.read() == DOKUMENT

    # A PDF whose page is shown: rendered from the decrypted bytes, cached in memory.
    pdf = typesetting.typeset(
        f"= Pflegeantrag\n\n{VORNAME} {NACHNAME}, {STRASSE}", {}, standards=(), tagged=False
    )
    scan = documents.ingest_file(
        actor=worker,
        akte=akte,
        file=naming.IncomingFile.from_bytes("pflegeantrag.pdf", pdf),
        meta=documents.DocumentMeta(title="Pflegeantrag"),
    )
    assert scan.ok, scan.message
    assert scan.dokument is not None
    image = pages.page_image(scan.dokument.versionen.get(), 1, pages.VIEW_WIDTH)
    assert image.read_bytes()[:4] in (b"RIFF", b"\x89PNG"), image
    assert Path(settings.VAR_DIR) not in image.parents, image
    # A push waiting to be sent names the person too: its payload file is encrypted.
    from koffer.field.rueckgabe import abgleich

    payload = {
        "format": 1,
        "abgleich_id": "befuellen",
        "geaendert": [
            {
                "modell": "records.person",
                "id": str(person.pk),
                "felder": {
                    "street": {"basis": "", "neu": STRASSE},
                    "city": {"basis": "", "neu": ORT},
                },
            }
        ],
        "neu": [
            {
                "model": "records.person",
                "pk": "x",
                "fields": {
                    "family_name": NACHNAME,
                    "given_names": VORNAME,
                    "hinweis": "Morbus Quendel",
                },
            }
        ],
        "blobs": [],
    }
    datei = abgleich.ordner() / "befuellen.json"
    abgleich.schreiben(datei, payload)
    assert abgleich.lesen(datei) == payload
    print(f"befüllt: {version.sha256}")


if __name__ == "__main__":
    main()
