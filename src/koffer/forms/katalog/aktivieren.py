"""Reactivating a deactivated form: the catalogue's services (``katalog.services``) offer
only :func:`~koffer.forms.katalog.services.deaktivieren` (and an import of the unchanged
JSON reactivates as a side effect); the catalogue's page needs it as an action of its own.
Same rules and audit as there (``forms.formular.activate``)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.forms import access as rules
from koffer.forms.errors import Conflict, Forbidden
from koffer.forms.models import Formular
from koffer.tenancy.models import Mandant


def aktivieren(
    *, actor: Actor | None, access: Access | None, tenant: Mandant, formular: Formular
) -> Formular:
    """New drafts may use the form again (its current version); a form without a
    version cannot be activated (nothing could be filled in)."""
    if access is not None and not rules.verwaltet_katalog(access):
        raise Forbidden("forbidden", "Den Formularkatalog pflegt die Administration.")
    with transaction.atomic():
        row = Formular.objects.for_tenant(tenant).select_for_update().get(pk=formular.pk)
        if row.is_active:
            return row
        if row.aktuelle_version_id is None:
            raise Conflict(
                "formular_ohne_version",
                "Das Formular hat noch keine Version; importieren Sie zuerst eine Definition.",
            )
        row.is_active, row.updated_at = True, timezone.now()
        row.save(update_fields=["is_active", "updated_at"])
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="forms.formular.activate",
            obj=row,
            changes={"is_active": {"old": False, "new": True}},
        )
    return row
