"""Template tags for the document partial the Akte page includes (its context has the
Akte and its Vorgänge, not the upload form)."""

from __future__ import annotations

from typing import Any

from django import template

from koffer.records.dokumente import detect, naming
from koffer.records.dokumente.views import DocumentMetaForm
from koffer.records.models import Vorgang

register = template.Library()


@register.simple_tag
def upload_form(vorgaenge: list[Vorgang] | None = None) -> DocumentMetaForm:
    """A fresh upload form for the drop zone, with the Akte's Vorgänge to choose from."""
    return DocumentMetaForm(vorgaenge=list(vorgaenge or []))


@register.simple_tag
def upload_limits() -> dict[str, Any]:
    """Upload limit and accepted file name endings (the content still decides the type)."""
    limit = naming.max_upload_bytes()
    return {
        "max_bytes": limit,
        "max_label": naming.format_megabytes(limit),
        "accept": ",".join(detect.ACCEPTED_EXTENSIONS),
    }
