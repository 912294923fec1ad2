"""Every read of the Rückscan: the Akten the actor may print Deckblätter for, the
Standort each unit belongs to, where a Rückscan document goes (its Deckblatt's Akte), and
the rollout per Standort (:class:`Stand`, one per Standort, so a column such as
„importiert“ is one more field)."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.inbox.migration.selectors import imported_per_standort
from koffer.inbox.models import Eingangsdokument, Rueckscanakte, Stapel
from koffer.inbox.rueckscan import deckblatt
from koffer.inbox.verarbeitung import dokumentart, merkmale
from koffer.inbox.verarbeitung.schritte import Einschaetzung, Entscheidung
from koffer.records import access as records_access
from koffer.records.models import AccessLevel, Akte
from koffer.tenancy.models import Mandant, Organisationseinheit

# One print run, answered in the request: typst sets a sheet in about 22 ms (200 sheets
# 4.4 s, 1.1 MB; measured here), so a larger unit is printed in parts.
MAX_SHEETS = 200
OPEN_PROBLEMS = (Eingangsdokument.State.ZU_PRUEFEN, Eingangsdokument.State.QUARANTAENE)


# --- Standorte ---------------------------------------------------------------------------


def standorte(tenant: Mandant | uuid.UUID) -> dict[uuid.UUID, Organisationseinheit]:
    """Every unit of the Mandant -> its Standort: the nearest unit of kind Standort above
    it (or itself), else the unit itself (a Mandant without Standorte counts per unit)."""
    units = {u.pk: u for u in Organisationseinheit.objects.for_tenant(tenant)}
    found: dict[uuid.UUID, Organisationseinheit] = {}
    for unit in units.values():
        chain = [uuid.UUID(p) for p in unit.path.strip("/").split("/") if p]
        above = [units[i] for i in reversed(chain) if i in units]
        found[unit.pk] = next(
            (u for u in above if u.kind == Organisationseinheit.Kind.STANDORT), unit
        )
    return found


# --- Akten to print for -------------------------------------------------------------------


def printable(access: Access | None, user_id: uuid.UUID | None, tenant: Mandant) -> QuerySet[Akte]:
    """Open Akten the actor may print a Deckblatt for (``access`` None: the system, every
    one), by Aktenzeichen: those it may read, and for the mail room also every Akte that
    is not restricted. The mail room pulls the paper files from the shelves and files
    into Akten it may not read (``klaerung.selectors.find_akten``); a Deckblatt shows no
    more than that search does (Aktenzeichen, title, unit)."""
    if access is None:
        readable = Q()
    else:
        readable = records_access.akten_q(access, user_id)
        if access.can(Perm.INBOX_PROCESS):
            readable |= ~Q(access_level=AccessLevel.RESTRICTED)
    return (
        Akte.objects.for_tenant(tenant)
        .filter(readable, status=Akte.Status.OPEN)
        .select_related("unit")
        .order_by("aktenzeichen")
    )


def akten_for_print(
    access: Access | None,
    user_id: uuid.UUID | None,
    tenant: Mandant,
    *,
    akte_ids: Sequence[uuid.UUID] = (),
    unit_id: uuid.UUID | None = None,
) -> tuple[list[Akte], list[uuid.UUID]]:
    """The Akten named by ``akte_ids`` and every printable Akte in ``unit_id`` and below
    (a Standort, a team); and the ids named that the actor may not read or that do not
    exist (both look the same). Sorted by unit, then Aktenzeichen: a site's shelves."""
    readable = printable(access, user_id, tenant)
    chosen: dict[uuid.UUID, Akte] = {}
    if akte_ids:
        chosen.update({a.pk: a for a in readable.filter(pk__in=list(akte_ids))})
    if unit_id is not None:
        unit = Organisationseinheit.objects.for_tenant(tenant).filter(pk=unit_id).first()
        if unit is not None:
            chosen.update({a.pk: a for a in readable.filter(unit_path__startswith=unit.path)})
    missing = [i for i in dict.fromkeys(akte_ids) if i not in chosen]
    akten = sorted(chosen.values(), key=lambda a: (a.unit.path, a.aktenzeichen))
    return akten, missing


def units(tenant: Mandant) -> list[Organisationseinheit]:
    return list(Organisationseinheit.objects.for_tenant(tenant).order_by("path"))


def planned(tenant: Mandant, akten: Iterable[Akte]) -> dict[uuid.UUID, Rueckscanakte]:
    """The Rückscan rows of ``akten`` (planned or scanned), by Akte id."""
    ids = [a.pk for a in akten]
    rows = Rueckscanakte.objects.for_tenant(tenant).filter(akte_id__in=ids)
    return {r.akte_id: r for r in rows}


# --- where a Rückscan document goes ----------------------------------------------------------

EINSCHAETZUNG = Einschaetzung(
    antwortcode=None,
    merkmale=merkmale.Merkmale([], [], [], [], [], None),
    art=dokumentart.Art(dokumentart.RUECKSCAN, 1.0, ["Deckblatt eines Rückscans"]),
    vorschlaege=[],
)


def rule(aktenzeichen: str) -> str:
    return f"Rückscan: Deckblatt AZ {aktenzeichen}"


def sheet_of(codes: Sequence[dict[str, Any]], tenant_id: uuid.UUID) -> deckblatt.Deckblatt | None:
    """The Deckblatt a Rückscan document starts with (its first Deckblatt code)."""
    for code in codes:
        found = deckblatt.read(str(code.get("text", "")), tenant_id)
        if found is not None:
            return found
    return None


def decide(tenant_id: uuid.UUID, codes: Sequence[dict[str, Any]]) -> Entscheidung:
    """The Akte of the document's Deckblatt, or triage with the reason. The QR code is
    certain: no kind, no suggestion, no threshold."""
    sheet = sheet_of(codes, tenant_id)
    if sheet is None:
        return Entscheidung(
            None, None, "", "Rückscan: Seiten ohne Deckblatt davor. Bitte einer Akte zuordnen."
        )
    if not sheet.valid:
        return Entscheidung(
            None,
            None,
            "",
            f"Rückscan: Das Deckblatt „{sheet.aktenzeichen}“ ist nicht gültig (verändert, "
            "oder von einem anderen Mandanten). Bitte die Akte prüfen und zuordnen.",
        )
    akte = Akte.objects.for_tenant(tenant_id).filter(aktenzeichen=sheet.aktenzeichen).first()
    if akte is None:
        return Entscheidung(
            None,
            None,
            "",
            f"Rückscan: Eine Akte mit dem Aktenzeichen {sheet.aktenzeichen} (Deckblatt) "
            "gibt es nicht.",
        )
    return Entscheidung(akte.pk, None, rule(sheet.aktenzeichen), "")


# --- the rollout per Standort ----------------------------------------------------------------


@dataclass(frozen=True)
class Stand:
    """The Rückscan of one Standort: Akten planned (a Deckblatt printed, or scanned
    without one), scanned, and Rückscan documents that wait in triage or quarantine.
    ``importiert``: Akten taken over from the previous software (``inbox.migration``);
    None for a unit that is no Standort."""

    standort_id: uuid.UUID | None
    name: str
    geplant: int
    gescannt: int
    probleme: int
    importiert: int | None = None

    @property
    def offen(self) -> int:
        return self.geplant - self.gescannt


def rollout(tenant: Mandant) -> list[Stand]:
    """One :class:`Stand` per Standort with any Rückscan or imported Akte, by name;
    documents waiting without an Akte count at the Standort of the team whose queue
    holds them; Akten imported from the previous software (``migration``) at the Standort
    they lie in. Five queries, whatever the number of Akten."""
    sites = standorte(tenant)
    counts: dict[uuid.UUID, dict[str, int]] = {}
    rows = (
        Rueckscanakte.objects.for_tenant(tenant)
        .values("standort_id", "state")
        .annotate(n=Count("pk"))
    )
    for row in rows:
        site = sites[row["standort_id"]].pk if row["standort_id"] in sites else row["standort_id"]
        slot = counts.setdefault(site, {"geplant": 0, "gescannt": 0, "probleme": 0})
        slot["geplant"] += row["n"]
        if row["state"] == Rueckscanakte.State.GESCANNT:
            slot["gescannt"] += row["n"]
    waiting = (
        Eingangsdokument.objects.for_tenant(tenant)
        .filter(stapel__art=Stapel.Art.RUECKSCAN, state__in=OPEN_PROBLEMS)
        .values("akte__unit_id", "unit_id")
        .annotate(n=Count("pk"))
    )
    for row in waiting:
        unit_id = row["akte__unit_id"] or row["unit_id"]
        site = sites[unit_id].pk if unit_id in sites else unit_id
        slot = counts.setdefault(site, {"geplant": 0, "gescannt": 0, "probleme": 0})
        slot["probleme"] += row["n"]
    imported = {site: n for site, n in imported_per_standort(tenant).items() if n}
    for site in imported:
        counts.setdefault(site, {"geplant": 0, "gescannt": 0, "probleme": 0})
    names = {u.pk: u.name for u in sites.values()}
    real = {u.pk for u in sites.values() if u.kind == Organisationseinheit.Kind.STANDORT}
    found = [
        Stand(
            site,
            names.get(site, "ohne Standort"),
            **numbers,
            importiert=imported.get(site, 0) if site in real else None,
        )
        for site, numbers in counts.items()
    ]
    return sorted(found, key=lambda s: s.name)


def total(staende: Sequence[Stand]) -> Stand:
    """The sum over all Standorte (the table's last row)."""
    imported = [s.importiert for s in staende if s.importiert is not None]
    return Stand(
        None,
        "Insgesamt",
        sum(s.geplant for s in staende),
        sum(s.gescannt for s in staende),
        sum(s.probleme for s in staende),
        sum(imported) if imported else None,
    )
