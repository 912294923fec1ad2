"""The demo's Postausgang dispatch: the Landkreis's print provider (the machine account
``druck.dienstleister``) and two released letters of the Sozialamt already in a batch,
so that „Postausgang: Versand“, a batch and a letter's timeline have something to show
and ``make run``'s print-provider simulator something to fetch.

Until the letters' own demo (``outbox.briefe``) writes letters from templates, the two
letters here are made directly: a small PDF filed as an outgoing Dokument and a
released ``Brief`` pointing to it."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.demo.records import pdf_bytes
from koffer.outbox.models import Brief, Vorlage, VorlagenVersion
from koffer.outbox.versand import services as versand
from koffer.records.dokumente import services as documents
from koffer.records.dokumente.naming import IncomingFile
from koffer.records.models import Akte, Dokument, Vorgang
from koffer.tenancy.models import Mandant

KREIS = "landkreis-musterland"
PROVIDER = "druck.dienstleister"
ADMIN = "admin.kreis"
CASEWORKER = "sb.sozialamt"
LETTERS = (
    ("Eingangsbestätigung Ihres Antrags", 1),
    ("Anhörung vor Erlass eines Bescheides", 2),
)


def load(mandanten: dict[str, Mandant]) -> None:
    tenant = mandanten[KREIS]
    admin = User.objects.get(username=ADMIN)
    versand.save_druckdienst(
        actor=admin,
        access=Access.for_user(admin.pk, tenant.pk),
        tenant=tenant,
        konto=User.objects.get(username=PROVIDER),
        name="Druckzentrum Musterland (Simulator)",
        rang=1,
        bestaetigung_minuten=240,
    )
    caseworker = User.objects.get(username=CASEWORKER)
    akte = Akte.objects.for_tenant(tenant).filter(caseworker=caseworker).order_by("pk").first()
    if akte is None:
        return
    now = timezone.now()
    vorlage = Vorlage.objects.create(
        tenant=tenant, code="versand-demo", titel="Schreiben (Versand-Demo)", updated_at=now
    )
    version = VorlagenVersion.objects.create(
        tenant=tenant,
        vorlage=vorlage,
        nummer=1,
        betreff="Schreiben",
        text="Text",
        text_satz="Text",
        created_at=now,
        created_by=caseworker,
    )
    released = now - timedelta(days=1)
    for betreff, seiten in LETTERS:
        pdf = pdf_bytes(betreff, tuple(f"{betreff}, Seite {n + 1}." for n in range(seiten)))
        released_letter(
            akte=akte,
            actor=caseworker,
            version=version,
            betreff=betreff,
            pdf=pdf,
            seiten=seiten,
            freigegeben_at=released,
            anschrift=[akte.title],
        )
    stapel = versand.stapeln(tenant_id=tenant.pk, now=now)
    if stapel is not None:
        versand.packen(stapel=stapel)


def released_letter(
    *,
    akte: Akte,
    actor: User,
    version: VorlagenVersion,
    betreff: str,
    pdf: bytes,
    seiten: int,
    freigegeben_at: datetime,
    vorgang: Vorgang | None = None,
    **brief: Any,
) -> Brief:
    """A released letter: ``pdf`` filed in ``akte`` as an outgoing Dokument and a
    ``Brief`` pointing to it (``brief``: further fields, the channel, duplex, registered
    mail). The demo's and the tests' letters until ``outbox.briefe`` writes them."""
    bescheid = version.vorlage.art == Vorlage.Art.BESCHEID
    filed = documents.ingest_file(
        actor=actor,
        akte=akte,
        vorgang=vorgang,
        file=IncomingFile.from_bytes(f"{betreff}.pdf", pdf),
        meta=documents.DocumentMeta(
            title=betreff,
            kind="Bescheid" if bescheid else "Schreiben",
            direction=Dokument.Direction.OUTGOING,
            source=Dokument.Source.LETTER,
        ),
    )
    if not filed.ok:
        raise RuntimeError(filed.message)
    return Brief.objects.create(
        tenant_id=akte.tenant_id,
        akte=akte,
        vorgang=vorgang,
        version=version,
        betreff=betreff,
        text="",
        status=Brief.Status.FREIGEGEBEN,
        seiten=seiten,
        dokument=filed.dokument,
        briefdatum=timezone.localdate(freigegeben_at),
        created_at=freigegeben_at,
        created_by=actor,
        updated_at=freigegeben_at,
        freigegeben_von=actor,
        freigegeben_at=freigegeben_at,
        **brief,
    )
