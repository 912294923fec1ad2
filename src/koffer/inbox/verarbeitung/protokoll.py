"""The protocol of a batch (issue 15, item 4): what was done to each file, page and
document — split, turned, recognised, filed where, by whom or by which rule, with the
confidence — as one JSON document. ``manage.py inbox_report``, the API and the batch's
page read it here. Reads only; the caller audits the read (the texts are personal data).
"""

from __future__ import annotations

from typing import Any

from koffer.inbox.models import Eingangsdokument, Problem, Protokolleintrag, Stapel, Stapeldatei

VERSION = 1


def _datei(d: Stapeldatei) -> dict[str, Any]:
    return {
        "name": d.name,
        "position": d.position,
        "state": d.state,
        "pages": d.pages,
        "declared_pages": d.declared_pages,
        "sha256": d.sha256,
        "declared_sha256": d.declared_sha256,
    }


def _dokument(doc: Eingangsdokument, *, with_text: bool) -> dict[str, Any]:
    found: dict[str, Any] = {
        "id": str(doc.pk),
        "datei": doc.datei.name,
        "teil": doc.teil + 1,
        "seiten": [p + 1 for p in doc.pages],
        "state": doc.state,
        "kind": doc.kind,
        "kind_confidence": doc.kind_confidence,
        "ocr": doc.ocr_done,
        "pdfa": doc.pdfa,
        "rotated": [doc.pages[i] + 1 for i in doc.rotated if i < len(doc.pages)],
        "turned": {str(int(p) + 1): degrees for p, degrees in doc.turns.items()},  # by hand
        "merged_into": str(doc.merged_into_id) if doc.merged_into_id else None,
        "codes": doc.codes,
        "antwortcode": doc.antwortcode,
        "rueckpost": (
            {"grund": doc.rueckpost_grund, "quelle": doc.rueckpost_quelle}
            if doc.rueckpost_grund
            else None
        ),
        "merkmale": doc.merkmale,
        "vorschlaege": doc.vorschlaege,
        "confidence": doc.confidence,
        "akte": (
            {"id": str(doc.akte_id), "aktenzeichen": doc.akte.aktenzeichen} if doc.akte else None
        ),
        "vorgang": {"id": str(doc.vorgang_id), "title": doc.vorgang.title} if doc.vorgang else None,
        "dokument": str(doc.dokument_id) if doc.dokument_id else None,
        "filed_by": doc.filed_by.username if doc.filed_by else None,
        "rule": doc.filed_rule or None,
        "filed_at": doc.filed_at.isoformat() if doc.filed_at else None,
        "reason": doc.reason or None,
        "original_sha256": doc.original_sha256 or None,
        "searchable_sha256": doc.searchable_sha256 or None,
    }
    if with_text:
        found["text"] = doc.text
    return found


def dokumente(stapel: Stapel) -> list[Eingangsdokument]:
    return list(
        Eingangsdokument.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel)
        .select_related("datei", "akte", "vorgang", "filed_by")
        .order_by("datei__position", "teil")
    )


def eintraege(stapel: Stapel) -> list[Protokolleintrag]:
    return list(
        Protokolleintrag.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel)
        .select_related("datei", "actor")
        .order_by("at", "pk")
    )


def report(stapel: Stapel, *, with_text: bool = True) -> dict[str, Any]:
    """The whole protocol of ``stapel``."""
    files = list(Stapeldatei.objects.for_tenant(stapel.tenant_id).filter(stapel=stapel))
    problems = (
        Problem.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel)
        .select_related("datei")
        .order_by("created_at", "key")
    )
    return {
        "version": VERSION,
        "stapel": {
            "id": str(stapel.pk),
            "stapel_id": stapel.batch_id,
            "art": stapel.art,
            "scan_datum": stapel.scan_date.isoformat(),
            "operator": stapel.operator,
            "scanner": stapel.scanner,
            "qualitaetspruefung": stapel.quality,
            "lieferschein_sha256": stapel.manifest_sha256,
            "state": stapel.state,
            "checked_at": stapel.checked_at.isoformat() if stapel.checked_at else None,
            "processed_at": stapel.processed_at.isoformat() if stapel.processed_at else None,
        },
        "dateien": [_datei(d) for d in files],
        "dokumente": [_dokument(d, with_text=with_text) for d in dokumente(stapel)],
        "probleme": [
            {"code": p.code, "message": p.message, "datei": p.datei.name if p.datei else None}
            for p in problems
        ],
        "protokoll": [
            {
                "at": e.at.isoformat(),
                "action": e.action,
                "message": e.message,
                "datei": e.datei.name if e.datei else None,
                "dokument": str(e.dokument_id) if e.dokument_id else None,
                "actor": e.actor.username if e.actor else None,
                "rule": e.rule or None,
                "data": e.data,
            }
            for e in eintraege(stapel)
        ],
    }
