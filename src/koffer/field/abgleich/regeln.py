"""What a Koffer may send back (the office enforces it): which fields of which rows it may
change, which rows it may create, and that every row lies within an Akte this Koffer
holds or held. Anything else is refused, naming each refused change in German.

A Koffer that was revoked is refused before (401 ``koffer_gesperrt``), so every checkout
of a Koffer that reaches the sync counts as held (none of them ended by a revocation).
"""

from __future__ import annotations

import uuid
from typing import Any

from django.db import models

from koffer.field.models import Ausleihe, Geraet, Hausbesuch
from koffer.forms.models import Einreichung, Entwurf
from koffer.records.models import (
    AkteSubjekt,
    BgMitglied,
    Dokument,
    DokumentVersion,
    Frist,
    Person,
    Vorgang,
    VorgangSchritt,
    Wiedervorlage,
)

# Changed fields a Koffer may send, per model label.
AENDERBAR: dict[str, frozenset[str]] = {
    "records.person": frozenset(
        {"street", "postal_code", "city", "telefon", "email", "iban", "bic", "kontoinhaber"}
    ),
    "records.vorgang": frozenset({"title", "status", "closed_at"}),
    "records.wiedervorlage": frozenset({"done_at", "note", "due_date"}),
    "records.frist": frozenset({"done_at"}),
    "field.hausbesuch": frozenset({"status", "erledigt_am", "absagegrund"}),
}

# New rows a Koffer may send, in the order they may depend on each other.
NEU: dict[str, type[models.Model]] = {
    "records.vorgang": Vorgang,
    "records.vorgangschritt": VorgangSchritt,
    "records.wiedervorlage": Wiedervorlage,
    "records.dokument": Dokument,
    "records.dokumentversion": DokumentVersion,
    "forms.entwurf": Entwurf,
    "forms.einreichung": Einreichung,
}

GEAENDERT_MODELLE: dict[str, type[models.Model]] = {
    "records.person": Person,
    "records.vorgang": Vorgang,
    "records.wiedervorlage": Wiedervorlage,
    "records.frist": Frist,
    "field.hausbesuch": Hausbesuch,
}

NAMEN: dict[str, str] = {
    "records.person": "Person",
    "records.vorgang": "Vorgang",
    "records.vorgangschritt": "Schritt eines Vorgangs",
    "records.wiedervorlage": "Wiedervorlage",
    "records.frist": "Frist",
    "records.dokument": "Dokument",
    "records.dokumentversion": "Dokumentversion",
    "field.hausbesuch": "Hausbesuch",
    "forms.entwurf": "Formularentwurf",
    "forms.einreichung": "Formulareinreichung",
}


def name(modell: str) -> str:
    return NAMEN.get(modell, modell)


def gehaltene_akten(geraet: Geraet) -> set[uuid.UUID]:
    """The Akten this Koffer holds or held (any checkout of it)."""
    return set(
        Ausleihe.objects.for_tenant(geraet.tenant_id)
        .filter(geraet=geraet)
        .values_list("akte_id", flat=True)
    )


def akten_der_person(tenant_id: uuid.UUID, person_id: Any) -> set[uuid.UUID]:
    """The Akten a person belongs to: as subject, or as member of the Akte's BG."""
    found = set(
        AkteSubjekt.objects.for_tenant(tenant_id)
        .filter(person_id=person_id)
        .values_list("akte_id", flat=True)
    )
    bgs = BgMitglied.objects.for_tenant(tenant_id).filter(person_id=person_id).values("bg_id")
    from koffer.records.models import Akte

    found.update(
        Akte.objects.for_tenant(tenant_id).filter(bg_id__in=bgs).values_list("pk", flat=True)
    )
    return found


def akte_von(obj: models.Model) -> uuid.UUID | None:
    """The Akte a (changed or new) row lies in; ``None`` for a person (see
    :func:`akten_der_person`)."""
    if isinstance(obj, VorgangSchritt):
        return (
            Vorgang.objects.for_tenant(obj.tenant_id)
            .filter(pk=obj.vorgang_id)
            .values_list("akte_id", flat=True)
            .first()
        )
    if isinstance(obj, Frist):
        return (
            Vorgang.objects.for_tenant(obj.tenant_id)
            .filter(pk=obj.vorgang_id)
            .values_list("akte_id", flat=True)
            .first()
        )
    if isinstance(obj, DokumentVersion):
        return (
            Dokument.objects.for_tenant(obj.tenant_id)
            .filter(pk=obj.dokument_id)
            .values_list("akte_id", flat=True)
            .first()
        )
    return getattr(obj, "akte_id", None)


def blobs_von(obj: models.Model) -> set[str]:
    """The blobs a new row names."""
    if isinstance(obj, DokumentVersion):
        return {s for s in (obj.sha256, obj.pdf_sha256) if s}
    return set()
