"""Every read of the catalogue, per Mandant."""

from __future__ import annotations

import uuid
from collections import OrderedDict
from threading import Lock
from typing import Any

from django.db.models import QuerySet

from koffer.forms.definition import Definition, lesen
from koffer.forms.models import Formular, Formularversion

# Versions never change (a trigger refuses UPDATE): a version read once stays read. A
# definition of 1,500 fields takes milliseconds to read, every step of a draft needs it.
_GELESEN: OrderedDict[uuid.UUID, Definition] = OrderedDict()
_GELESEN_MAX = 256
_lock = Lock()


def katalog(tenant_id: uuid.UUID) -> QuerySet[Formular]:
    """The active forms that have a version, by title."""
    return (
        Formular.objects.for_tenant(tenant_id)
        .filter(is_active=True, aktuelle_version__isnull=False)
        .select_related("aktuelle_version")
        .order_by("titel", "schluessel")
    )


def alle(tenant_id: uuid.UUID) -> QuerySet[Formular]:
    """Every form with a version, active or not (the export)."""
    return (
        Formular.objects.for_tenant(tenant_id)
        .filter(aktuelle_version__isnull=False)
        .select_related("aktuelle_version")
        .order_by("schluessel")
    )


def formular(tenant_id: uuid.UUID, schluessel: str) -> Formular | None:
    return (
        Formular.objects.for_tenant(tenant_id)
        .filter(schluessel=schluessel)
        .select_related("aktuelle_version")
        .first()
    )


def version(formular: Formular, nummer: int) -> Formularversion | None:
    return (
        Formularversion.objects.for_tenant(formular.tenant_id)
        .filter(formular=formular, nummer=nummer)
        .first()
    )


def version_im_mandanten(tenant_id: uuid.UUID, pk: Any) -> Formularversion | None:
    """A version by its id, only in this Mandant (a form filled elsewhere names it)."""
    return (
        Formularversion.objects.for_tenant(tenant_id)
        .filter(pk=pk)
        .select_related("formular")
        .first()
    )


def definition(version: Formularversion) -> Definition:
    """The version's definition, read once per process."""
    with _lock:
        found = _GELESEN.get(version.pk)
        if found is not None:
            _GELESEN.move_to_end(version.pk)
            return found
    # Stored only after a clean import: reading it again cannot fail.
    gelesen = lesen(version.definition)
    with _lock:
        _GELESEN[version.pk] = gelesen
        while len(_GELESEN) > _GELESEN_MAX:
            _GELESEN.popitem(last=False)
    return gelesen
