"""Template filters of the Posteingang's pages."""

from __future__ import annotations

from django import template

from koffer.inbox.verarbeitung.dokumentart import LABELS

register = template.Library()


@register.filter
def dokumentart(code: str) -> str:
    """The German name of a document kind ("widerspruch" → "Widerspruch")."""
    return LABELS.get(code, code)
