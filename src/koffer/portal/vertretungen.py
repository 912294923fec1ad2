"""Vertretungen: a citizen asks to act for a person (Betreuung, Vollmacht, Eltern), the
office confirms it with the person of the E-Akte, and acting for someone without a
confirmed, valid one is refused with a German message and audited.

Who may confirm: a staff member who may edit (``records.edit``) an Akte of the person —
the person's Akte unit decides, as for every change in the Akte.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date

from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.accounts.roles import Perm
from koffer.audit import services as audit
from koffer.portal import access as portal_access
from koffer.portal import verknuepfung
from koffer.portal.errors import Forbidden, NotFound, PortalError
from koffer.portal.models import Buergerkonto, Vertretung
from koffer.records import access as records_access
from koffer.records.models import Akte, Person

NICHT_BESTAETIGT = (
    "Sie können für {name} noch nicht handeln: Ihre Vertretung ist noch nicht von der "
    "Verwaltung bestätigt."
)
ABGELAUFEN = (
    "Sie können für {name} nicht mehr handeln: Ihre Vertretung ist am {datum} abgelaufen. "
    "Bitte beantragen Sie die Vertretung mit einem aktuellen Nachweis neu."
)
KEINE = "Sie können für diese Person nicht handeln: Es liegt keine Vertretung vor."


def beantragen(
    *,
    actor: Buergerkonto,
    family_name: str,
    given_names: str,
    birth_date: date,
    art: str,
    nachweis: str,
    gueltig_bis: date | None,
) -> Vertretung:
    """Record a citizen's request to act for a person; the office decides."""
    if art not in Vertretung.Art.values:
        raise PortalError("art", "Bitte wählen Sie die Art der Vertretung.")
    if not nachweis.strip():
        raise PortalError("nachweis", "Bitte nennen Sie den Nachweis der Vertretung.")
    if gueltig_bis is not None and gueltig_bis < timezone.localdate():
        raise PortalError("gueltig_bis", "Der Nachweis ist bereits abgelaufen.")
    with transaction.atomic():
        vertretung = Vertretung.objects.create(
            tenant_id=actor.tenant_id,
            konto=actor,
            family_name=family_name.strip(),
            given_names=given_names.strip(),
            birth_date=birth_date,
            art=art,
            nachweis=nachweis.strip(),
            gueltig_bis=gueltig_bis,
        )
        audit.record(
            actor=actor,
            tenant_id=actor.tenant_id,
            action="portal.vertretung.create",
            obj=vertretung,
            changes={"art": art, "gueltig_bis": gueltig_bis},
        )
    return vertretung


def des_kontos(konto: Buergerkonto) -> list[Vertretung]:
    return list(
        Vertretung.objects.for_tenant(konto.tenant_id).filter(konto=konto).order_by("-beantragt_am")
    )


@dataclass(frozen=True)
class OffeneVertretung:
    vertretung: Vertretung
    kandidaten: list[Person]


def _bearbeitbar(access: Access, user_id: uuid.UUID | None, person: Person) -> bool:
    """May edit an Akte in which ``person`` is a subject (the Akte's unit decides)."""
    return (
        Akte.objects.for_tenant(person.tenant_id)
        .filter(records_access.akten_q(access, user_id, Perm.RECORDS_EDIT), subjekte__person=person)
        .exists()
    )


def darf_bearbeiten(access: Access) -> bool:
    """The staff page: anyone who edits Akten somewhere in the Mandant."""
    return access.can(Perm.RECORDS_EDIT)


def offene(*, actor: User, access: Access) -> list[OffeneVertretung]:
    """Requests awaiting a decision, each with the persons this actor may confirm it for;
    audited as a read (names and birth dates of citizens and persons)."""
    tenant_id = access.tenant_id
    assert tenant_id is not None
    rows = list(
        Vertretung.objects.for_tenant(tenant_id)
        .filter(bestaetigt_am__isnull=True, abgelehnt_am__isnull=True)
        .select_related("konto")
        .order_by("beantragt_am")[:200]
    )
    result = []
    for v in rows:
        kandidaten = [
            p
            for p in verknuepfung.passende_personen(
                tenant_id,
                family_name=v.family_name,
                given_names=v.given_names,
                birth_date=v.birth_date,
            )
            if _bearbeitbar(access, actor.pk, p)
        ]
        result.append(OffeneVertretung(v, kandidaten))
    if result:
        audit.read(
            actor=actor,
            tenant_id=tenant_id,
            obj=("portal.vertretungen", tenant_id),
            purpose="Offene Vertretungen im Portal prüfen",
        )
    return result


def _offen(tenant_id: uuid.UUID, vertretung_id: object) -> Vertretung:
    try:
        pk = uuid.UUID(str(vertretung_id))
    except ValueError as exc:
        raise NotFound("vertretung", "Diese Vertretung gibt es nicht.") from exc
    found = (
        Vertretung.objects.for_tenant(tenant_id)
        .select_for_update()
        .filter(pk=pk, bestaetigt_am__isnull=True, abgelehnt_am__isnull=True)
        .first()
    )
    if found is None:
        raise NotFound("vertretung", "Diese Vertretung gibt es nicht oder sie ist entschieden.")
    return found


def bestaetigen(
    *, actor: User, access: Access, vertretung_id: object, person_id: object
) -> Vertretung:
    """Confirm a request for ``person``: the actor must be allowed to edit an Akte of the
    person, and the person must match the request's name and birth date."""
    tenant_id = access.tenant_id
    assert tenant_id is not None
    with transaction.atomic():
        vertretung = _offen(tenant_id, vertretung_id)
        passende = verknuepfung.passende_personen(
            tenant_id,
            family_name=vertretung.family_name,
            given_names=vertretung.given_names,
            birth_date=vertretung.birth_date,
        )
        person = next((p for p in passende if str(p.pk) == str(person_id)), None)
        if person is None or not _bearbeitbar(access, actor.pk, person):
            raise Forbidden(
                "person",
                "Diese Person passt nicht zur Vertretung, oder Sie dürfen ihre Akte nicht "
                "bearbeiten.",
            )
        vertretung.person = person
        vertretung.bestaetigt_von = actor
        vertretung.bestaetigt_am = timezone.now()
        vertretung.save(update_fields=["person", "bestaetigt_von", "bestaetigt_am"])
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="portal.vertretung.bestaetigt",
            obj=vertretung,
            subject=person,
            changes={"art": vertretung.art, "gueltig_bis": vertretung.gueltig_bis},
        )
    return vertretung


def ablehnen(*, actor: User, access: Access, vertretung_id: object, grund: str) -> Vertretung:
    """Refuse a request (no proof, no such person); the citizen sees it refused."""
    tenant_id = access.tenant_id
    assert tenant_id is not None
    if not darf_bearbeiten(access):
        raise Forbidden("vertretung", "Sie dürfen über Vertretungen nicht entscheiden.")
    with transaction.atomic():
        vertretung = _offen(tenant_id, vertretung_id)
        vertretung.abgelehnt_am = timezone.now()
        vertretung.save(update_fields=["abgelehnt_am"])
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="portal.vertretung.abgelehnt",
            obj=vertretung,
            reason=grund[:500],
        )
    return vertretung


def handeln_fuer(*, konto: Buergerkonto, person: Person) -> None:
    """Check that ``konto`` may act for ``person`` (itself, or a confirmed valid
    Vertretung); else :class:`Forbidden` with a German message that says why, audited.
    Portal services call this before acting for someone, outside their transaction (the
    refusal's audit event must not roll back with it)."""
    if any(p.pk == person.pk for p in portal_access.personen_des_kontos(konto)):
        return
    name = f"{person.given_names} {person.family_name}".strip()
    latest = (
        Vertretung.objects.for_tenant(konto.tenant_id)
        .filter(konto=konto, person=person, abgelehnt_am__isnull=True)
        .order_by("-beantragt_am")
        .first()
    )
    if latest is not None and latest.gueltig_bis is not None and latest.bestaetigt_am:
        code, message = (
            "abgelaufen",
            ABGELAUFEN.format(name=name, datum=latest.gueltig_bis.strftime("%d.%m.%Y")),
        )
    elif (
        Vertretung.objects.for_tenant(konto.tenant_id)
        .filter(
            konto=konto,
            bestaetigt_am__isnull=True,
            abgelehnt_am__isnull=True,
            family_name__iexact=person.family_name,
            birth_date=person.birth_date,
        )
        .exists()
    ):
        code, message = "offen", NICHT_BESTAETIGT.format(name=name)
    else:
        code, message = "keine", KEINE
    with transaction.atomic():
        audit.record(
            actor=konto,
            tenant_id=konto.tenant_id,
            action="portal.vertretung.verweigert",
            obj=konto,
            subject=person,
            changes={"grund": code},
        )
    raise Forbidden(f"vertretung_{code}", message)
