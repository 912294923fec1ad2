"""Letters for the Postausgang's tests, until ``outbox.briefe`` writes them: a real small
PDF (typst) filed as an outgoing Dokument through the E-Akte's document services, and a
``Brief`` released with it."""

from __future__ import annotations

import itertools
from datetime import datetime

from django.utils import timezone

from koffer.accounts.models import User
from koffer.outbox.models import Brief, Vorlage, VorlagenVersion
from koffer.pdf.typesetting import PDFA_2B, typeset
from koffer.records.dokumente import services as documents
from koffer.records.dokumente.naming import IncomingFile
from koffer.records.models import Akte, Dokument, Vorgang
from koffer.tenancy.models import Mandant

_seq = itertools.count(1)

PAGES = """
#set page(paper: "a4")
#for i in range(d.seiten) [
  #if i > 0 { pagebreak() }
  = #d.betreff
  Seite #(i + 1) von #d.seiten · Brief #d.n
]
"""


def pdf(seiten: int, betreff: str = "Schreiben") -> bytes:
    """A real PDF of ``seiten`` pages, different for every call."""
    return typeset(
        PAGES,
        {"seiten": seiten, "betreff": betreff, "n": next(_seq)},
        standards=PDFA_2B,
        tagged=False,
    )


def version(tenant: Mandant, *, art: str = Vorlage.Art.BRIEF) -> VorlagenVersion:
    now = timezone.now()
    n = next(_seq)
    vorlage = Vorlage.objects.create(
        tenant=tenant, code=f"vorlage-{n}", titel=f"Vorlage {n}", art=art, updated_at=now
    )
    return VorlagenVersion.objects.create(
        tenant=tenant,
        vorlage=vorlage,
        nummer=1,
        betreff="Ihr Antrag",
        text="Text",
        text_satz="Text",
        anlagen=["Antragsformular"],
        created_at=now,
    )


def released_letter(
    tenant: Mandant,
    akte: Akte,
    *,
    actor: User,
    kanal: str = Brief.Kanal.HYBRID,
    seiten: int = 2,
    art: str = Vorlage.Art.BRIEF,
    vorgang: Vorgang | None = None,
    duplex: bool = True,
    einschreiben: str = "",
    freigegeben_at: datetime | None = None,
) -> Brief:
    """A released letter of ``seiten`` pages, filed in ``akte`` as an outgoing Dokument."""
    betreff = f"Schreiben {next(_seq)}"
    result = documents.ingest_file(
        actor=actor,
        akte=akte,
        vorgang=vorgang,
        file=IncomingFile.from_bytes(f"{betreff}.pdf", pdf(seiten, betreff)),
        meta=documents.DocumentMeta(
            title=betreff,
            kind="Bescheid" if art == Vorlage.Art.BESCHEID else "Schreiben",
            direction=Dokument.Direction.OUTGOING,
            source=Dokument.Source.LETTER,
        ),
    )
    assert result.ok, result.message
    now = timezone.now()
    return Brief.objects.create(
        tenant=tenant,
        akte=akte,
        vorgang=vorgang,
        version=version(tenant, art=art),
        anschrift={
            "namen": ["Erika Mustermann"],
            "strasse": "Musterweg 1",
            "ort": "12345 Musterstadt",
        },
        betreff=betreff,
        kanal=kanal,
        einschreiben=einschreiben,
        duplex=duplex,
        status=Brief.Status.FREIGEGEBEN,
        seiten=seiten,
        dokument=result.dokument,
        briefdatum=now.date(),
        created_at=now,
        created_by=actor,
        updated_at=now,
        freigegeben_von=actor,
        freigegeben_at=freigegeben_at or now,
    )
