"""Default Vorgang types per module and deadline rules a Mandant starts with. Both are
data: a Mandant changes them without new code."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from koffer.audit import services as audit
from koffer.records.models import FristRegel, Module, VorgangTyp
from koffer.tenancy.models import Mandant

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


def install(*, actor: Any, tenant: Mandant) -> int:
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
