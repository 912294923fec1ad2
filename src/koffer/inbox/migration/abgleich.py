"""Each row of the export compared with what koffer holds, by the same rules in the dry
run and in the import: rejected (with file, line, column, value and a German reason),
new, changed, or unchanged. The import then writes through the E-Akte's services, so
every Person, Bedarfsgemeinschaft and Akte is audited like one entered by hand, and keeps
the old system's key beside it (:class:`Altsystemschluessel`), which makes a re-run
create nothing twice.

Rules that need the whole export (a key twice, a Kundennummer twice) are decided from the
files alone, so a run resumed after a crash decides them exactly as before. Rows are
compared in chunks; what a chunk needs from the database is loaded for its keys only.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from koffer import identifiers
from koffer.inbox.migration import dateien
from koffer.inbox.migration.dateien import AKTE, BG, PERSON, Zeile
from koffer.inbox.models import Altsystemschluessel, Importlauf
from koffer.records import services as records
from koffer.records.errors import RecordsError
from koffer.records.models import Akte, Aktenplaneinheit, Bedarfsgemeinschaft, BgMitglied, Person
from koffer.tenancy.models import Mandant, Organisationseinheit

BERLIN = ZoneInfo("Europe/Berlin")
NEU = "neu"
GEAENDERT = "geaendert"
UNVERAENDERT = "unveraendert"
ABGELEHNT = "abgelehnt"
ERGEBNISSE = (NEU, GEAENDERT, UNVERAENDERT, ABGELEHNT)
ATTACH_REASON = "Migration aus dem Altsystem"
MAX_KEY = 100
ROLLEN = {
    "antragsteller": BgMitglied.Rolle.ANTRAGSTELLER,
    "antragstellerin": BgMitglied.Rolle.ANTRAGSTELLER,
    "antragsteller/in": BgMitglied.Rolle.ANTRAGSTELLER,
    "partner": BgMitglied.Rolle.PARTNER,
    "partnerin": BgMitglied.Rolle.PARTNER,
    "partner/in": BgMitglied.Rolle.PARTNER,
    "kind": BgMitglied.Rolle.KIND,
    "sonstige": BgMitglied.Rolle.SONSTIGE,
    "sonstige person": BgMitglied.Rolle.SONSTIGE,
}


@dataclass(frozen=True)
class Ablehnung:
    datei: str
    zeile: int
    spalte: str
    wert: str
    grund: str

    @property
    def text(self) -> str:
        where = f"{self.datei}, Zeile {self.zeile}"
        if self.spalte:
            where += f", Spalte {self.spalte}"
        if self.wert:
            where += f", Wert „{self.wert}“"
        return f"{where}: {self.grund}"


class ImportActor:
    """Who the E-Akte's audit names for an imported object: the import run, and who
    started it (a person may not be allowed to open Akten in every unit the export
    names; the import opens them where its data says, as the system)."""

    def __init__(self, lauf: Importlauf | None) -> None:
        self.pk: Any = None
        started = f", gestartet von {lauf.created_by}" if lauf and lauf.created_by_id else ""
        self.label = f"Migration aus dem Altsystem{started}"[:200]

    def __str__(self) -> str:
        return self.label


class Rejected(Exception):
    def __init__(self, spalte: str, wert: str, grund: str) -> None:
        super().__init__(grund)
        self.spalte = spalte
        self.wert = wert[: dateien.MAX_CELL]
        self.grund = grund


@dataclass
class Zaehlung:
    """Counts per kind of file and result."""

    je_art: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))

    def add(self, art: str, ergebnis: str) -> None:
        self.je_art[art][ergebnis] += 1

    def total(self, ergebnis: str) -> int:
        return sum(c[ergebnis] for c in self.je_art.values())

    def as_json(self) -> dict[str, Any]:
        return {
            **{e: self.total(e) for e in ERGEBNISSE},
            "je_art": {a: {e: c[e] for e in ERGEBNISSE} for a, c in self.je_art.items()},
        }


def duplicates(rows: list[Zeile]) -> dict[tuple[str, int], Ablehnung]:
    """Rows whose key (or Kundennummer, or BG membership) an earlier row of the export
    already has: the first one wins, later ones are rejected."""
    seen: dict[tuple[str, str, str], int] = {}
    found: dict[tuple[str, int], Ablehnung] = {}
    for z in rows:
        checks: list[tuple[str, str]] = []
        if z.art == PERSON:
            checks = [("person_id", z["person_id"])]
            if z["kundennummer"]:
                checks.append(
                    ("kundennummer", identifiers.normalise_kundennummer(z["kundennummer"]))
                )
        elif z.art == BG:
            checks = [("bg_nummer+person_id", f"{z['bg_nummer']}\0{z['person_id']}")]
        elif z.art == AKTE:
            checks = [("akte_id", z["akte_id"])]
        for column, value in checks:
            if not value.strip("\0"):
                continue
            first = seen.setdefault((z.art, column, value), z.nummer)
            if first != z.nummer and (z.datei, z.nummer) not in found:
                shown = column.split("+")[0]
                found[(z.datei, z.nummer)] = Ablehnung(
                    z.datei,
                    z.nummer,
                    shown,
                    value.split("\0")[0],
                    f"doppelter Schlüssel: schon in Zeile {first}"
                    if column != "kundennummer"
                    else f"Kundennummer doppelt: schon in Zeile {first}",
                )
    return found


def _fingerprint(values: dict[str, Any]) -> str:
    text = json.dumps(values, sort_keys=True, default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class _Bestand:
    """What koffer holds for one chunk's keys, plus what earlier rows of this run created
    (really, or in the dry run only in thought)."""

    keys: dict[tuple[str, str], tuple[uuid.UUID, str]] = field(default_factory=dict)
    key_of: dict[tuple[str, uuid.UUID], str] = field(default_factory=dict)
    person_by_knr: dict[str, uuid.UUID] = field(default_factory=dict)
    bg_by_nummer: dict[str, uuid.UUID] = field(default_factory=dict)
    members: dict[uuid.UUID, dict[uuid.UUID, str]] = field(default_factory=dict)
    akte_bg: dict[uuid.UUID, uuid.UUID | None] = field(default_factory=dict)

    def remember(self, art: str, key: str, pk: uuid.UUID, fp: str) -> None:
        self.keys[(art, key)] = (pk, fp)
        self.key_of[(art, pk)] = key


class Abgleich:
    """Compares rows with koffer and, unless ``dry``, writes what they say."""

    def __init__(
        self,
        *,
        tenant: Mandant,
        rows: list[Zeile],
        default_unit: Organisationseinheit | None,
        lauf: Importlauf | None,
        dry: bool,
    ) -> None:
        self.tenant = tenant
        self.dry = dry
        self.lauf = lauf
        self.default_unit = default_unit
        self.doppelt = duplicates(rows)
        self.plans = {
            p.kennzeichen: p
            for p in Aktenplaneinheit.objects.for_tenant(tenant).filter(is_active=True)
        }
        self.units: dict[str, list[Organisationseinheit]] = defaultdict(list)
        for unit in Organisationseinheit.objects.for_tenant(tenant):
            self.units[unit.name.casefold()].append(unit)
        self.bestand = _Bestand()
        self.new_keys: list[Altsystemschluessel] = []
        self.actor = ImportActor(lauf)

    # --- one chunk -------------------------------------------------------------------------

    def chunk(self, rows: list[Zeile]) -> tuple[Zaehlung, list[Ablehnung]]:
        """Compare (and in a real run write) ``rows`` in order."""
        if not self.dry:
            self.bestand = _Bestand()  # a real run reads what committed steps wrote
        self.new_keys = []  # nothing left from a chunk whose transaction was rolled back
        self._load(rows)
        counts = Zaehlung()
        refused: list[Ablehnung] = []
        for z in rows:
            try:
                if (z.datei, z.nummer) in self.doppelt:
                    refused.append(self.doppelt[(z.datei, z.nummer)])
                    counts.add(z.art, ABGELEHNT)
                    continue
                result = {PERSON: self._person, BG: self._bg, AKTE: self._akte}[z.art](z)
            except Rejected as exc:
                refused.append(Ablehnung(z.datei, z.nummer, exc.spalte, exc.wert, exc.grund))
                counts.add(z.art, ABGELEHNT)
                continue
            counts.add(z.art, result)
        Altsystemschluessel.objects.bulk_create(self.new_keys, batch_size=500)
        self.new_keys = []
        return counts, refused

    def _load(self, rows: list[Zeile]) -> None:
        b = self.bestand
        person_keys: set[str] = set()
        knrs: set[str] = set()
        bg_nummern: set[str] = set()
        akte_keys: set[str] = set()
        for z in rows:
            if z.art == PERSON:
                person_keys.add(z["person_id"])
                if z["kundennummer"]:
                    knrs.add(identifiers.normalise_kundennummer(z["kundennummer"]))
            elif z.art == BG:
                person_keys.add(z["person_id"])
                bg_nummern.add(z["bg_nummer"])
            else:
                akte_keys.add(z["akte_id"])
                person_keys.update(_split(z["personen"]))
                if z["bg_nummer"]:
                    bg_nummern.add(z["bg_nummer"])
        wanted = {PERSON: person_keys, BG: bg_nummern, AKTE: akte_keys}
        mapped = Altsystemschluessel.objects.for_tenant(self.tenant)
        for art, keys in wanted.items():
            todo = [k for k in keys if (art, k) not in b.keys]
            for key, pk, fp in mapped.filter(art=art, schluessel__in=todo).values_list(
                "schluessel", "objekt_id", "fingerprint"
            ):
                b.remember(art, key, pk, fp)
        people = Person.objects.for_tenant(self.tenant)
        for pk, knr in people.filter(kundennummer__in=knrs - set(b.person_by_knr)).values_list(
            "pk", "kundennummer"
        ):
            b.person_by_knr.setdefault(knr, pk)
        owners = [pk for pk in b.person_by_knr.values() if (PERSON, pk) not in b.key_of]
        for key, pk in mapped.filter(art=PERSON, objekt_id__in=owners).values_list(
            "schluessel", "objekt_id"
        ):
            b.key_of[(PERSON, pk)] = key
        numbers = bg_nummern - set(b.bg_by_nummer)
        for pk, nummer in (
            Bedarfsgemeinschaft.objects.for_tenant(self.tenant)
            .filter(bg_nummer__in=numbers)
            .values_list("pk", "bg_nummer")
        ):
            b.bg_by_nummer[nummer] = pk
        bg_ids = [b.bg_by_nummer[n] for n in bg_nummern if n in b.bg_by_nummer]
        bg_ids += [b.keys[(BG, n)][0] for n in bg_nummern if (BG, n) in b.keys]
        new_bgs = [pk for pk in set(bg_ids) if pk not in b.members]
        for pk in new_bgs:
            b.members[pk] = {}
        for bg_id, person_id, rolle in (
            BgMitglied.objects.for_tenant(self.tenant)
            .filter(bg_id__in=new_bgs)
            .values_list("bg_id", "person_id", "rolle")
        ):
            b.members[bg_id][person_id] = rolle
        akte_ids = [b.keys[(AKTE, k)][0] for k in akte_keys if (AKTE, k) in b.keys]
        for pk, bg_id in (
            Akte.objects.for_tenant(self.tenant)
            .filter(pk__in=[a for a in akte_ids if a not in b.akte_bg])
            .values_list("pk", "bg_id")
        ):
            b.akte_bg[pk] = bg_id

    # --- persons ---------------------------------------------------------------------------

    def _person_values(self, z: Zeile) -> dict[str, Any]:
        key = _key(z, "person_id")
        family_name = _required(z, "familienname", 120)
        birth_date = _date(z, "geburtsdatum")
        if birth_date is not None and birth_date > timezone.localdate():
            raise Rejected("geburtsdatum", z["geburtsdatum"], "Geburtsdatum liegt in der Zukunft")
        knr = identifiers.normalise_kundennummer(z["kundennummer"])
        if knr and (problem := identifiers.kundennummer_problem(knr)):
            raise Rejected("kundennummer", z["kundennummer"], problem)
        plz = z["plz"]
        if plz and not (plz.isdigit() and len(plz) == 5):
            raise Rejected("plz", plz, "keine Postleitzahl (fünf Ziffern)")
        details: dict[str, str] = {}
        for column in records.PERSON_DETAILS:  # the columns have the fields' names
            try:
                details.update(records.clean_person_details(**{column: z[column]}))
            except RecordsError as exc:
                raise Rejected(column, z[column], exc.message) from exc
        return {
            # Only details the export fills: an export without these columns compares
            # (fingerprint) as before they existed.
            **{name: value for name, value in details.items() if value},
            "_key": key,
            "family_name": family_name,
            "given_names": _limited(z, "vornamen", 200),
            "birth_name": _limited(z, "geburtsname", 120),
            "birth_date": birth_date,
            "street": _limited(z, "strasse", 200),
            "postal_code": plz,
            "city": _limited(z, "ort", 120),
            "kundennummer": knr,
        }

    def _person(self, z: Zeile) -> str:
        values = self._person_values(z)
        key = values.pop("_key")
        fp = _fingerprint(values)
        b = self.bestand
        knr = values["kundennummer"]
        mapped = b.keys.get((PERSON, key))
        owner = b.person_by_knr.get(knr) if knr else None
        if owner is not None and mapped is not None and owner != mapped[0]:
            raise Rejected(
                "kundennummer",
                knr,
                "die Kundennummer hat in koffer schon eine andere Person"
                + (
                    f" (Schlüssel {b.key_of[(PERSON, owner)]})"
                    if (PERSON, owner) in b.key_of
                    else ""
                ),
            )
        if mapped is not None:
            if mapped[1] == fp:
                return UNVERAENDERT
            return self._person_again(key, mapped[0], values, fp, new_key=False)
        if owner is not None:
            other = b.key_of.get((PERSON, owner))
            if other is not None and other != key:
                raise Rejected(
                    "kundennummer",
                    knr,
                    f"die Kundennummer gehört schon zur Person mit dem Schlüssel {other}",
                )
            # A person entered in koffer before the migration: taken over, not doubled.
            return self._person_again(key, owner, values, fp, new_key=True)
        pk = uuid.uuid4()
        if not self.dry:
            pk = records.create_person(actor=self.actor, tenant=self.tenant, **values).pk
            self._map(PERSON, key, pk, fp, new=True)
        b.remember(PERSON, key, pk, fp)
        if knr:
            b.person_by_knr[knr] = pk
        return NEU

    def _person_again(
        self, key: str, pk: uuid.UUID, values: dict[str, Any], fp: str, *, new_key: bool
    ) -> str:
        """A person koffer has: what the export fills in replaces koffer's value; an empty
        cell keeps it (data entered in koffer is never blanked by an older export)."""
        person = Person.objects.for_tenant(self.tenant).get(pk=pk)
        wanted = {k: v for k, v in values.items() if v not in ("", None)}
        differs = any(getattr(person, k) != v for k, v in wanted.items())
        if not self.dry:
            if differs:
                records.change_person(actor=self.actor, person=person, **wanted)
            self._map(PERSON, key, pk, fp, new=new_key)
        self.bestand.remember(PERSON, key, pk, fp)
        return GEAENDERT if differs else UNVERAENDERT

    # --- Bedarfsgemeinschaften -----------------------------------------------------------

    def _bg(self, z: Zeile) -> str:
        nummer = _key(z, "bg_nummer", limit=30)
        person_key = _required(z, "person_id", MAX_KEY)
        rolle_text = _required(z, "rolle", 40)
        rolle = ROLLEN.get(rolle_text.casefold())
        if rolle is None:
            raise Rejected(
                "rolle", rolle_text, "unbekannte Rolle (antragsteller, partner, kind, sonstige)"
            )
        person_id = self._person_id(person_key, "person_id")
        b = self.bestand
        bg_id = b.keys.get((BG, nummer), (None, ""))[0] or b.bg_by_nummer.get(nummer)
        if bg_id is None:
            pk = uuid.uuid4()
            if not self.dry:
                person = Person.objects.for_tenant(self.tenant).get(pk=person_id)
                bg = records.create_bedarfsgemeinschaft(
                    actor=self.actor,
                    tenant=self.tenant,
                    members=[(person, rolle)],
                    bg_nummer=nummer,
                )
                pk = bg.pk
                self._map(BG, nummer, pk, "", new=True)
            b.remember(BG, nummer, pk, "")
            b.bg_by_nummer[nummer] = pk
            b.members[pk] = {person_id: rolle}
            return NEU
        members = b.members.setdefault(bg_id, {})
        if (BG, nummer) not in b.keys:
            # A BG entered in koffer before: its number is the key from now on.
            if not self.dry:
                self._map(BG, nummer, bg_id, "", new=True)
            b.remember(BG, nummer, bg_id, "")
        if person_id in members:
            if members[person_id] != rolle:
                raise Rejected(
                    "rolle",
                    rolle_text,
                    f"die Person gehört der Bedarfsgemeinschaft schon mit der Rolle "
                    f"„{BgMitglied.Rolle(members[person_id]).label}“ an; eine andere Rolle "
                    "übernimmt der Import nicht",
                )
            return UNVERAENDERT
        if rolle == BgMitglied.Rolle.ANTRAGSTELLER and BgMitglied.Rolle.ANTRAGSTELLER in set(
            members.values()
        ):
            raise Rejected(
                "rolle", rolle_text, "die Bedarfsgemeinschaft hat schon eine antragstellende Person"
            )
        if not self.dry:
            bg = Bedarfsgemeinschaft.objects.for_tenant(self.tenant).get(pk=bg_id)
            person = Person.objects.for_tenant(self.tenant).get(pk=person_id)
            records.add_bg_mitglied(actor=self.actor, bg=bg, person=person, rolle=rolle)
        members[person_id] = rolle
        return GEAENDERT

    # --- Akten -----------------------------------------------------------------------------

    def _akte(self, z: Zeile) -> str:
        key = _key(z, "akte_id")
        title = _required(z, "titel", 300)
        kennzeichen = _required(z, "aktenplan", 40)
        plan = self.plans.get(kennzeichen)
        if plan is None:
            raise Rejected("aktenplan", kennzeichen, "unbekannte Aktenplaneinheit")
        unit = self._unit(z)
        opened = _date(z, "eroeffnet_am")
        persons = [self._person_id(k, "personen") for k in _split(z["personen"])]
        b = self.bestand
        bg_id: uuid.UUID | None = None
        if z["bg_nummer"]:
            bg_id = b.keys.get((BG, z["bg_nummer"]), (None, ""))[0] or b.bg_by_nummer.get(
                z["bg_nummer"]
            )
            if bg_id is None:
                raise Rejected("bg_nummer", z["bg_nummer"], "unbekannte Bedarfsgemeinschaft")
        fp = _fingerprint(
            {
                "titel": title,
                "aktenplan": kennzeichen,
                "einheit": str(unit.pk),
                "personen": sorted(_split(z["personen"])),
                "eroeffnet_am": opened,
            }
        )
        mapped = b.keys.get((AKTE, key))
        if mapped is not None:
            return self._akte_again(z, key, mapped, fp, bg_id)
        pk = uuid.uuid4()
        if not self.dry:
            people = Person.objects.for_tenant(self.tenant).in_bulk(persons)
            bg = (
                Bedarfsgemeinschaft.objects.for_tenant(self.tenant).get(pk=bg_id) if bg_id else None
            )
            akte = records.create_akte(
                actor=self.actor,
                tenant=self.tenant,
                aktenplaneinheit=plan,
                unit=unit,
                title=title,
                subjects=[people[p] for p in dict.fromkeys(persons)],
                bg=bg,
                opened_at=datetime.combine(opened, time(8), BERLIN) if opened else None,
            )
            pk = akte.pk
            self._map(AKTE, key, pk, fp, new=True)
        b.remember(AKTE, key, pk, fp)
        b.akte_bg[pk] = bg_id
        return NEU

    def _akte_again(
        self,
        z: Zeile,
        key: str,
        mapped: tuple[uuid.UUID, str],
        fp: str,
        bg_id: uuid.UUID | None,
    ) -> str:
        """An Akte imported before: unchanged, or given its BG; other changes are left
        to the caseworkers (they may have moved or renamed it since)."""
        if mapped[1] != fp:
            raise Rejected(
                "akte_id",
                key,
                "die Akte wurde schon übernommen; geänderte Angaben zu Titel, Aktenplan, "
                "Einheit, Personen oder Eröffnung übernimmt der Import nicht (bitte in "
                "koffer ändern)",
            )
        current = self.bestand.akte_bg.get(mapped[0])
        if bg_id is None or current == bg_id:
            return UNVERAENDERT
        if current is not None:
            raise Rejected(
                "bg_nummer",
                z["bg_nummer"],
                "die Akte gehört in koffer schon zu einer anderen Bedarfsgemeinschaft",
            )
        if not self.dry:
            akte = Akte.objects.for_tenant(self.tenant).get(pk=mapped[0])
            records.attach_bedarfsgemeinschaft(
                actor=self.actor, akte=akte, bg_nummer=z["bg_nummer"], reason=ATTACH_REASON
            )
        self.bestand.akte_bg[mapped[0]] = bg_id
        return GEAENDERT

    def _unit(self, z: Zeile) -> Organisationseinheit:
        name = z["einheit"]
        if not name:
            if self.default_unit is None:
                raise Rejected(
                    "einheit",
                    "",
                    "Pflichtangabe fehlt, und für den Import ist keine Einheit gewählt",
                )
            return self.default_unit
        found = self.units.get(name.casefold(), [])
        if not found:
            raise Rejected("einheit", name, "unbekannte Organisationseinheit")
        if len(found) > 1:
            raise Rejected("einheit", name, "mehrere Organisationseinheiten heißen so")
        return found[0]

    # --- shared ----------------------------------------------------------------------------

    def _person_id(self, key: str, column: str) -> uuid.UUID:
        found = self.bestand.keys.get((PERSON, key))
        if found is None:
            raise Rejected(column, key, "unbekannte Person (nicht in personen.csv oder abgelehnt)")
        return found[0]

    def _map(self, art: str, key: str, pk: uuid.UUID, fp: str, *, new: bool) -> None:
        if new:
            # Written with the chunk's last statement (same transaction); rows of the
            # chunk find the key in ``bestand`` meanwhile.
            self.new_keys.append(
                Altsystemschluessel(
                    tenant=self.tenant,
                    art=art,
                    schluessel=key,
                    objekt_id=pk,
                    fingerprint=fp,
                    lauf=self.lauf,
                )
            )
        else:
            Altsystemschluessel.objects.for_tenant(self.tenant).filter(
                art=art, schluessel=key
            ).update(fingerprint=fp, lauf=self.lauf)


def _split(value: str) -> list[str]:
    return [p.strip() for p in value.replace("|", ",").split(",") if p.strip()]


def _required(z: Zeile, column: str, limit: int) -> str:
    value = z[column]
    if not value:
        raise Rejected(column, "", "Pflichtangabe fehlt")
    if len(value) > limit:
        raise Rejected(column, value, f"länger als {limit} Zeichen")
    return value


def _limited(z: Zeile, column: str, limit: int) -> str:
    value = z[column]
    if len(value) > limit:
        raise Rejected(column, value, f"länger als {limit} Zeichen")
    return value


def _key(z: Zeile, column: str, limit: int = MAX_KEY) -> str:
    return _required(z, column, limit)


def _date(z: Zeile, column: str) -> date | None:
    value = z[column]
    if not value:
        return None
    parsed = dateien.parse_date(value)
    if parsed is None:
        raise Rejected(column, value, "kein gültiges Datum (TT.MM.JJJJ)")
    return parsed


def in_chunks(rows: list[Zeile], size: int) -> Iterable[tuple[int, list[Zeile]]]:
    for start in range(0, len(rows), size):
        yield start // size, rows[start : start + size]
