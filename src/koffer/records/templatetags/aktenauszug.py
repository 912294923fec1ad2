"""The Akte page's block of extracts and read-only links (its view does not load them:
the tag does, so the Akte page needs only ``{% akte_auszuege akte can_edit %}``)."""

from __future__ import annotations

from typing import Any

from django import template

from koffer.records.auszug import einsicht
from koffer.records.auszug import services as extract
from koffer.records.models import Akte

register = template.Library()

SHOWN = 5


@register.inclusion_tag("records/auszug_akte.html", takes_context=True)
def akte_auszuege(context: template.Context, akte: Akte, can_edit: bool = False) -> dict[str, Any]:
    auszuege = extract.akte_auszuege(akte)
    return {
        "akte": akte,
        "auszuege": auszuege[:SHOWN],
        "more": len(auszuege) > SHOWN,
        "total": len(auszuege),
        "einsichten": einsicht.rows(einsicht.for_akte(akte)),
        "can_edit": can_edit,
        "csrf_token": context.get("csrf_token"),
        "request": context.get("request"),
    }
