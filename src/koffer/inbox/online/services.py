"""Documents that arrive digitally with their data from another channel (the
Online-Dienste): no paper, no scan, no recognition. A delivery is a batch like every
other (``Stapel`` of source ``portal``, one checked file, one document) written in the
sender's transaction, so a submission and its arrival in the Posteingang commit
together; its filing then runs as the job ``inbox.online`` through the pipeline's own
filing writes (``verarbeitung.services.file_document``, each safe to repeat), or sends
the document to triage with the sender's reason. The data the sender checked is kept
verbatim as the batch's Lieferschein.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from dataclasses import dataclass
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.inbox.errors import InboxError
from koffer.inbox.lieferung.services import delivery_hash
from koffer.inbox.models import Eingangsdokument, Stapel, Stapeldatei
from koffer.inbox.verarbeitung import regeln
from koffer.inbox.verarbeitung import services as pipeline
from koffer.jobs import services as jobs
from koffer.records import services as records
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument, Vorgang, VorgangTyp
from koffer.tenancy.models import Mandant

JOB_KIND = "inbox.online"
REGEL = "Online-Dienste: Konto der Person"
KIND = "antrag_online"  # the document's kind; no recognition decides it


@dataclass(frozen=True)
class Sendung:
    """What the sender hands over: the document (a PDF with a text layer), its text for
    the search, the checked data, and the Akte it belongs to when the sender knows it
    (``grund``: why not, shown in triage)."""

    batch_id: str
    dateiname: str
    pdf_sha256: str
    pdf_size: int
    pages: int
    titel: str
    absender: str
    text: str
    daten: dict[str, Any]
    akte_id: uuid.UUID | None
    grund: str
    # Filed into this Vorgang of the Akte (an answer to a request for documents) …
    vorgang_id: uuid.UUID | None = None
    # … or into a new Vorgang of this type (code, in the Akte's module) opened by the
    # filing, so that a caseworker has a Vorgang to work on (an online application).
    vorgang_typ: str = ""
    vorgang_titel: str = ""
    art: str = "Antrag (online)"  # the Dokument's kind in the Akte


def einliefern(
    *,
    actor: Actor,
    tenant: Mandant,
    provider_id: Any,
    unit_id: uuid.UUID,
    sendung: Sendung,
) -> Eingangsdokument:
    """Inside the caller's transaction (the PDF's blob stored and its mark settled there
    by the caller): the batch, its file and its document, the filing job. The same
    ``batch_id`` again answers the document delivered first."""
    vorhanden = (
        Eingangsdokument.objects.for_tenant(tenant)
        .filter(stapel__provider_id=provider_id, stapel__batch_id=sendung.batch_id)
        .first()
    )
    if vorhanden is not None:
        return vorhanden
    # a new Vorgang's id is chosen now, so a repeated filing opens it once
    neuer_vorgang = str(sendung.vorgang_id or uuid.uuid4())
    lieferschein: dict[str, Any] = {
        "art": "online",
        "batch_id": sendung.batch_id,
        "titel": sendung.titel,
        "absender": sendung.absender,
        "dokumentart": sendung.art,
        "daten": sendung.daten,
    }
    if sendung.vorgang_typ and not sendung.vorgang_id:
        # What the filing opens, for triage too (a person files it there into an Akte).
        lieferschein["vorgang_neu"] = {
            "vorgang": neuer_vorgang,
            "vorgang_typ": sendung.vorgang_typ,
            "vorgang_titel": sendung.vorgang_titel,
        }
    manifest = json.dumps(
        lieferschein,
        cls=DjangoJSONEncoder,
        ensure_ascii=False,
        sort_keys=True,
    )
    manifest_sha256 = hashlib.sha256(manifest.encode()).hexdigest()
    now = timezone.now()
    with transaction.atomic():
        stapel = Stapel.objects.create(
            tenant=tenant,
            provider_id=provider_id,
            unit_id=unit_id,
            batch_id=sendung.batch_id,
            scan_date=timezone.localdate(),
            operator="Online-Dienste",
            scanner="Online-Dienste",
            quality={"ergebnis": "bestanden", "online": True},
            quality_passed=True,
            manifest=manifest,
            manifest_sha256=manifest_sha256,
            delivery_sha256=delivery_hash(
                manifest_sha256, [(sendung.dateiname, sendung.pdf_sha256)]
            ),
            source=Stapel.Source.PORTAL,
            state=Stapel.State.VERARBEITET,
            checked_at=now,
        )
        datei = Stapeldatei.objects.create(
            tenant=tenant,
            stapel=stapel,
            position=0,
            name=sendung.dateiname,
            declared_pages=sendung.pages,
            declared_sha256=sendung.pdf_sha256,
            sha256=sendung.pdf_sha256,
            size=sendung.pdf_size,
            kind="pdf",
            pages=sendung.pages,
            state=Stapeldatei.State.GEPRUEFT,
        )
        vorschlaege = (
            [
                {
                    "akte": str(sendung.akte_id),
                    "vorgang": neuer_vorgang,
                    "vorgang_typ": "" if sendung.vorgang_id else sendung.vorgang_typ,
                    "vorgang_titel": sendung.vorgang_titel,
                    "confidence": 1.0,
                    "reasons": [REGEL],
                }
            ]
            if sendung.akte_id
            else []
        )
        doc = Eingangsdokument.objects.create(
            tenant=tenant,
            stapel=stapel,
            datei=datei,
            teil=0,
            pages=list(range(sendung.pages)),
            first_page=0,
            original_sha256=sendung.pdf_sha256,
            text=sendung.text,
            ocr_done=True,
            pdfa=True,
            kind=KIND,
            kind_confidence=1.0,
            vorschlaege=vorschlaege,
            confidence=1.0 if sendung.akte_id else None,
            reason=sendung.grund,
            unit_id=unit_id,
            created_at=now,
            updated_at=now,
        )
        pipeline.log(
            stapel,
            "eingang",
            f"Online eingereicht: {sendung.titel} ({sendung.absender}).",
            datei=datei,
            dokument=doc,
        )
        job = jobs.start_job(
            # The job is the system's; the sender is named by the delivery's own event.
            actor=None,  # type: ignore[arg-type]
            tenant=tenant,
            kind=JOB_KIND,
            title=f"Ablage Online-Eingang {sendung.batch_id}"[:200],
            params={"dokument": str(doc.pk)},
        )
        Stapel.objects.for_tenant(tenant).filter(pk=stapel.pk).update(processing_job_id=job.pk)
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="inbox.online.deliver",
            obj=stapel,
            changes={
                "batch_id": sendung.batch_id,
                "datei": sendung.pdf_sha256,
                "akte": str(sendung.akte_id) if sendung.akte_id else None,
                "vorgang": str(sendung.vorgang_id) if sendung.vorgang_id else None,
            },
        )
    return doc


def ablegen(*, doc: Eingangsdokument) -> Eingangsdokument:
    """File the document into the Akte its sender named, through the pipeline's filing
    writes; without one, or when filing fails (the Akte closed meanwhile), the document
    waits in triage with the reason. Repeating it after an interruption continues."""
    doc = (
        Eingangsdokument.objects.for_tenant(doc.tenant_id)
        .select_related("stapel", "datei")
        .get(pk=doc.pk)
    )
    if doc.state not in pipeline.OPEN_STATES:
        return doc
    vorschlag: dict[str, Any] = next((v for v in doc.vorschlaege if v.get("akte")), {})
    akte_id = vorschlag.get("akte")
    akte = (
        Akte.objects.for_tenant(doc.tenant_id)
        .select_related("aktenplaneinheit")
        .filter(pk=akte_id)
        .first()
        if akte_id
        else None
    )
    if akte is None:
        doc = pipeline.to_triage(doc=doc, reason=doc.reason or "Keine Akte bekannt.")
    else:
        manifest = json.loads(doc.stapel.manifest)
        meta = documents.DocumentMeta(
            title=str(manifest.get("titel", "Online-Antrag"))[:300],
            kind=str(manifest.get("dokumentart", "Antrag (online)"))[:60],
            direction=Dokument.Direction.INCOMING,
            received_on=doc.stapel.scan_date,
        )
        try:
            doc = pipeline.file_document(
                actor=None,
                doc=doc,
                akte=akte,
                vorgang=vorgang_fuer(doc=doc, akte=akte),
                rule=REGEL,
                rules=regeln.regeln(doc.tenant_id),
                meta=meta,
            )
        except InboxError as exc:
            doc = pipeline.to_triage(doc=doc, reason=exc.message)
    pipeline.finish(stapel=doc.stapel)
    return doc


def vorgang_fuer(*, doc: Eingangsdokument, akte: Akte) -> Vorgang | None:
    """The Vorgang an online delivery is filed into in ``akte`` — one answer for the
    filing job and for triage (a person filing it into an Akte): the Vorgang the sender
    named, or the new one of the type it named (an online application), opened once.
    None for another kind of delivery or when the Akte's module has no such type."""
    vorschlag: dict[str, Any] = next(
        (v for v in doc.vorschlaege if v.get("akte") == str(akte.pk)), {}
    )
    if not vorschlag and doc.stapel.source == Stapel.Source.PORTAL:
        vorschlag = json.loads(doc.stapel.manifest).get("vorgang_neu") or {}
    return _vorgang(akte, vorschlag)


def _vorgang(akte: Akte, vorschlag: dict[str, Any]) -> Vorgang | None:
    """The Vorgang the sender named, or the new one of its type, opened under the id
    chosen at delivery (so a filing repeated after a crash finds it instead of opening a
    second); None when the Akte's module has no such type (the Akte alone decides)."""
    try:
        vorgang_id = uuid.UUID(str(vorschlag.get("vorgang")))
    except ValueError:
        return None
    vorhanden = Vorgang.objects.for_tenant(akte.tenant_id).filter(pk=vorgang_id).first()
    code = str(vorschlag.get("vorgang_typ") or "")
    if vorhanden is not None and vorhanden.akte_id != akte.pk:
        if not code:
            return None  # the sender named a Vorgang of another Akte: the Akte decides
        # opened in another Akte by an earlier attempt: this Akte gets its own
        vorhanden, vorgang_id = None, uuid.uuid4()
    if vorhanden is not None or not code or akte.status != Akte.Status.OPEN:
        return vorhanden  # a closed Akte: the filing says why it cannot take it
    typen = list(
        VorgangTyp.objects.for_tenant(akte.tenant_id)
        .filter(code=code, is_active=True)
        .order_by("module")
    )
    typ = next((t for t in typen if t.module == akte.aktenplaneinheit.module), None)
    if typ is None:
        return None
    return records.create_vorgang(
        actor=None,  # type: ignore[arg-type]  # the Posteingang's rule opens it
        akte=akte,
        typ=typ,
        title=str(vorschlag.get("vorgang_titel") or typ.label)[:300],
        pk=vorgang_id,
    )
