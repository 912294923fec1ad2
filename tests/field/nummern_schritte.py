"""Steps of the two-process test of Akten made on a Koffer
(tests/field/test_abgleich_nummern_prozesse.py), run in the office's or the Koffer's
process with ``manage.py shell -c``; each prints one line of JSON."""

from __future__ import annotations

import json

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.field.models import Geraet
from koffer.records import services as records
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import (
    Akte,
    Bedarfsgemeinschaft,
    DokumentVersion,
    VorgangSchritt,
    VorgangTyp,
)


def akte_anlegen(neben: str, titel: str) -> None:
    """On the Koffer, as its field worker: a new Akte for a new person with a new BG in the
    unit and plan of the Akte ``neben``, and a document in it."""
    geraet = Geraet.objects.unscoped().get()
    worker = User.objects.get(pk=geraet.user_id)
    vorbild = Akte.objects.unscoped().get(pk=neben)
    akte = records.open_akte_for_person(
        actor=worker,
        tenant=vorbild.tenant,
        aktenplaneinheit=vorbild.aktenplaneinheit,
        unit=vorbild.unit,
        title=titel,
        family_name="Koffermann",
        given_names="Otto",
        bg_nummer="neu",
        access=Access.for_user(worker.pk, vorbild.tenant_id),
    )
    typ = VorgangTyp.objects.for_tenant(vorbild.tenant_id).order_by("code").first()
    assert typ is not None
    records.create_vorgang(actor=worker, akte=akte, typ=typ, title="Erstantrag")
    result = documents.ingest_file(
        actor=worker,
        akte=akte,
        file=naming.IncomingFile.from_bytes(
            "Pflegegutachten.txt", f"Pflegegutachten {titel} Koffermann".encode()
        ),
    )
    assert result.ok, result.message
    print(json.dumps(_stand(akte)))


def akte_stand(akte_id: str) -> None:
    """The Akte's numbers and documents in whichever process runs it."""
    print(json.dumps(_stand(Akte.objects.unscoped().get(pk=akte_id))))


def _stand(akte: Akte) -> dict[str, object]:
    bg = Bedarfsgemeinschaft.objects.unscoped().filter(pk=akte.bg_id).first()
    versionen = DokumentVersion.objects.unscoped().filter(dokument__akte=akte)
    return {
        "akte": str(akte.pk),
        "aktenzeichen": akte.aktenzeichen,
        "bg": bg.bg_nummer if bg else None,
        "texte": sorted(v.text for v in versionen),
        "schritte": sorted(
            str(pk)
            for pk in VorgangSchritt.objects.unscoped()
            .filter(vorgang__akte=akte, action="angelegt")
            .values_list("pk", flat=True)
        ),
    }
