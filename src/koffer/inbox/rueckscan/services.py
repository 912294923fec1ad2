"""Every write of the Rückscan: printing Deckblätter (which plans the Akten for the
Rückscan), the Deckblatt each document of a Rückscan batch starts with, and filing such a
document into its Akte (the pipeline's three writes, with the Rückscan's title and kind,
no Wiedervorlage, and the Akte marked scanned). Each write checks the state it starts
from, so a job step run again after a crash changes nothing."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.inbox import access as rules
from koffer.inbox.errors import Forbidden, InboxError, NotFound
from koffer.inbox.models import Eingangsdokument, Rueckscanakte, Stapeldatei
from koffer.inbox.rueckscan import deckblatt, pdf, selectors
from koffer.inbox.verarbeitung import services as pipeline
from koffer.inbox.verarbeitung.regeln import Regeln, regeln
from koffer.inbox.verarbeitung.schritte import Aufteilung
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument
from koffer.tenancy.models import Mandant, Organisationseinheit

State = Eingangsdokument.State
KIND = "Rückscan"  # the Dokument's kind in the E-Akte (source: Scan)


# --- Deckblätter ------------------------------------------------------------------------------


def print_deckblaetter(
    *,
    actor: Actor | None,
    access: Access | None,
    tenant: Mandant,
    akte_ids: Sequence[uuid.UUID] = (),
    unit_id: uuid.UUID | None = None,
) -> bytes:
    """One PDF with a Deckblatt per Akte (named, and every open Akte of ``unit_id`` and
    below), and each Akte planned for the Rückscan (once; printed again, it counts how
    often). For the mail room and the administration (``access.plans_rueckscan``), and
    refused unless every named Akte is open and readable by the actor (unknown and
    unreadable look the same). ``access`` None: the system (the demo, a command), which
    prints for every open Akte. One audit event per Akte."""
    if access is not None and not rules.plans_rueckscan(access, tenant):
        raise Forbidden("forbidden", "Deckblätter drucken die Poststelle und die Administration.")
    akten, missing = selectors.akten_for_print(
        access,
        actor.pk if isinstance(actor, User) else None,
        tenant,
        akte_ids=akte_ids,
        unit_id=unit_id,
    )
    if missing:
        raise NotFound(
            "not_found",
            f"{len(missing)} der gewählten Akten gibt es nicht, sie sind geschlossen, oder "
            "Sie dürfen sie nicht lesen.",
        )
    if not akten:
        raise InboxError("no_akten", "Bitte wählen Sie mindestens eine offene Akte.")
    if len(akten) > selectors.MAX_SHEETS:
        raise InboxError(
            "too_many",
            f"Höchstens {selectors.MAX_SHEETS} Deckblätter auf einmal; gewählt sind "
            f"{len(akten)}. Bitte wählen Sie eine kleinere Einheit.",
        )
    sites = selectors.standorte(tenant)
    sheets = [pdf.Blatt(a.aktenzeichen, a.title, a.unit.name, sites[a.unit_id].name) for a in akten]
    data = pdf.render(
        tenant_id=tenant.pk,
        mandant=tenant.name,
        blaetter=sheets,
        gedruckt=f"{timezone.localdate():%d.%m.%Y}",
    )
    _plan(actor, tenant, akten, sites)
    return data


def _plan(
    actor: Actor | None,
    tenant: Mandant,
    akten: Sequence[Akte],
    sites: dict[uuid.UUID, Organisationseinheit],
) -> None:
    now = timezone.now()
    person = actor if isinstance(actor, User) else None
    with transaction.atomic():
        for akte in akten:
            # get_or_create: a second person printing the same Akte at the same moment
            # finds the row the first one made (the unique constraint decides).
            row, created = Rueckscanakte.objects.for_tenant(tenant).get_or_create(
                tenant=tenant,
                akte=akte,
                defaults={
                    "standort": sites[akte.unit_id],
                    "planned_at": now,
                    "planned_by": person,
                    "printed": 1,
                },
            )
            if not created:
                row.printed += 1
                row.planned_at = row.planned_at or now
                row.planned_by = row.planned_by or person
                row.save(update_fields=["printed", "planned_at", "planned_by"])
            audit.record(
                actor=actor,
                tenant_id=tenant.pk,
                action="inbox.rueckscan.deckblatt",
                obj=row,
                subject=akte,
                changes={
                    "akte": str(akte.pk),
                    "aktenzeichen": akte.aktenzeichen,
                    "standort": str(row.standort_id),
                    "printed": row.printed,
                },
            )


# --- the pipeline: a Rückscan batch -----------------------------------------------------------


def record_split(*, datei: Stapeldatei, found: Aufteilung) -> list[Eingangsdokument]:
    """The documents of one file of a Rückscan batch (``pipeline.record_split``), each
    carrying the code of the Deckblatt it starts with (the page before its first), and a
    protocol line per Deckblatt."""
    created = pipeline.record_split(datei=datei, found=found)
    sheets = {c.page: c for c in found.codes if deckblatt.is_deckblatt(c.text)}
    for doc in created:
        sheet = sheets.get(doc.pages[0] - 1) if doc.pages else None
        if sheet is None:
            continue
        entry = {"page": sheet.page, "format": sheet.format, "text": sheet.text}
        if entry in doc.codes:
            continue  # this step ran already
        doc.codes = [entry, *doc.codes]
        doc.save(update_fields=["codes"])
        read = deckblatt.read(sheet.text, doc.tenant_id)
        name = read.aktenzeichen if read else ""
        pipeline.log(
            doc.stapel,
            "rueckscan",
            f"Rückscan: Deckblatt AZ {name} auf Seite {sheet.page + 1}, "
            f"Akte auf {doc.pages_label}"
            + ("" if read and read.valid else " (Deckblatt ungültig)"),
            datei=datei,
            dokument=doc,
            data={
                "deckblatt": sheet.page + 1,
                "aktenzeichen": name,
                "valid": bool(read and read.valid),
            },
        )
    return created


def meta(doc: Eingangsdokument) -> documents.DocumentMeta:
    """How a Rückscan document stands in the Akte."""
    return documents.DocumentMeta(
        title=f"Rückscan Papierakte (gescannt am {doc.stapel.scan_date:%d.%m.%Y})",
        kind=KIND,
        direction=Dokument.Direction.INTERNAL,
        received_on=doc.stapel.scan_date,
    )


def file_document(
    *,
    actor: Actor | None,
    doc: Eingangsdokument,
    akte: Akte | None,
    rule: str,
    rules: Regeln | None = None,
    step: pipeline.Step | None = None,
) -> Eingangsdokument:
    """File a Rückscan document into ``akte`` (its Deckblatt's, or a person's choice in
    triage): the pipeline's three writes, each safe to repeat."""
    return pipeline.file_document(
        actor=actor,
        doc=doc,
        akte=akte,
        vorgang=None,
        rule=rule,
        rules=rules or regeln(doc.tenant_id),
        step=step,
        meta=meta(doc),
        record=record_filing,
    )


def record_filing(
    *, actor: Actor | None, doc: Eingangsdokument, dokument: Dokument, regeln: Regeln
) -> Eingangsdokument:
    """Mark the document filed and its Akte scanned. No Wiedervorlage: an old paper file
    asks nobody to act."""
    with transaction.atomic():
        doc, changed = pipeline.mark_filed(actor=actor, doc=doc, dokument=dokument)
        if not changed:
            return doc
        akte = dokument.akte
        row = _scanned(doc, akte)
        who = str(actor) if isinstance(actor, User) else doc.filed_rule
        pipeline.log(
            doc.stapel,
            "abgelegt",
            f"{doc.pages_label}: Rückscan der Papierakte abgelegt in Akte {akte.aktenzeichen} "
            f"({len(doc.pages)} Seiten; {who})",
            dokument=doc,
            actor=actor,
            rule=doc.filed_rule,
            data={"akte": str(akte.pk), "dokument": str(dokument.pk), "pages": len(doc.pages)},
        )
        audit.record(
            actor=actor,
            tenant_id=doc.tenant_id,
            action="inbox.rueckscan.file",
            obj=doc,
            subject=akte,
            changes={
                "akte": str(akte.pk),
                "dokument": str(dokument.pk),
                "rule": doc.filed_rule or None,
                "pages": len(doc.pages),
                "rueckscanakte": str(row.pk),
            },
        )
    return doc


def _scanned(doc: Eingangsdokument, akte: Akte) -> Rueckscanakte:
    """The Akte's Rückscan row marked scanned (made now if it was never planned here);
    a file that came in parts adds its pages."""
    row = (
        Rueckscanakte.objects.for_tenant(doc.tenant_id)
        .select_for_update()
        .filter(akte=akte)
        .first()
    )
    if row is None:
        site = selectors.standorte(doc.tenant_id)[akte.unit_id]
        row = Rueckscanakte(tenant_id=doc.tenant_id, akte=akte, standort=site)
    row.state = Rueckscanakte.State.GESCANNT
    row.stapel_id, row.eingang, row.scanned_at = doc.stapel_id, doc, doc.filed_at
    row.pages += len(doc.pages)
    row.save()
    return row
