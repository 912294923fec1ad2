"""Meldungen nach § 47 SGB VIII: a provider files its mandatory notifications (opening,
licence-relevant changes, special incidents, closing, the yearly occupancy report) with the
Landesjugendamt; the Landesjugendamt acknowledges them, asks back and closes them.

Who sees what: the filing Träger owns the row (``tenant``), the receiving Landesjugendamt
is its party (``jugendamt``): the Einrichtung's ``aufsicht`` or, where none is set, the one
active Landesjugendamt of the installation. Every write lands in both audit chains.

What stays fixed after filing: number, Art, dates, Betreff, Inhalt and Daten. Their
SHA-256 over a canonical JSON (:func:`inhalt_sha256`) is printed on the receipt (a PDF/A
stored in the blob store at filing, its hash in ``quittung_sha256``), so either side can
show later that the content is unchanged. Records are kept at least five full calendar
years after the year of filing (``aufbewahren_bis``).

The yearly report is computed from the Belegungen rows (:func:`prefill_jahresmeldung`);
the provider confirms the numbers before filing, and filing computes them again.
"""

from __future__ import annotations

import hashlib
import json
import logging
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import IO, Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from koffer import formats
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.blobs.store import BlobNotFound, get_store
from koffer.placements import access, events
from koffer.placements.errors import Conflict, NotFound, PlacementsError
from koffer.placements.meldungen.pdf import render_quittung
from koffer.placements.models import (
    Angebot,
    Belegung,
    Einrichtung,
    Geschlecht,
    Meldung,
    Platz,
    Traegerprofil,
)
from koffer.tenancy import counters
from koffer.tenancy.models import Mandant

logger = logging.getLogger("koffer.placements.meldungen")

Art = Meldung.Art
Status = Meldung.Status

# Days the Landesjugendamt has for its first reaction (acknowledge or ask back), counted
# from the day of filing. Override per installation with KOFFER_MELDUNG_FRIST_TAGE.
FRIST_TAGE: dict[str, int] = {
    Art.BETRIEBSAUFNAHME: 14,
    Art.AENDERUNG: 14,
    Art.VORKOMMNIS: 3,
    Art.SCHLIESSUNG: 14,
    Art.JAHRESMELDUNG: 30,
}
RETENTION_YEARS = 5
MAX_BETREFF = 200
MAX_INHALT = 20_000
MAX_ANTWORT = 5_000
MAX_DATEN_BYTES = 100_000
EARLIEST_YEAR = 2000
# A planned opening, change or closing may be announced this far ahead.
MAX_DAYS_AHEAD = 730
# Still waiting for the Landesjugendamt: the deadline counts.
OPEN_AT_LJA = (Status.EINGEGANGEN, Status.BESTAETIGT)
# Kept here too: the pages and the API speak of meldungen.PROVIDER / RECEIVER.
PROVIDER = access.PROVIDER
RECEIVER = access.RECEIVER
Sicht = access.Sicht


# --- rules ----------------------------------------------------------------------------------


def frist_tage() -> dict[str, int]:
    return FRIST_TAGE | dict(getattr(settings, "KOFFER_MELDUNG_FRIST_TAGE", {}))


def frist_for(art: str, eingang: date) -> date:
    return eingang + timedelta(days=frist_tage()[art])


def aufbewahren_bis(eingang: date) -> date:
    """At least five full calendar years after the year of filing."""
    return date(eingang.year + RETENTION_YEARS, 12, 31)


def is_overdue(meldung: Meldung, today: date | None = None) -> bool:
    today = today or timezone.localdate()
    return meldung.status in OPEN_AT_LJA and meldung.frist < today


def landesjugendamt_for(einrichtung: Einrichtung) -> Mandant:
    """The receiving authority: the facility's supervisor, else the only active
    Landesjugendamt of the installation."""
    if einrichtung.aufsicht_id is not None:
        aufsicht = Mandant.objects.get(pk=einrichtung.aufsicht_id)
        if aufsicht.is_active:
            return aufsicht
        raise PlacementsError(
            "aufsicht_inaktiv",
            "Die für diese Einrichtung hinterlegte Aufsichtsbehörde nimmt keine Meldungen "
            "mehr an. Bitte wenden Sie sich an die Administration.",
        )
    candidates = list(Mandant.objects.filter(kind=Mandant.Kind.LANDESJUGENDAMT, is_active=True)[:2])
    if len(candidates) != 1:
        raise PlacementsError(
            "kein_landesjugendamt",
            "Für diese Einrichtung ist kein Landesjugendamt als Aufsicht hinterlegt. "
            "Bitte wenden Sie sich an die Administration.",
        )
    return candidates[0]


def _canonical(value: Any) -> bytes:
    return json.dumps(
        value,
        sort_keys=True,
        ensure_ascii=False,
        separators=(",", ":"),
        allow_nan=False,
        default=str,
    ).encode()


NUL = "\x00"  # PostgreSQL stores no NUL in text or jsonb: refused up front, never a 500


def inhalt_sha256(meldung: Meldung) -> str:
    """SHA-256 over the notification as filed (canonical JSON): what the receipt proves."""
    return hashlib.sha256(
        _canonical(
            {
                "nummer": meldung.number,
                "traeger": str(meldung.tenant_id),
                "landesjugendamt": str(meldung.jugendamt_id),
                "einrichtung": str(meldung.einrichtung_id),
                "art": meldung.art,
                "ereignis_datum": meldung.ereignis_datum.isoformat(),
                "betreff": meldung.betreff,
                "inhalt": meldung.inhalt,
                "daten": meldung.daten,
                "eingereicht_at": meldung.eingereicht_at.astimezone(
                    timezone.get_fixed_timezone(0)
                ).isoformat(),
            }
        )
    ).hexdigest()


# --- the yearly occupancy report ------------------------------------------------------------

ALTERSGRUPPEN: list[tuple[int, str]] = [
    (6, "unter 6 Jahre"),
    (12, "6 bis unter 12 Jahre"),
    (15, "12 bis unter 15 Jahre"),
    (18, "15 bis unter 18 Jahre"),
    (21, "18 bis unter 21 Jahre"),
    (999, "21 Jahre und älter"),
]


def _altersgruppe(alter: int) -> str:
    return next(label for limit, label in ALTERSGRUPPEN if alter < limit)


def _days(start: date, end: date | None, von: date, bis: date) -> int:
    first = max(start, von)
    last = min(end or bis, bis)
    return max(0, (last - first).days + 1)


def _percent(part: int, whole: int) -> str | None:
    """The share as the notification's JSON keeps it (``"66.7"``)."""
    share = formats.percent_of(part, whole)
    return None if share is None else str(share)


def prefill_jahresmeldung(
    einrichtung: Einrichtung, year: int, *, today: date | None = None
) -> dict[str, Any]:
    """The yearly occupancy report of one facility, computed from its Platz and Belegung
    rows (three queries): places and place-days per Angebot, occupancy days, average
    occupancy, admissions and discharges in the year, and who was placed by form of care,
    gender, age group (age at admission) and reason of ending. For the running year the
    figures run up to today."""
    today = today or timezone.localdate()
    von = date(year, 1, 1)
    bis = min(date(year, 12, 31), today)
    tenant_id = einrichtung.tenant_id
    angebote = {
        a.pk: a
        for a in Angebot.objects.for_tenant(tenant_id)
        .filter(einrichtung=einrichtung)
        .select_related("betreuungsform")
        .order_by("title", "pk")
    }
    plaetze = list(
        Platz.objects.for_tenant(tenant_id)
        .filter(einrichtung=einrichtung, valid_from__lte=bis)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=von))
        .values("angebot_id", "valid_from", "valid_to")
    )
    belegungen = list(
        Belegung.objects.for_tenant(tenant_id)
        .filter(einrichtung=einrichtung, beginn__lte=bis)
        .filter(Q(ende__isnull=True) | Q(ende__gte=von))
        .values("angebot_id", "beginn", "ende", "ende_grund", "geschlecht", "alter_bei_beginn")
    )

    per_angebot: dict[uuid.UUID, dict[str, int]] = {}

    def row(angebot_id: uuid.UUID) -> dict[str, int]:
        return per_angebot.setdefault(
            angebot_id,
            {
                "plaetze": 0,
                "platztage": 0,
                "belegungen": 0,
                "belegungstage": 0,
                "aufnahmen": 0,
                "entlassungen": 0,
            },
        )

    for p in plaetze:
        r = row(p["angebot_id"])
        days = _days(p["valid_from"], p["valid_to"], von, bis)
        r["platztage"] += days
        if p["valid_from"] <= bis and (p["valid_to"] is None or p["valid_to"] >= bis):
            r["plaetze"] += 1
    nach_form: dict[str, dict[str, int]] = {}
    geschlechter: Counter[str] = Counter()
    altersgruppen: Counter[str] = Counter()
    endegruende: Counter[str] = Counter()
    belegt_am_stichtag = 0
    for b in belegungen:
        r = row(b["angebot_id"])
        days = _days(b["beginn"], b["ende"], von, bis)
        r["belegungen"] += 1
        r["belegungstage"] += days
        if b["beginn"] >= von:
            r["aufnahmen"] += 1
        if b["ende"] is not None and b["ende"] <= bis:
            r["entlassungen"] += 1
            endegruende[b["ende_grund"]] += 1
        if b["ende"] is None or b["ende"] >= bis:
            belegt_am_stichtag += 1
        angebot = angebote.get(b["angebot_id"])
        form = str(angebot.betreuungsform) if angebot is not None else "unbekannt"
        f = nach_form.setdefault(form, {"belegungen": 0, "belegungstage": 0})
        f["belegungen"] += 1
        f["belegungstage"] += days
        geschlechter[b["geschlecht"]] += 1
        altersgruppen[_altersgruppe(b["alter_bei_beginn"])] += 1

    zeilen = []
    for angebot_id, r in sorted(
        per_angebot.items(),
        key=lambda item: (angebote[item[0]].title if item[0] in angebote else "", str(item[0])),
    ):
        angebot = angebote.get(angebot_id)
        zeilen.append(
            {
                "angebot_id": str(angebot_id),
                "titel": angebot.title if angebot is not None else "unbekannt",
                "betreuungsform": str(angebot.betreuungsform) if angebot is not None else "",
                **r,
                "auslastung_prozent": _percent(r["belegungstage"], r["platztage"]),
            }
        )
    totals = {
        key: sum(r[key] for r in per_angebot.values())
        for key in (
            "plaetze",
            "platztage",
            "belegungen",
            "belegungstage",
            "aufnahmen",
            "entlassungen",
        )
    }
    summe: dict[str, Any] = {
        **totals,
        "belegt_am_stichtag": belegt_am_stichtag,
        "auslastung_prozent": _percent(totals["belegungstage"], totals["platztage"]),
    }
    return {
        "jahr": year,
        "von": von.isoformat(),
        "bis": bis.isoformat(),
        "einrichtung": einrichtung.name,
        "betriebserlaubnis": einrichtung.licence_number,
        "angebote": zeilen,
        "summe": summe,
        "nach_betreuungsform": [
            {"betreuungsform": form, **values} for form, values in sorted(nach_form.items())
        ],
        "nach_geschlecht": [
            {"code": code, "label": label, "belegungen": geschlechter[code]}
            for code, label in Geschlecht.choices
        ],
        "nach_altersgruppe": [
            {"altersgruppe": label, "belegungen": altersgruppen[label]}
            for _, label in ALTERSGRUPPEN
        ],
        "nach_endegrund": [
            {"code": code, "label": label, "anzahl": endegruende[code]}
            for code, label in Belegung.Endegrund.choices
        ],
    }


def daten_stand(daten: dict[str, Any]) -> str:
    """A short fingerprint of the figures shown for confirmation: filing refuses numbers
    that changed since the provider saw them."""
    return hashlib.sha256(_canonical(daten)).hexdigest()[:16]


def _auslastung(value: str | None) -> str:
    """The occupancy as stored (``"87.5"``, one decimal), as read: ``87,5 %``."""
    return "–" if value is None else formats.percent(Decimal(value), places=1)


def zeitraum(daten: dict[str, Any]) -> str:
    von = date.fromisoformat(daten["von"])
    bis = date.fromisoformat(daten["bis"])
    return formats.date_range(von, bis)


def jahres_tabelle(daten: dict[str, Any]) -> list[list[str]]:
    """Rows (Angebot, Plätze, Platztage, Belegungstage, Auslastung, Aufnahmen,
    Entlassungen) formatted for reading, the sum last; for the pages and the receipt."""
    rows = []
    for z in [*daten.get("angebote", []), {"titel": "Summe", **daten.get("summe", {})}]:
        rows.append(
            [
                str(z.get("titel", "")),
                formats.number(int(z.get("plaetze", 0))),
                formats.number(int(z.get("platztage", 0))),
                formats.number(int(z.get("belegungstage", 0))),
                _auslastung(z.get("auslastung_prozent")),
                formats.number(int(z.get("aufnahmen", 0))),
                formats.number(int(z.get("entlassungen", 0))),
            ]
        )
    return rows


# --- filing ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Eingabe:
    """A notification's input after the checks (what :func:`check_meldung` returns)."""

    einrichtung: Einrichtung
    art: str
    ereignis_datum: date
    betreff: str
    inhalt: str
    landesjugendamt: Mandant


def _own_einrichtung(
    tenant: Mandant, einrichtung: Einrichtung | uuid.UUID | str | None
) -> Einrichtung:
    unknown = NotFound(
        "not_found",
        "Diese Einrichtung gibt es nicht, oder sie gehört nicht zu Ihrem Träger.",
    )
    if einrichtung is None:
        raise unknown
    pk = einrichtung.pk if isinstance(einrichtung, Einrichtung) else einrichtung
    try:
        pk = uuid.UUID(str(pk))
    except ValueError as exc:
        raise unknown from exc
    found = (
        Einrichtung.objects.for_tenant(tenant).select_related("fachbereich").filter(pk=pk).first()
    )
    if found is None:
        raise unknown
    return found


def _text(value: str | None, *, code: str, missing: str, name: str, limit: int) -> str:
    text = (value or "").strip()
    if not text:
        raise PlacementsError(f"{code}_fehlt", missing)
    if NUL in text:
        raise PlacementsError(f"{code}_ungueltig", f"{name} enthält ungültige Zeichen.")
    if len(text) > limit:
        raise PlacementsError(
            f"{code}_zu_lang", f"{name} ist zu lang (höchstens {formats.number(limit)} Zeichen)."
        )
    return text


def check_meldung(
    *,
    tenant: Mandant,
    einrichtung: Einrichtung | uuid.UUID | str | None,
    art: str,
    ereignis_datum: date | None,
    betreff: str,
    inhalt: str,
    today: date | None = None,
) -> Eingabe:
    """Every check that needs no lock; raises :class:`PlacementsError` with a German
    message. For a Jahresmeldung ``ereignis_datum`` names the year (any day of it)."""
    today = today or timezone.localdate()
    if access.sees_only_aggregates(tenant):
        raise PlacementsError(
            "kein_traeger",
            "Meldungen nach § 47 SGB VIII reichen nur Träger von Einrichtungen ein, "
            "keine Aufsichtsbehörden.",
        )
    facility = _own_einrichtung(tenant, einrichtung)
    if art not in Art.values:
        raise PlacementsError("art_unbekannt", "Bitte wählen Sie die Art der Meldung.")
    if not facility.fachbereich.meldepflicht:
        raise PlacementsError(
            "keine_meldepflicht",
            f"Für Einrichtungen im Fachbereich „{facility.fachbereich.label}“ gilt die "
            "Meldepflicht nach § 47 SGB VIII nicht.",
        )
    if ereignis_datum is None:
        raise PlacementsError("datum_fehlt", "Bitte geben Sie das Datum des Ereignisses an.")
    if ereignis_datum.year < EARLIEST_YEAR:
        raise PlacementsError("datum_zu_alt", "Das Datum liegt zu weit in der Vergangenheit.")
    if art == Art.JAHRESMELDUNG:
        if ereignis_datum.year >= today.year:
            raise PlacementsError(
                "jahr_nicht_abgeschlossen",
                f"Die Jahresmeldung für {ereignis_datum.year} kann erst nach Ablauf des "
                "Jahres eingereicht werden.",
            )
        ereignis_datum = date(ereignis_datum.year, 12, 31)
    elif art == Art.VORKOMMNIS and ereignis_datum > today:
        raise PlacementsError(
            "datum_in_zukunft",
            "Ein besonderes Vorkommnis kann nicht in der Zukunft liegen. Bitte prüfen Sie das Datum.",
        )
    elif ereignis_datum > today + timedelta(days=MAX_DAYS_AHEAD):
        raise PlacementsError(
            "datum_zu_weit", "Das Datum liegt mehr als zwei Jahre in der Zukunft."
        )
    return Eingabe(
        einrichtung=facility,
        art=art,
        ereignis_datum=ereignis_datum,
        betreff=_text(
            betreff,
            code="betreff",
            missing="Bitte geben Sie einen Betreff an.",
            name="Der Betreff",
            limit=MAX_BETREFF,
        ),
        inhalt=_text(
            inhalt,
            code="inhalt",
            missing="Bitte beschreiben Sie den Inhalt der Meldung.",
            name="Der Inhalt",
            limit=MAX_INHALT,
        ),
        landesjugendamt=landesjugendamt_for(facility),
    )


def _jahresmeldung_exists(tenant: Mandant, einrichtung: Einrichtung, year: int) -> bool:
    return (
        Meldung.objects.for_tenant(tenant)
        .filter(einrichtung=einrichtung, art=Art.JAHRESMELDUNG, ereignis_datum=date(year, 12, 31))
        .exists()
    )


def check_jahresmeldung_free(tenant: Mandant, einrichtung: Einrichtung, year: int) -> None:
    if _jahresmeldung_exists(tenant, einrichtung, year):
        raise Conflict(
            "jahresmeldung_doppelt",
            f"Für „{einrichtung.name}“ wurde die Jahresmeldung {year} bereits eingereicht.",
        )


def _daten(value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise PlacementsError("daten_ungueltig", "Die zusätzlichen Angaben sind ungültig.")
    try:
        encoded = _canonical(value)
        decoded = json.loads(encoded)
    except (TypeError, ValueError) as exc:
        raise PlacementsError("daten_ungueltig", "Die zusätzlichen Angaben sind ungültig.") from exc
    if b"\\u0000" in encoded or NUL.encode() in encoded:
        raise PlacementsError("daten_ungueltig", "Die zusätzlichen Angaben sind ungültig.")
    if len(encoded) > MAX_DATEN_BYTES:
        raise PlacementsError("daten_zu_gross", "Die zusätzlichen Angaben sind zu umfangreich.")
    assert isinstance(decoded, dict)
    return decoded


def file_meldung(
    *,
    actor: User,
    tenant: Mandant,
    einrichtung: Einrichtung | uuid.UUID | str | None,
    art: str,
    ereignis_datum: date | None,
    betreff: str,
    inhalt: str,
    daten: dict[str, Any] | None = None,
    stand: str | None = None,
    now: datetime | None = None,
) -> Meldung:
    """File one notification of ``tenant``'s facility with its Landesjugendamt: number
    "M-<year>-<nnnnn>" (gap-free per provider), the Landesjugendamt's deadline after
    :data:`FRIST_TAGE`, retention, and the receipt PDF in the blob store. For a
    Jahresmeldung the figures are computed here from the Belegungen (``daten`` is
    ignored); with ``stand`` (from :func:`daten_stand`) filing refuses figures that changed
    since the provider confirmed them. One Jahresmeldung per facility and year."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    eingabe = check_meldung(
        tenant=tenant,
        einrichtung=einrichtung,
        art=art,
        ereignis_datum=ereignis_datum,
        betreff=betreff,
        inhalt=inhalt,
        today=today,
    )
    extra = _daten(daten) if eingabe.art != Art.JAHRESMELDUNG else {}
    with transaction.atomic():
        # The counter row stays locked until commit: filings of one provider are
        # serialised, so the duplicate check below cannot race.
        number = counters.next_value(tenant.pk, f"meldung:{today.year}")
        if eingabe.art == Art.JAHRESMELDUNG:
            year = eingabe.ereignis_datum.year
            check_jahresmeldung_free(tenant, eingabe.einrichtung, year)
            extra = prefill_jahresmeldung(eingabe.einrichtung, year, today=today)
            if stand is not None and stand != daten_stand(extra):
                raise Conflict(
                    "zahlen_geaendert",
                    "Die Belegungszahlen haben sich seit der Anzeige geändert. "
                    "Bitte prüfen Sie die Zahlen erneut.",
                )
        meldung = Meldung(
            tenant=tenant,
            einrichtung=eingabe.einrichtung,
            jugendamt=eingabe.landesjugendamt,
            number=f"M-{today.year}-{number:05d}",
            art=eingabe.art,
            ereignis_datum=eingabe.ereignis_datum,
            betreff=eingabe.betreff,
            inhalt=eingabe.inhalt,
            daten=extra,
            status=Status.EINGEGANGEN,
            eingereicht_at=now,
            eingereicht_by=actor,
            frist=frist_for(eingabe.art, today),
            aufbewahren_bis=aufbewahren_bis(today),
        )
        meldung.quittung_sha256 = _store_quittung(meldung, tenant=tenant)
        meldung.save(force_insert=True)
        events.record(
            actor,
            [tenant.pk, eingabe.landesjugendamt.pk],
            "placements.meldung.file",
            meldung,
            {
                "nummer": {"old": None, "new": meldung.number},
                "art": {"old": None, "new": meldung.art},
                "einrichtung": {"old": None, "new": eingabe.einrichtung.name},
                "inhalt_sha256": {"old": None, "new": inhalt_sha256(meldung)},
                "quittung_sha256": {"old": None, "new": meldung.quittung_sha256},
            },
        )
    return meldung


# --- the receipt ----------------------------------------------------------------------------


def _traeger_block(tenant: Mandant) -> str:
    profil = Traegerprofil.objects.for_tenant(tenant).first()
    if profil is None:
        return tenant.name
    return f"{profil.legal_name}, {profil.street}, {profil.postcode} {profil.city}"


def hash_groups(hexdigest: str, *, lines: int = 1) -> str:
    """Groups of eight hex digits (on ``lines`` lines): easy to compare by eye."""
    groups = [hexdigest[i : i + 8] for i in range(0, len(hexdigest), 8)]
    per_line = -(-len(groups) // lines)
    return "\n".join(" ".join(groups[i : i + per_line]) for i in range(0, len(groups), per_line))


def quittung_data(
    meldung: Meldung, *, tenant: Mandant | None = None, created: datetime | None = None
) -> dict[str, Any]:
    """Everything the receipt prints (plain data for the typst source)."""
    tenant = tenant or Mandant.objects.get(pk=meldung.tenant_id)
    lja = meldung.jugendamt
    einrichtung = meldung.einrichtung
    eingang = timezone.localtime(meldung.eingereicht_at)
    created = timezone.localtime(created or meldung.eingereicht_at)
    adresse = f"{einrichtung.name}, {einrichtung.street}, {einrichtung.postcode} {einrichtung.city}"
    angaben: list[list[str]] = [
        ["Meldungsnummer", meldung.number, "fett"],
        ["Art der Meldung", meldung.get_art_display(), ""],
        ["Eingegangen am", f"{eingang:%d.%m.%Y}, {eingang:%H:%M:%S} Uhr", ""],
        ["Empfänger", lja.name, ""],
        ["Träger", _traeger_block(tenant), ""],
        ["Einrichtung", adresse, ""],
    ]
    if einrichtung.licence_number:
        angaben.append(["Betriebserlaubnis", einrichtung.licence_number, ""])
    angaben += [
        [
            "Berichtsjahr" if meldung.art == Art.JAHRESMELDUNG else "Datum des Ereignisses",
            str(meldung.ereignis_datum.year)
            if meldung.art == Art.JAHRESMELDUNG
            else f"{meldung.ereignis_datum:%d.%m.%Y}",
            "",
        ],
        ["Betreff", meldung.betreff, ""],
        ["Eingereicht von", str(meldung.eingereicht_by), ""],
        ["Bearbeitungsfrist", f"{meldung.frist:%d.%m.%Y} (Reaktion des Landesjugendamts)", "fett"],
        ["Aufbewahrung bis", f"{meldung.aufbewahren_bis:%d.%m.%Y}", ""],
        ["Prüfwert des Inhalts (SHA-256)", hash_groups(inhalt_sha256(meldung), lines=2), "mono"],
    ]
    jahr = None
    if meldung.art == Art.JAHRESMELDUNG and meldung.daten:
        jahr = {
            "jahr": meldung.daten["jahr"],
            "zeitraum": zeitraum(meldung.daten),
            "zeilen": jahres_tabelle(meldung.daten),
        }
    return {
        "landesjugendamt": lja.name,
        "nummer": meldung.number,
        "erstellt": f"{created:%d.%m.%Y}",
        "eingang_datum": f"{eingang:%d.%m.%Y}",
        "eingang_zeit": f"{eingang:%H:%M}",
        "angaben": angaben,
        "jahr": jahr,
        "hinweise": [
            "Diese Bestätigung wurde beim Eingang der Meldung automatisch erstellt und ist "
            "ohne Unterschrift gültig. Sie bestätigt den Eingang, nicht das Ergebnis der Prüfung.",
            "Der Prüfwert (SHA-256) wird über Nummer, Art, Datum, Betreff, Inhalt und Angaben "
            "der Meldung gebildet. Stimmt er mit dem Wert in der Platzbörse überein, ist die "
            "Meldung seit dem Eingang unverändert.",
            f"Meldung und Bestätigung werden bis zum {meldung.aufbewahren_bis:%d.%m.%Y} "
            "aufbewahrt (mindestens fünf volle Kalenderjahre).",
        ],
    }


def _store_quittung(meldung: Meldung, *, tenant: Mandant) -> str:
    pdf = render_quittung(quittung_data(meldung, tenant=tenant))
    return get_store().put(pdf).sha256


def quittung_filename(meldung: Meldung) -> str:
    return f"Eingangsbestaetigung-{meldung.number}.pdf"


def open_quittung(*, actor: Actor, meldung: Meldung) -> IO[bytes]:
    """The receipt's bytes. A receipt lost from the blob store (a restore without blobs)
    is rendered again from the row and its new hash recorded in both chains."""
    store = get_store()
    if meldung.quittung_sha256:
        try:
            return store.open(meldung.quittung_sha256)
        except BlobNotFound:
            logger.warning("Quittung %s fehlt im Dokumentenspeicher", meldung.number)
    with transaction.atomic():
        fresh = Meldung.objects.for_tenant(meldung.tenant_id).select_for_update().get(pk=meldung.pk)
        old = fresh.quittung_sha256
        fresh.quittung_sha256 = _store_quittung(
            fresh, tenant=Mandant.objects.get(pk=fresh.tenant_id)
        )
        fresh.save(update_fields=["quittung_sha256"])
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            "placements.meldung.quittung",
            fresh,
            {"quittung_sha256": {"old": old or None, "new": fresh.quittung_sha256}},
            reason="Eingangsbestätigung neu erstellt",
        )
    meldung.quittung_sha256 = fresh.quittung_sha256
    return store.open(fresh.quittung_sha256)


# --- the Landesjugendamt's answers ----------------------------------------------------------


def _received(tenant: Mandant, meldung: Meldung) -> Meldung:
    """The row locked for the change, if ``tenant`` is its Landesjugendamt (else 404). The
    row is the provider's (its ``tenant_id``): named in the filter, the lock reaches the
    one shard on Citus, which refuses FOR UPDATE across shards."""
    fresh = (
        Meldung.objects.for_party(tenant)
        .select_for_update()
        .filter(pk=meldung.pk, tenant_id=meldung.tenant_id, jugendamt_id=tenant.pk)
        .first()
    )
    if fresh is None:
        raise NotFound("not_found", "Diese Meldung gibt es nicht.")
    if fresh.status == Status.ABGESCHLOSSEN:
        raise Conflict("abgeschlossen", "Diese Meldung ist bereits abgeschlossen.")
    return fresh


def _answer_text(value: str, *, required: bool) -> str:
    text = (value or "").strip()
    if required and not text:
        raise PlacementsError("text_fehlt", "Bitte schreiben Sie Ihre Rückfrage an den Träger.")
    if NUL in text:
        raise PlacementsError("text_ungueltig", "Der Text enthält ungültige Zeichen.")
    if len(text) > MAX_ANTWORT:
        raise PlacementsError(
            "text_zu_lang",
            f"Der Text ist zu lang (höchstens {formats.number(MAX_ANTWORT)} Zeichen).",
        )
    return text


# Each answer's audit action (the status it leads to names it).
_ACTIONS: dict[str, str] = {
    Status.BESTAETIGT: "placements.meldung.acknowledge",
    Status.RUECKFRAGE: "placements.meldung.ask_back",
    Status.ABGESCHLOSSEN: "placements.meldung.close",
}


def _decide(
    actor: User,
    tenant: Mandant,
    meldung: Meldung,
    status: str,
    antwort: str,
    now: datetime | None,
) -> Meldung:
    """The Landesjugendamt's answer: the row locked, the new status, the receipt confirmed
    if it was not yet, ``antwort`` kept for the provider, one event in both chains."""
    with transaction.atomic():
        fresh = _received(tenant, meldung)
        if status == Status.BESTAETIGT and fresh.bestaetigt_at is not None:
            raise Conflict(
                "bereits_bestaetigt",
                f"Der Eingang wurde bereits am {timezone.localtime(fresh.bestaetigt_at):%d.%m.%Y} bestätigt.",
            )
        old = fresh.status
        fresh.status = status
        fields = ["status"]
        if fresh.bestaetigt_at is None:
            # Asking back or closing also confirms the receipt.
            fresh.bestaetigt_at = now or timezone.now()
            fresh.bestaetigt_by = actor
            fields += ["bestaetigt_at", "bestaetigt_by"]
        if antwort:
            fresh.antwort = antwort
            fields.append("antwort")
        fresh.save(update_fields=fields)
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            _ACTIONS[status],
            fresh,
            {"status": {"old": old, "new": status}},
            reason=antwort,
        )
    return fresh


def acknowledge(
    *,
    actor: User,
    tenant: Mandant,
    meldung: Meldung,
    antwort: str = "",
    now: datetime | None = None,
) -> Meldung:
    """The Landesjugendamt confirms the receipt (once); an optional note to the provider."""
    text = _answer_text(antwort, required=False)
    return _decide(actor, tenant, meldung, Status.BESTAETIGT, text, now)


def ask_back(
    *, actor: User, tenant: Mandant, meldung: Meldung, text: str, now: datetime | None = None
) -> Meldung:
    """The Landesjugendamt asks the provider a question (Rückfrage); the text is required."""
    frage = _answer_text(text, required=True)
    return _decide(actor, tenant, meldung, Status.RUECKFRAGE, frage, now)


def close(
    *,
    actor: User,
    tenant: Mandant,
    meldung: Meldung,
    antwort: str = "",
    now: datetime | None = None,
) -> Meldung:
    """The Landesjugendamt is done with the notification; nothing changes it afterwards."""
    text = _answer_text(antwort, required=False)
    return _decide(actor, tenant, meldung, Status.ABGESCHLOSSEN, text, now)


def record_read(*, actor: Actor, tenant: Mandant, meldung: Meldung, purpose: str) -> None:
    """The content may name people (a special incident): every opening is logged."""
    audit.read(actor=actor, tenant_id=tenant.pk, obj=meldung, purpose=purpose)
