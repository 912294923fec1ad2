"""What a Koffer may send back (the office enforces it): which fields of which rows it may
change, which rows it may create, and that every row lies within an Akte this Koffer
holds or held. Anything else is refused, naming each refused change in German.

A Koffer that was revoked is refused before (401 ``koffer_gesperrt``), so every checkout
of a Koffer that reaches the sync counts as held (none of them ended by a revocation).
"""

from __future__ import annotations

import re
import uuid
from typing import Any

from django.db import models

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.field.models import Ausleihe, Geraet, Hausbesuch
from koffer.forms.models import Einreichung, Entwurf
from koffer.records import access as records_access
from koffer.records.models import (
    Akte,
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

SHA256 = re.compile(r"[0-9a-f]{64}")

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

# New rows a Koffer may send, in the order the office writes them: each after the rows
# it may name (a Wiedervorlage names a document), a Frist before the Vorgang's steps (its
# service writes the „frist“ step the Koffer's copy then gives its id to).
NEU: dict[str, type[models.Model]] = {
    "records.vorgang": Vorgang,
    "records.frist": Frist,
    "records.vorgangschritt": VorgangSchritt,
    "records.dokument": Dokument,
    "records.dokumentversion": DokumentVersion,
    "records.wiedervorlage": Wiedervorlage,
    "forms.entwurf": Entwurf,
    "forms.einreichung": Einreichung,
}

# New rows of an Akte made on the Koffer (opened through the E-Akte's services, with the
# office's numbers): the Akte, its subjects, new persons, a new BG with its members.
NEUE_AKTE: frozenset[str] = frozenset(
    {
        "records.person",
        "records.bedarfsgemeinschaft",
        "records.bgmitglied",
        "records.akte",
        "records.aktesubjekt",
    }
)

# The fields of a person made on the Koffer the office takes (``create_person``'s).
PERSON_FELDER: tuple[str, ...] = (
    "family_name",
    "given_names",
    "birth_date",
    "birth_name",
    "street",
    "postal_code",
    "city",
    "kundennummer",
    "geburtsort",
    "staatsangehoerigkeit",
    "telefon",
    "email",
    "iban",
    "bic",
    "kontoinhaber",
)

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
    "records.akte": "Akte",
    "records.aktesubjekt": "Person einer Akte",
    "records.bedarfsgemeinschaft": "Bedarfsgemeinschaft",
    "records.bgmitglied": "Mitglied einer Bedarfsgemeinschaft",
    "forms.entwurf": "Formularentwurf",
    "forms.einreichung": "Formulareinreichung",
}


def feld(model: type[models.Model], name: str) -> models.Field[Any, Any]:
    """The model's concrete field ``name`` (a changed field is never a relation's reverse)."""
    found = model._meta.get_field(name)
    assert isinstance(found, models.Field)
    return found


def name(modell: str) -> str:
    return NAMEN.get(modell, modell)


def gehaltene_akten(geraet: Geraet) -> set[uuid.UUID]:
    """The Akten this Koffer holds or held (any checkout of it) that its field worker may
    still change now: a Koffer brings back what its worker may work on, nothing more (a
    worker moved to another unit, an Akte restricted meanwhile: refused)."""
    access = Access.for_user(geraet.user_id, geraet.tenant_id)
    return set(
        Akte.objects.for_tenant(geraet.tenant_id)
        .filter(
            records_access.akten_q(access, geraet.user_id, Perm.RECORDS_EDIT),
            pk__in=Ausleihe.objects.for_tenant(geraet.tenant_id)
            .filter(geraet=geraet)
            .values("akte_id"),
        )
        .values_list("pk", flat=True)
    )


def akten_der_person(tenant_id: uuid.UUID, person_id: Any) -> set[uuid.UUID]:
    """The Akten a person belongs to: as subject, or as member of the Akte's BG."""
    found = set(
        AkteSubjekt.objects.for_tenant(tenant_id)
        .filter(person_id=person_id)
        .values_list("akte_id", flat=True)
    )
    bgs = BgMitglied.objects.for_tenant(tenant_id).filter(person_id=person_id).values("bg_id")
    found.update(
        Akte.objects.for_tenant(tenant_id).filter(bg_id__in=bgs).values_list("pk", flat=True)
    )
    return found


def akte_von(obj: models.Model) -> uuid.UUID | None:
    """The Akte a (changed or new) row lies in; ``None`` for a person (see
    :func:`akten_der_person`)."""
    if isinstance(obj, VorgangSchritt | Frist):
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
    if isinstance(obj, Entwurf):
        return _blobs_in(obj.antworten)
    if isinstance(obj, Einreichung):
        return _blobs_in(obj.werte)
    return set()


def _blobs_in(value: Any) -> set[str]:
    """The files a form's answers name: uploads and signatures, ``{"blob": sha256, …}``."""
    found: set[str] = set()
    if isinstance(value, dict):
        blob = value.get("blob")
        if isinstance(blob, str) and SHA256.fullmatch(blob):
            found.add(blob)
        for inner in value.values():
            found |= _blobs_in(inner)
    elif isinstance(value, list):
        for inner in value:
            found |= _blobs_in(inner)
    return found
