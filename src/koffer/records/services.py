"""Every write to the E-Akte (apart from documents, see documents.py): one transaction,
one audit event, keyword-only arguments with the acting user first."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from uuid6 import uuid7

from koffer import identifiers, kontakt
from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.reasons import need_reason
from koffer.audit.services import Actor
from koffer.records import access as records_access
from koffer.records import deadlines, numbering, selectors
from koffer.records.errors import (
    RecordsConflict,
    RecordsError,
    RecordsForbidden,
    RecordsNotFound,
)
from koffer.records.models import (
    AccessLevel,
    Akte,
    Aktenplaneinheit,
    AkteSubjekt,
    AkteZugriff,
    Bedarfsgemeinschaft,
    BgMitglied,
    Frist,
    FristRegel,
    Module,
    Person,
    Vorgang,
    VorgangSchritt,
    VorgangTyp,
    Wiedervorlage,
)
from koffer.tenancy import counters
from koffer.tenancy.models import Mandant, Organisationseinheit

# --- Aktenplan ---------------------------------------------------------------------------------


def create_aktenplaneinheit(
    *,
    actor: Actor | None,
    tenant: Mandant,
    parent: Aktenplaneinheit | None,
    kennzeichen: str,
    title: str,
    module: str = Module.ALLGEMEIN,
    retention_years: int = 10,
    archive_value: str = Aktenplaneinheit.ArchiveValue.ASSESS,
    default_access: str = AccessLevel.NORMAL,
    aktenzeichen_pattern: str = "{kennzeichen}-{jahr}-{lfd:05}",
) -> Aktenplaneinheit:
    """Add a filing-plan node; the Kennzeichen is unique in the Mandant."""
    kennzeichen = kennzeichen.strip()
    if not kennzeichen or not title.strip():
        raise RecordsError("aktenplan_incomplete", "Kennzeichen und Titel sind Pflichtangaben.")
    try:
        numbering.validate_pattern(aktenzeichen_pattern)
    except numbering.PatternError as exc:
        raise RecordsError("pattern_invalid", str(exc)) from exc
    if parent is not None and parent.tenant_id != tenant.pk:
        raise RecordsError(
            "parent_foreign", "Die übergeordnete Einheit gehört zu einem anderen Mandanten."
        )
    if Aktenplaneinheit.objects.for_tenant(tenant).filter(kennzeichen=kennzeichen).exists():
        raise RecordsConflict(
            "kennzeichen_taken", f"Das Kennzeichen {kennzeichen} gibt es bereits."
        )
    node_id = uuid7()
    with transaction.atomic():
        node = Aktenplaneinheit.objects.create(
            id=node_id,
            tenant=tenant,
            parent=parent,
            kennzeichen=kennzeichen,
            title=title.strip(),
            module=module,
            retention_years=retention_years,
            archive_value=archive_value,
            default_access=default_access,
            aktenzeichen_pattern=aktenzeichen_pattern,
            path=f"{parent.path if parent else '/'}{node_id}/",
        )
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="records.aktenplan.create",
            obj=node,
            changes={
                "kennzeichen": kennzeichen,
                "title": title,
                "retention_years": retention_years,
            },
        )
    return node


# --- Persons and Bedarfsgemeinschaften ---------------------------------------------------------

#: A person's optional details beyond name, birth and address: field -> (German name, length).
PERSON_DETAILS: dict[str, tuple[str, int]] = {
    "geburtsort": ("Geburtsort", 120),
    "staatsangehoerigkeit": ("Staatsangehörigkeit", 80),
    "telefon": ("Telefon", 25),
    "email": ("E-Mail", 254),
    "iban": ("IBAN", 34),
    "bic": ("BIC", 11),
    "kontoinhaber": ("Kontoinhaber/in", 200),
}
PERSON_CHECKS: dict[str, Callable[[str], str | None]] = {
    "kundennummer": identifiers.kundennummer_problem,
    "telefon": kontakt.telefon_problem,
    "email": kontakt.email_problem,
    "iban": identifiers.iban_problem,
    "bic": identifiers.bic_problem,
}


def create_person(
    *,
    actor: Actor,
    tenant: Mandant,
    family_name: str,
    given_names: str = "",
    birth_date: date | None = None,
    birth_name: str = "",
    street: str = "",
    postal_code: str = "",
    city: str = "",
    kundennummer: str = "",
    geburtsort: str = "",
    staatsangehoerigkeit: str = "",
    telefon: str = "",
    email: str = "",
    iban: str = "",
    bic: str = "",
    kontoinhaber: str = "",
    pk: uuid.UUID | str | None = None,
) -> Person:
    """A person of the E-Akte; contact and bank details are optional, checked and stored
    normalised (``clean_person_details``). ``pk``: the id a person made on a Koffer brings
    along to the office's sync."""
    if not family_name.strip():
        raise RecordsError("name_required", "Der Familienname ist eine Pflichtangabe.")
    details = clean_person_details(
        kundennummer=kundennummer,
        geburtsort=geburtsort,
        staatsangehoerigkeit=staatsangehoerigkeit,
        telefon=telefon,
        email=email,
        iban=iban,
        bic=bic,
        kontoinhaber=kontoinhaber,
    )
    with transaction.atomic():
        person = Person.objects.create(
            **({"pk": uuid.UUID(str(pk))} if pk else {}),
            tenant=tenant,
            family_name=family_name.strip(),
            given_names=given_names.strip(),
            birth_date=birth_date,
            birth_name=birth_name.strip(),
            street=street,
            postal_code=postal_code,
            city=city,
            **details,
        )
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="records.person.create",
            obj=person,
            subject=person,
            changes={
                "family_name": family_name,
                "given_names": given_names,
                "birth_date": birth_date,
                "kundennummer": details["kundennummer"],
                **{k: v for k, v in details.items() if v and k != "kundennummer"},
            },
        )
    return person


PERSON_FIELDS = (
    "family_name",
    "given_names",
    "birth_name",
    "birth_date",
    "street",
    "postal_code",
    "city",
    "kundennummer",
    *PERSON_DETAILS,
)


def clean_person_details(**fields: str) -> dict[str, str]:
    """``fields`` (any of ``kundennummer`` and ``PERSON_DETAILS``) trimmed and normalised
    (Kundennummer, IBAN and BIC compact, in capitals), or the first problem as a
    RecordsError with a German message. A blank value is kept blank: it clears the field."""
    cleaned: dict[str, str] = {}
    for name, value in fields.items():
        value = value.strip()
        if name == "kundennummer":
            value = identifiers.normalise_kundennummer(value)
        elif name == "iban":
            value = identifiers.normalise_iban(value)
        elif name == "bic":
            value = identifiers.normalise_bic(value)
        cleaned[name] = value
        if not value:
            continue
        if (limit := PERSON_DETAILS.get(name)) and len(value) > limit[1]:
            raise RecordsError(
                f"{name}_too_long",
                f"{limit[0]}: höchstens {limit[1]} Zeichen, eingegeben {len(value)}.",
            )
        check = PERSON_CHECKS.get(name)
        if check is not None and (problem := check(value)):
            raise RecordsError(f"{name}_invalid", problem)
    return cleaned


def _details(details: Mapping[str, str] | None) -> dict[str, str]:
    """``details`` for ``create_person``; a name outside ``PERSON_DETAILS`` is a bug."""
    unknown = set(details or {}) - set(PERSON_DETAILS)
    if unknown:
        raise TypeError(f"person details: unknown fields {sorted(unknown)}")
    return dict(details or {})


def change_person(*, actor: Actor, person: Person, **fields: Any) -> Person:
    """Change a person's master data (``PERSON_FIELDS``; a field left out or ``None`` is
    kept, a blank text clears it), audited with the old and new values; nothing changed
    writes nothing."""
    unknown = set(fields) - set(PERSON_FIELDS)
    if unknown:
        raise TypeError(f"change_person: unknown fields {sorted(unknown)}")
    wanted = {k: v for k, v in fields.items() if v is not None}
    wanted.update(
        clean_person_details(
            **{k: v for k, v in wanted.items() if k == "kundennummer" or k in PERSON_DETAILS}
        )
    )
    if "family_name" in wanted and not str(wanted["family_name"]).strip():
        raise RecordsError("name_required", "Der Familienname ist eine Pflichtangabe.")
    changes = {k: [getattr(person, k), v] for k, v in wanted.items() if getattr(person, k) != v}
    if not changes:
        return person
    with transaction.atomic():
        for name, (_, new) in changes.items():
            setattr(person, name, new)
        person.save(update_fields=list(changes))
        audit.record(
            actor=actor,
            tenant_id=person.tenant_id,
            action="records.person.change",
            obj=person,
            subject=person,
            changes=changes,
        )
    return person


def create_bedarfsgemeinschaft(
    *,
    actor: Actor,
    tenant: Mandant,
    members: list[tuple[Person, str]],
    bg_nummer: str = "",
    pk: uuid.UUID | None = None,
) -> Bedarfsgemeinschaft:
    """A BG with its members; the BG-Nummer is taken over from the specialist software or
    drawn gap-free from the Mandant's counter. ``pk``: the id a BG made on a Koffer brings
    along to the office's sync."""
    if not members:
        raise RecordsError("bg_empty", "Eine Bedarfsgemeinschaft braucht mindestens ein Mitglied.")
    with transaction.atomic():
        if not bg_nummer:
            bg_nummer = _next_bg_nummer(tenant.pk)
        if Bedarfsgemeinschaft.objects.for_tenant(tenant).filter(bg_nummer=bg_nummer).exists():
            raise RecordsError("bg_taken", f"Die BG-Nummer {bg_nummer} gibt es bereits.")
        bg = Bedarfsgemeinschaft.objects.create(
            **({"pk": pk} if pk is not None else {}), tenant=tenant, bg_nummer=bg_nummer
        )
        for person, rolle in members:
            BgMitglied.objects.create(tenant=tenant, bg=bg, person=person, rolle=rolle)
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="records.bg.create",
            obj=bg,
            changes={"bg_nummer": bg_nummer, "members": [str(p.pk) for p, _ in members]},
        )
    return bg


def add_bg_mitglied(
    *, actor: Actor, bg: Bedarfsgemeinschaft, person: Person, rolle: str
) -> BgMitglied:
    """Add ``person`` to the Bedarfsgemeinschaft with a role (Antragsteller, Partner, Kind,
    ...). A person is a member at most once; there is one Antragsteller per BG."""
    if rolle not in BgMitglied.Rolle.values:
        raise RecordsError("rolle_unknown", "Diese Rolle in der Bedarfsgemeinschaft gibt es nicht.")
    if person.tenant_id != bg.tenant_id:
        raise RecordsError("foreign_reference", "Die Person gehört zu einem anderen Mandanten.")
    members = BgMitglied.objects.for_tenant(bg.tenant_id).filter(bg=bg)
    if members.filter(person=person).exists():
        raise RecordsError(
            "bg_member_exists", f"{person} gehört schon zur Bedarfsgemeinschaft {bg.bg_nummer}."
        )
    if (
        rolle == BgMitglied.Rolle.ANTRAGSTELLER
        and members.filter(rolle=BgMitglied.Rolle.ANTRAGSTELLER).exists()
    ):
        raise RecordsError(
            "bg_antragsteller_exists",
            "Die Bedarfsgemeinschaft hat schon eine antragstellende Person.",
        )
    with transaction.atomic():
        mitglied = BgMitglied.objects.create(
            tenant_id=bg.tenant_id, bg=bg, person=person, rolle=rolle
        )
        _touch_bg_akten(bg)
        audit.record(
            actor=actor,
            tenant_id=bg.tenant_id,
            action="records.bg.member_add",
            obj=bg,
            subject=person,
            changes={"bg_nummer": bg.bg_nummer, "person": str(person.pk), "rolle": rolle},
        )
    return mitglied


def add_new_person_to_bg(
    *,
    actor: Actor,
    bg: Bedarfsgemeinschaft,
    rolle: str,
    family_name: str,
    given_names: str = "",
    birth_date: date | None = None,
    kundennummer: str = "",
    details: Mapping[str, str] | None = None,
) -> BgMitglied:
    """Record a new person (``details``: any of ``PERSON_DETAILS``) and add them to the BG,
    both or neither."""
    with transaction.atomic():
        person = create_person(
            actor=actor,
            tenant=bg.tenant,
            family_name=family_name,
            given_names=given_names,
            birth_date=birth_date,
            kundennummer=kundennummer,
            **_details(details),
        )
        return add_bg_mitglied(actor=actor, bg=bg, person=person, rolle=rolle)


def remove_bg_mitglied(*, actor: Actor, mitglied: BgMitglied, reason: str) -> None:
    """Take a member out of the BG (moved out, child came of age), with a reason. The
    person and the BG's history stay; the last member cannot be removed."""
    reason = need_reason(reason)
    bg = mitglied.bg
    if BgMitglied.objects.for_tenant(bg.tenant_id).filter(bg=bg).count() <= 1:
        raise RecordsError(
            "bg_empty", "Das letzte Mitglied einer Bedarfsgemeinschaft kann nicht entfernt werden."
        )
    with transaction.atomic():
        person = mitglied.person
        rolle = mitglied.rolle
        mitglied.delete()
        _touch_bg_akten(bg)
        audit.record(
            actor=actor,
            tenant_id=bg.tenant_id,
            action="records.bg.member_remove",
            obj=bg,
            subject=person,
            changes={"bg_nummer": bg.bg_nummer, "person": str(person.pk), "rolle": rolle},
            reason=reason,
        )


def _next_bg_nummer(tenant_id: uuid.UUID) -> str:
    """The next gap-free BG-Nummer of the Mandant (call inside the creating transaction);
    on a Koffer a provisional one, the office's comes on sync."""
    if numbering.im_koffer():
        return numbering.vorlaeufig(tenant_id, "bg")
    return f"BG{counters.next_value(tenant_id, 'bg'):07d}"


def attach_bedarfsgemeinschaft(
    *,
    actor: Actor,
    akte: Akte,
    bg_nummer: str | None,
    reason: str,
    rolle: str | None = None,
) -> Bedarfsgemeinschaft:
    """Give an Akte without Bedarfsgemeinschaft one: without a number a new BG with the next
    gap-free BG-Nummer, with the number of a BG of the same Mandant the Akte joins it. The
    Akte's subject persons become members with ``rolle`` (default "Sonstige Person"); those
    already in the BG stay as they are. One Antragsteller per BG still holds."""
    reason = need_reason(reason)
    wanted = (bg_nummer or "").strip()
    rolle = rolle or BgMitglied.Rolle.SONSTIGE
    if rolle not in BgMitglied.Rolle.values:
        raise RecordsError("rolle_unknown", "Diese Rolle in der Bedarfsgemeinschaft gibt es nicht.")
    tenant_id = akte.tenant_id
    with transaction.atomic():
        current = (
            Akte.objects.for_tenant(tenant_id)
            .select_for_update()
            .filter(pk=akte.pk)
            .values_list("bg_id", flat=True)
            .get()
        )
        if current is not None:
            raise RecordsError(
                "akte_has_bg",
                "Diese Akte gehört schon zu einer Bedarfsgemeinschaft. Mitglieder ändern Sie "
                "auf der Seite der Bedarfsgemeinschaft.",
            )
        persons = [
            s.person
            for s in AkteSubjekt.objects.for_tenant(tenant_id)
            .filter(akte=akte)
            .select_related("person")
            .order_by("person__family_name", "person__given_names", "pk")
        ]
        created = not wanted
        if created:
            if not persons:
                raise RecordsError(
                    "bg_without_person",
                    "Für eine neue Bedarfsgemeinschaft fehlt die Person: "
                    "die Akte hat keine betroffene Person.",
                )
            bg = Bedarfsgemeinschaft.objects.create(
                tenant_id=tenant_id, bg_nummer=_next_bg_nummer(tenant_id)
            )
            known: set[Any] = set()
            has_antragsteller = False
        else:
            found = (
                Bedarfsgemeinschaft.objects.for_tenant(tenant_id)
                .select_for_update()
                .filter(bg_nummer=wanted)
                .first()
            )
            if found is None:
                raise RecordsNotFound(
                    "bg_unknown",
                    f"Eine Bedarfsgemeinschaft mit der BG-Nummer {wanted} gibt es nicht. "
                    "Lassen Sie das Feld leer, um eine neue anzulegen.",
                )
            bg = found
            members = BgMitglied.objects.for_tenant(tenant_id).filter(bg=bg)
            known = set(members.values_list("person_id", flat=True))
            has_antragsteller = members.filter(rolle=BgMitglied.Rolle.ANTRAGSTELLER).exists()
        joining = [p for p in persons if p.pk not in known]
        if rolle == BgMitglied.Rolle.ANTRAGSTELLER and (has_antragsteller or len(joining) > 1):
            raise RecordsError(
                "bg_antragsteller_exists",
                "Eine Bedarfsgemeinschaft hat genau eine antragstellende Person; wählen Sie "
                "eine andere Rolle.",
            )
        for person in joining:
            BgMitglied.objects.create(tenant_id=tenant_id, bg=bg, person=person, rolle=rolle)
        akte.bg = bg
        akte.updated_at = timezone.now()
        akte.save(update_fields=["bg", "updated_at"])
        _touch_bg_akten(bg)
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="records.bg.attach",
            obj=akte,
            changes={
                "bg_nummer": bg.bg_nummer,
                "bg": str(bg.pk),
                "new_bg": created,
                "members_added": [str(p.pk) for p in joining],
                "rolle": rolle,
            },
            reason=reason,
        )
    return bg


def _touch_bg_akten(bg: Bedarfsgemeinschaft) -> None:
    Akte.objects.for_tenant(bg.tenant_id).filter(bg=bg).update(updated_at=timezone.now())


# --- Akten ------------------------------------------------------------------------------------


def create_akte(
    *,
    actor: Actor,
    tenant: Mandant,
    aktenplaneinheit: Aktenplaneinheit,
    unit: Organisationseinheit,
    title: str,
    subjects: list[Person] | None = None,
    bg: Bedarfsgemeinschaft | None = None,
    caseworker: User | None = None,
    access_level: str | None = None,
    named_users: list[User] | None = None,
    opened_at: datetime | None = None,
    access: Access | None = None,
    pk: uuid.UUID | None = None,
) -> Akte:
    """Open an Akte with a gap-free Aktenzeichen from its plan unit's pattern (on a Koffer
    a provisional one, :func:`numbering.vorlaeufig`). ``pk``: the id an Akte made on a
    Koffer brings along to the office's sync (UUIDv7 kept). A person
    opens Akten only for units where they may edit Akten (``access``: see
    records.access.of_actor); the system (imports, the demo) opens them where its data
    says.

    Who sees a new Akte is the plan unit's default access; a restricted one names its
    caseworker and the person opening it. Deciding anything else (another access level,
    other named people) decides who sees the Akte, as :func:`change_akte` does, and needs
    ``records.assign`` in the owner unit. Named people matter only for a restricted Akte;
    for a normal one nobody is named. The caseworker must be one
    :func:`records.access.caseworkers` admits, so on a restricted Akte they are named."""
    if aktenplaneinheit.tenant_id != tenant.pk or unit.tenant_id != tenant.pk:
        raise RecordsError(
            "foreign_reference",
            "Aktenplan oder Organisationseinheit gehören zu einem anderen Mandanten.",
        )
    grants = None
    if isinstance(actor, User) or access is not None:
        grants = records_access.of_actor(actor, tenant.pk, access)
        if not records_access.can_create_in(grants, unit):
            raise RecordsForbidden(
                "forbidden", "Für diese Organisationseinheit dürfen Sie keine Akten anlegen."
            )
    if not title.strip():
        raise RecordsError("title_required", "Bitte geben Sie einen Titel an.")
    opened = opened_at or timezone.now()
    level = access_level or aktenplaneinheit.default_access
    usual = _default_names(actor, caseworker) if level == AccessLevel.RESTRICTED else []
    names = usual if level != AccessLevel.RESTRICTED or not named_users else named_users
    names = list(dict.fromkeys(names))
    decides = level != aktenplaneinheit.default_access or set(names) != set(usual)
    if grants is not None and decides and not records_access.can_assign_to(grants, unit):
        raise RecordsForbidden(
            "assign_forbidden",
            "Einen anderen Zugriff als im Aktenplan vorgesehen oder weitere benannte Personen "
            "dürfen beim Anlegen nur Personen mit dem Recht „Akten zuweisen“ für "
            f"„{unit}“ festlegen.",
        )
    _check_names(tenant.pk, level, names)
    if caseworker is not None:
        _check_new_caseworker(tenant.pk, unit, caseworker, level, names)
    with transaction.atomic():
        aktenzeichen = _next_aktenzeichen(tenant, aktenplaneinheit, opened)
        akte = Akte.objects.create(
            **({"pk": pk} if pk is not None else {}),
            tenant=tenant,
            aktenplaneinheit=aktenplaneinheit,
            unit=unit,
            unit_path=unit.path,
            aktenzeichen=aktenzeichen,
            title=title.strip(),
            access_level=level,
            caseworker=caseworker,
            bg=bg,
            opened_at=opened,
            updated_at=opened,
        )
        for person in subjects or []:
            AkteSubjekt.objects.create(tenant=tenant, akte=akte, person=person)
        for user in names:
            AkteZugriff.objects.create(tenant=tenant, akte=akte, user=user)
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="records.akte.create",
            obj=akte,
            subject=subjects[0] if subjects else None,
            changes={
                "aktenzeichen": aktenzeichen,
                "title": title,
                "unit": str(unit.pk),
                "access_level": level,
                "named_users": sorted(str(u.pk) for u in names),
            },
        )
    return akte


def _next_aktenzeichen(
    tenant: Mandant, aktenplaneinheit: Aktenplaneinheit, opened: datetime
) -> str:
    """The next Aktenzeichen (call inside the creating transaction): gap-free from the plan
    unit's counter and pattern; on a Koffer a provisional one."""
    if numbering.im_koffer():
        return numbering.vorlaeufig(tenant.pk)
    lfd = counters.next_value(
        tenant.pk, numbering.aktenzeichen_key(aktenplaneinheit.pk, opened.date())
    )
    return numbering.format_aktenzeichen(
        aktenplaneinheit.aktenzeichen_pattern,
        kennzeichen=aktenplaneinheit.kennzeichen,
        year=opened.year,
        lfd=lfd,
    )


def _check_new_caseworker(
    tenant_id: uuid.UUID,
    unit: Organisationseinheit,
    caseworker: User,
    level: str,
    names: list[User],
) -> None:
    """The caseworker of a new Akte may work on Akten of ``unit`` and, if it is restricted,
    is named: otherwise the person responsible could not open it."""
    named = [u.pk for u in names] if level == AccessLevel.RESTRICTED else None
    if named is not None and caseworker.pk not in named:
        raise RecordsError(
            "caseworker_not_named",
            f"Eine eingeschränkte Akte muss ihre Sachbearbeitung ({caseworker}) benennen, "
            "sonst könnte die zuständige Person sie nicht öffnen.",
        )
    _check_caseworker(tenant_id, unit.path, caseworker, named)


def _default_names(actor: Actor, *people: User | None) -> list[User]:
    """Who a restricted Akte names when nobody was named: its caseworker and the acting
    person, so switching to restricted never locks everyone out."""
    names: list[User] = []
    for user in (*people, actor):
        if isinstance(user, User) and not user.is_machine and user not in names:
            names.append(user)
    return names


def _check_names(
    tenant_id: Any, level: str, names: list[User], *, already: Sequence[User] = ()
) -> None:
    """A restricted Akte names at least one person, and only people of the Mandant who may
    read Akten (anyone else could never open it). People ``already`` named stay allowed
    even after losing their role, so a change of status or caseworker never fails on them."""
    if level == AccessLevel.RESTRICTED and not names:
        raise RecordsError(
            "restricted_nobody",
            "Eine eingeschränkte Akte braucht mindestens eine benannte Person, "
            "sonst könnte niemand sie mehr öffnen.",
        )
    added = [u for u in names if u not in already]
    if not added:
        return  # nobody new: no query (imports open thousands of unnamed Akten)
    allowed = set(
        selectors.records_users(tenant_id)
        .filter(pk__in=[u.pk for u in added])
        .values_list("pk", flat=True)
    )
    strangers = [u for u in added if u.pk not in allowed]
    if strangers:
        raise RecordsError(
            "named_user_unknown",
            f"{strangers[0]} kann nicht benannt werden: Die Person hat in diesem Mandanten "
            "keine Berechtigung, Akten zu lesen.",
        )


def _touch(akte: Akte) -> None:
    Akte.objects.for_tenant(akte.tenant_id).filter(pk=akte.pk).update(updated_at=timezone.now())


def change_akte(
    *,
    actor: Actor,
    akte: Akte,
    reason: str,
    access: Access | None = None,
    unit: Organisationseinheit | None = None,
    caseworker: User | None = None,
    status: str | None = None,
    access_level: str | None = None,
    named_users: list[User] | None = None,
) -> Akte:
    """Change owner, caseworker, status or access of an Akte, always with a reason.

    ``access`` is what the actor may do in the Mandant (the request's, so an API token
    counts with its own scope); without it, the actor's memberships. The actor must be
    able to edit the Akte. Changing who can see it (owner unit, access level, named
    people) needs ``records.assign`` where the Akte lies now and, for a move, in the new
    unit as well. A caseworker must be one :func:`records.access.caseworkers` admits for
    the (new) owner unit. Closing sets the retention deadline: end of the year of closing
    plus the plan unit's years."""
    reason = need_reason(reason)
    grants = records_access.of_actor(actor, akte.tenant_id, access)
    actor_id = records_access.user_id_of(actor)
    if not records_access.can_edit(grants, actor_id, akte):
        raise RecordsForbidden("forbidden", "Sie dürfen diese Akte nicht ändern.")
    old = _akte_state(akte)
    current_names = list(selectors.named_users(akte))
    old["named_users"] = sorted(str(u.pk) for u in current_names)
    level = access_level or akte.access_level
    names = current_names if named_users is None else list(dict.fromkeys(named_users))
    if level == AccessLevel.RESTRICTED and named_users is None and not names:
        names = _default_names(actor, caseworker or akte.caseworker)
    moves = unit is not None and unit.pk != akte.unit_id
    if unit is not None and unit.tenant_id != akte.tenant_id:
        raise RecordsError(
            "foreign_reference", "Die Organisationseinheit gehört zu einem anderen Mandanten."
        )
    if moves or level != akte.access_level or set(names) != set(current_names):
        _check_assign(grants, actor_id, akte, unit if moves else None)
    _check_names(akte.tenant_id, level, names, already=current_names)
    if caseworker is not None and caseworker.pk != akte.caseworker_id:
        named = [u.pk for u in names] if level == AccessLevel.RESTRICTED else None
        path = unit.path if unit is not None and moves else akte.unit_path
        _check_caseworker(akte.tenant_id, path, caseworker, named)
    now = timezone.now()
    with transaction.atomic():
        if unit is not None:
            akte.unit = unit
            akte.unit_path = unit.path
        if caseworker is not None:
            akte.caseworker = caseworker
        if status is not None and status != akte.status:
            _apply_status(akte, status, now)
        if access_level is not None:
            akte.access_level = access_level
        if names != current_names:
            AkteZugriff.objects.for_tenant(akte.tenant_id).filter(akte=akte).delete()
            for user in names:
                AkteZugriff.objects.create(tenant_id=akte.tenant_id, akte=akte, user=user)
        akte.updated_at = now
        akte.save()
        new = _akte_state(akte)
        new["named_users"] = sorted(str(u.pk) for u in names)
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="records.akte.change",
            obj=akte,
            changes=audit.diff(old, new),
            reason=reason,
        )
    return akte


def _check_assign(
    grants: Access, actor_id: uuid.UUID | None, akte: Akte, target: Organisationseinheit | None
) -> None:
    """Both sides of a change of who sees the Akte: where it lies now, and where it goes."""
    if not records_access.can_assign(grants, actor_id, akte):
        raise RecordsForbidden(
            "assign_forbidden",
            "Zuständige Organisationseinheit, Zugriff und benannte Personen dürfen nur "
            "Personen mit dem Recht „Akten zuweisen“ für diese Akte ändern.",
        )
    if target is not None and not records_access.can_assign_to(grants, target):
        raise RecordsForbidden(
            "assign_target_forbidden",
            f"Die Organisationseinheit „{target}“ liegt außerhalb Ihres Bereichs: "
            "Dorthin dürfen Sie keine Akten abgeben.",
        )


def _check_caseworker(
    tenant_id: uuid.UUID, unit_path: str, caseworker: User, named: list[uuid.UUID] | None
) -> None:
    """``caseworker`` may be responsible for an Akte owned by the unit at ``unit_path``
    (and named on it, if ``named`` lists a restricted Akte's people)."""
    eligible = records_access.caseworkers(tenant_id, unit_path, named=named)
    if eligible.filter(pk=caseworker.pk).exists():
        return
    why = (
        "Die Person ist für die eingeschränkte Akte nicht benannt."
        if named is not None and caseworker.pk not in named
        else "Die Person darf in der zuständigen Organisationseinheit keine Akten bearbeiten."
    )
    raise RecordsError(
        "caseworker_not_eligible", f"{caseworker} kann nicht für diese Akte zuständig sein: {why}"
    )


def _apply_status(akte: Akte, status: str, now: datetime) -> None:
    allowed = {
        Akte.Status.OPEN: {Akte.Status.CLOSED},
        Akte.Status.CLOSED: {Akte.Status.OPEN, Akte.Status.HANDED_OVER},
        Akte.Status.HANDED_OVER: set(),
    }
    if status not in allowed[Akte.Status(akte.status)]:
        raise RecordsError(
            "status_transition",
            f"Eine Akte im Status „{akte.get_status_display()}“ kann nicht auf „{Akte.Status(status).label}“ gesetzt werden.",
        )
    if status == Akte.Status.CLOSED:
        akte.closed_at = now
        years = akte.aktenplaneinheit.retention_years
        akte.retention_until = date(timezone.localdate(now).year + years, 12, 31)
    elif status == Akte.Status.OPEN:
        akte.closed_at = None
        akte.retention_until = None
    akte.status = status


def _akte_state(akte: Akte) -> dict[str, Any]:
    return {
        "unit": str(akte.unit_id),
        "caseworker": str(akte.caseworker_id) if akte.caseworker_id else None,
        "status": akte.status,
        "access_level": akte.access_level,
        "retention_until": akte.retention_until.isoformat() if akte.retention_until else None,
    }


# --- Vorgänge, Fristen, Wiedervorlagen --------------------------------------------------------


def create_vorgang(
    *,
    actor: Actor,
    akte: Akte,
    typ: VorgangTyp,
    title: str,
    caseworker: User | None = None,
    pk: uuid.UUID | None = None,
) -> Vorgang:
    """A new Vorgang in an open Akte. ``pk``: an id chosen ahead, when something made
    before the transaction names the Vorgang already (a form's reply code)."""
    if typ.tenant_id != akte.tenant_id:
        raise RecordsError(
            "foreign_reference", "Der Vorgangstyp gehört zu einem anderen Mandanten."
        )
    if akte.status != Akte.Status.OPEN:
        raise RecordsError(
            "akte_not_open", "In einer geschlossenen Akte können keine Vorgänge angelegt werden."
        )
    now = timezone.now()
    with transaction.atomic():
        vorgang = Vorgang.objects.create(
            **({"pk": pk} if pk is not None else {}),
            tenant_id=akte.tenant_id,
            akte=akte,
            typ=typ,
            title=title.strip() or typ.label,
            caseworker=caseworker or akte.caseworker,
            opened_at=now,
        )
        _step(vorgang, actor, "angelegt", f"{typ.label}: {vorgang.title}", now)
        _touch(akte)
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="records.vorgang.create",
            obj=vorgang,
            changes={"akte": str(akte.pk), "typ": typ.code, "title": vorgang.title},
        )
    return vorgang


def _step(
    vorgang: Vorgang, actor: Actor, action: str, detail: str, at: datetime | None = None
) -> None:
    VorgangSchritt.objects.create(
        tenant_id=vorgang.tenant_id,
        vorgang=vorgang,
        at=at or timezone.now(),
        actor=actor if isinstance(actor, User) else None,
        action=action,
        detail=detail[:500],
    )


def record_vorgang_read(*, actor: Actor, vorgang: Vorgang, purpose: str) -> None:
    """Audit that ``actor`` opened the Vorgang (its steps, Fristen and documents list the
    person's data), with the Akte's first person as the subject."""
    audit.read(
        actor=actor,
        tenant_id=vorgang.tenant_id,
        obj=vorgang,
        subject=selectors.first_subject(vorgang.akte),
        purpose=purpose,
    )


def change_vorgang_status(
    *,
    actor: Actor,
    vorgang: Vorgang,
    status: str,
    note: str = "",
    ergebnis: str = "",
    bescheid_am: date | None = None,
) -> Vorgang:
    """A new status. Closing (``done``) may record the outcome (``Vorgang.Ergebnis``) and
    the date of its Bescheid; any other status clears both. A Vorgang closed already
    keeps its closing date when only its outcome is recorded."""
    if status not in Vorgang.Status.values:
        raise RecordsError("status_unknown", "Diesen Status gibt es nicht.")
    if ergebnis and ergebnis not in Vorgang.Ergebnis.values:
        raise RecordsError("ergebnis_unknown", "Dieses Ergebnis gibt es nicht.")
    if (ergebnis or bescheid_am) and status != Vorgang.Status.DONE:
        raise RecordsError(
            "ergebnis_nur_erledigt",
            "Ein Ergebnis und das Datum des Bescheids gibt es nur, wenn der Vorgang erledigt ist.",
        )
    if bescheid_am is not None and bescheid_am > timezone.localdate():
        raise RecordsError(
            "bescheid_zukunft", "Das Datum des Bescheids darf nicht in der Zukunft liegen."
        )
    old = vorgang.status
    alt_ergebnis = vorgang.ergebnis
    now = timezone.now()
    with transaction.atomic():
        vorgang.status = status
        if status != Vorgang.Status.DONE:
            vorgang.closed_at = None
        elif old != Vorgang.Status.DONE or vorgang.closed_at is None:
            vorgang.closed_at = now
        vorgang.ergebnis = ergebnis
        vorgang.bescheid_am = bescheid_am
        vorgang.save(update_fields=["status", "closed_at", "ergebnis", "bescheid_am"])
        detail = f"{Vorgang.Status(old).label} → {Vorgang.Status(status).label}."
        if ergebnis:
            detail += f" Ergebnis: {Vorgang.Ergebnis(ergebnis).label}."
        if bescheid_am is not None:
            detail += f" Bescheid vom {bescheid_am:%d.%m.%Y}."
        _step(vorgang, actor, "status", f"{detail} {note}".strip()[:500], now)
        _touch(vorgang.akte)
        changes: dict[str, Any] = {"status": {"old": old, "new": status}}
        if ergebnis or alt_ergebnis:
            changes["ergebnis"] = {"old": alt_ergebnis, "new": ergebnis}
        if bescheid_am is not None:
            changes["bescheid_am"] = bescheid_am.isoformat()
        audit.record(
            actor=actor,
            tenant_id=vorgang.tenant_id,
            action="records.vorgang.status",
            obj=vorgang,
            changes=changes,
            reason=note,
        )
    return vorgang


def add_frist(
    *,
    actor: Actor,
    vorgang: Vorgang,
    base_date: date,
    regel: FristRegel | None = None,
    label: str = "",
    due: date | None = None,
    pk: uuid.UUID | None = None,
) -> Frist:
    """A deadline computed from a rule (or given directly). ``pk``: the id a Frist made
    on a Koffer brings along to the office's sync."""
    if regel is None and due is None:
        raise RecordsError(
            "frist_incomplete", "Bitte wählen Sie eine Regel oder geben Sie ein Fristende an."
        )
    if regel is not None:
        due = deadlines.due_date(
            base_date,
            notification_days=regel.notification_days,
            months=regel.months,
            days=regel.days,
            shift=regel.shift_to_workday,
        )
    assert due is not None
    with transaction.atomic():
        frist = Frist.objects.create(
            **({"pk": pk} if pk is not None else {}),
            tenant_id=vorgang.tenant_id,
            vorgang=vorgang,
            regel=regel,
            label=label or (regel.label if regel else "Frist"),
            base_date=base_date,
            due_date=due,
        )
        _step(vorgang, actor, "frist", f"{frist.label} bis {due:%d.%m.%Y}")
        audit.record(
            actor=actor,
            tenant_id=vorgang.tenant_id,
            action="records.frist.create",
            obj=frist,
            changes={
                "base_date": base_date,
                "due_date": due,
                "regel": regel.code if regel else None,
            },
        )
    return frist


def set_wiedervorlage(
    *,
    actor: Actor,
    akte: Akte,
    due_date: date,
    assignee: User | None = None,
    unit: Organisationseinheit | None = None,
    vorgang: Vorgang | None = None,
    dokument: Any = None,
    note: str = "",
    today: date | None = None,
    pk: uuid.UUID | None = None,
) -> Wiedervorlage:
    """Put the Akte on someone's desk on ``due_date``. A date already past is refused: it
    would land in the overdue queue the moment it is set (a slip of the year in the date
    picker). Web form and API both end here, so both refuse alike. ``pk``: the id a
    Wiedervorlage made on a Koffer brings along to the office's sync."""
    if assignee is None and unit is None:
        raise RecordsError("wv_owner", "Eine Wiedervorlage braucht eine Person oder ein Team.")
    today = today or timezone.localdate()
    if due_date < today:
        raise RecordsError(
            "wv_past",
            f"Das Datum der Wiedervorlage ({due_date:%d.%m.%Y}) liegt in der Vergangenheit. "
            f"Bitte wählen Sie heute ({today:%d.%m.%Y}) oder einen späteren Tag.",
        )
    with transaction.atomic():
        wv = Wiedervorlage.objects.create(
            **({"pk": pk} if pk is not None else {}),
            tenant_id=akte.tenant_id,
            akte=akte,
            vorgang=vorgang,
            dokument=dokument,
            assignee=assignee,
            unit=unit,
            due_date=due_date,
            note=note[:500],
            created_by=actor if isinstance(actor, User) else None,
        )
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="records.wiedervorlage.create",
            obj=wv,
            changes={"akte": str(akte.pk), "due_date": due_date, "note": note},
        )
    return wv


def complete_wiedervorlage(*, actor: Actor, wiedervorlage: Wiedervorlage) -> Wiedervorlage:
    with transaction.atomic():
        wiedervorlage.done_at = timezone.now()
        wiedervorlage.save(update_fields=["done_at"])
        audit.record(
            actor=actor,
            tenant_id=wiedervorlage.tenant_id,
            action="records.wiedervorlage.done",
            obj=wiedervorlage,
        )
    return wiedervorlage


def complete_frist(*, actor: Actor, frist: Frist, note: str = "") -> Frist:
    """Mark a Frist as kept (the objection answered, the act done); it leaves the queues
    and the calendar, and the Vorgang's history says who closed it."""
    if frist.done_at is not None:
        raise RecordsError("frist_done", "Diese Frist ist schon erledigt.")
    now = timezone.now()
    with transaction.atomic():
        frist.done_at = now
        frist.save(update_fields=["done_at"])
        _step(
            frist.vorgang, actor, "frist_erledigt", f"{frist.label} erledigt. {note}".strip(), now
        )
        audit.record(
            actor=actor,
            tenant_id=frist.tenant_id,
            action="records.frist.done",
            obj=frist,
            changes={"due_date": frist.due_date},
            reason=note,
        )
    return frist


def open_akte_for_person(
    *,
    actor: Actor,
    tenant: Mandant,
    aktenplaneinheit: Aktenplaneinheit,
    unit: Organisationseinheit,
    title: str,
    family_name: str = "",
    given_names: str = "",
    birth_date: date | None = None,
    kundennummer: str = "",
    details: Mapping[str, str] | None = None,
    bg_nummer: str = "",
    access_level: str | None = None,
    caseworker: User | None = None,
    named_users: list[User] | None = None,
    bg_rolle: str = "",
    access: Access | None = None,
) -> Akte:
    """The common case from the form: an Akte for one person, optionally with a new or
    existing Bedarfsgemeinschaft ("neu" draws the next BG-Nummer). The person joins the
    BG with ``bg_rolle`` (default: Antragsteller of a new BG, "Sonstige" of an existing one);
    ``details`` are the person's contact and bank details (any of ``PERSON_DETAILS``)."""
    with transaction.atomic():
        person = (
            create_person(
                actor=actor,
                tenant=tenant,
                family_name=family_name,
                given_names=given_names,
                birth_date=birth_date,
                kundennummer=kundennummer,
                **_details(details),
            )
            if family_name.strip()
            else None
        )
        bg = None
        if bg_nummer.strip():
            wanted = "" if bg_nummer.strip().lower() == "neu" else bg_nummer.strip()
            bg = (
                Bedarfsgemeinschaft.objects.for_tenant(tenant).filter(bg_nummer=wanted).first()
                if wanted
                else None
            )
            if bg is None:
                if person is None:
                    raise RecordsError(
                        "bg_without_person", "Für eine neue Bedarfsgemeinschaft fehlt die Person."
                    )
                bg = create_bedarfsgemeinschaft(
                    actor=actor,
                    tenant=tenant,
                    members=[(person, bg_rolle or BgMitglied.Rolle.ANTRAGSTELLER)],
                    bg_nummer=wanted,
                )
            elif person is not None:
                add_bg_mitglied(
                    actor=actor, bg=bg, person=person, rolle=bg_rolle or BgMitglied.Rolle.SONSTIGE
                )
        return create_akte(
            actor=actor,
            tenant=tenant,
            aktenplaneinheit=aktenplaneinheit,
            unit=unit,
            title=title,
            subjects=[person] if person else [],
            bg=bg,
            caseworker=caseworker,
            access_level=access_level,
            named_users=named_users,
            access=access,
        )


def record_read(*, actor: Actor, akte: Akte, subject: Person | None, purpose: str) -> None:
    """Audit that ``actor`` opened the Akte (once per view). ``subject`` is its first person
    (:func:`selectors.first_subject`), passed in by a caller that has already loaded it."""
    audit.read(actor=actor, tenant_id=akte.tenant_id, obj=akte, subject=subject, purpose=purpose)


def record_person_read(*, actor: Actor, akte: Akte, person: Person, purpose: str) -> None:
    """Audit that ``actor`` looked at the master data of one of the Akte's persons (contact
    and bank details included)."""
    audit.read(actor=actor, tenant_id=akte.tenant_id, obj=person, subject=person, purpose=purpose)


def record_bg_read(*, actor: Actor, akte: Akte, purpose: str) -> None:
    """Audit that ``actor`` looked at the Akte's Bedarfsgemeinschaft (it has one)."""
    assert akte.bg is not None
    audit.read(actor=actor, tenant_id=akte.tenant_id, obj=akte.bg, purpose=purpose)
