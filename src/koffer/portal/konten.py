"""„Portal: Bürgerkonten“, the office's side of a citizen's account: find accounts of the
Mandant by name, e-mail address or kennung, link one to a person of the E-Akte, unlink it
with a reason. A linked account's person then drives the prefill of the citizen's
applications and the Akte they are filed into (``portal.antrag.vorbelegung``).

Who may link: a staff member who may edit (``records.edit``) an Akte in which the person
is a subject — the person's Akte unit decides, as for confirming a Vertretung; unlinking
asks the same of the person linked so far. Candidates: the persons whose folded names and
birth date match the account's (``portal.verknuepfung``), and the persons of an Akte named
by its Aktenzeichen. Searching reads citizens' data: audited.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.accounts.roles import Perm
from koffer.audit import services as audit
from koffer.audit.reasons import need_reason
from koffer.portal import access as rules
from koffer.portal import verknuepfung
from koffer.portal.errors import Forbidden, NotFound
from koffer.portal.models import Buergerkonto
from koffer.records import access as records_access
from koffer.records.models import Akte, Person

MAX_TREFFER = 50


@dataclass(frozen=True)
class Treffer:
    konto: Buergerkonto
    kandidaten: list[Person]
    darf_trennen: bool


def _akten_q(access: Access, actor: User) -> Q:
    return records_access.akten_q(access, actor.pk, Perm.RECORDS_EDIT)


def _bearbeitbar(access: Access, actor: User, person: Person) -> bool:
    return (
        Akte.objects.for_tenant(person.tenant_id)
        .filter(_akten_q(access, actor), subjekte__person=person)
        .exists()
    )


def _tenant(access: Access) -> uuid.UUID:
    tenant_id = access.tenant_id
    if tenant_id is None or not rules.verknuepft_konten(access):
        raise Forbidden("forbidden", "Sie dürfen Bürgerkonten nicht zuordnen.")
    return tenant_id


def _personen_der_akte(access: Access, actor: User, aktenzeichen: str) -> list[Person]:
    tenant_id = _tenant(access)
    akte = (
        Akte.objects.for_tenant(tenant_id)
        .filter(_akten_q(access, actor), aktenzeichen=aktenzeichen.strip())
        .first()
    )
    if akte is None:
        return []
    return list(
        Person.objects.for_tenant(tenant_id)
        .filter(pk__in=akte.subjekte.values("person_id"))
        .order_by("family_name", "given_names", "id")
    )


def suchen(*, actor: User, access: Access, suche: str, aktenzeichen: str = "") -> list[Treffer]:
    """Accounts of the Mandant whose name, e-mail address or kennung contains ``suche``
    (at least 3 characters), each with the persons this actor may link it to; audited as
    a read when anything is shown."""
    tenant_id = _tenant(access)
    suche = suche.strip()
    if len(suche) < 3:
        return []
    teile = suche.split()
    q = Q(email__icontains=suche) | Q(kennung__icontains=suche)
    name_q = Q()
    for teil in teile:
        name_q &= Q(family_name__icontains=teil) | Q(given_names__icontains=teil)
    konten = list(
        Buergerkonto.objects.for_tenant(tenant_id)
        .filter(q | name_q)
        .select_related("person")
        .order_by("family_name", "given_names", "created_at")[:MAX_TREFFER]
    )
    aus_akte = _personen_der_akte(access, actor, aktenzeichen) if aktenzeichen.strip() else []
    treffer = []
    for konto in konten:
        passende = [
            p
            for p in verknuepfung.passende_personen(
                tenant_id,
                family_name=konto.family_name,
                given_names=konto.given_names,
                birth_date=konto.birth_date,
            )
            if _bearbeitbar(access, actor, p)
        ]
        gesehen = {p.pk for p in passende}
        kandidaten = passende + [p for p in aus_akte if p.pk not in gesehen]
        darf_trennen = konto.person is not None and _bearbeitbar(access, actor, konto.person)
        treffer.append(Treffer(konto, kandidaten, darf_trennen))
    if treffer:
        audit.read(
            actor=actor,
            tenant_id=tenant_id,
            obj=("portal.buergerkonten", tenant_id),
            purpose="Bürgerkonten suchen, um sie einer Person zuzuordnen",
        )
    return treffer


def _konto(tenant_id: uuid.UUID, konto_id: object) -> Buergerkonto:
    try:
        pk = uuid.UUID(str(konto_id))
    except ValueError as exc:
        raise NotFound("konto", "Dieses Bürgerkonto gibt es nicht.") from exc
    found = (
        Buergerkonto.objects.for_tenant(tenant_id)
        .select_for_update(of=("self",))  # the person may be NULL (outer join)
        .select_related("person")
        .filter(pk=pk)
        .first()
    )
    if found is None:
        raise NotFound("konto", "Dieses Bürgerkonto gibt es nicht.")
    return found


def verknuepfen(
    *, actor: User, access: Access, konto_id: object, person_id: object
) -> Buergerkonto:
    """Link the account to ``person``, which the actor must be allowed to edit an Akte
    of; an account linked to another person must be unlinked first (with a reason)."""
    tenant_id = _tenant(access)
    try:
        person_pk = uuid.UUID(str(person_id))
    except ValueError as exc:
        raise NotFound("person", "Diese Person gibt es nicht.") from exc
    with transaction.atomic():
        konto = _konto(tenant_id, konto_id)
        person = Person.objects.for_tenant(tenant_id).filter(pk=person_pk).first()
        if person is None or not _bearbeitbar(access, actor, person):
            raise Forbidden(
                "person", "Diese Person gibt es nicht, oder Sie dürfen ihre Akte nicht bearbeiten."
            )
        if konto.person_id == person.pk:
            return konto
        if konto.person_id is not None:
            raise Forbidden(
                "verknuepft",
                "Dieses Bürgerkonto ist schon einer anderen Person zugeordnet. Bitte heben Sie "
                "die Zuordnung zuerst mit Grund auf.",
            )
        konto.person = person
        konto.save(update_fields=["person"])
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="portal.konto.verknuepft",
            obj=konto,
            subject=person,
            changes={"person": str(person.pk)},
        )
    return konto


def trennen(*, actor: User, access: Access, konto_id: object, grund: str) -> Buergerkonto:
    """Unlink the account from its person, with a reason; the actor must be allowed to
    edit an Akte of that person. Applications begun stay with the account."""
    tenant_id = _tenant(access)
    grund = need_reason(grund, prompt="Bitte geben Sie an, warum die Zuordnung endet.")
    with transaction.atomic():
        konto = _konto(tenant_id, konto_id)
        person = konto.person
        if person is None:
            raise NotFound("nicht_verknuepft", "Dieses Bürgerkonto ist keiner Person zugeordnet.")
        if not _bearbeitbar(access, actor, person):
            raise Forbidden(
                "person", "Sie dürfen die Akte der zugeordneten Person nicht bearbeiten."
            )
        konto.person = None
        konto.save(update_fields=["person"])
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="portal.konto.getrennt",
            obj=konto,
            subject=person,
            changes={"person": str(person.pk)},
            reason=grund,
        )
    return konto
