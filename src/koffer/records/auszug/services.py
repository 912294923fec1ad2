"""Aktenauszug: a complete, paginated extract of an Akte as one PDF, e.g. for the
Sozialgericht. Ordering one, building it in the background, reading it.

Ordering (:func:`create_auszug`) fixes the selection: the chosen documents and the version
each one had at that moment, in the order of the file (by date). The build runs as the
job kind ``records.aktenauszug``: one step per document (its PDF form), one step that
assembles and stores the PDF, one that records the result. A restarted worker skips the
steps already done, so no document is prepared twice. The PDF itself is built in
:mod:`koffer.records.auszug.pdf`.
"""

from __future__ import annotations

import hashlib
import io
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import IO, Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from koffer import formats
from koffer.accounts.models import User
from koffer.accounts.roles import Perm
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.blobs.store import BlobNotFound, get_store
from koffer.jobs import registry
from koffer.jobs import services as jobs
from koffer.jobs.runner import UNEXPECTED_ERROR, JobError, JobRun, Outcome
from koffer.records import access
from koffer.records.auszug import pdf as extract_pdf
from koffer.records.dokumente import blob_ledger, pages
from koffer.records.dokumente.detect import decode_text
from koffer.records.dokumente.services import first_subject
from koffer.records.errors import RecordsConflict, RecordsError
from koffer.records.models import (
    Akte,
    Aktenauszug,
    Dokument,
    DokumentVersion,
    Person,
    Vorgang,
)
from koffer.records.selectors import Viewer

KIND = "records.aktenauszug"
MAX_DOCUMENTS = 2000
OFFICE_MIMES = frozenset(
    {
        "application/msword",
        "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "application/vnd.openxmlformats-officedocument.presentationml.presentation",
        "application/vnd.oasis.opendocument.text",
        "application/vnd.oasis.opendocument.spreadsheet",
        "application/vnd.oasis.opendocument.presentation",
    }
)
PDFA_BY_VERDICT = {
    True: Aktenauszug.Pdfa.VALIDATED,
    False: Aktenauszug.Pdfa.DEVIATIONS,
    None: Aktenauszug.Pdfa.BEST_EFFORT,
}


# --- Reads --------------------------------------------------------------------------------------


def visible_auszuege(viewer: Viewer) -> QuerySet[Aktenauszug]:
    """Extracts of the Akten the viewer may see (an extract is as secret as its Akte)."""
    return Aktenauszug.objects.for_tenant(viewer.tenant_id).filter(
        access.akten_q(viewer.access, viewer.user_id, prefix="akte__")
    )


def auszug_for(viewer: Viewer, auszug_id: uuid.UUID) -> Aktenauszug | None:
    return (
        visible_auszuege(viewer)
        .select_related("akte", "akte__aktenplaneinheit", "job", "created_by")
        .filter(pk=auszug_id)
        .first()
    )


def akte_auszuege(akte: Akte) -> list[Aktenauszug]:
    return list(
        Aktenauszug.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte)
        .select_related("created_by", "job")
        .order_by("-created_at", "-pk")
    )


def selectable_documents(akte: Akte) -> list[tuple[Vorgang | None, list[Dokument]]]:
    """The Akte's documents for the selection page, grouped by Vorgang (oldest Vorgang
    first, documents without one last), each group in file order."""
    vorgaenge = list(
        Vorgang.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte)
        .select_related("typ")
        .order_by("opened_at", "pk")
    )
    docs = list(
        Dokument.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte)
        .select_related("current_version")
        .defer("current_version__text")
    )
    docs.sort(key=file_order)
    groups: list[tuple[Vorgang | None, list[Dokument]]] = [
        (v, [d for d in docs if d.vorgang_id == v.pk]) for v in vorgaenge
    ]
    loose = [d for d in docs if d.vorgang_id is None]
    if loose:
        groups.append((None, loose))
    return groups


def document_date(dokument: Dokument) -> date:
    """The date a document carries in the file: received on, else filed on."""
    if dokument.received_on is not None:
        return dokument.received_on
    return timezone.localtime(dokument.created_at).date()


def document_date_label(dokument: Dokument) -> str:
    """The document's date as the extract prints it. A document filed without a date of
    receipt (before uploads took the upload day as that date) says that it is the day of
    filing, rather than passing it off as the day it was received."""
    if dokument.received_on is not None:
        return formats.german_date(dokument.received_on)
    return f"hochgeladen am {formats.german_date(document_date(dokument))}"


def file_order(dokument: Dokument) -> tuple[date, Any, str]:
    """Paper files are numbered in the order of their dates; ties by filing time."""
    return (document_date(dokument), dokument.created_at, str(dokument.pk))


# --- Ordering an extract ----------------------------------------------------------------------


@dataclass(frozen=True)
class Auswahl:
    """What the caseworker ticked: the whole Akte, whole Vorgänge, single documents.
    Cancelled documents come in only when ticked one by one."""

    ganze_akte: bool = False
    vorgang_ids: Sequence[uuid.UUID] = ()
    dokument_ids: Sequence[uuid.UUID] = ()


def resolve(akte: Akte, auswahl: Auswahl) -> list[Dokument]:
    """The chosen documents in file order. Raises RecordsError for ids of other Akten."""
    vorgang_ids = set(auswahl.vorgang_ids)
    dokument_ids = set(auswahl.dokument_ids)
    own_vorgaenge = set(
        Vorgang.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte, pk__in=vorgang_ids)
        .values_list("pk", flat=True)
    )
    if own_vorgaenge != vorgang_ids:
        raise RecordsError(
            "vorgang_foreign", "Mindestens ein gewählter Vorgang gehört nicht zu dieser Akte."
        )
    docs = list(
        Dokument.objects.for_tenant(akte.tenant_id)
        .filter(akte=akte)
        .select_related("current_version")
        .defer("current_version__text")
    )
    if not dokument_ids <= {d.pk for d in docs}:
        raise RecordsError(
            "dokument_foreign", "Mindestens ein gewähltes Dokument gehört nicht zu dieser Akte."
        )
    chosen = []
    for dokument in docs:
        ticked = dokument.pk in dokument_ids
        if dokument.status == Dokument.Status.CANCELLED and not ticked:
            continue
        if auswahl.ganze_akte or ticked or dokument.vorgang_id in vorgang_ids:
            chosen.append(dokument)
    chosen.sort(key=file_order)
    return chosen


def create_auszug(*, actor: Actor, akte: Akte, auswahl: Auswahl, purpose: str) -> Aktenauszug:
    """Order an extract: fix the selection (documents and their current versions), record
    it, and start the background job that builds the PDF. The caller has checked that the
    actor may edit the Akte."""
    purpose = " ".join((purpose or "").split())
    if not purpose:
        raise RecordsError(
            "purpose_required",
            "Bitte geben Sie den Zweck an, z. B. „Aktenauszug für das Sozialgericht, "
            "Az. S 12 SB 345/26“.",
        )
    if len(purpose) > 300:
        raise RecordsError("purpose_too_long", "Der Zweck darf höchstens 300 Zeichen lang sein.")
    chosen = resolve(akte, auswahl)
    if not chosen:
        raise RecordsError(
            "selection_empty",
            "Bitte wählen Sie die ganze Akte, mindestens einen Vorgang oder mindestens ein "
            "Dokument aus.",
        )
    if len(chosen) > MAX_DOCUMENTS:
        raise RecordsError(
            "selection_too_large",
            f"Ein Aktenauszug kann höchstens {MAX_DOCUMENTS} Dokumente enthalten; bitte "
            "teilen Sie die Auswahl auf.",
        )
    user = actor if isinstance(actor, User) else None
    selection = {
        "ganze_akte": auswahl.ganze_akte,
        "vorgaenge": sorted(str(v) for v in set(auswahl.vorgang_ids)),
        "dokumente": sorted(str(d) for d in set(auswahl.dokument_ids)),
        "items": [
            {"dokument": str(d.pk), "version": str(d.current_version_id or "") or None}
            for d in chosen
        ],
    }
    with transaction.atomic():
        auszug = Aktenauszug.objects.create(
            tenant_id=akte.tenant_id,
            akte=akte,
            purpose=purpose,
            selection=selection,
            created_by=user,
            created_at=timezone.now(),
        )
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="records.aktenauszug.create",
            obj=auszug,
            subject=first_subject(akte),
            changes={
                "akte": str(akte.pk),
                "purpose": purpose,
                "documents": len(chosen),
                "ganze_akte": auswahl.ganze_akte,
            },
        )
        job = jobs.start_job(
            actor=actor,
            tenant=akte.tenant,
            kind=KIND,
            title=f"Aktenauszug {akte.aktenzeichen}",
            params={"auszug": str(auszug.pk)},
        )
        auszug.job = job
        auszug.save(update_fields=["job"])
    return auszug


def retry(*, actor: Actor, auszug: Aktenauszug) -> Aktenauszug:
    """Queue a failed build again; the documents already prepared are skipped. The caller
    has checked that the actor may edit the Akte."""
    job = auszug.job
    if auszug.status != Aktenauszug.Status.FAILED or job is None:
        raise RecordsError(
            "not_failed", "Nur ein fehlgeschlagener Aktenauszug kann wiederholt werden."
        )
    with transaction.atomic():
        try:
            jobs.retry_job(actor=actor, job=job)
        except jobs.JobRefused as exc:
            raise RecordsError(exc.code, exc.message) from exc
        Aktenauszug.objects.for_tenant(auszug.tenant_id).filter(
            pk=auszug.pk, status=Aktenauszug.Status.FAILED
        ).update(status=Aktenauszug.Status.WAITING, error="")
    auszug.refresh_from_db()
    return auszug


# --- Reading the result -------------------------------------------------------------------------


class NotReady(RecordsConflict):
    """The extract has no PDF (yet): still being built, failed, or its blob is gone."""

    title = "Noch nicht fertig"


def open_pdf(auszug: Aktenauszug) -> IO[bytes]:
    """The finished PDF; raises NotReady (German message) while it is being built."""
    if auszug.status != Aktenauszug.Status.DONE or not auszug.sha256:
        raise NotReady("not_ready", "Der Aktenauszug ist noch nicht fertig.")
    try:
        return get_store().open(auszug.sha256)
    except BlobNotFound as exc:
        raise NotReady(
            "pdf_missing", "Die PDF-Datei des Aktenauszugs fehlt im Dokumentenspeicher."
        ) from exc


def download_name(auszug: Aktenauszug) -> str:
    safe = "".join(ch if ch.isalnum() or ch in "-_." else "-" for ch in auszug.akte.aktenzeichen)
    return f"Aktenauszug-{safe}-{timezone.localtime(auszug.created_at):%Y-%m-%d}.pdf"


def record_read(*, actor: Actor, auszug: Aktenauszug, purpose: str) -> None:
    """Audit that ``actor`` opened or downloaded the extract (a read of what it contains)."""
    audit.read(
        actor=actor,
        tenant_id=auszug.tenant_id,
        obj=auszug,
        subject=first_subject(auszug.akte),
        purpose=purpose,
    )


def page_image(auszug: Aktenauszug, page: int, width: int) -> Any:
    """A page of the finished PDF as an image (cached like document pages)."""
    if auszug.status != Aktenauszug.Status.DONE or not auszug.sha256:
        raise pages.PageNotAvailable
    total = page_total(auszug)
    if width not in pages.WIDTHS or not 1 <= page <= total:
        raise pages.PageNotAvailable
    return pages.cached_render(pages.PageSource("pdf", auszug.sha256), page, width)


def page_total(auszug: Aktenauszug) -> int:
    return auszug.page_count


# --- The job ------------------------------------------------------------------------------------


def register_job_kind() -> None:
    registry.register(
        registry.JobKind(
            code=KIND,
            label="Aktenauszug erstellen",
            description="Stellt ausgewählte Dokumente einer Akte als ein PDF mit Deckblatt, "
            "Inhaltsverzeichnis und Blattzahlen zusammen.",
            handler=build,
            permission=Perm.RECORDS_EDIT,
            offered=False,
        )
    )


def build(run: JobRun) -> Outcome:
    """The job: prepare each document (a step each), assemble and store the PDF, record
    the result. Marks the extract failed (and re-raises) when something goes wrong."""
    auszug = (
        Aktenauszug.objects.for_tenant(run.tenant_id)
        .select_related("akte", "akte__aktenplaneinheit", "akte__unit", "created_by")
        .filter(pk=_uuid(run.params.get("auszug")))
        .first()
    )
    if auszug is None:
        raise JobError("Diesen Aktenauszug gibt es nicht mehr.")
    _set_status(auszug, Aktenauszug.Status.BUILDING, error="")
    try:
        return _build(run, auszug)
    except JobError as exc:
        _set_status(auszug, Aktenauszug.Status.FAILED, error=str(exc))
        raise
    except Exception:
        _set_status(auszug, Aktenauszug.Status.FAILED, error=UNEXPECTED_ERROR)
        raise


def _uuid(value: Any) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value))
    except ValueError:
        return None


def _set_status(auszug: Aktenauszug, status: str, *, error: str) -> None:
    Aktenauszug.objects.for_tenant(auszug.tenant_id).filter(pk=auszug.pk).exclude(
        status=Aktenauszug.Status.DONE
    ).update(status=status, error=error)


def _build(run: JobRun, auszug: Aktenauszug) -> Outcome:
    items: list[dict[str, Any]] = list(auszug.selection.get("items", []))
    docs = {
        str(d.pk): d
        for d in Dokument.objects.for_tenant(auszug.tenant_id)
        .filter(pk__in=[i["dokument"] for i in items])
        .select_related("vorgang")
    }
    versions = {
        str(v.pk): v
        for v in DokumentVersion.objects.for_tenant(auszug.tenant_id).filter(
            pk__in=[i["version"] for i in items if i.get("version")]
        )
    }
    total = len(items) + 1
    run.progress(0, total, "Die Dokumente werden aufbereitet …")
    parts: list[extract_pdf.Part] = []
    for number, item in enumerate(items, start=1):
        dokument = docs.get(item["dokument"])
        if dokument is None:
            raise JobError("Ein ausgewähltes Dokument gibt es nicht mehr.")
        version = versions.get(item.get("version") or "")
        work = partial(prepare, version, dokument.title)
        prepared = run.step(f"dokument-{item['dokument']}", work, atomic=False)
        parts.append(_part(dokument, prepared))
        run.progress(number, total, f"Dokument {number} von {len(items)} aufbereitet")

    def assemble() -> dict[str, Any]:
        def report(done: int, sheets: int) -> None:
            run.progress(
                len(items), total, f"Das PDF wird zusammengestellt: Bl. {done} von {sheets}"
            )

        try:
            built = extract_pdf.assemble(_cover(auszug), parts, open_part, progress=report)
        except extract_pdf.Unusable as exc:
            raise JobError(exc.reason) from exc
        verdict = extract_pdf.validate_pdfa(built.pdf) if built.pdfa else None
        pdfa = PDFA_BY_VERDICT[verdict] if built.pdfa else Aktenauszug.Pdfa.NONE
        # Announced in the blob ledger, settled by the last step together with the row
        # that points to it: a job that never gets there leaves no unreferenced PDF with
        # personal data behind (records_blob_gc removes it after the grace period).
        sha256 = hashlib.sha256(built.pdf).hexdigest()
        [mark] = blob_ledger.store_pending(auszug.tenant_id, [(sha256, built.pdf)])
        return {
            "sha256": sha256,
            "size": len(built.pdf),
            "pending": str(mark),
            "sheets": built.sheets,
            "front_pages": built.front_pages,
            "ranges": [list(r) if r else None for r in built.ranges],
            "pdfa": pdfa.value,
            "not_pdfa": built.not_pdfa,
        }

    result = run.step("pdf", assemble, atomic=False)
    run.step("abschluss", partial(_finish, auszug, parts, result))
    left_out = sum(1 for r in result["ranges"] if r is None)
    message = (
        f"Aktenauszug erstellt: {result['sheets']} Blatt aus "
        f"{len(items) - left_out} Dokument{'en' if len(items) - left_out != 1 else ''}."
    )
    if left_out:
        message += (
            f" {left_out} Dokument{'e konnten' if left_out != 1 else ' konnte'} nicht "
            "aufgenommen werden; der Grund steht im Inhaltsverzeichnis."
        )
    return Outcome(message, needs_attention=bool(left_out))


def prepare(version: DokumentVersion | None, heading: str = "") -> dict[str, Any]:
    """Check that a document can become pages of the extract and count them: the PDF
    original, the PDF rendering of an Office file, an image (each frame a page) or a text
    (typeset). Texts are typeset here only to count their pages; the assembly renders
    images and texts in memory (milliseconds each), so no intermediate file is left in
    the blob store. Never raises for a document that cannot be used: the
    reason goes into the table of contents."""
    if version is None:
        return _left_out("Keine Datei vorhanden.")
    try:
        if version.pdf_sha256 or version.mime_type == pages.PDF_MIME:
            sha256 = version.pdf_sha256 or version.sha256
            with get_store().open(sha256) as stream:
                count = extract_pdf.pdf_page_count(stream)
            return _included(sha256, "pdf", count, heading)
        if version.mime_type in pages.RASTER_MIMES:
            form = "image"
        elif version.mime_type == "text/plain":
            form = "text"
        elif version.mime_type in OFFICE_MIMES:
            return _left_out(
                "Office-Dokument ohne PDF-Fassung (die Umwandlung war nicht möglich); "
                "bitte das Original gesondert beifügen."
            )
        else:
            return _left_out("Für diesen Dateityp gibt es keine PDF-Darstellung.")
        if form == "image":
            with get_store().open(version.sha256) as stream:
                count = extract_pdf.image_page_count(stream)
        else:
            rendered = _render(version.sha256, form, heading)
            count = extract_pdf.pdf_page_count(io.BytesIO(rendered))
        return _included(version.sha256, form, count, heading)
    except BlobNotFound:
        return _left_out("Die Datei fehlt im Dokumentenspeicher.")
    except extract_pdf.Unusable as exc:
        return _left_out(exc.reason)


def _included(sha256: str, form: str, count: int, heading: str) -> dict[str, Any]:
    return {"sha256": sha256, "form": form, "pages": count, "heading": heading, "reason": ""}


def _render(sha256: str, form: str, heading: str) -> bytes:
    """An image or a text document as PDF pages, made in memory."""
    with get_store().open(sha256) as stream:
        data = stream.read()
    if form == "image":
        return extract_pdf.image_to_pdf(data)
    return extract_pdf.text_to_pdf(decode_text(data), heading)


def open_part(part: extract_pdf.Part) -> IO[bytes]:
    """A part's pages as a PDF stream, for the assembly."""
    assert part.sha256 is not None
    if part.form == "pdf":
        return get_store().open(part.sha256)
    return io.BytesIO(_render(part.sha256, part.form, part.heading))


def _left_out(reason: str) -> dict[str, Any]:
    return {"sha256": None, "form": "", "pages": 0, "heading": "", "reason": reason}


def _part(dokument: Dokument, prepared: dict[str, Any]) -> extract_pdf.Part:
    return extract_pdf.Part(
        title=dokument.title,
        kind=dokument.kind,
        date=document_date_label(dokument),
        vorgang=dokument.vorgang.title if dokument.vorgang is not None else "",
        cancelled=dokument.status == Dokument.Status.CANCELLED,
        cancel_reason=dokument.cancel_reason,
        pages=int(prepared.get("pages") or 0),
        sha256=prepared.get("sha256"),
        form=str(prepared.get("form") or "pdf"),
        heading=str(prepared.get("heading") or ""),
        reason=str(prepared.get("reason") or ""),
    )


def person_line(person: Person | None) -> str:
    if person is None:
        return ""
    line = str(person)
    if person.birth_date:
        line += f", geb. {formats.german_date(person.birth_date)}"
    return line


def _cover(auszug: Aktenauszug) -> extract_pdf.Cover:
    akte = auszug.akte
    subject = first_subject(akte)
    return extract_pdf.Cover(
        behoerde=akte.tenant.name,
        einheit=akte.unit.name,
        aktenzeichen=akte.aktenzeichen,
        akte_titel=akte.title,
        person=person_line(subject),
        aktenplan=str(akte.aktenplaneinheit),
        zweck=auszug.purpose,
        datum=formats.german_date(timezone.localtime(auszug.created_at).date()),
        ersteller=str(auszug.created_by) if auszug.created_by else "System",
    )


def _finish(
    auszug: Aktenauszug, parts: list[extract_pdf.Part], result: dict[str, Any]
) -> dict[str, Any]:
    ranges = result["ranges"]
    contents = [
        {
            "title": part.title,
            "kind": part.kind,
            "date": part.date,
            "vorgang": part.vorgang,
            "cancelled": part.cancelled,
            "cancel_reason": part.cancel_reason,
            "sheets": extract_pdf.sheet_label(tuple(r) if r else None),
            "pages": part.pages if r else 0,
            "reason": part.reason,
            "sha256": part.sha256,
            "form": part.form,
        }
        for part, r in zip(parts, ranges, strict=True)
    ]
    included = sum(1 for r in ranges if r)
    if "pending" in result:  # results recorded before the ledger have no mark
        blob_ledger.settle([uuid.UUID(result["pending"])])
    if not get_store().exists(result["sha256"]):
        raise JobError(
            "Das PDF des Aktenauszugs fehlt im Dokumentenspeicher (der Auftrag lag zu lange "
            "unvollendet). Bitte den Aktenauszug neu erstellen."
        )
    now = timezone.now()
    Aktenauszug.objects.for_tenant(auszug.tenant_id).filter(pk=auszug.pk).update(
        status=Aktenauszug.Status.DONE,
        sheet_count=result["sheets"],
        document_count=included,
        contents=contents,
        page_count=result["front_pages"] + result["sheets"],
        sha256=result["sha256"],
        size=result["size"],
        pdfa=result["pdfa"],
        error="",
        finished_at=now,
    )
    audit.record(
        actor=None,
        tenant_id=auszug.tenant_id,
        action="records.aktenauszug.done",
        obj=auszug,
        changes={
            "sha256": result["sha256"],
            "sheets": result["sheets"],
            "documents": included,
            "left_out": len(parts) - included,
            "pdfa": result["pdfa"],
            **({"not_pdfa": result["not_pdfa"]} if result.get("not_pdfa") else {}),
        },
    )
    return {"done": True}
