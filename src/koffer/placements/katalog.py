"""The installation-wide catalogue of the Platzbörse: Fachbereiche with their forms of care
and criteria, loaded from JSON (``fixtures/``)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.db import transaction

from koffer.audit.services import Actor
from koffer.placements.models import (
    Betreuungsform,
    Fachbereich,
    Merkmal,
    Region,
)


def load_catalogue(*, actor: Actor | None, data: dict[str, Any]) -> Fachbereich:
    """Create or update one Fachbereich with its forms of care and criteria from
    configuration data (see fixtures/fachbereiche.json): new fields need no new code."""
    with transaction.atomic():
        fb, _ = Fachbereich.objects.update_or_create(
            code=data["code"],
            defaults={
                key: data[key]
                for key in (
                    "label",
                    "place_label",
                    "place_label_plural",
                    "person_label",
                    "requester_label",
                    "reservation_hours",
                    "age_min",
                    "age_max",
                    "meldepflicht",
                    "order",
                    "payer_label",
                    "tax_category",
                    "tax_exemption_reason",
                    "tax_exemption_code",
                )
                if key in data
            }
            | (
                {"absence_share_default": Decimal(str(data["absence_share_default"]))}
                if "absence_share_default" in data
                else {}
            ),
        )
        for order, form in enumerate(data.get("formen", [])):
            Betreuungsform.objects.update_or_create(
                fachbereich=fb,
                code=form["code"],
                defaults={
                    "label": form["label"],
                    "rechtsgrundlage": form.get("rechtsgrundlage", ""),
                    "order": order,
                },
            )
        for order, merkmal in enumerate(data.get("merkmale", [])):
            Merkmal.objects.update_or_create(
                fachbereich=fb,
                code=merkmal["code"],
                defaults={
                    "label": merkmal["label"],
                    "group": merkmal.get("group", "Spezialisierung"),
                    "order": order,
                },
            )
    return fb


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_default_catalogue(*, actor: Actor | None = None) -> list[Fachbereich]:
    """The shipped configuration: youth welfare, elder care and refugee housing, plus the
    demo regions. Running it again updates labels and adds what is new."""
    fields = json.loads((FIXTURES / "fachbereiche.json").read_text(encoding="utf-8"))
    regions = json.loads((FIXTURES / "regionen.json").read_text(encoding="utf-8"))
    loaded = [load_catalogue(actor=actor, data=data) for data in fields]
    with transaction.atomic():
        for region in regions:
            Region.objects.update_or_create(
                name=region["name"], defaults={"lat": region["lat"], "lon": region["lon"]}
            )
    return loaded
