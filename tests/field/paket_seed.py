"""Seeds a real office process for tests/field/test_paket_koffer.py before it starts, run
with ``manage.py shell -c``: one Mandant, one field worker with a Koffer and checkouts
per case. Writes what the test needs to know as JSON."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path
from typing import Any

from django.db import transaction

from koffer.field.geraete import services as geraete
from koffer.field.models import Geraet
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from tests import factories
from tests.field.paket_bestand import Bestand, bestand, text


def seed(path: str, *, gross: int) -> None:
    tenant = factories.mandant("Stadt Koffertal")
    cases: dict[str, Any] = {}
    with transaction.atomic():
        cases["rundreise"] = _case(bestand(tenant, akten=2, dokumente=2))
        abbruch = bestand(tenant, akten=1, dokumente=1)
        data = text(gross, f"gross-{uuid.uuid4()}")
        result = documents.ingest_file(
            actor=None,
            akte=abbruch.akten[0],
            file=naming.IncomingFile.from_bytes("Kontoauszüge.txt", data),
        )
        assert result.ok, result.message
        sha = hashlib.sha256(data).hexdigest()
        abbruch.blobs[sha] = len(data)
        cases["abbruch"] = {**_case(abbruch), "gross": sha}
        cases["gesperrt"] = _case(bestand(tenant, akten=1, dokumente=1))
    Path(path).write_text(json.dumps(cases))


def _case(b: Bestand) -> dict[str, Any]:
    return {
        "code": b.kopplungscode,
        "geraet": str(b.geraet.pk),
        "username": b.worker.username,
        "akten": [str(a.pk) for a in b.akten],
        "fremd": str(b.fremd.pk),
        "blobs": sorted(b.blobs),
    }


def sperren(geraet_id: str) -> None:
    """The office revokes the Koffer: its field worker reports it stolen."""
    geraet = Geraet.objects.unscoped().select_related("user").get(pk=geraet_id)
    geraete.sperren(actor=geraet.user, geraet=geraet, grund="Im Zug gestohlen")
