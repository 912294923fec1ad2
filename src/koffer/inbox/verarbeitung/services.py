"""Every write of the pipeline: the documents a file splits into, what was recognised in
each, where it was filed (by a rule or by a person) and why one waits in triage. Each
write is short, checks the state it starts from (so a job step run again after a crash
changes nothing), writes a line of the batch protocol and an audit event.

Filing a document is three writes, each safe to repeat: ``prepare_target`` (the Akte and,
for kinds that open one, a Vorgang with its Frist), the E-Akte's ``file_scan`` (its own
transaction, idempotent by the key ``posteingang:<id>``) and ``record_filing`` (the
document marked filed, the Wiedervorlage "Neuer Posteingang" for the caseworker).
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from functools import partial
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.blobs.store import get_store
from koffer.formats import counted
from koffer.inbox.errors import Conflict, InboxError
from koffer.inbox.models import (
    Artregel,
    Eingangsdokument,
    Problem,
    Protokolleintrag,
    Stapel,
    Stapeldatei,
    Verarbeitungsregel,
)
from koffer.inbox.verarbeitung import dokumentart
from koffer.inbox.verarbeitung.regeln import Regeln, artregel_problems, folge, regeln_problems
from koffer.inbox.verarbeitung.schritte import Aufteilung, Einschaetzung, Entscheidung, Erkennung
from koffer.records import deadlines
from koffer.records import services as records
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument, Vorgang, VorgangTyp

Step = Callable[[str, Callable[[], object]], None]


def _direct(key: str, work: Callable[[], object]) -> None:
    work()


JOB_KIND = "inbox.verarbeitung"  # started by the check (``lieferung.services``)
State = Eingangsdokument.State
OPEN_STATES = (State.NEU, State.ZU_PRUEFEN)


def jsonable(value: Any) -> Any:
    """Dataclasses, dates and UUIDs as plain JSON (for the JSON fields and the audit)."""
    if hasattr(value, "__dataclass_fields__"):
        value = asdict(value)
    return json.loads(json.dumps(value, cls=DjangoJSONEncoder))


def log(
    stapel: Stapel,
    action: str,
    message: str,
    *,
    datei: Stapeldatei | None = None,
    dokument: Eingangsdokument | None = None,
    actor: Actor | None = None,
    rule: str = "",
    data: dict[str, Any] | None = None,
) -> None:
    """One line of the batch protocol."""
    Protokolleintrag.objects.create(
        tenant_id=stapel.tenant_id,
        stapel=stapel,
        datei=datei,
        dokument=dokument,
        at=timezone.now(),
        action=action,
        message=message,
        actor=actor if isinstance(actor, User) else None,
        rule=rule,
        data=jsonable(data or {}),
    )


def _problem(stapel: Stapel, datei: Stapeldatei | None, key: str, code: str, message: str) -> None:
    Problem.objects.get_or_create(
        tenant_id=stapel.tenant_id,
        stapel=stapel,
        key=key,
        defaults={"datei": datei, "code": code, "message": message},
    )


# --- the split ---------------------------------------------------------------------------


def begin(*, stapel: Stapel) -> None:
    """The protocol's first line; a run after an interruption says that it resumed."""
    if stapel.processed_at is not None:
        return
    with transaction.atomic():
        again = Protokolleintrag.objects.for_tenant(stapel.tenant_id).filter(
            stapel=stapel, action="beginn"
        )
        if again.exists():
            log(stapel, "fortgesetzt", "Verarbeitung nach einer Unterbrechung fortgesetzt.")
        else:
            log(stapel, "beginn", f"Verarbeitung von Stapel {stapel.batch_id} begonnen.")


def record_split(*, datei: Stapeldatei, found: Aufteilung) -> list[Eingangsdokument]:
    """The documents of one file (created once), its separator pages and problems."""
    stapel = datei.stapel
    now = timezone.now()
    page_codes: dict[int, list[dict[str, Any]]] = {}
    for found_code in found.codes:
        page_codes.setdefault(found_code.page, []).append(
            {"page": found_code.page, "format": found_code.format, "text": found_code.text}
        )
    created = []
    for number, teil in enumerate(found.trennung.teile):
        doc, _ = Eingangsdokument.objects.get_or_create(
            tenant_id=datei.tenant_id,
            datei=datei,
            teil=number,
            defaults={
                "stapel": stapel,
                "pages": list(teil.pages),
                "first_page": min(teil.pages, default=0),
                "codes": [c for p in teil.pages for c in page_codes.get(p, [])],
                "unit_id": stapel.unit_id,
                "created_at": now,
                "updated_at": now,
            },
        )
        created.append(doc)
    for code, message in [*found.trennung.problems, *found.notes]:
        _problem(stapel, datei, f"{code}-{datei.pk}", code, f"„{datei.name}“: {message}")
    separators = ", ".join(str(p + 1) for p in found.trennung.separators)
    log(
        stapel,
        "geteilt",
        f"„{datei.name}“: {counted(found.page_count, 'Seite', 'Seiten')}, "
        f"{counted(len(found.trennung.teile), 'Dokument', 'Dokumente')}"
        + (f", {_sheets(stapel)} auf Seite {separators}" if separators else ""),
        datei=datei,
        data={
            "pages": found.page_count,
            "separators": [p + 1 for p in found.trennung.separators],
            "documents": [[p + 1 for p in d.pages] for d in created],
            "problems": [c for c, _ in found.trennung.problems],
        },
    )
    audit.record(
        actor=None,
        tenant_id=datei.tenant_id,
        action="inbox.datei.split",
        obj=datei,
        changes={
            "pages": found.page_count,
            "separators": [p + 1 for p in found.trennung.separators],
            "documents": [str(d.pk) for d in created],
        },
    )
    return created


def _sheets(stapel: Stapel) -> str:
    """What the removed pages are: a Rückscan's Deckblätter, or separator sheets."""
    return "Deckblätter" if stapel.art == Stapel.Art.RUECKSCAN else "Trennblätter"


# --- recognition -------------------------------------------------------------------------


def _take(doc: Eingangsdokument, erkennung: Erkennung, found: Einschaetzung) -> None:
    """What recognition found, onto the row (the caller saves it)."""
    best = found.vorschlaege[0] if found.vorschlaege else None
    doc.searchable_sha256 = erkennung.searchable_sha256
    doc.text = erkennung.text
    doc.ocr_done, doc.pdfa, doc.rotated = erkennung.ocr_done, erkennung.pdfa, erkennung.rotated
    doc.antwortcode = jsonable(found.antwortcode) if found.antwortcode else None
    doc.rueckpost_grund = found.rueckpost.grund if found.rueckpost else ""
    doc.rueckpost_quelle = found.rueckpost.quelle if found.rueckpost else ""
    doc.merkmale = jsonable(found.merkmale)
    doc.kind, doc.kind_confidence = found.art.code, found.art.confidence
    doc.vorschlaege = [jsonable(v) for v in found.vorschlaege]
    doc.confidence = best.confidence if best else None


def _recognised(doc: Eingangsdokument) -> dict[str, Any]:
    """What the audit keeps of a recognition."""
    return {
        "pages": doc.pages,
        "original_sha256": doc.original_sha256,
        "searchable_sha256": doc.searchable_sha256 or None,
        "ocr": doc.ocr_done,
        "kind": doc.kind,
        "confidence": doc.confidence,
    }


def record_recognition(
    *,
    doc: Eingangsdokument,
    erkennung: Erkennung,
    found: Einschaetzung,
    decision: Entscheidung,
    pending: Sequence[uuid.UUID],
) -> Eingangsdokument:
    """What was recognised in a document and where it goes: to an Akte (filed by the next
    steps) or into triage with the reason. Only a document still ``neu`` is changed."""
    with transaction.atomic():
        doc = Eingangsdokument.objects.for_tenant(doc.tenant_id).select_for_update().get(pk=doc.pk)
        if doc.state != State.NEU or doc.original_sha256:
            documents.discard_blobs(pending)
            return doc
        documents.settle_blobs(pending)
        doc.original_sha256 = erkennung.original_sha256
        _take(doc, erkennung, found)
        doc.akte_id, doc.vorgang_id = decision.akte_id, decision.vorgang_id
        doc.filed_rule = decision.rule
        if decision.akte_id is None:
            doc.state, doc.reason = State.ZU_PRUEFEN, decision.reason
        doc.updated_at = timezone.now()
        doc.save()
        stapel = doc.stapel
        pages = doc.pages_label
        if erkennung.problem:
            log(stapel, "text", f"{pages}: {erkennung.problem[1]}", dokument=doc)
        elif erkennung.ocr_done:
            log(
                stapel,
                "ocr",
                f"{pages}: Texterkennung (deutsch) in {erkennung.seconds:.1f} s"
                + (f", gedreht: Seite {_turned(doc)}" if doc.rotated else "")
                + (", PDF/A-2b" if doc.pdfa else ""),
                dokument=doc,
                data={"seconds": round(erkennung.seconds, 2), "rotated": doc.rotated},
            )
        else:
            log(stapel, "text", f"{pages}: vorhandene Textebene übernommen", dokument=doc)
        log(
            stapel,
            "erkannt",
            f"{pages}: {dokumentart.LABELS.get(doc.kind, doc.kind)} "
            f"({round((doc.kind_confidence or 0) * 100)} %)"
            + (", Antwortcode gelesen" if doc.antwortcode else "")
            + (f", Rückläufer: {doc.rueckpost_grund}" if doc.rueckpost_grund else ""),
            dokument=doc,
            data={
                "kind": doc.kind,
                "kind_reasons": found.art.reasons,
                "merkmale": doc.merkmale,
                "antwortcode": doc.antwortcode,
                "rueckpost": doc.rueckpost_grund or None,
                "vorschlaege": doc.vorschlaege,
            },
        )
        if decision.akte_id is None:
            log(
                stapel,
                "triage",
                f"{pages}: wartet auf Zuordnung. {doc.reason}",
                dokument=doc,
            )
        audit.record(
            actor=None,
            tenant_id=doc.tenant_id,
            action="inbox.dokument.recognise",
            obj=doc,
            changes={
                **_recognised(doc),
                "akte": str(doc.akte_id) if doc.akte_id else None,
                "rule": doc.filed_rule or None,
            },
        )
    return doc


def record_rework(
    *,
    doc: Eingangsdokument,
    job_id: uuid.UUID,
    erkennung: Erkennung,
    found: Einschaetzung,
    decision: Entscheidung,
    pending: Sequence[uuid.UUID],
) -> Eingangsdokument:
    """What the re-recognition after a split, merge or turn in triage found: the
    searchable PDF, text, identifiers, kind and suggestions. The document stays in triage
    (a person changed it and files it; a confident suggestion is one key away). Only the
    job the document waits for writes; a run after a later change discards its blobs."""
    with transaction.atomic():
        doc = locked_row(doc)
        if doc.rework_job_id != job_id or doc.state != State.ZU_PRUEFEN:
            documents.discard_blobs(pending)
            return doc
        documents.settle_blobs(pending)
        _take(doc, erkennung, found)
        doc.reason = decision.reason or (
            f"Nach der Änderung in der Zuordnung neu erkannt: {decision.rule}; bitte bestätigen."
        )
        doc.rework_job_id = None
        doc.updated_at = timezone.now()
        doc.save()
        log(
            doc.stapel,
            "neu_erkannt",
            f"{doc.pages_label}: neu erkannt, "
            f"{dokumentart.KINDS.get(doc.kind, doc.kind)} "
            f"({round((doc.kind_confidence or 0) * 100)} %)"
            + (f", Texterkennung in {erkennung.seconds:.1f} s" if erkennung.ocr_done else "")
            + (f". {erkennung.problem[1]}" if erkennung.problem else ""),
            dokument=doc,
            data={
                "kind": doc.kind,
                "merkmale": doc.merkmale,
                "vorschlaege": doc.vorschlaege,
                "rotated": doc.rotated,
            },
        )
        audit.record(
            actor=None,
            tenant_id=doc.tenant_id,
            action="inbox.dokument.rework",
            obj=doc,
            changes=_recognised(doc),
        )
    return doc


REWORK_FAILED = (
    "Die Neuerkennung nach der Änderung ist fehlgeschlagen: Text und Vorschläge fehlen. "
    "Sie können das Dokument trotzdem einer Akte zuordnen."
)


def record_rework_failed(*, doc: Eingangsdokument, job_id: uuid.UUID) -> Eingangsdokument:
    """The re-recognition could not read the changed document: it is free again (a person
    files it by searching the Akte) and says why, instead of waiting for ever."""
    with transaction.atomic():
        doc = locked_row(doc)
        if doc.rework_job_id != job_id or doc.state != State.ZU_PRUEFEN:
            return doc
        doc.rework_job_id, doc.reason, doc.updated_at = None, REWORK_FAILED, timezone.now()
        doc.save(update_fields=["rework_job_id", "reason", "updated_at"])
        log(doc.stapel, "neu_erkannt", f"{doc.pages_label}: {REWORK_FAILED}", dokument=doc)
        audit.record(
            actor=None,
            tenant_id=doc.tenant_id,
            action="inbox.dokument.rework",
            obj=doc,
            changes={"pages": doc.pages, "failed": True},
        )
    return doc


def _turned(doc: Eingangsdokument) -> str:
    return ", ".join(str(doc.pages[i] + 1) for i in doc.rotated if i < len(doc.pages))


# --- filing ------------------------------------------------------------------------------


def locked_row(doc: Eingangsdokument) -> Eingangsdokument:
    return (
        Eingangsdokument.objects.for_tenant(doc.tenant_id)
        .select_for_update(of=("self",))
        .select_related("stapel", "filed_by", "claimed_by")
        .get(pk=doc.pk)
    )


def already_filed(doc: Eingangsdokument) -> Conflict:
    """The answer to the second person: who took the document, when, and what became of it."""
    who = str(doc.filed_by) if doc.filed_by else "eine Regel der automatischen Ablage"
    when = timezone.localtime(doc.filed_at).strftime("%d.%m.%Y %H:%M") if doc.filed_at else ""
    did = {
        "abgelegt": "bereits abgelegt",
        "nicht_zuordenbar": "bereits als nicht zuzuordnen markiert",
        "zusammengefuehrt": "bereits mit einem anderen Dokument zusammengeführt",
    }.get(str(doc.state), "nicht mehr in der Zuordnung")
    return Conflict(
        "already_filed",
        f"Dieses Dokument wurde {did} ({who}{', ' + when + ' Uhr' if when else ''}).",
    )


def being_reworked(doc: Eingangsdokument) -> Conflict:
    """The answer while a document is re-recognised after a change in triage."""
    return Conflict(
        "being_recognised",
        "Dieses Dokument wird nach einer Änderung neu erkannt; bitte warten Sie, bis die "
        "Erkennung fertig ist.",
    )


def locked_waiting(doc: Eingangsdokument) -> Eingangsdokument:
    """Inside the caller's transaction: the row locked, if it still waits and is not
    being re-recognised; otherwise the answer for the person who came second."""
    locked = locked_row(doc)
    if locked.state not in OPEN_STATES:
        raise already_filed(locked)
    if locked.rework_job_id is not None:
        raise being_reworked(locked)
    return locked


def prepare_target(
    *,
    actor: Actor | None,
    doc: Eingangsdokument,
    akte: Akte,
    vorgang: Vorgang | None,
    rule: str,
) -> Eingangsdokument:
    """Fix where the document goes. For a kind that opens a Vorgang (an objection) and no
    Vorgang given, the Vorgang is opened here with its Frist, once."""
    with transaction.atomic():
        doc = locked_waiting(doc)
        if doc.akte_id == akte.pk and doc.vorgang_id and doc.filed_rule == rule:
            return doc  # this step ran already
        if akte.status != Akte.Status.OPEN:
            raise InboxError(
                "akte_not_open",
                f"Die Akte {akte.aktenzeichen} ist geschlossen; dorthin kann nichts abgelegt werden.",
            )
        if vorgang is not None and vorgang.akte_id != akte.pk:
            vorgang = None  # a reply code naming a Vorgang of another Akte: the Akte decides
        if vorgang is None:
            vorgang = _opened_vorgang(actor, doc, akte)
        doc.akte, doc.vorgang, doc.filed_rule = akte, vorgang, rule
        doc.updated_at = timezone.now()
        doc.save(update_fields=["akte", "vorgang", "filed_rule", "updated_at"])
    return doc


def _opened_vorgang(actor: Actor | None, doc: Eingangsdokument, akte: Akte) -> Vorgang | None:
    rule = folge(doc.tenant_id, doc.kind)
    if rule is None:
        return None
    typ = (
        VorgangTyp.objects.for_tenant(doc.tenant_id)
        .filter(code=rule.vorgang_typ_code, module=akte.aktenplaneinheit.module, is_active=True)
        .first()
    )
    if typ is None:
        log(
            doc.stapel,
            "vorgang",
            f"Kein Vorgangstyp „{rule.vorgang_typ_code}“ für diese Akte: kein Vorgang eröffnet.",
            dokument=doc,
        )
        return None
    base = doc.stapel.scan_date
    vorgang = records.create_vorgang(
        actor=actor,  # type: ignore[arg-type]  # None: the pipeline's rule
        akte=akte,
        typ=typ,
        title=f"{typ.label} vom {base:%d.%m.%Y} (Posteingang)",
    )
    if rule.frist_months or rule.frist_days:
        due = deadlines.due_date(
            base, notification_days=0, months=rule.frist_months, days=rule.frist_days, shift=True
        )
        records.add_frist(
            actor=actor,  # type: ignore[arg-type]
            vorgang=vorgang,
            base_date=base,
            label=rule.frist_label,
            due=due,
        )
    log(
        doc.stapel,
        "vorgang",
        f"Vorgang „{vorgang.title}“ eröffnet in Akte {akte.aktenzeichen}",
        dokument=doc,
        actor=actor,
        data={"vorgang": str(vorgang.pk)},
    )
    return vorgang


def filing_key(doc: Eingangsdokument) -> str:
    return f"posteingang:{doc.pk}"


def store_in_akte(
    *,
    actor: Actor | None,
    doc: Eingangsdokument,
    original: bytes,
    searchable: bytes | None,
    meta: documents.DocumentMeta | None = None,
) -> documents.IngestResult:
    """The document into its Akte (the E-Akte's own transaction; repeating it answers the
    Dokument stored the first time). ``meta``: title and kind, if not those of its kind."""
    assert doc.akte is not None
    label = dokumentart.KINDS.get(doc.kind, "Schreiben")
    meta = meta or documents.DocumentMeta(
        title=f"{label} (Posteingang {doc.stapel.scan_date:%d.%m.%Y})",
        kind=label,
        direction=Dokument.Direction.INCOMING,
        received_on=doc.stapel.scan_date,
    )
    scan = documents.Scan(
        filename=f"{doc.stapel.batch_id}-{doc.datei.name}-{doc.teil + 1}.pdf",
        original=original,
        searchable=searchable,
        text=doc.text,
        page_count=len(doc.pages),
    )
    return documents.file_scan(
        actor=actor, akte=doc.akte, vorgang=doc.vorgang, scan=scan, meta=meta, key=filing_key(doc)
    )


def mark_filed(
    *, actor: Actor | None, doc: Eingangsdokument, dokument: Dokument
) -> tuple[Eingangsdokument, bool]:
    """Inside the caller's transaction: the document's row locked and marked filed as
    ``dokument``; False when it already was (the step is repeated), ``already_filed`` when
    another filing came first."""
    doc = locked_row(doc)
    if doc.state == State.ABGELEGT and doc.dokument_id == dokument.pk:
        return doc, False
    if doc.state not in OPEN_STATES:
        raise already_filed(doc)
    now = timezone.now()
    doc.state, doc.dokument, doc.reason = State.ABGELEGT, dokument, ""
    doc.filed_by = actor if isinstance(actor, User) else None
    doc.filed_at, doc.updated_at = now, now
    doc.claimed_by, doc.claimed_at = None, None
    doc.save()
    return doc, True


def record_filing(
    *, actor: Actor | None, doc: Eingangsdokument, dokument: Dokument, regeln: Regeln
) -> Eingangsdokument:
    """Mark the document filed and put it on the caseworker's desk (a Wiedervorlage
    "Neuer Posteingang", or the team's when the Akte has no caseworker)."""
    with transaction.atomic():
        doc, changed = mark_filed(actor=actor, doc=doc, dokument=dokument)
        if not changed:
            return doc
        akte = dokument.akte
        assignee = doc.vorgang.caseworker if doc.vorgang else None
        assignee = assignee or akte.caseworker
        records.set_wiedervorlage(
            actor=actor,  # type: ignore[arg-type]  # None: the pipeline's rule
            akte=akte,
            vorgang=doc.vorgang,
            dokument=dokument,
            assignee=assignee,
            unit=None if assignee else akte.unit,
            due_date=timezone.localdate() + timedelta(days=regeln.wiedervorlage_days),
            note=f"Neuer Posteingang: {dokument.title}",
        )
        protocol_filing(actor=actor, doc=doc, dokument=dokument)
    return doc


def protocol_filing(
    *, actor: Actor | None, doc: Eingangsdokument, dokument: Dokument, what: str = "abgelegt"
) -> None:
    """The batch protocol's line and the audit event of a document filed (``what``: how
    the line calls it)."""
    akte = dokument.akte
    who = str(actor) if isinstance(actor, User) else doc.filed_rule
    log(
        doc.stapel,
        "abgelegt",
        f"{doc.pages_label}: {what} in Akte {akte.aktenzeichen}"
        + (f", Vorgang „{doc.vorgang.title}“" if doc.vorgang else "")
        + f" ({who})",
        dokument=doc,
        actor=actor,
        rule=doc.filed_rule,
        data={
            "akte": str(akte.pk),
            "vorgang": str(doc.vorgang_id) if doc.vorgang_id else None,
            "dokument": str(dokument.pk),
            "confidence": doc.confidence,
        },
    )
    audit.record(
        actor=actor,
        tenant_id=doc.tenant_id,
        action="inbox.dokument.file",
        obj=doc,
        changes={
            "akte": str(akte.pk),
            "vorgang": str(doc.vorgang_id) if doc.vorgang_id else None,
            "dokument": str(dokument.pk),
            "rule": doc.filed_rule or None,
            "confidence": doc.confidence,
        },
    )


def file_document(
    *,
    actor: Any,
    doc: Eingangsdokument,
    akte: Akte | None,
    vorgang: Vorgang | None,
    rule: str,
    rules: Regeln,
    step: Step | None = None,
    meta: documents.DocumentMeta | None = None,
    record: Callable[..., Eingangsdokument] | None = None,
) -> Eingangsdokument:
    """File ``doc`` into ``akte`` (a rule's choice, or a person's in triage): the three
    writes below, each safe to repeat; ``step`` runs each write as a job step. A Rückscan
    passes its own ``meta`` (title, kind) and ``record`` (the third write, in place of
    :func:`record_filing`, called with the same keywords)."""
    step = step or _direct
    if akte is None:
        raise InboxError("akte_missing", "Bitte wählen Sie eine Akte.")
    step(
        f"ziel-{doc.pk}",
        partial(prepare_target, actor=actor, doc=doc, akte=akte, vorgang=vorgang, rule=rule),
    )
    doc = (
        Eingangsdokument.objects.for_tenant(doc.tenant_id)
        .select_related("stapel", "datei", "akte__aktenplaneinheit", "vorgang")
        .get(pk=doc.pk)
    )
    original, searchable = _blobs(doc)
    result = store_in_akte(
        actor=actor, doc=doc, original=original, searchable=searchable, meta=meta
    )
    stored_in_akte(result)
    if result.dokument is None or result.outcome == "rejected":
        raise InboxError(result.code, result.message)
    if result.outcome == "duplicate" and not _ours(result.dokument, doc):
        raise InboxError("duplicate", result.message)
    step(
        f"abgelegt-{doc.pk}",
        partial(
            record or record_filing, actor=actor, doc=doc, dokument=result.dokument, regeln=rules
        ),
    )
    return Eingangsdokument.objects.for_tenant(doc.tenant_id).get(pk=doc.pk)


def stored_in_akte(result: documents.IngestResult) -> None:
    """Called between the E-Akte's commit and the document marked filed. It does nothing;
    the interruption tests raise here to stand for a process killed at that point."""


def _ours(dokument: Any, doc: Eingangsdokument) -> bool:
    """A duplicate that is this document's own earlier filing (another person repeating)."""
    version = dokument.current_version
    return version is not None and version.upload_key == filing_key(doc)


def _blobs(doc: Eingangsdokument) -> tuple[bytes, bytes | None]:
    searchable = None
    if doc.searchable_sha256:
        with get_store().open(doc.searchable_sha256) as stream:
            searchable = stream.read()
    return original_bytes(doc), searchable


def to_triage(*, doc: Eingangsdokument, reason: str) -> Eingangsdokument:
    """An automatic filing that could not be done (the Akte closed meanwhile, the bytes
    already filed): the document waits for a person, with the reason."""
    with transaction.atomic():
        doc = locked_row(doc)
        if doc.state not in OPEN_STATES:
            return doc
        doc.state, doc.reason, doc.updated_at = State.ZU_PRUEFEN, reason, timezone.now()
        doc.save(update_fields=["state", "reason", "updated_at"])
        log(
            doc.stapel,
            "triage",
            f"{doc.pages_label}: wartet auf Zuordnung. {reason}",
            dokument=doc,
        )
        audit.record(
            actor=None,
            tenant_id=doc.tenant_id,
            action="inbox.dokument.triage",
            obj=doc,
            changes={"reason": reason},
        )
    return doc


def finish(*, stapel: Stapel) -> Stapel:
    """Close the batch's processing once every document is placed."""
    with transaction.atomic():
        stapel = Stapel.objects.for_tenant(stapel.tenant_id).select_for_update().get(pk=stapel.pk)
        if stapel.processed_at is not None:
            return stapel
        counts: dict[str, int] = {}
        for state in (
            Eingangsdokument.objects.for_tenant(stapel.tenant_id)
            .filter(stapel=stapel)
            .values_list("state", flat=True)
        ):
            counts[state] = counts.get(state, 0) + 1
        stapel.processed_at = timezone.now()
        stapel.save(update_fields=["processed_at"])
        log(
            stapel,
            "abschluss",
            f"Verarbeitung abgeschlossen: {counts.get(State.ABGELEGT, 0)} abgelegt, "
            f"{counts.get(State.ZU_PRUEFEN, 0)} in der Zuordnung.",
            data=counts,
        )
        audit.record(
            actor=None,
            tenant_id=stapel.tenant_id,
            action="inbox.stapel.process",
            obj=stapel,
            changes={"documents": counts},
        )
    return stapel


# --- the Mandant's rules --------------------------------------------------------------------


def save_regeln(
    *,
    actor: Actor,
    tenant_id: uuid.UUID,
    auto_threshold: float,
    separator_pattern: str,
    wiedervorlage_days: int,
    aufbewahrung_wochen: int | None = None,
) -> Verarbeitungsregel:
    """The Mandant's threshold, separator code, Wiedervorlage and the weeks paper
    originals are kept (``None``: unchanged); one row, created once."""
    _refuse(
        regeln_problems(
            auto_threshold=auto_threshold,
            separator_pattern=separator_pattern,
            wiedervorlage_days=wiedervorlage_days,
            aufbewahrung_wochen=aufbewahrung_wochen,
        )
    )
    separator_pattern = separator_pattern.strip()
    with transaction.atomic():
        row, _ = Verarbeitungsregel.objects.for_tenant(tenant_id).get_or_create(tenant_id=tenant_id)
        old = {
            "auto_threshold": row.auto_threshold,
            "separator_pattern": row.separator_pattern,
            "wiedervorlage_days": row.wiedervorlage_days,
            "aufbewahrung_wochen": row.aufbewahrung_wochen,
        }
        if aufbewahrung_wochen is not None:
            row.aufbewahrung_wochen = aufbewahrung_wochen
        row.auto_threshold = auto_threshold
        row.separator_pattern = separator_pattern
        row.wiedervorlage_days = wiedervorlage_days
        row.save()
        new = {
            "auto_threshold": auto_threshold,
            "separator_pattern": separator_pattern,
            "wiedervorlage_days": wiedervorlage_days,
            "aufbewahrung_wochen": row.aufbewahrung_wochen,
        }
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="inbox.regeln.change",
            obj=row,
            changes=audit.diff(old, new),
        )
    return row


def save_artregel(
    *,
    actor: Actor,
    tenant_id: uuid.UUID,
    kind: str,
    vorgang_typ: VorgangTyp | None,
    frist_label: str,
    frist_months: int,
    frist_days: int,
    aufbewahrung_wochen: int | None = None,
) -> Artregel:
    """What filing a document of ``kind`` opens (a row per kind; without a Vorgangstyp:
    nothing beyond the Wiedervorlage, also for kinds that open one by default), and how
    many weeks its paper original is kept (``None``: the Mandant's default)."""
    if vorgang_typ is not None and vorgang_typ.tenant_id != tenant_id:
        raise InboxError("foreign_reference", "Der Vorgangstyp gehört zu einem anderen Mandanten.")
    _refuse(
        artregel_problems(
            kind=kind,
            frist_label=frist_label,
            frist_months=frist_months,
            frist_days=frist_days,
            kinds=dokumentart.KINDS,
            aufbewahrung_wochen=aufbewahrung_wochen,
        )
    )
    with transaction.atomic():
        row, created = Artregel.objects.for_tenant(tenant_id).get_or_create(
            tenant_id=tenant_id, kind=kind
        )
        row.vorgang_typ = vorgang_typ
        row.frist_label = frist_label.strip()
        row.frist_months, row.frist_days = frist_months, frist_days
        row.aufbewahrung_wochen = aufbewahrung_wochen
        row.save()
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="inbox.artregel.change",
            obj=row,
            changes={
                "kind": kind,
                "vorgang_typ": vorgang_typ.code if vorgang_typ else None,
                "frist": [row.frist_label, frist_months, frist_days],
                "aufbewahrung_wochen": aufbewahrung_wochen,
                "created": created,
            },
        )
    return row


@dataclass(frozen=True)
class ArtregelWunsch:
    """One kind's rule as the API sets it (a Vorgangstyp by its id, or none)."""

    kind: str
    vorgang_typ_id: uuid.UUID | None
    frist_label: str
    frist_months: int
    frist_days: int
    aufbewahrung_wochen: int | None = None  # None: the Mandant's default


def save_all_regeln(
    *,
    actor: Actor,
    tenant_id: uuid.UUID,
    auto_threshold: float,
    separator_pattern: str,
    wiedervorlage_days: int,
    artregeln: Sequence[ArtregelWunsch],
    aufbewahrung_wochen: int | None = None,
) -> None:
    """The Mandant's rules and the rules of the kinds named, all or nothing: every rule
    is checked before the first is written (one audit event per rule changed)."""
    problems = regeln_problems(
        auto_threshold=auto_threshold,
        separator_pattern=separator_pattern,
        wiedervorlage_days=wiedervorlage_days,
        aufbewahrung_wochen=aufbewahrung_wochen,
    )
    typen = {
        t.pk: t
        for t in VorgangTyp.objects.for_tenant(tenant_id).filter(
            pk__in=[w.vorgang_typ_id for w in artregeln if w.vorgang_typ_id], is_active=True
        )
    }
    for number, wish in enumerate(artregeln, start=1):
        found = artregel_problems(
            kind=wish.kind,
            frist_label=wish.frist_label,
            frist_months=wish.frist_months,
            frist_days=wish.frist_days,
            kinds=dokumentart.KINDS,
            aufbewahrung_wochen=wish.aufbewahrung_wochen,
        )
        if wish.vorgang_typ_id is not None and wish.vorgang_typ_id not in typen:
            found["vorgang_typ"] = "Diesen Vorgangstyp gibt es hier nicht."
        problems.update({f"{number}.{k}": f"Regel {number}: {m}" for k, m in found.items()})
    if len({w.kind for w in artregeln}) != len(artregeln):
        problems["artregeln"] = "Jede Dokumentart darf nur einmal vorkommen."
    if problems:
        raise InboxError("invalid_rule", " ".join(problems.values()))
    with transaction.atomic():
        save_regeln(
            actor=actor,
            tenant_id=tenant_id,
            auto_threshold=auto_threshold,
            separator_pattern=separator_pattern,
            wiedervorlage_days=wiedervorlage_days,
            aufbewahrung_wochen=aufbewahrung_wochen,
        )
        for wish in artregeln:
            save_artregel(
                actor=actor,
                tenant_id=tenant_id,
                kind=wish.kind,
                vorgang_typ=typen.get(wish.vorgang_typ_id) if wish.vorgang_typ_id else None,
                frist_label=wish.frist_label,
                frist_months=wish.frist_months,
                frist_days=wish.frist_days,
                aufbewahrung_wochen=wish.aufbewahrung_wochen,
            )


def _refuse(problems: dict[str, str]) -> None:
    """A rule the shared validation (``regeln``) finds wrong: refused with every reason."""
    if problems:
        code = "frist_label" if list(problems) == ["frist_label"] else "invalid_rule"
        raise InboxError(code, " ".join(problems.values()))


def record_document_read(*, actor: Actor, doc: Eingangsdokument) -> None:
    """Audit that ``actor`` opened a waiting document (its pages and text)."""
    audit.read(actor=actor, tenant_id=doc.tenant_id, obj=doc, purpose="Zuordnung im Posteingang")


def original_bytes(doc: Eingangsdokument) -> bytes:
    with get_store().open(doc.original_sha256) as stream:
        return stream.read()


def record_protocol_read(*, actor: Actor, stapel: Stapel) -> None:
    """Audit that ``actor`` opened the documents and protocol of a batch (they name Akten
    and hold recognised text)."""
    audit.read(
        actor=actor, tenant_id=stapel.tenant_id, obj=stapel, purpose="Protokoll des Scan-Stapels"
    )


def blob_referenced(sha256: str) -> bool:
    """Whether a document found in a batch points to this blob (asked by the blob ledger)."""
    return (
        Eingangsdokument.objects.unscoped().filter(original_sha256=sha256).exists()
        or Eingangsdokument.objects.unscoped().filter(searchable_sha256=sha256).exists()
    )


def stapel_of(tenant_id: uuid.UUID, stapel_id: uuid.UUID) -> Stapel | None:
    return Stapel.objects.for_tenant(tenant_id).filter(pk=stapel_id).first()
