"""Billing of the Platzbörse: Leistungsnachweis → XRechnung → the youth office's decision.

Once a month the provider computes a Leistungsnachweis for every Belegung: the days of the
Belegung within the month (first and last day included), absence days (Abwesenheit rows)
paid at the share agreed in the Entgelt, every day at the Tagessatz valid on that day, so
a rate change in mid-month gives two positions. A day without a valid Entgelt stops the
computation with the dates named (nothing is stored). The provider confirms the
Nachweis; the confirmed Nachweis becomes one XRechnung (CII) to the youth office's
Leitweg-ID, checked against the XML schema, EN 16931 and the KoSIT XRechnung rules. Only
an invoice that passed all three checks can be sent; one that failed keeps its findings
(rule, field, message) and can be built again after the data was fixed. The youth office
checks each sent invoice against its own Belegungen (:func:`~koffer.placements.abrechnung.pruefung.check_rechnung`) and
approves it or rejects it with a reason.

Standby places (Vorhalteplätze) are paid by their contracting youth office for every day
the place exists in the month, occupied or not, at the full Tagessatz
(:func:`compute_standby_nachweis`). A Belegung on a standby place is therefore never billed
on its own: the place's standby Nachweis already pays for those days, and billing the
Belegung as well would pay them twice.

Amounts are Decimal: a position's price is the Tagessatz times the share, rounded half up
to cents, and its amount the number of days times that price, rounded again, which is
exactly how the XRechnung line amount (BT-131) is computed, so the Nachweis and its
invoice agree to the cent by construction.

Where the rest lives: the positions and the months in words in
:mod:`~koffer.placements.abrechnung.positions`, the youth office's check in
:mod:`~koffer.placements.abrechnung.pruefung`, the month-end job in
:mod:`~koffer.placements.abrechnung.monatsabrechnung` (it runs the ``*_for_*``,
``confirm_draft`` and ``build_invoice`` steps below inside its own transactions).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from koffer import formats
from koffer.accounts.models import User
from koffer.audit.reasons import need_reason
from koffer.audit.services import Actor
from koffer.blobs.store import BlobNotFound, get_store
from koffer.placements import events, rows
from koffer.placements.abrechnung.pdf import invoice_data, render_rechnung
from koffer.placements.abrechnung.positions import (
    ABWESENHEIT,
    ANWESENHEIT,
    VORHALTUNG,
    Sources,
    belegung_label,
    belegung_positions,
    euro_price,
    month_bounds,
    platz_label,
    standby_positions,
    total_of,
)
from koffer.placements.access import AGGREGATE_ONLY_KINDS
from koffer.placements.errors import Conflict, NotFound, PlacementsError
from koffer.placements.models import (
    Belegung,
    Fachbereich,
    Leistungsnachweis,
    Platz,
    Rechnung,
    Rechnungsanschrift,
    Traegerprofil,
    with_gesuch,
)
from koffer.placements.xrechnung import Finding, build_cii, validate
from koffer.placements.xrechnung.document import (
    YOUTH_WELFARE_EXEMPTION,
    Address,
    BillingBasis,
    Buyer,
    ElectronicAddress,
    Invoice,
    InvoiceLine,
    PaymentMeans,
    Period,
    PrecedingInvoice,
    Seller,
    SellerContact,
    UnitCode,
    VatExemption,
)
from koffer.tenancy import counters
from koffer.tenancy.models import Mandant

PAYMENT_DAYS = 30

# What the youth office sees: an invoice exists for it only once the provider sent it.
SENT_STATES = (
    Rechnung.Status.VERSENDET,
    Rechnung.Status.FREIGEGEBEN,
    Rechnung.Status.ABGELEHNT,
)


# --- the youth office's invoice address -----------------------------------------------------------


def save_rechnungsanschrift(
    *,
    actor: Actor | None,
    tenant: Mandant,
    street: str,
    postcode: str,
    city: str,
    bezeichnung: str = "",
) -> Rechnungsanschrift:
    """Where the youth office receives invoices (buyer name and address on every
    XRechnung to it); invoices built afterwards carry it."""
    values = {
        "bezeichnung": " ".join(bezeichnung.split())[:200],
        "street": " ".join(street.split())[:200],
        "postcode": postcode.strip()[:10],
        "city": " ".join(city.split())[:100],
    }
    if not values["postcode"] or not values["city"]:
        raise PlacementsError(
            "address_required", "Postleitzahl und Ort der Rechnungsanschrift sind Pflicht."
        )
    if tenant.kind in AGGREGATE_ONLY_KINDS:
        raise PlacementsError("not_a_payer", "Aufsichtsbehörden erhalten keine Rechnungen.")
    with transaction.atomic():
        anschrift = Rechnungsanschrift.objects.for_tenant(tenant).select_for_update().first()
        old = {k: getattr(anschrift, k) for k in values} if anschrift else {}
        if anschrift is None:
            anschrift = Rechnungsanschrift.objects.create(tenant=tenant, **values)
        else:
            for key, value in values.items():
                setattr(anschrift, key, value)
            anschrift.save(update_fields=list(values))
        events.record(
            actor,
            [tenant.pk],
            "placements.rechnungsanschrift.save",
            anschrift,
            {k: {"old": old.get(k), "new": v} for k, v in values.items() if old.get(k) != v},
        )
    return anschrift


# --- Leistungsnachweis ------------------------------------------------------------------------


def _check_done(end: date, today: date) -> None:
    if end > today:
        raise PlacementsError(
            "not_yet",
            f"Abgerechnet werden nur erbrachte Leistungen: der {end:%d.%m.%Y} liegt noch in der "
            "Zukunft. Bitte nach dem Monatsende erneut berechnen.",
        )


def _already_billed(nachweis: Leistungsnachweis, what: str) -> Conflict:
    rechnung = Rechnung.objects.for_tenant(nachweis.tenant_id).filter(nachweis=nachweis).first()
    suffix = f", Rechnung {rechnung.number}" if rechnung is not None else ""
    return Conflict(
        "already_billed",
        f"{what}: Der {formats.month_label(nachweis.monat)} ist bereits abgerechnet (Leistungsnachweis "
        f"{nachweis.get_status_display()}{suffix}). Ein bestätigter Leistungsnachweis wird "
        "nicht neu berechnet; korrigiert werden kann er, wenn das Jugendamt die Rechnung "
        "abgelehnt hat.",
    )


def _nachweis_values(period: tuple[date, date], positions: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "period_start": period[0],
        "period_end": period[1],
        "anwesenheitstage": sum(p["tage"] for p in positions if p["art"] == ANWESENHEIT),
        "abwesenheitstage": sum(p["tage"] for p in positions if p["art"] == ABWESENHEIT),
        "vorhaltetage": sum(p["tage"] for p in positions if p["art"] == VORHALTUNG),
        "positionen": positions,
        "betrag": total_of(positions),
    }


def _store_nachweis(
    *,
    actor: Actor | None,
    existing: Leistungsnachweis | None,
    tenant_id: uuid.UUID,
    belegung: Belegung | None,
    platz: Platz,
    jugendamt: Mandant,
    monat: date,
    period: tuple[date, date],
    positions: list[dict[str, Any]],
    what: str,
) -> Leistungsnachweis:
    """Create the Nachweis, or recompute a draft in place; a confirmed one is left alone."""
    if existing is not None and existing.status != Leistungsnachweis.Status.ENTWURF:
        raise _already_billed(existing, what)
    values = _nachweis_values(period, positions)
    if existing is not None:
        old = existing.betrag
        for key, value in values.items():
            setattr(existing, key, value)
        existing.save(update_fields=list(values))
        nachweis = existing
        action = "placements.nachweis.recompute"
    else:
        old = None
        try:
            with transaction.atomic():
                nachweis = Leistungsnachweis.objects.create(
                    tenant_id=tenant_id,
                    belegung=belegung,
                    platz=platz,
                    jugendamt=jugendamt,
                    monat=monat,
                    **values,
                )
        except IntegrityError as exc:
            raise Conflict(
                "concurrent_change",
                f"{what}: Der Leistungsnachweis wurde gerade gleichzeitig erstellt. Bitte die "
                "Seite neu laden.",
            ) from exc
        action = "placements.nachweis.compute"
    # Belongs to the provider alone until an invoice is sent.
    events.record(
        actor,
        [tenant_id],
        action,
        nachweis,
        {
            "monat": {"old": None, "new": monat.isoformat()[:7]},
            "betrag": {"old": old and str(old), "new": str(nachweis.betrag)},
        },
    )
    return nachweis


def _existing(
    tenant_id: uuid.UUID, *, belegung_id: uuid.UUID | None, platz_id: uuid.UUID, monat: date
) -> Leistungsnachweis | None:
    qs = (
        Leistungsnachweis.objects.for_tenant(tenant_id)
        .filter(monat=monat)
        .exclude(status=Leistungsnachweis.Status.ERSETZT)
    )
    if belegung_id is not None:
        qs = qs.filter(belegung_id=belegung_id)
    else:
        qs = qs.filter(belegung__isnull=True, platz_id=platz_id)
    return qs.select_for_update().first()


def compute_for_belegung(
    actor: Actor | None,
    belegung: Belegung,
    monat: date,
    sources: Sources,
    today: date,
    existing: Leistungsnachweis | None,
) -> Leistungsnachweis:
    what = belegung_label(belegung)
    if belegung.platz.is_standby:
        raise PlacementsError(
            "standby_place",
            f"{what}: Belegungen auf Vorhalteplätzen werden nicht einzeln abgerechnet; die Tage "
            "sind mit dem Leistungsnachweis des Vorhalteplatzes bezahlt.",
        )
    if existing is not None and existing.status != Leistungsnachweis.Status.ENTWURF:
        raise _already_billed(existing, what)
    period, positions = belegung_positions(
        belegung,
        monat,
        sources.entgelte(belegung.angebot_id),
        sources.abwesenheiten(belegung.pk),
    )
    _check_done(period[1], today)
    return _store_nachweis(
        actor=actor,
        existing=existing,
        tenant_id=belegung.tenant_id,
        belegung=belegung,
        platz=belegung.platz,
        jugendamt=belegung.jugendamt,
        monat=monat,
        period=period,
        positions=positions,
        what=what,
    )


def compute_for_platz(
    actor: Actor | None,
    platz: Platz,
    monat: date,
    sources: Sources,
    today: date,
    existing: Leistungsnachweis | None,
) -> Leistungsnachweis:
    what = platz_label(platz)
    if not platz.is_standby or platz.standby_jugendamt is None:
        raise PlacementsError("not_standby", f"{what}: Dieser Platz ist kein Vorhalteplatz.")
    if existing is not None and existing.status != Leistungsnachweis.Status.ENTWURF:
        raise _already_billed(existing, what)
    period, positions = standby_positions(platz, monat, sources.entgelte(platz.angebot_id))
    _check_done(period[1], today)
    return _store_nachweis(
        actor=actor,
        existing=existing,
        tenant_id=platz.tenant_id,
        belegung=None,
        platz=platz,
        jugendamt=platz.standby_jugendamt,
        monat=monat,
        period=period,
        positions=positions,
        what=what,
    )


def belegung_qs(tenant_id: uuid.UUID) -> Any:
    # The Gesuch belongs to the youth office, another Mandant: fetched by its ids in a
    # second query, not joined (on Citus a join across Mandanten needs repartitioning).
    return with_gesuch(
        Belegung.objects.for_tenant(tenant_id).select_related(
            "platz", "einrichtung", "angebot__betreuungsform", "jugendamt"
        )
    )


def platz_qs(tenant_id: uuid.UUID) -> Any:
    return Platz.objects.for_tenant(tenant_id).select_related(
        "einrichtung", "angebot__betreuungsform", "standby_jugendamt"
    )


def compute_nachweis(
    *, actor: Actor, belegung: Belegung, monat: date, today: date | None = None
) -> Leistungsnachweis:
    """The Leistungsnachweis of one Belegung for the month ``monat`` (any day of it).

    Creates it, or recomputes it while it is a draft (Entwurf). After the youth office
    rejected its invoice it is corrected (see :func:`correct_nachweis`). Raises
    ``already_billed`` once it is confirmed or billed otherwise, ``rate_gap`` naming the days without a valid Entgelt,
    ``not_in_month``, ``not_yet`` for days still to come, ``standby_place`` for a Belegung
    on a standby place. On any error nothing is stored."""
    monat = month_bounds(monat)[0]
    today = today or timezone.localdate()
    with transaction.atomic():
        fresh = belegung_qs(belegung.tenant_id).filter(pk=belegung.pk).first()
        if fresh is None:
            raise NotFound("not_found", "Diese Belegung gibt es nicht.")
        existing = _existing(
            fresh.tenant_id, belegung_id=fresh.pk, platz_id=fresh.platz_id, monat=monat
        )
        if existing is not None and _rejected_invoice(existing) is not None:
            # Locked as correct_nachweis does: two computes at once must not both replace it.
            return _correct(actor, _lock_nachweis(existing), Sources(fresh.tenant_id), today)
        return compute_for_belegung(actor, fresh, monat, Sources(fresh.tenant_id), today, existing)


def compute_standby_nachweis(
    *, actor: Actor, platz: Platz, monat: date, today: date | None = None
) -> Leistungsnachweis:
    """The Leistungsnachweis of a standby place (Vorhalteplatz) for the month: every day the
    place exists in the month at the full Tagessatz, billed to the contracting youth office
    (``standby_jugendamt``). Belegungen on the place are not billed separately."""
    monat = month_bounds(monat)[0]
    today = today or timezone.localdate()
    with transaction.atomic():
        fresh = platz_qs(platz.tenant_id).filter(pk=platz.pk).first()
        if fresh is None:
            raise NotFound("not_found", "Diesen Platz gibt es nicht.")
        existing = _existing(fresh.tenant_id, belegung_id=None, platz_id=fresh.pk, monat=monat)
        if existing is not None and _rejected_invoice(existing) is not None:
            # Locked as correct_nachweis does: two computes at once must not both replace it.
            return _correct(actor, _lock_nachweis(existing), Sources(fresh.tenant_id), today)
        return compute_for_platz(actor, fresh, monat, Sources(fresh.tenant_id), today, existing)


def _rejected_invoice(nachweis: Leistungsnachweis) -> Rechnung | None:
    return (
        Rechnung.objects.for_tenant(nachweis.tenant_id)
        .filter(nachweis=nachweis, status=Rechnung.Status.ABGELEHNT)
        .first()
    )


def _correct(
    actor: Actor, old: Leistungsnachweis, sources: Sources, today: date
) -> Leistungsnachweis:
    if old.status == Leistungsnachweis.Status.ERSETZT:
        raise Conflict("already_corrected", "Dieser Leistungsnachweis wurde bereits korrigiert.")
    rejected = _rejected_invoice(old)
    if rejected is None:
        raise Conflict(
            "not_rejected",
            "Korrigiert wird ein Leistungsnachweis erst, wenn das Jugendamt seine Rechnung "
            "abgelehnt hat.",
        )
    if old.belegung_id is not None:
        belegung = belegung_qs(old.tenant_id).get(pk=old.belegung_id)
        what = belegung_label(belegung)
        period, positions = belegung_positions(
            belegung,
            old.monat,
            sources.entgelte(belegung.angebot_id),
            sources.abwesenheiten(belegung.pk),
        )
        platz, jugendamt_id = belegung.platz, belegung.jugendamt_id
    else:
        platz = platz_qs(old.tenant_id).get(pk=old.platz_id)
        what = platz_label(platz)
        if not platz.is_standby or platz.standby_jugendamt_id is None:
            raise PlacementsError("not_standby", f"{what}: Dieser Platz ist kein Vorhalteplatz.")
        period, positions = standby_positions(platz, old.monat, sources.entgelte(platz.angebot_id))
        jugendamt_id = platz.standby_jugendamt_id
    _check_done(period[1], today)
    # The rejected invoice and its Nachweis stay exactly as they were sent.
    old.status = Leistungsnachweis.Status.ERSETZT
    old.save(update_fields=["status"])
    nachweis = Leistungsnachweis.objects.create(
        tenant_id=old.tenant_id,
        belegung_id=old.belegung_id,
        platz=platz,
        jugendamt_id=jugendamt_id,
        monat=old.monat,
        korrektur_von=old,
        **_nachweis_values(period, positions),
    )
    events.record(
        actor,
        [old.tenant_id],
        "placements.nachweis.correct",
        nachweis,
        {
            "ersetzt": {"old": str(old.pk), "new": str(nachweis.pk)},
            "rechnung": rejected.number,
            "betrag": {"old": str(old.betrag), "new": str(nachweis.betrag)},
        },
        reason=f"{what}: Rechnung {rejected.number} abgelehnt: {rejected.decision_reason}",
    )
    return nachweis


def correct_nachweis(
    *, actor: Actor, nachweis: Leistungsnachweis, today: date | None = None
) -> Leistungsnachweis:
    """After the youth office rejected the invoice of ``nachweis``: a new draft Nachweis
    for the same month, computed from the data as it is now (corrected Belegung, absences,
    rates), takes its place; the rejected invoice and its Nachweis stay as they were sent
    (status ERSETZT). Confirmed, the draft gets a new invoice with a new number that names
    the rejected one (BT-25) and passes the three XRechnung checks again. Refused with
    ``not_rejected`` for any Nachweis whose invoice was not rejected."""
    today = today or timezone.localdate()
    with transaction.atomic():
        fresh = _lock_nachweis(nachweis)
        return _correct(actor, fresh, Sources(fresh.tenant_id), today)


def confirm_draft(actor: User | None, nachweis: Leistungsnachweis) -> Leistungsnachweis:
    if nachweis.status != Leistungsnachweis.Status.ENTWURF:
        raise Conflict(
            "already_confirmed",
            f"Der Leistungsnachweis ist bereits {nachweis.get_status_display()}.",
        )
    nachweis.status = Leistungsnachweis.Status.BESTAETIGT
    nachweis.confirmed_by = actor if getattr(actor, "pk", None) else None
    nachweis.confirmed_at = timezone.now()
    nachweis.save(update_fields=["status", "confirmed_by", "confirmed_at"])
    events.record(
        actor,
        [nachweis.tenant_id],
        "placements.nachweis.confirm",
        nachweis,
        {"status": {"old": "entwurf", "new": "bestaetigt"}},
    )
    return nachweis


def _lock_nachweis(nachweis: Leistungsnachweis) -> Leistungsnachweis:
    fresh = with_gesuch(
        Leistungsnachweis.objects.for_tenant(nachweis.tenant_id)
        .select_for_update(of=("self",))
        .select_related(
            "belegung__einrichtung",
            "belegung__platz",
            "platz__einrichtung",
            "platz__angebot__betreuungsform",
            "jugendamt",
        )
        .filter(pk=nachweis.pk),
        "belegung__gesuch",
    ).first()
    if fresh is None:
        raise NotFound("not_found", "Diesen Leistungsnachweis gibt es nicht.")
    return fresh


def confirm_nachweis(*, actor: User, nachweis: Leistungsnachweis) -> Leistungsnachweis:
    """The provider confirms the Nachweis as computed; from now on it is billed as it is."""
    with transaction.atomic():
        return confirm_draft(actor, _lock_nachweis(nachweis))


# --- Rechnung ---------------------------------------------------------------------------------


def invoice_number(tenant_id: uuid.UUID, year: int) -> str:
    """The next gap-free invoice number of the provider in ``year``: RE-2026-00001."""
    return f"RE-{year}-{counters.next_value(tenant_id, f'rechnung-{year}'):05d}"


def _finding(finding: Finding) -> dict[str, str]:
    return {
        "rule_id": finding.rule_id,
        "flag": finding.flag or "fatal",
        "field": finding.field,
        "message": finding.message,
        "location": finding.location,
        "check": finding.check,
    }


def _what(nachweis: Leistungsnachweis) -> str:
    if nachweis.belegung is not None:
        return belegung_label(nachweis.belegung)
    return platz_label(nachweis.platz)


def _einrichtung(nachweis: Leistungsnachweis) -> Any:
    """The facility, from the relation the callers have already loaded."""
    if nachweis.belegung is not None:
        return nachweis.belegung.einrichtung
    return nachweis.platz.einrichtung


def _ranges_text(position: dict[str, Any]) -> str:
    return formats.date_ranges(
        (date.fromisoformat(a), date.fromisoformat(b)) for a, b in position["zeitraeume"]
    )


def buyer_name(
    jugendamt: Mandant, anschrift: Rechnungsanschrift | None, fachbereich: Fachbereich | None
) -> str:
    """BT-44: the Rechnungsanschrift's name when it names the office that pays for this
    Fachbereich ("Landkreis Musterland, Jugendamt" for youth welfare), else the Mandant
    with that office ("Landkreis Musterland, Sozialamt" for elder care)."""
    bezeichnung = anschrift.bezeichnung if anschrift and anschrift.bezeichnung else ""
    payer = fachbereich.payer_label if fachbereich is not None else ""
    if not payer or payer.casefold() in bezeichnung.casefold():
        return bezeichnung or jugendamt.name
    return f"{jugendamt.name}, {payer}"


def exemption_of(fachbereich: Fachbereich | None) -> VatExemption:
    """The Fachbereich's VAT treatment (category, BT-120, BT-121); youth welfare's
    § 4 Nr. 25 UStG without one."""
    if fachbereich is None:
        return YOUTH_WELFARE_EXEMPTION
    return VatExemption(
        reason=fachbereich.tax_exemption_reason,
        reason_code=fachbereich.tax_exemption_code,
        category=fachbereich.tax_category,
    )


def invoice_document(
    *,
    nachweis: Leistungsnachweis,
    number: str,
    issue_date: date,
    profil: Traegerprofil,
    jugendamt: Mandant,
    anschrift: Rechnungsanschrift | None,
    replaces: Rechnung | None = None,
    fachbereich: Fachbereich | None = None,
) -> Invoice:
    """The XRechnung of a Nachweis as plain data. Missing data is left empty on purpose:
    the official rules then name it (a missing Leitweg-ID is BR-DE-15). The VAT
    exemption and the paying office come from the Fachbereich; the contract reference
    (BT-12) is the youth office's Kostenzusage/Aktenzeichen of the case, when known."""
    lines = tuple(
        InvoiceLine(
            line_id=str(number_),
            name=position["bezeichnung"],
            description=(
                f"{_what(nachweis)}: {position['tage']} Tage à {euro_price(Decimal(position['preis']))}"
                f" ({_ranges_text(position)})"
            ),
            quantity=Decimal(position["tage"]),
            net_price=Decimal(position["preis"]),
            unit=UnitCode.DAY,
            period=Period(date.fromisoformat(position["von"]), date.fromisoformat(position["bis"])),
        )
        for number_, position in enumerate(nachweis.positionen, start=1)
    )
    seller = Seller(
        name=profil.legal_name,
        address=Address(street=profil.street, postcode=profil.postcode, city=profil.city),
        contact=SellerContact(
            name=profil.contact_name, phone=profil.contact_phone, email=profil.contact_email
        ),
        electronic_address=ElectronicAddress(profil.contact_email),
        vat_id=profil.vat_id,
        tax_number=profil.tax_number,
        legal_registration_id=profil.registereintrag,
    )
    buyer = Buyer(
        name=buyer_name(jugendamt, anschrift, fachbereich),
        address=Address(
            street=anschrift.street if anschrift else "",
            postcode=anschrift.postcode if anschrift else "",
            city=anschrift.city if anschrift else "",
        ),
        electronic_address=ElectronicAddress(jugendamt.leitweg_id, scheme="0204"),
    )
    belegung_ref = str(nachweis.belegung_id or nachweis.platz_id)
    kostenzusage = nachweis.belegung.gesuch.kostenzusage if nachweis.belegung is not None else ""
    return Invoice(
        number=number,
        issue_date=issue_date,
        buyer_reference=jugendamt.leitweg_id,
        seller=seller,
        buyer=buyer,
        payment=PaymentMeans(iban=profil.iban, account_name=profil.legal_name, bic=profil.bic),
        period=Period(nachweis.period_start, nachweis.period_end),
        lines=lines,
        payment_terms=f"Zahlbar innerhalb von {PAYMENT_DAYS} Tagen ohne Abzug.",
        due_date=issue_date + timedelta(days=PAYMENT_DAYS),
        exemption=exemption_of(fachbereich),
        basis=BillingBasis(
            leistungsnachweis_id=str(nachweis.pk),
            leistungsnachweis_title=f"Leistungsnachweis {formats.month_label(nachweis.monat)}",
            belegung_id=belegung_ref,
            kostenzusage=kostenzusage,
        ),
        notes=(
            f"Leistungsnachweis {formats.month_label(nachweis.monat)}: {_what(nachweis)}.",
            *(
                (
                    f"Ersetzt die abgelehnte Rechnung {replaces.number} vom "
                    f"{replaces.issue_date:%d.%m.%Y}.",
                )
                if replaces is not None
                else ()
            ),
        ),
        preceding_invoice=(
            PrecedingInvoice(replaces.number, replaces.issue_date) if replaces is not None else None
        ),
    )


def build_invoice(
    actor: Actor | None,
    nachweis: Leistungsnachweis,
    sources: Sources,
    today: date,
    existing: Rechnung | None,
) -> Rechnung:
    if nachweis.status == Leistungsnachweis.Status.ENTWURF:
        raise PlacementsError(
            "not_confirmed", "Bitte den Leistungsnachweis zuerst prüfen und bestätigen."
        )
    if existing is not None and existing.status != Rechnung.Status.UNGUELTIG:
        raise Conflict(
            "already_invoiced",
            f"Für diesen Leistungsnachweis gibt es schon die Rechnung {existing.number} "
            f"({existing.get_status_display()}).",
        )
    profil = sources.profil()
    jugendamt = nachweis.jugendamt
    # An invoice that failed the checks was never sent: it is built again under its number.
    number = (
        existing.number if existing is not None else invoice_number(nachweis.tenant_id, today.year)
    )
    replaces = (
        Rechnung.objects.for_tenant(nachweis.tenant_id)
        .filter(nachweis_id=nachweis.korrektur_von_id)
        .first()
        if nachweis.korrektur_von_id
        else None
    )
    document = invoice_document(
        nachweis=nachweis,
        number=number,
        issue_date=today,
        profil=profil,
        jugendamt=jugendamt,
        anschrift=sources.anschrift(jugendamt.pk),
        replaces=replaces,
        fachbereich=sources.fachbereich(_einrichtung(nachweis).fachbereich_id),
    )
    xml = build_cii(document)
    report = validate(xml)
    ref = get_store().put(xml)
    values = {
        "issue_date": today,
        "leitweg_id": jugendamt.leitweg_id,
        "total": document.totals.due_payable,
        "xml_sha256": ref.sha256,
        "findings": [_finding(f) for f in (*report.errors, *report.warnings)],
        "status": Rechnung.Status.BEREIT if report.is_valid else Rechnung.Status.UNGUELTIG,
    }
    if existing is not None:
        for key, value in values.items():
            setattr(existing, key, value)
        existing.save(update_fields=list(values))
        rechnung = existing
        action = "placements.rechnung.rebuild"
    else:
        try:
            with transaction.atomic():
                rechnung = Rechnung.objects.create(
                    tenant_id=nachweis.tenant_id,
                    nachweis=nachweis,
                    jugendamt=jugendamt,
                    number=number,
                    **values,
                )
        except IntegrityError as exc:
            raise Conflict(
                "concurrent_change",
                "Für diesen Leistungsnachweis wurde gerade gleichzeitig eine Rechnung erstellt.",
            ) from exc
        action = "placements.rechnung.create"
    if nachweis.status != Leistungsnachweis.Status.ABGERECHNET:
        nachweis.status = Leistungsnachweis.Status.ABGERECHNET
        nachweis.save(update_fields=["status"])
    events.record(
        actor,
        [nachweis.tenant_id],
        action,
        rechnung,
        {
            "number": {"old": None, "new": number},
            "status": {"old": None, "new": rechnung.status},
            "total": {"old": None, "new": str(rechnung.total)},
            "rules": sorted({f.rule_id for f in report.errors}),
        }
        | ({"ersetzt": replaces.number} if replaces is not None else {}),
    )
    return rechnung


def create_rechnung(
    *, actor: Actor, nachweis: Leistungsnachweis, today: date | None = None
) -> Rechnung:
    """The XRechnung of a confirmed Nachweis: numbered gap-free per provider and year
    (RE-2026-00001), built from the Trägerprofil, the youth office (name, Leitweg-ID,
    Rechnungsanschrift) and the positions, checked with all three official checks and
    stored in the blob store. Status BEREIT when it passed, UNGUELTIG with the findings
    otherwise; an UNGUELTIG invoice is built again (same number) by calling this again."""
    today = today or timezone.localdate()
    with transaction.atomic():
        fresh = _lock_nachweis(nachweis)
        existing = Rechnung.objects.for_tenant(fresh.tenant_id).filter(nachweis=fresh).first()
        return build_invoice(actor, fresh, Sources(fresh.tenant_id), today, existing)


def rechnung_xml(rechnung: Rechnung) -> bytes:
    """The invoice's XML as stored (and sent)."""
    try:
        with get_store().open(rechnung.xml_sha256) as stream:
            return stream.read()
    except BlobNotFound as exc:
        raise Conflict(
            "xml_missing", "Die XML-Datei dieser Rechnung fehlt im Dokumentenspeicher."
        ) from exc


def stated_exemption(rechnung: Rechnung) -> str:
    """Why the invoice charges no VAT, as its XML says (BT-120): what was sent, not what the
    Fachbereich is configured to say today. Empty when the XML is missing."""
    try:
        return str(invoice_data(rechnung_xml(rechnung))["steuer"])
    except Conflict:
        return ""


def rechnung_pdf(rechnung: Rechnung) -> bytes:
    """The invoice as a human-readable, tagged PDF, made from its stored XML (see
    :mod:`koffer.placements.abrechnung.pdf`)."""
    return render_rechnung(rechnung_xml(rechnung), today=timezone.localdate())


def record_read(
    *,
    actor: Actor,
    tenant: Mandant,
    obj: Rechnung | Leistungsnachweis,
    nachweis: Leistungsnachweis,
    purpose: str,
) -> None:
    """Billing shows the child's pseudonym and days: every opening and download of a
    Nachweis or Rechnung is logged, naming the child of the Belegung (none for standby)."""
    events.record_read(
        actor=actor,
        tenant=tenant,
        obj=obj,
        subject=nachweis.belegung.gesuch if nachweis.belegung is not None else None,
        purpose=purpose,
    )


def broken_rules(findings: Iterable[dict[str, Any]]) -> str:
    errors = [f for f in findings if f.get("flag", "fatal") in ("", "fatal", "error")]
    return "; ".join(f"{f['rule_id']} ({f['field']})" for f in errors)


def _lock_rechnung(rechnung: Rechnung) -> Rechnung:
    return rows.locked(rechnung, "Diese Rechnung gibt es nicht.")


def send_rechnung(*, actor: Actor, rechnung: Rechnung) -> Rechnung:
    """Send a checked invoice to the youth office's Rechnungseingang. Only from BEREIT;
    the stored XML is checked once more right before, so a rule update in between
    cannot let an invalid invoice out. An invalid one is refused naming the rules."""
    with transaction.atomic():
        fresh = _lock_rechnung(rechnung)
        if fresh.status == Rechnung.Status.UNGUELTIG:
            raise PlacementsError(
                "invalid_invoice",
                f"Die Rechnung {fresh.number} verletzt Prüfregeln und kann nicht versendet "
                f"werden: {broken_rules(fresh.findings)}.",
            )
        if fresh.status != Rechnung.Status.BEREIT:
            raise Conflict(
                "already_sent",
                f"Die Rechnung {fresh.number} ist bereits {fresh.get_status_display()}.",
            )
        report = validate(rechnung_xml(fresh))
        if not report.is_valid:
            fresh.status = Rechnung.Status.UNGUELTIG
            fresh.findings = [_finding(f) for f in (*report.errors, *report.warnings)]
            fresh.save(update_fields=["status", "findings"])
            events.record(
                actor,
                [fresh.tenant_id],
                "placements.rechnung.invalid",
                fresh,
                {"rules": sorted({f.rule_id for f in report.errors})},
            )
        else:
            fresh.status = Rechnung.Status.VERSENDET
            fresh.sent_at = timezone.now()
            fresh.save(update_fields=["status", "sent_at"])
            events.record(
                actor,
                [fresh.tenant_id, fresh.jugendamt_id],
                "placements.rechnung.send",
                fresh,
                {"status": {"old": "bereit", "new": "versendet"}, "number": fresh.number},
            )
    if fresh.status == Rechnung.Status.UNGUELTIG:
        raise PlacementsError(
            "invalid_invoice",
            f"Die Rechnung {fresh.number} verletzt Prüfregeln und kann nicht versendet werden: "
            f"{broken_rules(fresh.findings)}.",
        )
    return fresh


def send_ready_rechnungen(*, actor: Actor, tenant: Mandant, monat: date) -> tuple[int, list[str]]:
    """Send every checked invoice of the month; each one on its own. Returns how many
    were sent and the messages of those that could not be."""
    monat = month_bounds(monat)[0]
    ids = list(
        Rechnung.objects.for_tenant(tenant)
        .filter(status=Rechnung.Status.BEREIT, nachweis__monat=monat)
        .order_by("number")
        .values_list("pk", flat=True)
    )
    sent, problems = 0, []
    for rechnung_id in ids:
        rechnung = Rechnung.objects.for_tenant(tenant).filter(pk=rechnung_id).first()
        if rechnung is None:
            continue
        try:
            send_rechnung(actor=actor, rechnung=rechnung)
        except PlacementsError as exc:
            problems.append(exc.message)
        else:
            sent += 1
    return sent, problems


def _decide(
    actor: User, tenant: Mandant, rechnung: Rechnung, status: str, reason: str, action: str
) -> Rechnung:
    if rechnung.jugendamt_id != tenant.pk:
        raise NotFound("not_found", "Diese Rechnung gibt es nicht.")
    with transaction.atomic():
        fresh = _lock_rechnung(rechnung)
        if fresh.status not in SENT_STATES:
            raise NotFound("not_found", "Diese Rechnung gibt es nicht.")
        if fresh.status != Rechnung.Status.VERSENDET:
            raise Conflict(
                "already_decided",
                f"Über die Rechnung {fresh.number} wurde bereits entschieden "
                f"({fresh.get_status_display()}).",
            )
        fresh.status = status
        fresh.decided_at = timezone.now()
        fresh.decided_by = actor if getattr(actor, "pk", None) else None
        fresh.decision_reason = reason
        fresh.save(update_fields=["status", "decided_at", "decided_by", "decision_reason"])
        events.record(
            actor,
            [fresh.tenant_id, fresh.jugendamt_id],
            action,
            fresh,
            {"status": {"old": "versendet", "new": status}, "number": fresh.number},
            reason=reason,
        )
    return fresh


def approve_rechnung(*, actor: User, tenant: Mandant, rechnung: Rechnung) -> Rechnung:
    """The youth office releases a sent invoice for payment."""
    return _decide(
        actor, tenant, rechnung, Rechnung.Status.FREIGEGEBEN, "", "placements.rechnung.approve"
    )


def reject_rechnung(*, actor: User, tenant: Mandant, rechnung: Rechnung, reason: str) -> Rechnung:
    """The youth office rejects a sent invoice; the reason is required and goes to the
    provider."""
    reason = need_reason(
        " ".join((reason or "").split()),
        prompt="Bitte geben Sie an, warum die Rechnung abgelehnt wird.",
    )
    return _decide(
        actor, tenant, rechnung, Rechnung.Status.ABGELEHNT, reason, "placements.rechnung.reject"
    )
