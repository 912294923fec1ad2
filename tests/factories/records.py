"""E-Akte test data, made through the records services (audited like real data)."""

from __future__ import annotations

import itertools
from datetime import date

from koffer.accounts.models import User
from koffer.records import defaults, selectors, services
from koffer.records.models import Akte, Aktenplaneinheit, Frist, Vorgang, Wiedervorlage
from koffer.tenancy.models import Mandant, Organisationseinheit

_seq = itertools.count(1)


def leistungsplan(tenant: Mandant) -> Aktenplaneinheit:
    """The Mandant's defaults and a Leistungsakten unit (50.2, SGB II, ``LA-{jahr}-{lfd:05}``)."""
    defaults.install(actor=None, tenant=tenant)
    root = services.create_aktenplaneinheit(
        actor=None,
        tenant=tenant,
        parent=None,
        kennzeichen="50",
        title="Soziale Sicherung",
        module="sgb2",
    )
    return services.create_aktenplaneinheit(
        actor=None,
        tenant=tenant,
        parent=root,
        kennzeichen="50.2",
        title="Leistungsakten",
        module="sgb2",
        retention_years=10,
        aktenzeichen_pattern="LA-{jahr}-{lfd:05}",
    )


def akte(
    *,
    caseworker: User,
    plan: Aktenplaneinheit,
    unit: Organisationseinheit,
    title: str = "",
    family_name: str = "",
    given_names: str = "Anna",
    bg_nummer: str = "neu",
) -> Akte:
    """An Akte about one new person, opened by its caseworker."""
    n = next(_seq)
    return services.open_akte_for_person(
        actor=caseworker,
        tenant=plan.tenant,
        aktenplaneinheit=plan,
        unit=unit,
        title=title or f"Leistungsakte {n}",
        family_name=family_name or f"Beispiel{n}",
        given_names=given_names,
        bg_nummer=bg_nummer,
        caseworker=caseworker,
    )


def vorgang(akte: Akte, *, actor: User | None = None, title: str = "") -> Vorgang:
    """A Vorgang of the first Vorgangstyp of the Akte's module."""
    typ = selectors.vorgang_typen(akte.tenant_id, akte.aktenplaneinheit.module).first()
    assert typ is not None, "the Mandant's defaults bring Vorgangstypen"
    return services.create_vorgang(
        actor=actor, akte=akte, typ=typ, title=title or f"Vorgang {next(_seq)}"
    )


def frist(vorgang: Vorgang, due: date, *, actor: User | None = None, label: str = "") -> Frist:
    return services.add_frist(
        actor=actor, vorgang=vorgang, base_date=due, due=due, label=label or "Frist"
    )


def wiedervorlage(
    akte: Akte, due: date, *, assignee: User, actor: User | None = None, note: str = ""
) -> Wiedervorlage:
    return services.set_wiedervorlage(
        actor=actor or assignee, akte=akte, due_date=due, assignee=assignee, note=note
    )
