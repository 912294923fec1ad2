"""Default Vorgang types per module and deadline rules a Mandant starts with. Both are
data: a Mandant changes them without new code."""

from __future__ import annotations

import csv

from django.db import transaction

from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.records.models import FristRegel, Module, VorgangTyp
from koffer.tenancy.models import Mandant
from koffer.tenancy.selectors import units_of

VORGANG_TYPEN: dict[str, list[tuple[str, str]]] = {
    Module.SGB2: [
        ("antrag", "Antrag"),
        ("weiterbewilligung", "Weiterbewilligung"),
        ("aenderung", "Änderungsmitteilung"),
        ("widerspruch", "Widerspruch"),
        ("klage", "Klage"),
        ("ueberpruefung", "Überprüfungsantrag (§ 44 SGB X)"),
    ],
    Module.SGB8: [
        ("hze", "Hilfe zur Erziehung"),
        ("inobhutnahme", "Inobhutnahme"),
        ("hilfeplan", "Hilfeplanfortschreibung"),
        ("kostenheranziehung", "Kostenheranziehung"),
        ("widerspruch", "Widerspruch"),
    ],
    Module.SGB9: [
        ("erstantrag", "Erstantrag"),
        ("neufeststellung", "Neufeststellung"),
        ("widerspruch", "Widerspruch"),
        ("klage", "Klage"),
    ],
    Module.IFSG: [("meldung", "Meldung"), ("ermittlung", "Ermittlung"), ("anordnung", "Anordnung")],
    Module.ALLGEMEIN: [("schriftverkehr", "Schriftverkehr"), ("sonstiges", "Sonstiges")],
}

# code, label, notification_days, months, days, shift to working day
FRIST_REGELN: list[tuple[str, str, int, int, int, bool]] = [
    (
        "widerspruchsfrist",
        "Widerspruchsfrist (§ 84 SGG, Bekanntgabe nach § 37 Abs. 2 SGB X)",
        4,
        1,
        0,
        True,
    ),
    ("klagefrist", "Klagefrist (§ 87 SGG)", 4, 1, 0, True),
    ("jahresfrist", "Jahresfrist ohne Rechtsbehelfsbelehrung (§ 66 Abs. 2 SGG)", 4, 12, 0, True),
    ("anhoerung", "Anhörungsfrist (§ 24 SGB X, zwei Wochen)", 4, 0, 14, True),
    ("mitwirkung", "Mitwirkungsfrist (§ 66 SGB I, vier Wochen)", 4, 0, 28, True),
    (
        "weiterbewilligung",
        "Weiterbewilligung (Ende Bewilligungszeitraum, zwölf Monate)",
        0,
        12,
        0,
        False,
    ),
]


# The Fachverfahren each kind of Mandant runs, and so the sections of its default
# Aktenplan: a Jobcenter files SGB II, never Jugendhilfe or Infektionsschutz.
MODULES_BY_KIND: dict[str, frozenset[str]] = {
    Mandant.Kind.JOBCENTER: frozenset({Module.SGB2}),
    Mandant.Kind.KREIS: frozenset({Module.SGB8, Module.SGB9, Module.SGB12, Module.IFSG}),
    Mandant.Kind.GEMEINDE: frozenset({Module.SGB8, Module.SGB9, Module.SGB12, Module.IFSG}),
}
# A Kreis or Stadt with named offices files what its offices do.
OFFICE_MODULES: dict[str, frozenset[str]] = {
    "jugendamt": frozenset({Module.SGB8}),
    "gesundheitsamt": frozenset({Module.IFSG}),
    "sozialamt": frozenset({Module.SGB9, Module.SGB12}),
}


def modules_of(tenant: Mandant) -> frozenset[str]:
    """The Fachverfahren of ``tenant``: its offices' where it has offices we know (Jugendamt,
    Gesundheitsamt, Sozialamt), else every one its kind may run; Allgemein always."""
    allowed = MODULES_BY_KIND.get(tenant.kind, frozenset())
    names = [name.lower() for name in units_of(tenant).values_list("name", flat=True)]
    offices = frozenset().union(
        *(modules for office, modules in OFFICE_MODULES.items() if any(office in n for n in names))
    )
    return (offices & allowed or allowed) | {Module.ALLGEMEIN}


def aktenplan_for(tenant: Mandant, text: str) -> str:
    """The lines of an Aktenplan CSV (``;``, a header with ``kennzeichen``,
    ``uebergeordnet`` and ``modul``) that belong to ``tenant``: sections of its
    Fachverfahren, and general sections only where they hold one of those or stand alone."""
    modules = modules_of(tenant)
    lines = text.splitlines()
    if not lines:
        return text
    rows = [dict(zip(_fields(lines[0]), _fields(line), strict=False)) for line in lines[1:]]
    parent = {r.get("kennzeichen", ""): r.get("uebergeordnet", "") for r in rows}
    has_children = set(parent.values())
    kept: set[str] = set()
    for row in rows:
        if row.get("modul") in modules - {Module.ALLGEMEIN}:
            code = row.get("kennzeichen", "")
            while code and code not in kept:  # the section and the groups above it
                kept.add(code)
                code = parent.get(code, "")
    for row in rows:
        code = row.get("kennzeichen", "")
        if row.get("modul") == Module.ALLGEMEIN and code not in has_children:
            kept.add(code)
    chosen = [
        line for line, row in zip(lines[1:], rows, strict=True) if row.get("kennzeichen") in kept
    ]
    return "\n".join([lines[0], *chosen]) + "\n"


def _fields(line: str) -> list[str]:
    return next(csv.reader([line], delimiter=";"), [])


def install(*, actor: Actor | None, tenant: Mandant) -> int:
    """Create the default types and rules the Mandant does not have yet; returns how many."""
    created = 0
    with transaction.atomic():
        for module, types in VORGANG_TYPEN.items():
            for code, label in types:
                _, new = VorgangTyp.objects.for_tenant(tenant).get_or_create(
                    tenant=tenant, module=module, code=code, defaults={"label": label}
                )
                created += int(new)
        for code, label, notification_days, months, days, shift in FRIST_REGELN:
            _, new = FristRegel.objects.for_tenant(tenant).get_or_create(
                tenant=tenant,
                code=code,
                defaults={
                    "label": label,
                    "notification_days": notification_days,
                    "months": months,
                    "days": days,
                    "shift_to_workday": shift,
                },
            )
            created += int(new)
        if created:
            audit.record(
                actor=actor,
                tenant_id=tenant.pk,
                action="records.defaults.install",
                obj=("mandant", tenant.pk),
                changes={"created": created},
            )
    return created


def ausstattung(*, actor: Actor | None, tenant: Mandant) -> list[str]:
    """A new Mandant's E-Akte (``tenancy.ausstattung``): the default types and rules; its
    Aktenplan is its own, imported as CSV on the page „Aktenplan“."""
    created = install(actor=actor, tenant=tenant)
    return [
        f"E-Akte: {created} Vorgangstypen und Fristregeln angelegt.",
        "E-Akte: den Aktenplan als CSV auf der Seite „Aktenplan“ einlesen.",
    ]
