"""Writes of the Hausbesuch auf Anfrage: the Mandant's offer switched on or off (by its
administration, naming the team that plans the visits) and a citizen's request, handed
to the field's ``wuensche.services.anfragen`` with the account as the actor.

Who a request may be for: the account's own person (or, unlinked, the account holder by
the data BundID gave), a person it represents under a confirmed, valid Vertretung
(``portal.access.personen_des_kontos``), or a relative without a Vertretung: then the
citizen gives the person's name, address and phone, and the request names no person of
the E-Akte — the planner matches it to an Akte, or declines it. Asking for a home visit
grants no access to anything, so a relative needs no proof; what they see afterwards is
only their own request's state (date or reason), never the Akte.

A request is limited per account: at most ``MAX_PRO_TAG`` in 24 hours and ``MAX_OFFEN``
open at a time (429 with a German message), counted under a lock on the account, so two
tabs at once cannot pass the limit together."""

from __future__ import annotations

import math
import uuid
from dataclasses import replace
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.field.models import Besuchswunsch
from koffer.field.wuensche import services as wuensche
from koffer.field.wuensche.services import Angaben
from koffer.portal import access as rules
from koffer.portal import vertretungen
from koffer.portal.errors import Forbidden, NotFound, PortalError, ZuVieleVersuche
from koffer.portal.hausbesuch import selectors
from koffer.portal.models import Buergerkonto, PortalEinstellung
from koffer.records.models import Person
from koffer.tenancy.models import Organisationseinheit

MAX_PRO_TAG = 3
MAX_OFFEN = 5
NICHT_ANGEBOTEN = "Hausbesuche auf Anfrage gibt es bei dieser Verwaltung nicht."


def anfragen(
    *, actor: Buergerkonto, angaben: Angaben, person: Person | None = None
) -> Besuchswunsch:
    """The citizen asks for a home visit for ``person`` (itself or represented; checked,
    a refusal audited) or, without a person, for a relative named in ``angaben``. Refused
    while the Mandant does not offer it; limited per account (:class:`ZuVieleVersuche`)."""
    einstellung = selectors.angebot(actor.tenant_id)
    if einstellung is None or einstellung.hausbesuche_unit is None:
        raise NotFound("hausbesuch_nicht_angeboten", NICHT_ANGEBOTEN)
    if person is not None:
        vertretungen.handeln_fuer(konto=actor, person=person)
        fuer = (
            Besuchswunsch.Fuer.SELBST
            if person.pk == actor.person_id
            else Besuchswunsch.Fuer.VERTRETUNG
        )
        angaben = replace(angaben, fuer=fuer)
    elif angaben.fuer == Besuchswunsch.Fuer.VERTRETUNG:
        raise PortalError("hausbesuch_fuer", "Bitte wählen Sie die vertretene Person.")
    with transaction.atomic():
        # The account's row is the lock: two requests at once count one after the other.
        Buergerkonto.objects.for_tenant(actor.tenant_id).select_for_update().filter(
            pk=actor.pk
        ).first()
        _begrenzen(actor)
        return wuensche.anfragen(
            actor=actor,
            konto_id=actor.pk,
            anfragende=actor.anzeigename,
            unit=einstellung.hausbesuche_unit,
            angaben=angaben,
            person=person,
        )


def zurueckziehen(*, actor: Buergerkonto, wunsch_id: uuid.UUID) -> Besuchswunsch:
    """The account takes back a request it made (for itself, a represented person or a
    relative) while no planner has decided; also when the Mandant stopped offering home
    visits meanwhile. Another account's request is a 404, a planned one a 409."""
    return wuensche.zurueckziehen(
        actor=actor, tenant_id=actor.tenant_id, konto_id=actor.pk, wunsch_id=wunsch_id
    )


def _begrenzen(konto: Buergerkonto) -> None:
    seit = timezone.now() - timedelta(days=1)
    heute, offen = selectors.anzahl_anfragen(konto, seit)
    if heute >= MAX_PRO_TAG:
        # Allowed again once the oldest request of the 24 hours has left them.
        aeltester = selectors.erste_anfrage_seit(konto, seit) or timezone.now()
        warten = max(1, math.ceil((aeltester - seit).total_seconds()))
        raise ZuVieleVersuche(
            "hausbesuch_zu_viele",
            f"Sie haben in den letzten 24 Stunden schon {heute} Hausbesuche angefragt. "
            "Bitte warten Sie, bis sich die Verwaltung bei Ihnen meldet, oder versuchen Sie "
            "es morgen wieder.",
            warten,
        )
    if offen >= MAX_OFFEN:
        raise ZuVieleVersuche(
            "hausbesuch_zu_viele_offen",
            f"Sie haben schon {offen} Anfragen, über die noch nicht entschieden ist. Bitte "
            "warten Sie, bis sich die Verwaltung bei Ihnen meldet.",
        )


def angebot_setzen(
    *, actor: User, access: Access, aktiv: bool, unit: Organisationseinheit | None
) -> PortalEinstellung:
    """Offer home visits on request at this Mandant's portal (``unit``: the team whose
    planners get the requests; needed to switch it on) or stop offering them. Requests
    already made stay with their planners."""
    if not rules.verwaltet_hausbesuche(access):
        raise Forbidden(
            "forbidden", "Das Angebot der Hausbesuche verwaltet die Administration des Mandanten."
        )
    tenant_id = access.tenant_id
    assert tenant_id is not None
    if unit is not None and unit.tenant_id != tenant_id:
        raise NotFound("unit_not_found", "Diese Organisationseinheit gibt es nicht.")
    with transaction.atomic():
        einstellung, _ = (
            PortalEinstellung.objects.for_tenant(tenant_id)
            .select_for_update()
            .get_or_create(tenant_id=tenant_id)
        )
        unit = unit or einstellung.hausbesuche_unit
        if aktiv and unit is None:
            raise PortalError(
                "unit_missing", "Bitte wählen Sie die Stelle, die die Hausbesuche plant."
            )
        alt = {
            "hausbesuche_angeboten": einstellung.hausbesuche_angeboten,
            "hausbesuche_unit": str(einstellung.hausbesuche_unit_id or ""),
        }
        einstellung.hausbesuche_angeboten = aktiv
        einstellung.hausbesuche_unit = unit
        einstellung.save(update_fields=["hausbesuche_angeboten", "hausbesuche_unit"])
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="portal.hausbesuch.angebot",
            obj=einstellung,
            changes=audit.diff(
                alt,
                {
                    "hausbesuche_angeboten": aktiv,
                    "hausbesuche_unit": str(unit.pk if unit else ""),
                },
            ),
        )
    return einstellung
