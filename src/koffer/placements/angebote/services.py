"""Writes of the provider side: Trägerprofil, Einrichtung, Angebot (with its absence
rounding), Entgelt (day rates and their changes) and Platz (adding places, offering them
free). Same rules as every write of the Platzbörse (see :mod:`koffer.placements.belegung.services`)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q

from koffer.audit import services as audit
from koffer.audit.services import Actor
from koffer.placements import events, rows
from koffer.placements.errors import Conflict, PlacementsError
from koffer.placements.locking import critical
from koffer.placements.models import (
    AbsenceRounding,
    Angebot,
    Belegung,
    Betreuungsform,
    Einrichtung,
    Entgelt,
    Fachbereich,
    Leistungsnachweis,
    Merkmal,
    Platz,
    Traegerprofil,
)
from koffer.tenancy.models import Mandant


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
    return rows.change_field(
        actor=actor,
        row=angebot,
        field="absence_rounding",
        value=absence_rounding,
        action="placements.angebot.rundung",
    )


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

    return critical(work, angebote=[(angebot.tenant_id, angebot.pk)])


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

    return critical(work, angebote=[(angebot.tenant_id, angebot.pk)])


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

    return critical(work, angebote=[(angebot.tenant_id, angebot.pk)])


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

    return critical(work, angebote=[(platz.tenant_id, platz.angebot_id)])


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

    return critical(work, angebote=[(angebot.tenant_id, angebot.pk)])
