"""A scanned page put straight into the triage queue (the pipeline has its own tests)."""

from __future__ import annotations

import hashlib
from typing import Any

from django.utils import timezone

from koffer.inbox.models import Eingangsdokument
from koffer.records.dokumente import services as documents
from tests.inbox import scans
from tests.inbox.conftest import Deliver


def waiting(deliver: Deliver, lines: list[str], *, batch: str, **fields: Any) -> Eingangsdokument:
    """One page showing ``lines``, delivered as batch ``batch`` and waiting in triage;
    ``fields`` set the rest of the row (text, suggestions, reply code, reason)."""
    page = scans.image_pdf([scans.letter(lines)])
    files = {"0001.pdf": page}
    stapel = deliver(files, scans.manifest(files, batch_id=batch)).stapel
    sha = hashlib.sha256(page).hexdigest()
    documents.settle_blobs(documents.store_blobs(tenant_id=stapel.tenant_id, blobs=[(sha, page)]))
    now = timezone.now()
    return Eingangsdokument.objects.create(
        tenant_id=stapel.tenant_id,
        stapel=stapel,
        datei=stapel.dateien.get(),
        teil=0,
        pages=[0],
        state=Eingangsdokument.State.ZU_PRUEFEN,
        original_sha256=sha,
        unit=stapel.unit,
        created_at=now,
        updated_at=now,
        **fields,
    )
