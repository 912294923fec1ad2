"""The Mandant's rules for the pipeline, with their defaults: the confidence above which a
document is filed without a person looking, the separator sheet's code, when the
Wiedervorlage is due, and what filing a document of a kind does beyond it (an objection
opens a Widerspruch-Vorgang with three months to decide, § 88 Abs. 2 SGG)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from koffer.inbox.models import Artregel, Verarbeitungsregel

DEFAULT_THRESHOLD = 0.9
DEFAULT_SEPARATOR = r"^KOFFER-TRENNBLATT$"
# Paper originals may be destroyed eight weeks after the batch's passed check (issue 15).
DEFAULT_AUFBEWAHRUNG_WOCHEN = 8


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
