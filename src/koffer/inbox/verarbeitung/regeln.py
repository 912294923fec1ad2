"""The Mandant's rules for the pipeline, with their defaults: the confidence above which a
document is filed without a person looking, the separator sheet's code, when the
Wiedervorlage is due, and what filing a document of a kind does beyond it (an objection
opens a Widerspruch-Vorgang with three months to decide, § 88 Abs. 2 SGG).

What a valid rule is, is said once here (``regeln_problems``, ``artregel_problems``): the
services refuse what they name, the rules page shows them beside its fields, the API
answers them as 422."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass

from koffer.inbox.models import Artregel, Verarbeitungsregel

DEFAULT_THRESHOLD = 0.9
DEFAULT_SEPARATOR = r"^KOFFER-TRENNBLATT$"
# Paper originals may be destroyed eight weeks after the batch's passed check (issue 15).
DEFAULT_AUFBEWAHRUNG_WOCHEN = 8
THRESHOLD_PERCENT = (50, 100)
WIEDERVORLAGE_DAYS = (0, 30)
FRIST_MONTHS = (0, 24)
FRIST_DAYS = (0, 365)
AUFBEWAHRUNG_WOCHEN = (0, 520)
MAX_TEXT = 200  # the separator pattern and a Frist's name


def _outside(value: float, bounds: tuple[int, int]) -> bool:
    return not bounds[0] <= value <= bounds[1]


def regeln_problems(
    *,
    auto_threshold: float,
    separator_pattern: str,
    wiedervorlage_days: int,
    aufbewahrung_wochen: int | None = None,
) -> dict[str, str]:
    """What is wrong with the Mandant's rules, field by field (German); empty: valid.
    ``auto_threshold`` is a share (0.9 for 90 %)."""
    found = {}
    if _outside(round(auto_threshold * 100, 6), THRESHOLD_PERCENT):
        low, high = THRESHOLD_PERCENT
        found["auto_threshold"] = f"Die Sicherheit liegt zwischen {low} und {high} Prozent."
    pattern = separator_pattern.strip()
    if not pattern:
        found["separator_pattern"] = "Bitte geben Sie das Muster des Trennblatt-Codes an."
    elif len(pattern) > MAX_TEXT:
        found["separator_pattern"] = f"Das Muster hat höchstens {MAX_TEXT} Zeichen."
    else:
        try:
            re.compile(pattern)
        except re.error as exc:
            found["separator_pattern"] = (
                f"Das Muster ist kein gültiger regulärer Ausdruck ({exc.msg})."
            )
    if _outside(wiedervorlage_days, WIEDERVORLAGE_DAYS):
        low, high = WIEDERVORLAGE_DAYS
        found["wiedervorlage_days"] = (
            f"Die Wiedervorlage liegt {low} bis {high} Tage nach der Ablage."
        )
    found.update(_weeks_problem(aufbewahrung_wochen))
    return found


def _weeks_problem(weeks: int | None) -> dict[str, str]:
    if weeks is None or not _outside(weeks, AUFBEWAHRUNG_WOCHEN):
        return {}
    low, high = AUFBEWAHRUNG_WOCHEN
    return {"aufbewahrung_wochen": f"Papieroriginale bleiben {low} bis {high} Wochen aufbewahrt."}


def artregel_problems(
    *,
    kind: str,
    frist_label: str,
    frist_months: int,
    frist_days: int,
    kinds: dict[str, str],
    aufbewahrung_wochen: int | None = None,
) -> dict[str, str]:
    """What is wrong with the rule for one kind of document, field by field (German)."""
    found = {}
    if kind not in kinds:
        found["kind"] = f"Die Dokumentart „{kind}“ gibt es nicht."
    if len(frist_label.strip()) > MAX_TEXT:
        found["frist_label"] = f"Der Name der Frist hat höchstens {MAX_TEXT} Zeichen."
    elif (frist_months or frist_days) and not frist_label.strip():
        found["frist_label"] = "Bitte benennen Sie die Frist."
    if _outside(frist_months, FRIST_MONTHS):
        found["frist_months"] = f"Die Frist hat {FRIST_MONTHS[0]} bis {FRIST_MONTHS[1]} Monate."
    if _outside(frist_days, FRIST_DAYS):
        found["frist_days"] = f"Die Frist hat {FRIST_DAYS[0]} bis {FRIST_DAYS[1]} Tage."
    found.update(_weeks_problem(aufbewahrung_wochen))
    return found


@dataclass(frozen=True)
class Regeln:
    auto_threshold: float = DEFAULT_THRESHOLD
    separator_pattern: str = DEFAULT_SEPARATOR
    wiedervorlage_days: int = 0
    aufbewahrung_wochen: int = DEFAULT_AUFBEWAHRUNG_WOCHEN


@dataclass(frozen=True)
class Folge:
    """What filing a document of one kind opens: a Vorgang of the type ``vorgang_typ``
    (its code, looked up in the Akte's module) with a Frist."""

    vorgang_typ_code: str
    frist_label: str
    frist_months: int
    frist_days: int


DEFAULT_FOLGEN = {
    "widerspruch": Folge(
        "widerspruch", "Entscheidung über den Widerspruch (§ 88 Abs. 2 SGG)", 3, 0
    ),
}


def regeln(tenant_id: uuid.UUID) -> Regeln:
    row = Verarbeitungsregel.objects.for_tenant(tenant_id).first()
    if row is None:
        return Regeln()
    return Regeln(
        row.auto_threshold,
        row.separator_pattern,
        row.wiedervorlage_days,
        row.aufbewahrung_wochen,
    )


def aufbewahrung_je_art(tenant_id: uuid.UUID) -> dict[str, int]:
    """The kinds whose paper originals are kept for other than the default weeks."""
    return dict(
        Artregel.objects.for_tenant(tenant_id)
        .filter(aufbewahrung_wochen__isnull=False)
        .values_list("kind", "aufbewahrung_wochen")
    )


def folge(tenant_id: uuid.UUID, kind: str) -> Folge | None:
    """The Mandant's rule for ``kind`` (a row without Vorgangstyp: nothing beyond the
    Wiedervorlage), else the default."""
    row = (
        Artregel.objects.for_tenant(tenant_id)
        .filter(kind=kind)
        .select_related("vorgang_typ")
        .first()
    )
    if row is None:
        return DEFAULT_FOLGEN.get(kind)
    if row.vorgang_typ is None:
        return None
    return Folge(row.vorgang_typ.code, row.frist_label, row.frist_months, row.frist_days)


@dataclass(frozen=True)
class Stand:
    """One kind's rule as it holds: the Mandant's own (``own``) or the default."""

    kind: str
    folge: Folge | None
    own: bool
    vorgang_typ_id: uuid.UUID | None
    aufbewahrung_wochen: int | None = None  # None: the Mandant's default


def stand(tenant_id: uuid.UUID, kinds: Iterable[str]) -> list[Stand]:
    """Each of ``kinds`` with what filing it opens, in one query."""
    rows = {r.kind: r for r in Artregel.objects.for_tenant(tenant_id).select_related("vorgang_typ")}
    found = []
    for kind in kinds:
        row = rows.get(kind)
        if row is None:
            found.append(Stand(kind, DEFAULT_FOLGEN.get(kind), False, None))
        elif row.vorgang_typ is None:
            found.append(Stand(kind, None, True, None, row.aufbewahrung_wochen))
        else:
            rule = Folge(row.vorgang_typ.code, row.frist_label, row.frist_months, row.frist_days)
            found.append(Stand(kind, rule, True, row.vorgang_typ_id, row.aufbewahrung_wochen))
    return found
