"""Every write of the Platzbörse: keyword-only arguments with the acting user first, one
transaction, audit events in the chains of every Mandant the change concerns (the
provider's first, then the youth office's, always in that order).

Giving and taking places runs inside :func:`koffer.placements.locking.critical`, so a
place is never given twice: availability is computed from the rows (offered minus open
holds minus Belegungen), an open hold counts only until ``expires_at``, and expired holds
are closed inside the lock before a new one is written.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable, Mapping
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.reasons import need_reason
from koffer.audit.services import Actor
from koffer.placements import events
from koffer.placements.abrechnung.abgerechnet import AbgerechneterMonat, abgerechnete_monate
from koffer.placements.errors import Conflict, NotFound, PlacementsError
from koffer.placements.locking import critical
from koffer.placements.models import (
    AbsenceRounding,
    Abwesenheit,
    Angebot,
    Belegung,
    Betreuungsform,
    Einrichtung,
    Entgelt,
    Fachbereich,
    Leistungsnachweis,
    Merkmal,
    Platz,
    Platzgesuch,
    Region,
    Reservierung,
    Traegerprofil,
)
from koffer.placements.search import free_places_q
from koffer.tenancy import counters
from koffer.tenancy.models import Mandant

# Where a reason is kept: Reservierung.reason, Abwesenheit.grund (the forms and API schemas
# cap at the same lengths).
HOLD_REASON_MAX_LENGTH = 300
ABWESENHEIT_GRUND_MAX_LENGTH = 200

# --- configuration (installation-wide catalogue) -------------------------------------------


def load_catalogue(*, actor: Actor | None, data: dict[str, Any]) -> Fachbereich:
    """Create or update one Fachbereich with its forms of care and criteria from
    configuration data (see fixtures/fachbereiche.json): new fields need no new code."""
    with transaction.atomic():
        fb, _ = Fachbereich.objects.update_or_create(
            code=data["code"],
            defaults={
                key: data[key]
                for key in (
                    "label",
                    "place_label",
                    "place_label_plural",
                    "person_label",
                    "requester_label",
                    "reservation_hours",
                    "age_min",
                    "age_max",
                    "meldepflicht",
                    "order",
                    "payer_label",
                    "tax_category",
                    "tax_exemption_reason",
                    "tax_exemption_code",
                )
                if key in data
            }
            | (
                {"absence_share_default": Decimal(str(data["absence_share_default"]))}
                if "absence_share_default" in data
                else {}
            ),
        )
        for order, form in enumerate(data.get("formen", [])):
            Betreuungsform.objects.update_or_create(
                fachbereich=fb,
                code=form["code"],
                defaults={
                    "label": form["label"],
                    "rechtsgrundlage": form.get("rechtsgrundlage", ""),
                    "order": order,
                },
            )
        for order, merkmal in enumerate(data.get("merkmale", [])):
            Merkmal.objects.update_or_create(
                fachbereich=fb,
                code=merkmal["code"],
                defaults={
                    "label": merkmal["label"],
                    "group": merkmal.get("group", "Spezialisierung"),
                    "order": order,
                },
            )
    return fb


# --- provider: profile, facilities, offers, rates, places ----------------------------------


def save_traegerprofil(*, actor: Actor, tenant: Mandant, **fields: Any) -> Traegerprofil:
    """Create or change the provider's invoice data (one profile per Träger)."""
    if tenant.kind in (Mandant.Kind.LANDESJUGENDAMT, Mandant.Kind.MINISTERIUM):
        raise PlacementsError("not_a_provider", "Aufsichtsbehörden betreiben keine Einrichtungen.")
    with transaction.atomic():
        profil = Traegerprofil.objects.for_tenant(tenant).first()
        old = {k: getattr(profil, k) for k in fields} if profil else {}
        if profil is None:
            profil = Traegerprofil(tenant=tenant, **fields)
        else:
            for key, value in fields.items():
                setattr(profil, key, value)
        # Uniqueness is the database's job (one profile per tenant); the model's own
        # unique checks would query without a tenant scope.
        profil.full_clean(validate_unique=False, validate_constraints=False)
        profil.save()
        events.record(
            actor, [tenant.pk], "placements.traegerprofil.save", profil, audit.diff(old, fields)
        )
    return profil


EINRICHTUNG_FIELDS = (
    "name",
    "street",
    "postcode",
    "city",
    "region",
    "lat",
    "lon",
    "phone",
    "email",
    "licence_number",
    "licence_date",
    "licence_conditions",
    "age_min",
    "age_max",
    "accepts_w",
    "accepts_m",
    "accepts_d",
)


def _check_einrichtung(fields: dict[str, Any]) -> None:
    if int(fields.get("age_min", 0)) > int(fields.get("age_max", 99)):
        raise PlacementsError(
            "age_range", "Das Mindestalter darf nicht über dem Höchstalter liegen."
        )
    email = fields.get("email") or ""
    if email:
        try:
            validate_email(email)
        except ValidationError as exc:
            raise PlacementsError("email", "Bitte eine gültige E-Mail-Adresse angeben.") from exc
    lat, lon = fields.get("lat"), fields.get("lon")
    if lat is not None and not -90 <= float(lat) <= 90:
        raise PlacementsError(
            "coordinates", "Die geografische Breite liegt nicht zwischen -90 und 90."
        )
    if lon is not None and not -180 <= float(lon) <= 180:
        raise PlacementsError(
            "coordinates", "Die geografische Länge liegt nicht zwischen -180 und 180."
        )


def create_einrichtung(
    *,
    actor: Actor,
    tenant: Mandant,
    fachbereich: Fachbereich,
    formen: Iterable[Betreuungsform],
    merkmale: Iterable[Merkmal] = (),
    aufsicht: Mandant | None = None,
    **fields: Any,
) -> Einrichtung:
    """A new facility of the provider ``tenant``. Its ``aufsicht`` receives (and so sees)
    every § 47 notification about it: only a Landesjugendamt can be that."""
    if tenant.kind in (Mandant.Kind.LANDESJUGENDAMT, Mandant.Kind.MINISTERIUM):
        raise PlacementsError("not_a_provider", "Aufsichtsbehörden betreiben keine Einrichtungen.")
    if aufsicht is not None and aufsicht.kind != Mandant.Kind.LANDESJUGENDAMT:
        raise PlacementsError(
            "aufsicht_kind",
            f"{aufsicht.name} ist kein Landesjugendamt und kann keine Einrichtung beaufsichtigen.",
        )
    _check_einrichtung(fields)
    formen = list(formen)
    if not formen:
        raise PlacementsError("formen_required", "Bitte mindestens eine Betreuungsform wählen.")
    if any(f.fachbereich_id != fachbereich.pk for f in formen):
        raise PlacementsError(
            "form_field", "Die Betreuungsform gehört zu einem anderen Fachbereich."
        )
    with transaction.atomic():
        einrichtung = Einrichtung.objects.create(
            tenant=tenant,
            fachbereich=fachbereich,
            aufsicht=aufsicht,
            **{k: v for k, v in fields.items() if k in EINRICHTUNG_FIELDS},
        )
        einrichtung.formen.set(formen)
        einrichtung.merkmale.set(list(merkmale))
        events.record(
            actor,
            [tenant.pk],
            "placements.einrichtung.create",
            einrichtung,
            {"name": {"old": None, "new": einrichtung.name}},
        )
    return einrichtung


def update_einrichtung(
    *,
    actor: Actor,
    einrichtung: Einrichtung,
    formen: Iterable[Betreuungsform] | None = None,
    merkmale: Iterable[Merkmal] | None = None,
    **fields: Any,
) -> Einrichtung:
    """Change a facility's data (licence, forms of care, age range, gender, criteria,
    address and coordinates); licence-relevant changes are then reported under § 47.
    The Fachbereich stays; a form of care still offered by an active Angebot stays too."""
    unknown = set(fields) - set(EINRICHTUNG_FIELDS)
    if unknown:
        raise PlacementsError("unknown_field", f"Unbekannte Angaben: {', '.join(sorted(unknown))}.")
    merged = {k: getattr(einrichtung, k) for k in EINRICHTUNG_FIELDS} | fields
    _check_einrichtung(merged)
    if "name" in fields and not str(fields["name"]).strip():
        raise PlacementsError("name_required", "Bitte den Namen der Einrichtung angeben.")
    formen = None if formen is None else list(formen)
    merkmale = None if merkmale is None else list(merkmale)
    if formen is not None:
        if not formen:
            raise PlacementsError("formen_required", "Bitte mindestens eine Betreuungsform wählen.")
        if any(f.fachbereich_id != einrichtung.fachbereich_id for f in formen):
            raise PlacementsError(
                "form_field", "Die Betreuungsform gehört zu einem anderen Fachbereich."
            )
    if merkmale is not None and any(
        m.fachbereich_id != einrichtung.fachbereich_id for m in merkmale
    ):
        raise PlacementsError("merkmal_field", "Ein Merkmal gehört zu einem anderen Fachbereich.")
    with transaction.atomic():
        fresh = (
            Einrichtung.objects.for_tenant(einrichtung.tenant_id)
            .select_for_update()
            .get(pk=einrichtung.pk)
        )
        changes = audit.diff(
            {k: getattr(fresh, k) for k in fields}, {k: v for k, v in fields.items()}
        )
        if formen is not None:
            old_formen = set(fresh.formen.values_list("pk", flat=True))
            dropped = old_formen - {f.pk for f in formen}
            in_use = (
                Angebot.objects.for_tenant(fresh.tenant_id)
                .filter(einrichtung=fresh, is_active=True, betreuungsform_id__in=dropped)
                .select_related("betreuungsform")
                .first()
            )
            if in_use is not None:
                raise Conflict(
                    "form_in_use",
                    f"Die Betreuungsform „{in_use.betreuungsform}“ wird vom Angebot "
                    f"„{in_use.title}“ genutzt und kann nicht entfernt werden.",
                )
            if old_formen != {f.pk for f in formen}:
                changes["formen"] = {
                    "old": sorted(str(pk) for pk in old_formen),
                    "new": sorted(str(f.pk) for f in formen),
                }
        if merkmale is not None:
            old_merkmale = set(fresh.merkmale.values_list("pk", flat=True))
            if old_merkmale != {m.pk for m in merkmale}:
                changes["merkmale"] = {
                    "old": sorted(str(pk) for pk in old_merkmale),
                    "new": sorted(str(m.pk) for m in merkmale),
                }
        for key, value in fields.items():
            setattr(fresh, key, value)
        fresh.save()
        if formen is not None:
            fresh.formen.set(formen)
        if merkmale is not None:
            fresh.merkmale.set(merkmale)
        events.record(actor, [fresh.tenant_id], "placements.einrichtung.update", fresh, changes)
        # Age, gender, criteria and coordinates decide the search: open result pages refresh.
        for angebot in Angebot.objects.for_tenant(fresh.tenant_id).filter(einrichtung=fresh):
            events.offer_changed(angebot)
    return fresh


def create_angebot(
    *,
    actor: Actor,
    einrichtung: Einrichtung,
    betreuungsform: Betreuungsform,
    title: str,
    absence_rounding: str = AbsenceRounding.PER_DAY,
) -> Angebot:
    """A service offer of a facility in one of its forms of care. ``absence_rounding``:
    how its contract rounds the reduced price of absence days (per day by default)."""
    _check_rounding(absence_rounding)
    if not einrichtung.formen.filter(pk=betreuungsform.pk).exists():
        raise PlacementsError(
            "form_not_offered",
            "Diese Betreuungsform ist für die Einrichtung nicht erlaubt (Betriebserlaubnis).",
        )
    title = title.strip() or str(betreuungsform)
    with transaction.atomic():
        angebot = Angebot.objects.create(
            tenant_id=einrichtung.tenant_id,
            einrichtung=einrichtung,
            betreuungsform=betreuungsform,
            title=title,
            absence_rounding=absence_rounding,
        )
        events.record(actor, [einrichtung.tenant_id], "placements.angebot.create", angebot)
    return angebot


def _check_rounding(value: str) -> None:
    if value not in AbsenceRounding.values:
        raise PlacementsError(
            "absence_rounding", "Bitte angeben, ob je Tag oder je Rechnungsposition gerundet wird."
        )


def set_absence_rounding(*, actor: Actor, angebot: Angebot, absence_rounding: str) -> Angebot:
    """Change how the Angebot's absence prices are rounded (as its contract says); it
    applies to Leistungsnachweise computed from now on."""
    _check_rounding(absence_rounding)
    with transaction.atomic():
        fresh = Angebot.objects.for_tenant(angebot.tenant_id).select_for_update().get(pk=angebot.pk)
        old = fresh.absence_rounding
        if old != absence_rounding:
            fresh.absence_rounding = absence_rounding
            fresh.save(update_fields=["absence_rounding"])
            events.record(
                actor,
                [fresh.tenant_id],
                "placements.angebot.rundung",
                fresh,
                {"absence_rounding": {"old": old, "new": absence_rounding}},
            )
    return fresh


def set_entgelt(
    *,
    actor: Actor,
    angebot: Angebot,
    valid_from: date,
    valid_to: date | None,
    leistungsentgelt: Decimal,
    grundleistung: Decimal = Decimal("0"),
    investitionsbetrag: Decimal = Decimal("0"),
    absence_share: Decimal | None = None,
) -> Entgelt:
    """Agree a day rate for a period. Periods of one Angebot may not overlap; a gap is
    allowed here but makes billing of the days inside it fail with a clear message.
    Without ``absence_share`` the Fachbereich's configured default applies."""
    absence_share = _check_rate(
        angebot,
        valid_from,
        valid_to,
        leistungsentgelt,
        grundleistung,
        investitionsbetrag,
        absence_share,
    )

    def work() -> Entgelt:
        end = valid_to or date.max
        overlapping = Entgelt.objects.for_tenant(angebot.tenant_id).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from),
            angebot=angebot,
            valid_from__lte=end,
        )
        if overlapping.exists():
            raise Conflict(
                "rate_overlap",
                "Für diesen Zeitraum gilt schon ein Entgelt. Bitte zuerst das bisherige befristen.",
            )
        entgelt = Entgelt.objects.create(
            tenant_id=angebot.tenant_id,
            angebot=angebot,
            valid_from=valid_from,
            valid_to=valid_to,
            leistungsentgelt=leistungsentgelt,
            grundleistung=grundleistung,
            investitionsbetrag=investitionsbetrag,
            absence_share=absence_share,
        )
        events.record(
            actor,
            [angebot.tenant_id],
            "placements.entgelt.create",
            angebot,
            {
                "tagessatz": {"old": None, "new": str(entgelt.tagessatz)},
                "ab": {"old": None, "new": valid_from.isoformat()},
            },
        )
        return entgelt

    return critical(work, angebote=[angebot.pk])


def absence_share_default(angebot: Angebot) -> Decimal:
    """The share paid on absence days unless the rate agreement says otherwise: the
    Fachbereich's configuration, never a number in code."""
    return Decimal(angebot.betreuungsform.fachbereich.absence_share_default)


def _check_rate(
    angebot: Angebot,
    valid_from: date,
    valid_to: date | None,
    leistungsentgelt: Decimal,
    grundleistung: Decimal,
    investitionsbetrag: Decimal,
    absence_share: Decimal | None,
) -> Decimal:
    if valid_to is not None and valid_to < valid_from:
        raise PlacementsError("period", "Das Ende liegt vor dem Beginn des Zeitraums.")
    amounts = (leistungsentgelt, grundleistung, investitionsbetrag)
    if any(a < 0 for a in amounts) or sum(amounts) <= 0:
        raise PlacementsError("amount", "Die Entgeltbestandteile müssen positiv sein.")
    if absence_share is None:
        absence_share = absence_share_default(angebot)
    if not Decimal("0") <= absence_share <= Decimal("100"):
        raise PlacementsError(
            "absence_share", "Der Anteil für Abwesenheitstage liegt zwischen 0 und 100 %."
        )
    return absence_share


def change_entgelt(
    *,
    actor: Actor,
    angebot: Angebot,
    valid_from: date,
    leistungsentgelt: Decimal,
    grundleistung: Decimal = Decimal("0"),
    investitionsbetrag: Decimal = Decimal("0"),
    absence_share: Decimal | None = None,
    valid_to: date | None = None,
) -> Entgelt:
    """A new day rate from ``valid_from``: the rate in force that day ends the day before
    and the new one follows without a gap, in one locked transaction with one audit event.
    Refused when no rate is in force that day (then :func:`set_entgelt` is the way), when
    a later rate is already agreed, when an end would leave days uncovered that the old
    rate covered, or when days from ``valid_from`` on are already billed (a billed day
    keeps the rate it was billed with)."""
    absence_share = _check_rate(
        angebot,
        valid_from,
        valid_to,
        leistungsentgelt,
        grundleistung,
        investitionsbetrag,
        absence_share,
    )

    def work() -> Entgelt:
        rates = Entgelt.objects.for_tenant(angebot.tenant_id).filter(angebot=angebot)
        current = (
            rates.filter(Q(valid_to__isnull=True) | Q(valid_to__gte=valid_from))
            .filter(valid_from__lte=valid_from)
            .first()
        )
        if current is None:
            raise PlacementsError(
                "no_current_rate",
                f"Am {valid_from:%d.%m.%Y} gilt kein Entgelt, das abgelöst werden könnte. "
                "Bitte das Entgelt über „Entgelt erfassen“ anlegen.",
            )
        if current.valid_from >= valid_from:
            raise PlacementsError(
                "rate_start",
                f"Das bisherige Entgelt beginnt erst am {current.valid_from:%d.%m.%Y}; der neue "
                "Satz muss danach beginnen.",
            )
        later = rates.filter(valid_from__gt=valid_from).order_by("valid_from").first()
        if later is not None:
            raise Conflict(
                "rate_overlap",
                f"Ab dem {later.valid_from:%d.%m.%Y} ist schon ein späteres Entgelt vereinbart.",
            )
        billed = (
            Leistungsnachweis.objects.for_tenant(angebot.tenant_id)
            .filter(platz__angebot=angebot, period_end__gte=valid_from)
            .exclude(
                status__in=[Leistungsnachweis.Status.ENTWURF, Leistungsnachweis.Status.ERSETZT]
            )
            .order_by("-period_end")
            .first()
        )
        if billed is not None:
            raise Conflict(
                "rate_billed",
                f"Bis zum {billed.period_end:%d.%m.%Y} ist mit dem bisherigen Entgelt schon "
                "abgerechnet. Der neue Satz kann frühestens ab "
                f"{billed.period_end + timedelta(days=1):%d.%m.%Y} gelten.",
            )
        old_to, old_rate = current.valid_to, current.tagessatz
        if valid_to is not None and (old_to is None or valid_to < old_to):
            covered = f"bis zum {old_to:%d.%m.%Y}" if old_to else "bis auf Weiteres"
            raise PlacementsError(
                "rate_gap",
                f"Das bisherige Entgelt galt {covered}. Endet der neue Satz am "
                f"{valid_to:%d.%m.%Y}, bliebe danach kein Entgelt. Bitte das Ende leer lassen.",
            )
        current.valid_to = valid_from - timedelta(days=1)
        current.save(update_fields=["valid_to"])
        entgelt = Entgelt.objects.create(
            tenant_id=angebot.tenant_id,
            angebot=angebot,
            valid_from=valid_from,
            # A limited old rate stays limited: the new one takes over its end.
            valid_to=valid_to if valid_to is not None else old_to,
            leistungsentgelt=leistungsentgelt,
            grundleistung=grundleistung,
            investitionsbetrag=investitionsbetrag,
            absence_share=absence_share,
        )
        events.record(
            actor,
            [angebot.tenant_id],
            "placements.entgelt.change",
            angebot,
            {
                "tagessatz": {"old": str(old_rate), "new": str(entgelt.tagessatz)},
                "ab": {"old": current.valid_from.isoformat(), "new": valid_from.isoformat()},
                "bisheriges_bis": {
                    "old": old_to and old_to.isoformat(),
                    "new": current.valid_to.isoformat(),
                },
            },
        )
        return entgelt

    return critical(work, angebote=[angebot.pk])


def end_entgelt(*, actor: Actor, entgelt: Entgelt, valid_to: date) -> Entgelt:
    """Limit an open-ended rate so a new one can follow."""
    if valid_to < entgelt.valid_from:
        raise PlacementsError("period", "Das Ende liegt vor dem Beginn des Zeitraums.")
    with transaction.atomic():
        old = entgelt.valid_to
        entgelt.valid_to = valid_to
        entgelt.save(update_fields=["valid_to"])
        events.record(
            actor,
            [entgelt.tenant_id],
            "placements.entgelt.end",
            entgelt.angebot,
            {"valid_to": {"old": old and old.isoformat(), "new": valid_to.isoformat()}},
        )
    return entgelt


STANDBY_PAYER_KINDS = frozenset({Mandant.Kind.KREIS, Mandant.Kind.GEMEINDE})


def add_plaetze(
    *,
    actor: Actor,
    angebot: Angebot,
    count: int,
    valid_from: date,
    valid_to: date | None = None,
    frei_ab: date | None = None,
    standby_jugendamt: Mandant | None = None,
    label_prefix: str = "Platz",
) -> list[Platz]:
    """Add capacity to an Angebot for a period; standby places name the youth office
    that pays for them every day."""
    if not 1 <= count <= 500:
        raise PlacementsError("count", "Bitte zwischen 1 und 500 Plätze auf einmal anlegen.")
    if valid_to is not None and valid_to < valid_from:
        raise PlacementsError("period", "Das Ende liegt vor dem Beginn des Zeitraums.")
    if standby_jugendamt is not None and standby_jugendamt.kind not in STANDBY_PAYER_KINDS:
        raise PlacementsError(
            "standby_payer",
            "Einen Vorhalteplatz bezahlt ein Jugendamt (Kreis oder Stadt), kein "
            f"{standby_jugendamt.get_kind_display()}.",
        )

    def work() -> list[Platz]:
        existing = Platz.objects.for_tenant(angebot.tenant_id).filter(angebot=angebot).count()
        plaetze = Platz.objects.bulk_create(
            [
                Platz(
                    tenant_id=angebot.tenant_id,
                    einrichtung_id=angebot.einrichtung_id,
                    angebot=angebot,
                    label=f"{label_prefix} {existing + i + 1}",
                    valid_from=valid_from,
                    valid_to=valid_to,
                    frei_ab=frei_ab,
                    is_standby=standby_jugendamt is not None,
                    standby_jugendamt=standby_jugendamt,
                )
                for i in range(count)
            ]
        )
        events.record(
            actor,
            [angebot.tenant_id],
            "placements.plaetze.add",
            angebot,
            {"plaetze": {"old": existing, "new": existing + count}}
            | (
                {"vorhalteplatz_fuer": {"old": None, "new": standby_jugendamt.name}}
                if standby_jugendamt is not None
                else {}
            ),
        )
        events.offer_changed(angebot)
        return plaetze

    return critical(work, angebote=[angebot.pk])


def _set_frei(actor: Actor, platz: Platz, frei_ab: date | None) -> Platz:
    fresh = Platz.objects.for_tenant(platz.tenant_id).get(pk=platz.pk)
    if frei_ab is not None:
        if fresh.valid_to is not None and frei_ab > fresh.valid_to:
            raise PlacementsError("after_end", "Der Platz besteht zu diesem Datum nicht mehr.")
        busy = Belegung.objects.for_tenant(platz.tenant_id).filter(
            Q(ende__isnull=True) | Q(ende__gte=frei_ab), platz=fresh
        )
        if busy.exists():
            raise Conflict(
                "occupied",
                "Der Platz ist zu diesem Datum belegt. Er kann erst nach dem Ende der Belegung frei werden.",
            )
    old = fresh.frei_ab
    fresh.frei_ab = frei_ab
    fresh.save(update_fields=["frei_ab", "changed_at"])
    events.record(
        actor,
        [fresh.tenant_id],
        "placements.platz.frei",
        fresh,
        {"frei_ab": {"old": old and old.isoformat(), "new": frei_ab and frei_ab.isoformat()}},
    )
    return fresh


def set_frei(*, actor: Actor, platz: Platz, frei_ab: date | None) -> Platz:
    """Offer a place in the exchange from ``frei_ab`` (or take it off with None). A place
    that is occupied cannot be offered before its Belegung ends."""

    def work() -> Platz:
        fresh = _set_frei(actor, platz, frei_ab)
        events.offer_changed(fresh.angebot)
        return fresh

    return critical(work, angebote=[platz.angebot_id])


def set_frei_many(
    *, actor: Actor, angebot: Angebot, frei_ab: Mapping[Platz, date | None]
) -> list[Platz]:
    """Several places of one Angebot at once (the provider's one form for all of them),
    under one lock and all or nothing: a refused place names itself and nothing is saved.
    Only places whose date changes are written and audited."""
    if any(p.angebot_id != angebot.pk for p in frei_ab):
        raise PlacementsError("other_angebot", "Ein Platz gehört zu einem anderen Angebot.")

    def work() -> list[Platz]:
        changed = []
        for platz, when in sorted(frei_ab.items(), key=lambda item: item[0].label):
            current = Platz.objects.for_tenant(angebot.tenant_id).get(pk=platz.pk)
            if current.frei_ab == when:
                continue
            try:
                changed.append(_set_frei(actor, current, when))
            except PlacementsError as exc:
                raise type(exc)(exc.code, f"{current.label}: {exc.message}") from exc
        if changed:
            events.offer_changed(angebot)
        return changed

    return critical(work, angebote=[angebot.pk])


# --- youth office: needs ------------------------------------------------------------------


def create_gesuch(
    *,
    actor: Actor,
    tenant: Mandant,
    betreuungsform: Betreuungsform,
    alter: int,
    geschlecht: str,
    ab_datum: date,
    region: Region,
    radius_km: int = 50,
    merkmale: Iterable[Merkmal] = (),
    kostenzusage: str = "",
) -> Platzgesuch:
    """The pseudonymous need of one person; the pseudonym is generated, never a name.
    ``kostenzusage`` is the youth office's cost commitment or file number (optional; the
    invoices of the case carry it as BT-12)."""
    fb = betreuungsform.fachbereich
    if not fb.age_min <= alter <= fb.age_max:
        raise PlacementsError(
            "age", f"Das Alter muss zwischen {fb.age_min} und {fb.age_max} Jahren liegen."
        )
    if geschlecht not in {"w", "m", "d"}:
        raise PlacementsError(
            "gender", "Bitte ein Geschlecht angeben (weiblich, männlich, divers)."
        )
    if not 1 <= radius_km <= 1000:
        raise PlacementsError("radius", "Der Umkreis liegt zwischen 1 und 1.000 km.")
    merkmale = list(merkmale)
    if any(m.fachbereich_id != fb.pk for m in merkmale):
        raise PlacementsError("merkmal_field", "Ein Merkmal gehört zu einem anderen Fachbereich.")
    with transaction.atomic():
        number = counters.next_value(tenant.pk, f"gesuch:{ab_datum.year}")
        gesuch = Platzgesuch.objects.create(
            tenant=tenant,
            fachbereich=fb,
            betreuungsform=betreuungsform,
            pseudonym=f"G-{ab_datum.year}-{number:05d}",
            alter=alter,
            geschlecht=geschlecht,
            ab_datum=ab_datum,
            region=region,
            radius_km=radius_km,
            kostenzusage=_kostenzusage(kostenzusage),
            created_by=actor,
        )
        gesuch.merkmale.set(merkmale)
        events.record(actor, [tenant.pk], "placements.gesuch.create", gesuch)
    return gesuch


def _kostenzusage(text: str) -> str:
    value = " ".join((text or "").split())
    if len(value) > 60:
        raise PlacementsError(
            "kostenzusage_too_long", "Die Kostenzusage/das Aktenzeichen ist länger als 60 Zeichen."
        )
    return value


def set_kostenzusage(*, actor: Actor, gesuch: Platzgesuch, kostenzusage: str) -> Platzgesuch:
    """The youth office enters or corrects its Kostenzusage/Aktenzeichen of the case
    (often known only after the placement); invoices built from now on carry it (BT-12)."""
    value = _kostenzusage(kostenzusage)
    with transaction.atomic():
        fresh = (
            Platzgesuch.objects.for_tenant(gesuch.tenant_id).select_for_update().get(pk=gesuch.pk)
        )
        old = fresh.kostenzusage
        if old != value:
            fresh.kostenzusage = value
            fresh.save(update_fields=["kostenzusage"])
            events.record(
                actor,
                [fresh.tenant_id],
                "placements.gesuch.kostenzusage",
                fresh,
                {"kostenzusage": {"old": old, "new": value}},
            )
    return fresh


def withdraw_gesuch(*, actor: Actor, gesuch: Platzgesuch, reason: str) -> Platzgesuch:
    """The need is gone (placed elsewhere, returned home): all open holds are released."""
    reason = need_reason(reason, max_length=HOLD_REASON_MAX_LENGTH)
    open_holds = list(
        Reservierung.objects.for_party(gesuch.tenant_id)
        .filter(gesuch=gesuch, status=Reservierung.Status.OFFEN)
        .values_list("platz__angebot_id", flat=True)
    )

    def work() -> Platzgesuch:
        fresh = Platzgesuch.objects.for_tenant(gesuch.tenant_id).get(pk=gesuch.pk)
        if fresh.status != Platzgesuch.Status.OFFEN:
            raise Conflict("gesuch_closed", "Das Gesuch ist nicht mehr offen.")
        _release_holds(actor, fresh, Reservierung.Status.ZURUECKGEZOGEN, reason)
        fresh.status = Platzgesuch.Status.ZURUECKGEZOGEN
        fresh.save(update_fields=["status"])
        events.record(actor, [fresh.tenant_id], "placements.gesuch.withdraw", fresh, reason=reason)
        return fresh

    return critical(work, angebote=open_holds, gesuche=[gesuch.pk])


# --- holds and occupancy --------------------------------------------------------------------


def _close_expired(angebot_id: uuid.UUID, now: datetime) -> int:
    """Close the holds of the Angebot whose time ran out (they stopped counting at
    ``expires_at`` already; this is the write that records it), with one audit event per
    Mandant concerned for the whole batch, naming every hold. Runs inside the locked
    section, so its cost must not grow with the backlog: one SELECT, one UPDATE and at most
    one event per chain (the provider's and each youth office's), never one per hold."""
    expired = list(
        Reservierung.objects.unscoped()
        .filter(
            platz__angebot_id=angebot_id,
            status=Reservierung.Status.OFFEN,
            expires_at__lte=now,
        )
        .values_list("pk", "tenant_id", "jugendamt_id")
    )
    if not expired:
        return 0
    Reservierung.objects.unscoped().filter(pk__in=[pk for pk, _, _ in expired]).update(
        status=Reservierung.Status.ABGELAUFEN, decided_at=now
    )
    chains: dict[uuid.UUID, list[str]] = {}
    for pk, provider_id, jugendamt_id in expired:
        chains.setdefault(provider_id, []).append(str(pk))
        if jugendamt_id != provider_id:
            chains.setdefault(jugendamt_id, []).append(str(pk))
    for tenant_id, ids in chains.items():
        audit.record(
            actor=None,
            tenant_id=tenant_id,
            action="placements.reservierung.expire",
            obj=("placements.angebot", angebot_id),
            changes={"status": {"old": "offen", "new": "abgelaufen"}, "reservierungen": ids},
            reason="Reservierungsfrist abgelaufen",
        )
    return len(expired)


def free_places(angebot_id: uuid.UUID, now: datetime) -> Any:
    """Free places of one Angebot (see :func:`koffer.placements.search.free_places_q`)."""
    return Platz.objects.unscoped().filter(free_places_q(now), angebot_id=angebot_id)


def reserve(
    *,
    actor: Actor,
    gesuch: Platzgesuch,
    angebot: Angebot | None = None,
    platz: Platz | None = None,
    now: datetime | None = None,
) -> Reservierung:
    """Hold one free place of ``angebot`` (or the named ``platz``) for ``gesuch`` until the
    provider answers, at most ``reservation_hours`` of the Fachbereich. Raises
    :class:`Conflict` "vergeben" when no place is free, :class:`Busy` when the lock is busy."""
    now = now or timezone.now()
    if platz is not None:
        angebot = platz.angebot
    if angebot is None:
        raise NotFound("not_found", "Dieses Angebot gibt es nicht.")
    if not angebot.is_active or not angebot.einrichtung.is_active:
        raise Conflict("inactive", "Dieses Angebot ist nicht mehr aktiv.")
    if angebot.betreuungsform.fachbereich_id != gesuch.fachbereich_id:
        raise PlacementsError("field_mismatch", "Das Angebot gehört zu einem anderen Fachbereich.")
    hours = gesuch.fachbereich.reservation_hours
    angebot_id = angebot.pk
    # Most attempts on a full Angebot end here, with a plain read and without queueing
    # for the write lock; whoever finds a free place re-checks inside the lock.
    quick = free_places(angebot_id, now)
    if platz is not None:
        quick = quick.filter(pk=platz.pk)
    if not quick.exists():
        raise Conflict("vergeben", "Der Platz ist leider vergeben.")

    def work() -> Reservierung:
        fresh = Platzgesuch.objects.for_tenant(gesuch.tenant_id).get(pk=gesuch.pk)
        if fresh.status != Platzgesuch.Status.OFFEN:
            raise Conflict(
                "gesuch_closed",
                "Für dieses Gesuch wurde schon ein Platz vermittelt oder es wurde zurückgezogen.",
            )
        _close_expired(angebot_id, now)
        already = Reservierung.objects.for_party(gesuch.tenant_id).filter(
            gesuch=fresh, platz__angebot_id=angebot_id, status=Reservierung.Status.OFFEN
        )
        if already.exists():
            raise Conflict(
                "already_requested",
                "Für dieses Gesuch liegt bei diesem Angebot schon eine Anfrage vor.",
            )
        candidates = free_places(angebot_id, now)
        if platz is not None:
            candidates = candidates.filter(pk=platz.pk)
        chosen = candidates.order_by("frei_ab", "label", "pk").first()
        if chosen is None:
            raise Conflict("vergeben", "Der Platz ist leider vergeben.")
        try:
            with transaction.atomic():
                hold = Reservierung.objects.create(
                    tenant_id=chosen.tenant_id,
                    platz=chosen,
                    gesuch=fresh,
                    jugendamt_id=fresh.tenant_id,
                    expires_at=now + timedelta(hours=hours),
                    created_by=actor,
                )
        except IntegrityError as exc:  # the database's own guard (one open hold per place)
            raise Conflict("vergeben", "Der Platz ist leider vergeben.") from exc
        events.record(
            actor,
            [chosen.tenant_id, fresh.tenant_id],
            "placements.reservierung.create",
            hold,
            {
                "platz": {"old": None, "new": chosen.label},
                "gesuch": {"old": None, "new": fresh.pseudonym},
            },
        )
        events.offer_changed(angebot)
        return hold

    # The Gesuch is locked too: a confirm elsewhere (which locks it) either finishes first,
    # and this sees the child placed, or waits for this hold and withdraws it.
    return critical(work, angebote=[angebot_id], gesuche=[gesuch.pk])


def _load_hold(reservierung_id: uuid.UUID, tenant_id: uuid.UUID) -> Reservierung:
    try:
        return (
            Reservierung.objects.for_party(tenant_id)
            .select_related("platz", "gesuch")
            .get(pk=reservierung_id)
        )
    except Reservierung.DoesNotExist as exc:
        raise NotFound("not_found", "Diese Anfrage gibt es nicht.") from exc


def _check_open(hold: Reservierung, now: datetime) -> None:
    if hold.status == Reservierung.Status.OFFEN and hold.expires_at <= now:
        raise Conflict("expired", "Die Reservierung ist abgelaufen.")
    if hold.status != Reservierung.Status.OFFEN:
        raise Conflict(
            "already_decided",
            f"Über diese Anfrage wurde bereits entschieden ({hold.get_status_display()}).",
        )


def _release_holds(
    actor: Actor, gesuch: Platzgesuch, status: str, reason: str, keep: uuid.UUID | None = None
) -> int:
    now = timezone.now()
    holds = list(
        Reservierung.objects.for_party(gesuch.tenant_id)
        .filter(gesuch=gesuch, status=Reservierung.Status.OFFEN)
        .exclude(pk=keep)
        .select_related("platz__angebot")
    )
    for hold in holds:
        hold.status = status
        hold.decided_at = now
        hold.decided_by = actor
        hold.reason = reason
        hold.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        events.record(
            actor,
            [hold.tenant_id, hold.jugendamt_id],
            "placements.reservierung.withdraw",
            hold,
            reason=reason,
        )
        events.offer_changed(hold.platz.angebot)
    return len(holds)


def confirm(
    *,
    actor: User,
    tenant: Mandant,
    reservierung_id: uuid.UUID,
    beginn: date,
    now: datetime | None = None,
) -> Belegung:
    """The provider agrees: the hold becomes a Belegung from ``beginn``, the place leaves
    the exchange, and every other open request for the same person is withdrawn."""
    now = now or timezone.now()
    hold = _load_hold(reservierung_id, tenant.pk)
    if hold.tenant_id != tenant.pk:
        raise NotFound("not_found", "Diese Anfrage gibt es nicht.")
    others = list(
        Reservierung.objects.unscoped()  # the other providers' holds for the same person
        .filter(gesuch_id=hold.gesuch_id, status=Reservierung.Status.OFFEN)
        .values_list("platz__angebot_id", flat=True)
    )

    def work() -> Belegung:
        fresh = _load_hold(reservierung_id, tenant.pk)
        _check_open(fresh, now)
        gesuch = fresh.gesuch
        if beginn < gesuch.ab_datum - timedelta(days=30) or beginn > now.date() + timedelta(
            days=365
        ):
            raise PlacementsError(
                "beginn", "Der Beginn liegt zu weit vom gewünschten Datum entfernt."
            )
        overlapping = Belegung.objects.for_party(gesuch.tenant_id).filter(
            Q(ende__isnull=True) | Q(ende__gte=beginn), gesuch=gesuch
        )
        if overlapping.exists():
            raise Conflict(
                "kind_placed", "Für diese Person besteht schon eine Belegung in diesem Zeitraum."
            )
        place_busy = Belegung.objects.for_tenant(fresh.tenant_id).filter(
            Q(ende__isnull=True) | Q(ende__gte=beginn), platz_id=fresh.platz_id
        )
        if place_busy.exists():
            raise Conflict("vergeben", "Der Platz ist zu diesem Datum belegt.")
        platz = fresh.platz
        try:
            with transaction.atomic():
                belegung = Belegung.objects.create(
                    tenant_id=fresh.tenant_id,
                    platz=platz,
                    einrichtung_id=platz.einrichtung_id,
                    angebot_id=platz.angebot_id,
                    gesuch=gesuch,
                    reservierung=fresh,
                    jugendamt_id=gesuch.tenant_id,
                    alter_bei_beginn=gesuch.alter,
                    geschlecht=gesuch.geschlecht,
                    beginn=beginn,
                )
        except IntegrityError as exc:
            raise Conflict("kind_placed", "Für diese Person besteht schon eine Belegung.") from exc
        fresh.status = Reservierung.Status.ZUGESAGT
        fresh.decided_at = now
        fresh.decided_by = actor
        fresh.save(update_fields=["status", "decided_at", "decided_by"])
        platz.frei_ab = None
        platz.save(update_fields=["frei_ab", "changed_at"])
        gesuch.status = Platzgesuch.Status.VERMITTELT
        gesuch.save(update_fields=["status"])
        events.record(
            actor,
            [fresh.tenant_id, gesuch.tenant_id],
            "placements.belegung.create",
            belegung,
            {
                "beginn": {"old": None, "new": beginn.isoformat()},
                "platz": {"old": None, "new": platz.label},
            },
        )
        _release_holds(
            actor,
            gesuch,
            Reservierung.Status.ZURUECKGEZOGEN,
            f"automatisch zurückgezogen: Platz zugesagt ({platz.einrichtung.name})",
            keep=fresh.pk,
        )
        events.offer_changed(platz.angebot)
        return belegung

    return critical(work, angebote=[hold.platz.angebot_id, *others], gesuche=[hold.gesuch_id])


def decline(
    *,
    actor: User,
    tenant: Mandant,
    reservierung_id: uuid.UUID,
    reason: str,
    now: datetime | None = None,
) -> Reservierung:
    """The provider says no (with a reason); the place is free again at once."""
    reason = need_reason(reason, max_length=HOLD_REASON_MAX_LENGTH)
    return _decide(
        actor, tenant, reservierung_id, Reservierung.Status.ABGESAGT, reason, now, provider=True
    )


def withdraw(
    *,
    actor: User,
    tenant: Mandant,
    reservierung_id: uuid.UUID,
    reason: str,
    now: datetime | None = None,
) -> Reservierung:
    """The youth office takes its request back; the place is free again at once."""
    reason = need_reason(reason, max_length=HOLD_REASON_MAX_LENGTH)
    return _decide(
        actor,
        tenant,
        reservierung_id,
        Reservierung.Status.ZURUECKGEZOGEN,
        reason,
        now,
        provider=False,
    )


def _decide(
    actor: User,
    tenant: Mandant,
    reservierung_id: uuid.UUID,
    status: str,
    reason: str,
    now: datetime | None,
    *,
    provider: bool,
) -> Reservierung:
    now = now or timezone.now()
    hold = _load_hold(reservierung_id, tenant.pk)
    party = hold.tenant_id if provider else hold.jugendamt_id
    if party != tenant.pk:
        raise NotFound("not_found", "Diese Anfrage gibt es nicht.")

    def work() -> Reservierung:
        fresh = _load_hold(reservierung_id, tenant.pk)
        _check_open(fresh, now)
        fresh.status = status
        fresh.decided_at = now
        fresh.decided_by = actor
        fresh.reason = reason
        fresh.save(update_fields=["status", "decided_at", "decided_by", "reason"])
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            f"placements.reservierung.{'decline' if provider else 'withdraw'}",
            fresh,
            reason=reason,
        )
        events.offer_changed(fresh.platz.angebot)
        return fresh

    return critical(work, angebote=[hold.platz.angebot_id])


def end_belegung(
    *,
    actor: Actor,
    tenant: Mandant,
    belegung: Belegung,
    ende: date,
    grund: str,
    bemerkung: str = "",
    wieder_anbieten: bool = True,
) -> Belegung:
    """End an occupancy on ``ende`` (last day) with a reason; the place is offered again
    from the next day unless the provider says otherwise."""
    if grund not in Belegung.Endegrund.values:
        raise PlacementsError("grund", "Bitte einen Grund für das Ende der Belegung wählen.")
    if belegung.tenant_id != tenant.pk and belegung.jugendamt_id != tenant.pk:
        raise NotFound("not_found", "Diese Belegung gibt es nicht.")

    def work() -> Belegung:
        fresh = Belegung.objects.for_party(tenant.pk).select_related("platz").get(pk=belegung.pk)
        if fresh.ende is not None:
            raise Conflict("already_ended", "Diese Belegung ist bereits beendet.")
        if ende < fresh.beginn:
            raise PlacementsError("ende", "Das Ende liegt vor dem Beginn der Belegung.")
        fresh.ende = ende
        fresh.ende_grund = grund
        fresh.ende_bemerkung = bemerkung.strip()[:300]
        fresh.save(update_fields=["ende", "ende_grund", "ende_bemerkung"])
        platz = fresh.platz
        if wieder_anbieten and (platz.valid_to is None or platz.valid_to > ende):
            platz.frei_ab = ende + timedelta(days=1)
            platz.save(update_fields=["frei_ab", "changed_at"])
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            "placements.belegung.end",
            fresh,
            {"ende": {"old": None, "new": ende.isoformat()}, "grund": {"old": None, "new": grund}},
        )
        events.offer_changed(platz.angebot)
        return fresh

    return critical(work, angebote=[belegung.angebot_id])


def _locked_belegung(belegung: Belegung) -> Belegung:
    # The Belegung row is the lock: two entries for the same days cannot both pass.
    fresh = (
        Belegung.objects.for_tenant(belegung.tenant_id)
        .select_for_update()
        .filter(pk=belegung.pk)
        .first()
    )
    if fresh is None:
        raise NotFound("not_found", "Diese Belegung gibt es nicht.")
    return fresh


def _check_abwesenheit(
    fresh: Belegung, von: date, bis: date, grund: str, *, other_than: Abwesenheit | None = None
) -> str:
    """The days lie inside the Belegung and overlap no other absence; returns the reason."""
    if bis < von:
        raise PlacementsError("period", "Das Ende liegt vor dem Beginn der Abwesenheit.")
    grund = need_reason(grund, max_length=ABWESENHEIT_GRUND_MAX_LENGTH)
    if von < fresh.beginn or (fresh.ende is not None and bis > fresh.ende):
        ende = f"{fresh.ende:%d.%m.%Y}" if fresh.ende else "offen"
        raise PlacementsError(
            "outside",
            f"Die Abwesenheit liegt außerhalb der Belegung ({fresh.beginn:%d.%m.%Y} bis {ende}).",
        )
    overlapping = Abwesenheit.objects.for_tenant(fresh.tenant_id).filter(
        belegung=fresh, von__lte=bis, bis__gte=von
    )
    if other_than is not None:
        overlapping = overlapping.exclude(pk=other_than.pk)
    first = overlapping.first()
    if first is not None:
        raise Conflict(
            "absence_overlap",
            "Für diese Tage ist schon eine Abwesenheit erfasst "
            f"({first.von:%d.%m.%Y} bis {first.bis:%d.%m.%Y}).",
        )
    return grund


def _billed_note(
    fresh: Belegung, *perioden: tuple[date, date]
) -> tuple[list[AbgerechneterMonat], dict[str, Any]]:
    """The billed months the change touches, and the audit entry that records them: the
    change is kept, the invoice is not (see abrechnung/abgerechnet.py)."""
    billed = abgerechnete_monate(fresh, *perioden)
    if not billed:
        return billed, {}
    return billed, {"abgerechnet": {"old": None, "new": [b.audit_text() for b in billed]}}


def _span(a: Abwesenheit) -> str:
    return f"{a.von.isoformat()}–{a.bis.isoformat()}"


def record_abwesenheit(
    *, actor: Actor, belegung: Belegung, von: date, bis: date, grund: str
) -> Abwesenheit:
    """Days away from the facility; billed at the Entgelt's absence share. The days lie
    inside the Belegung and overlap no absence already recorded. Days of a month already
    billed are still taken, and the audit says which invoice they miss: the provider is
    warned (``abgerechnete_monate``) and a rejected invoice is corrected from the new data."""
    with transaction.atomic():
        fresh = _locked_belegung(belegung)
        grund = _check_abwesenheit(fresh, von, bis, grund)
        item = Abwesenheit.objects.create(
            tenant_id=fresh.tenant_id, belegung=fresh, von=von, bis=bis, grund=grund
        )
        _, billed = _billed_note(fresh, (von, bis))
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            "placements.abwesenheit.create",
            fresh,
            {"abwesenheit": {"old": None, "new": _span(item)}, **billed},
        )
    return item


def change_abwesenheit(
    *, actor: Actor, abwesenheit: Abwesenheit, von: date, bis: date, grund: str
) -> Abwesenheit:
    """Correct the days or the reason of an absence, under the rules of a new one. A
    billed month it leaves or enters is recorded as for a new absence."""
    with transaction.atomic():
        fresh = _locked_belegung(abwesenheit.belegung)
        item = Abwesenheit.objects.for_tenant(fresh.tenant_id).filter(pk=abwesenheit.pk).first()
        if item is None:
            raise NotFound("not_found", "Diese Abwesenheit gibt es nicht (mehr).")
        grund = _check_abwesenheit(fresh, von, bis, grund, other_than=item)
        old_span, old_grund = _span(item), item.grund
        old_period = (item.von, item.bis)
        item.von, item.bis, item.grund = von, bis, grund
        item.save(update_fields=["von", "bis", "grund"])
        _, billed = _billed_note(fresh, old_period, (von, bis))
        changes: dict[str, Any] = {"abwesenheit": {"old": old_span, "new": _span(item)}}
        if grund != old_grund:
            changes["grund"] = {"old": old_grund, "new": grund}
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            "placements.abwesenheit.change",
            fresh,
            changes | billed,
        )
    return item


def delete_abwesenheit(*, actor: Actor, abwesenheit: Abwesenheit) -> None:
    """Remove an absence entered by mistake; its days count as present again."""
    with transaction.atomic():
        fresh = _locked_belegung(abwesenheit.belegung)
        item = Abwesenheit.objects.for_tenant(fresh.tenant_id).filter(pk=abwesenheit.pk).first()
        if item is None:
            raise NotFound("not_found", "Diese Abwesenheit gibt es nicht (mehr).")
        _, billed = _billed_note(fresh, (item.von, item.bis))
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            "placements.abwesenheit.delete",
            fresh,
            {
                "abwesenheit": {"old": _span(item), "new": None},
                "grund": {"old": item.grund, "new": None},
            }
            | billed,
        )
        item.delete()


FIXTURES = Path(__file__).resolve().parent / "fixtures"


def load_default_catalogue(*, actor: Actor | None = None) -> list[Fachbereich]:
    """The shipped configuration: youth welfare, elder care and refugee housing, plus the
    demo regions. Running it again updates labels and adds what is new."""
    fields = json.loads((FIXTURES / "fachbereiche.json").read_text(encoding="utf-8"))
    regions = json.loads((FIXTURES / "regionen.json").read_text(encoding="utf-8"))
    loaded = [load_catalogue(actor=actor, data=data) for data in fields]
    with transaction.atomic():
        for region in regions:
            Region.objects.update_or_create(
                name=region["name"], defaults={"lat": region["lat"], "lon": region["lon"]}
            )
    return loaded
