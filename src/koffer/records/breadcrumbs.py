"""Breadcrumbs of the E-Akte pages: every page below an Akte starts with
"Meine Akten › <Aktenzeichen>", whichever feature (documents, extracts) it belongs to."""

from __future__ import annotations

from django.urls import reverse

from koffer.records.models import Akte
from koffer.shell.breadcrumbs import Crumb, trail


def akte_trail(akte: Akte, *tail: tuple[str, str | None]) -> list[Crumb]:
    """Start › Meine Akten › the Akte, then ``tail`` as (label, url)."""
    return trail(
        ("Meine Akten", reverse("records:akten")),
        (akte.aktenzeichen, reverse("records:akte_detail", args=[akte.pk])),
        *tail,
    )
