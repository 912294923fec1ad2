"""Which forms of the catalogue a Mandant offers online (written by its administration)."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.forms.models import Formular
from koffer.portal import access as rules
from koffer.portal.errors import Forbidden, NotFound, PortalError
from koffer.portal.models import OnlineAngebot
from koffer.tenancy.models import Organisationseinheit


def angebot_setzen(
    *,
    actor: User,
    access: Access,
    formular: Formular,
    unit: Organisationseinheit | None = None,
    aktiv: bool,
) -> OnlineAngebot | None:
    """Offer ``formular`` online (``unit``: whose triage gets submissions that find no
    Akte; needed the first time) or withdraw it. Drafts already begun stay resumable
    only while it is offered."""
    if not rules.verwaltet_angebot(access):
        raise Forbidden("forbidden", "Online-Angebote verwaltet die Administration des Mandanten.")
    if unit is not None and unit.tenant_id != formular.tenant_id:
        raise NotFound("unit_not_found", "Diese Organisationseinheit gibt es nicht.")
    with transaction.atomic():
        angebot = (
            OnlineAngebot.objects.for_tenant(formular.tenant_id)
            .select_for_update()
            .filter(formular=formular)
            .first()
        )
        if angebot is None and not aktiv:
            return None
        if angebot is None:
            if unit is None:
                raise PortalError(
                    "unit_missing", "Bitte wählen Sie die Stelle, die Online-Anträge zuordnet."
                )
            angebot = OnlineAngebot.objects.create(
                tenant_id=formular.tenant_id,
                formular=formular,
                unit=unit,
                eingerichtet_von=actor,
                eingerichtet_am=timezone.now(),
                aktiv=True,
            )
        else:
            angebot.aktiv = aktiv
            if unit is not None:
                angebot.unit = unit
            angebot.save(update_fields=["aktiv", "unit"])
        Formular.objects.for_tenant(formular.tenant_id).filter(pk=formular.pk).update(online=aktiv)
        audit.record(
            actor=actor,
            tenant_id=formular.tenant_id,
            action="portal.angebot.change",
            obj=angebot,
            changes={"formular": formular.schluessel, "aktiv": aktiv, "unit": str(angebot.unit_id)},
        )
    return angebot
