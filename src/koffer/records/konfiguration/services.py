"""Configuration of the E-Akte by the Mandant's administration: Vorgangstypen per module
and Fristregeln. Both are data (defaults.py seeds them); every write is one transaction
with one audit event. Codes are fixed once created: the API and the Fristen refer to them.
Changing a rule does not move Fristen already computed from it (they keep their date)."""

from __future__ import annotations

import re
from typing import Any

from django.db import transaction

from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.records.errors import RecordsConflict, RecordsError
from koffer.records.models import FristRegel, Module, VorgangTyp
from koffer.tenancy.models import Mandant

CODE = re.compile(r"[a-z0-9][a-z0-9_-]{0,39}")
MAX_NOTIFICATION_DAYS = 30
MAX_MONTHS = 120
MAX_DAYS = 3650


def _code(code: str) -> str:
    code = code.strip()
    if not CODE.fullmatch(code):
        raise RecordsError(
            "code_invalid",
            "Der Code besteht aus höchstens 40 Kleinbuchstaben, Ziffern, „-“ oder „_“ "
            "und beginnt mit einem Buchstaben oder einer Ziffer.",
        )
    return code


def _label(label: str) -> str:
    label = label.strip()
    if not label:
        raise RecordsError("label_required", "Bitte geben Sie eine Bezeichnung an.")
    return label[:120]


def create_vorgang_typ(
    *, actor: Actor | None, tenant: Mandant, module: str, code: str, label: str
) -> VorgangTyp:
    """A new kind of Vorgang for one module; the code is unique within the module
    (``actor`` None: the system, e.g. the demo loader for a Mandant without an
    administration)."""
    if module not in Module.values:
        raise RecordsError("module_unknown", "Dieses Fachverfahren gibt es nicht.")
    code, label = _code(code), _label(label)
    if VorgangTyp.objects.for_tenant(tenant).filter(module=module, code=code).exists():
        raise RecordsConflict(
            "code_taken", f"Den Code „{code}“ gibt es in diesem Fachverfahren bereits."
        )
    with transaction.atomic():
        typ = VorgangTyp.objects.create(tenant=tenant, module=module, code=code, label=label)
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="records.vorgangtyp.create",
            obj=typ,
            changes={"module": module, "code": code, "label": label},
        )
    return typ


def change_vorgang_typ(
    *, actor: Actor, typ: VorgangTyp, label: str | None = None, is_active: bool | None = None
) -> VorgangTyp:
    """Rename a Vorgangstyp or take it out of use (existing Vorgänge keep it). What is
    None stays as it is (the API changes only the fields it was sent)."""
    label = _label(typ.label if label is None else label)
    is_active = typ.is_active if is_active is None else is_active
    old = {"label": typ.label, "is_active": typ.is_active}
    new = {"label": label, "is_active": is_active}
    changes = audit.diff(old, new)
    if not changes:
        return typ
    with transaction.atomic():
        typ.label, typ.is_active = label, is_active
        typ.save(update_fields=["label", "is_active"])
        audit.record(
            actor=actor,
            tenant_id=typ.tenant_id,
            action="records.vorgangtyp.change",
            obj=typ,
            changes=changes,
        )
    return typ


def _rule_numbers(notification_days: int, months: int, days: int) -> None:
    if not (
        0 <= notification_days <= MAX_NOTIFICATION_DAYS
        and 0 <= months <= MAX_MONTHS
        and 0 <= days <= MAX_DAYS
    ):
        raise RecordsError(
            "rule_out_of_range",
            f"Erlaubt sind 0 bis {MAX_NOTIFICATION_DAYS} Tage bis zur Bekanntgabe, "
            f"0 bis {MAX_MONTHS} Monate und 0 bis {MAX_DAYS} Tage.",
        )
    if months == 0 and days == 0:
        raise RecordsError("rule_empty", "Eine Fristregel braucht eine Dauer: Monate oder Tage.")


def create_frist_regel(
    *,
    actor: Actor | None,
    tenant: Mandant,
    code: str,
    label: str,
    notification_days: int = 0,
    months: int = 0,
    days: int = 0,
    shift_to_workday: bool = True,
) -> FristRegel:
    """A new deadline rule: optionally days from posting to notification (§ 37 Abs. 2
    SGB X), then months and days, moved off weekends and holidays if ``shift_to_workday``."""
    code, label = _code(code), _label(label)
    _rule_numbers(notification_days, months, days)
    if FristRegel.objects.for_tenant(tenant).filter(code=code).exists():
        raise RecordsConflict("code_taken", f"Eine Fristregel „{code}“ gibt es bereits.")
    with transaction.atomic():
        regel = FristRegel.objects.create(
            tenant=tenant,
            code=code,
            label=label,
            notification_days=notification_days,
            months=months,
            days=days,
            shift_to_workday=shift_to_workday,
        )
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="records.fristregel.create",
            obj=regel,
            changes=rule_state(regel),
        )
    return regel


def change_frist_regel(
    *,
    actor: Actor,
    regel: FristRegel,
    label: str | None = None,
    notification_days: int | None = None,
    months: int | None = None,
    days: int | None = None,
    shift_to_workday: bool | None = None,
) -> FristRegel:
    """Change a rule for Fristen computed from now on; the old values stay in the audit.
    What is None stays as it is (the API changes only the fields it was sent)."""
    old = rule_state(regel)
    given: dict[str, Any] = {
        "label": label,
        "notification_days": notification_days,
        "months": months,
        "days": days,
        "shift_to_workday": shift_to_workday,
    }
    new: dict[str, Any] = {
        name: old[name] if value is None else value for name, value in given.items()
    }
    new["label"] = _label(new["label"])
    _rule_numbers(new["notification_days"], new["months"], new["days"])
    changes = audit.diff(old, new)
    if not changes:
        return regel
    with transaction.atomic():
        for name, value in new.items():
            setattr(regel, name, value)
        regel.save(update_fields=list(new))
        audit.record(
            actor=actor,
            tenant_id=regel.tenant_id,
            action="records.fristregel.change",
            obj=regel,
            changes=changes,
        )
    return regel


def rule_state(regel: FristRegel) -> dict[str, Any]:
    """What a Fristregel's change form and its audit show: everything but the code."""
    return {
        "label": regel.label,
        "notification_days": regel.notification_days,
        "months": regel.months,
        "days": regel.days,
        "shift_to_workday": regel.shift_to_workday,
    }
