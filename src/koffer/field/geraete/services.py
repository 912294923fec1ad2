"""Every write of the device registry: registering a Koffer, pairing it, revoking it, and
the checkouts of Akten into it. The permission is asked here (``field.access``), so pages,
API and the demo cannot differ; each write is one transaction with its audit event.

Pairing is the one unauthenticated write: the one-time code is the credential. A wrong,
used or expired code gets one and the same German answer, and failed attempts per client
address are limited like sign-ins (``accounts.lockout``'s table, a key of its own).

A checkout ends when it is returned, when its Koffer is revoked, or at ``bis``: a checkout
past ``bis`` counts as ended everywhere by a time filter (``selectors.offen_q``), no
cleanup job; the next checkout of that Akte closes it first, since the database holds at
most one open row per Akte.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from koffer.accounts import lockout
from koffer.accounts.access import Access
from koffer.accounts.models import LoginFailure, User
from koffer.audit import services as audit
from koffer.audit.reasons import need_reason
from koffer.field import access as rules
from koffer.field.errors import Conflict, FieldError, Forbidden, NotFound, ZuVieleVersuche
from koffer.field.geraete import schluessel, texte
from koffer.field.models import Ausleihe, Geraet
from koffer.field.segment import services as segment
from koffer.records import access as records_access
from koffer.records import selectors as records
from koffer.records.models import Akte

KOPPLUNG_GUELTIG = timedelta(minutes=15)
KOPPLUNG_VERSUCHE = 10  # failed codes per client address within KOPPLUNG_FENSTER
KOPPLUNG_FENSTER = timedelta(minutes=15)
NAME_MAX = 120
MAX_AKTEN = 200  # one checkout; a day's visits are a dozen Akten

KOPPLUNG_ABGELEHNT = (
    "Dieser Kopplungscode gilt nicht: er ist falsch, abgelaufen oder schon benutzt. Bitte "
    "lassen Sie sich unter „Mein Koffer“ einen neuen Code anzeigen."
)


def ausleihe_tage() -> int:
    return int(getattr(settings, "KOFFER_AUSLEIHE_TAGE", 7))


def _access(actor: User, tenant_id: uuid.UUID, access: Access | None) -> Access:
    return records_access.of_actor(actor, tenant_id, access)


def _name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise FieldError("name_required", "Bitte geben Sie dem Koffer eine Bezeichnung.")
    if len(name) > NAME_MAX:
        raise FieldError(
            "name_too_long", f"Die Bezeichnung darf höchstens {NAME_MAX} Zeichen lang sein."
        )
    return name


def _neuer_code(geraet: Geraet, now: datetime) -> str:
    code = schluessel.kopplungscode()
    geraet.kopplung_hash = schluessel.code_digest(code)
    geraet.kopplung_bis = now + KOPPLUNG_GUELTIG
    return code


def geraet_anlegen(
    *, actor: User, tenant_id: uuid.UUID, name: str, access: Access | None = None
) -> tuple[Geraet, str]:
    """Registers a Koffer for ``actor`` (who needs ``field.checkout``) and returns it with
    its pairing code, shown once: valid for 15 minutes, only its hash kept."""
    if not rules.registriert(_access(actor, tenant_id, access)):
        raise Forbidden("forbidden", "Einen Koffer anmelden darf nur der Außendienst.")
    name = _name(name)
    now = timezone.now()
    with transaction.atomic():
        geraet = Geraet(tenant_id=tenant_id, user=actor, name=name, created_at=now)
        code = _neuer_code(geraet, now)
        geraet.save()
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="field.geraet.create",
            obj=geraet,
            changes={"name": name},
        )
    return geraet, code


def neuer_kopplungscode(*, actor: User, geraet: Geraet, access: Access | None = None) -> str:
    """A fresh pairing code for the field worker's own Koffer (not yet paired, or set up
    again); the earlier code stops counting. A paired Koffer keeps its token until the new
    code is used. A revoked Koffer gets none."""
    if not rules.bedient_geraet(_access(actor, geraet.tenant_id, access), actor.pk, geraet):
        raise NotFound("not_found", "Diesen Koffer gibt es nicht.")
    if geraet.gesperrt_am is not None:
        raise Conflict(
            "koffer_gesperrt", "Dieser Koffer ist gesperrt und kann nicht gekoppelt werden."
        )
    now = timezone.now()
    with transaction.atomic():
        code = _neuer_code(geraet, now)
        geraet.save(update_fields=["kopplung_hash", "kopplung_bis"])
        audit.record(
            actor=actor, tenant_id=geraet.tenant_id, action="field.geraet.kopplungscode", obj=geraet
        )
    return code


def _versuche_key(client_ip: str) -> str:
    return f"kopplung:{client_ip}"


def koppeln(*, code: str, geraetename: str = "", client_ip: str = "") -> tuple[Geraet, str]:
    """Pairs the Koffer whose code this is and returns it with its token (``kg_…``, shown
    to the Koffer once, only its hash kept). Unauthenticated: the code is the credential,
    good once and for 15 minutes; after 10 wrong codes from one address within 15 minutes
    that address waits."""
    now = timezone.now()
    key = _versuche_key(client_ip)
    if (
        LoginFailure.objects.filter(key=key, at__gt=now - KOPPLUNG_FENSTER)[
            :KOPPLUNG_VERSUCHE
        ].count()
        >= KOPPLUNG_VERSUCHE
    ):
        raise ZuVieleVersuche(
            "zu_viele_versuche",
            "Zu viele falsche Kopplungscodes von dieser Adresse. Bitte warten Sie 15 Minuten.",
        )
    wanted = schluessel.code_digest(code)
    with transaction.atomic():
        # The code does not name its Mandant: found across Mandanten first, then locked on
        # its Mandant's shard (Citus locks no rows of a query over several shards).
        gefunden = (
            Geraet.objects.unscoped()
            .filter(kopplung_hash=wanted, gesperrt_am__isnull=True)
            .values_list("tenant_id", "pk")
            .first()
        )
        geraet = (
            Geraet.objects.unscoped()
            .select_for_update()
            .select_related("user")
            .filter(
                tenant_id=gefunden[0],
                pk=gefunden[1],
                kopplung_hash=wanted,
                gesperrt_am__isnull=True,
            )
            .first()
            if gefunden
            else None
        )
        if (
            geraet is None
            or not schluessel.gleich(geraet.kopplung_hash, wanted)
            or geraet.kopplung_bis is None
            or geraet.kopplung_bis <= now
            or not geraet.user.is_active
        ):
            geraet = None
        else:
            token = schluessel.token()
            geraet.token_hash = schluessel.digest(token)
            geraet.kopplung_hash = ""
            geraet.kopplung_bis = None
            geraet.gekoppelt_am = now
            geraet.letzter_kontakt = now
            geraet.save(
                update_fields=[
                    "token_hash",
                    "kopplung_hash",
                    "kopplung_bis",
                    "gekoppelt_am",
                    "letzter_kontakt",
                ]
            )
            # The key that seals the Koffer's audit segment (``field.segment``).
            segment.schluessel_ausstellen(geraet=geraet)
            audit.record(
                actor=geraet.user,
                tenant_id=geraet.tenant_id,
                action="field.geraet.koppeln",
                obj=geraet,
                changes={"geraetename": geraetename.strip()[:NAME_MAX]},
            )
    if geraet is None:
        lockout.record_failure(key=key, client_ip="", now=now)
        raise FieldError("kopplung_ungueltig", KOPPLUNG_ABGELEHNT)
    # A success forgives nothing: guesses from a shared address stay counted.
    return geraet, token


def sperren(*, actor: User, geraet: Geraet, grund: str, access: Access | None = None) -> Geraet:
    """Revokes a Koffer (its field worker or the Mandant's administration; a reason is
    required): every later contact is refused and told to wipe the Koffer's data, a
    pending pairing code stops counting, and its open checkouts end now, each audited on
    its Akte as ended by the revocation."""
    if not rules.darf_sperren(_access(actor, geraet.tenant_id, access), actor.pk, geraet):
        raise NotFound("not_found", "Diesen Koffer gibt es nicht.")
    grund = need_reason(grund, max_length=500, prompt="Bitte geben Sie den Grund der Sperre an.")
    now = timezone.now()
    with transaction.atomic():
        geraet = Geraet.objects.for_tenant(geraet.tenant_id).select_for_update().get(pk=geraet.pk)
        if geraet.gesperrt_am is not None:
            raise Conflict("koffer_gesperrt", "Dieser Koffer ist bereits gesperrt.")
        geraet.gesperrt_am = now
        geraet.sperrgrund = grund
        geraet.kopplung_hash = ""
        geraet.kopplung_bis = None
        geraet.save(update_fields=["gesperrt_am", "sperrgrund", "kopplung_hash", "kopplung_bis"])
        audit.record(
            actor=actor,
            tenant_id=geraet.tenant_id,
            action="field.geraet.sperren",
            obj=geraet,
            reason=grund,
        )
        offene = (
            Ausleihe.objects.for_tenant(geraet.tenant_id)
            .select_for_update()
            .filter(geraet=geraet, zurueck_am__isnull=True)
            .select_related("akte")
        )
        for row in offene:
            # One that ran out already ended at its ``bis``; the record says so.
            _beenden(actor, row, min(now, row.bis), "field.ausleihe.gesperrt", grund)
    return geraet


def geloescht_melden(*, geraet: Geraet) -> Geraet:
    """The revoked Koffer confirms it wiped its local data (once; a repeat changes
    nothing, so a Koffer that lost the answer may simply ask again)."""
    if geraet.gesperrt_am is None:
        raise Conflict(
            "koffer_nicht_gesperrt", "Dieser Koffer ist nicht gesperrt; es gibt nichts zu löschen."
        )
    if geraet.geloescht_am is not None:
        return geraet
    with transaction.atomic():
        geraet.geloescht_am = timezone.now()
        geraet.save(update_fields=["geloescht_am"])
        audit.record(
            actor=geraet.user,
            tenant_id=geraet.tenant_id,
            action="field.geraet.geloescht",
            obj=geraet,
        )
    return geraet


def _beenden(
    actor: User | None, row: Ausleihe, when: datetime, action: str, grund: str = ""
) -> None:
    row.zurueck_am = when
    row.save(update_fields=["zurueck_am"])
    audit.record(
        actor=actor,
        tenant_id=row.tenant_id,
        action=action,
        obj=row.akte,
        subject=records.first_subject(row.akte),
        changes={"koffer": str(row.geraet_id), "zurueck_am": when},
        reason=grund,
    )


def _frist(now: datetime, bis: datetime | None) -> datetime:
    tage = ausleihe_tage()
    latest = now + timedelta(days=tage)
    if bis is None:
        return latest
    if bis <= now:
        raise FieldError("bis_vergangen", "Das Ende der Ausleihe muss in der Zukunft liegen.")
    if bis > latest:
        raise FieldError("bis_zu_spaet", f"Akten bleiben höchstens {tage} Tage im Koffer.")
    return bis


def _mitnehmbar(access: Access, actor: User, geraet: Geraet, akten: Sequence[Akte]) -> list[Akte]:
    unique = list({akte.pk: akte for akte in akten}.values())
    if not unique:
        raise FieldError("akten_required", "Bitte wählen Sie mindestens eine Akte.")
    if len(unique) > MAX_AKTEN:
        raise FieldError(
            "zu_viele_akten", f"Höchstens {MAX_AKTEN} Akten auf einmal in den Koffer nehmen."
        )
    for akte in unique:
        if akte.tenant_id != geraet.tenant_id or not rules.nimmt_mit(access, actor.pk, akte):
            raise NotFound(
                "not_found",
                f"Die Akte {akte.aktenzeichen} gibt es nicht, oder Sie dürfen sie nicht "
                "bearbeiten.",
            )
    return unique


def ausleihen(
    *,
    actor: User,
    geraet: Geraet,
    akten: Sequence[Akte],
    bis: datetime | None = None,
    access: Access | None = None,
) -> list[Ausleihe]:
    """Checks the Akten out to the field worker's own Koffer until ``bis`` (default
    ``KOFFER_AUSLEIHE_TAGE`` days, never longer): all or none. An Akte already in this
    Koffer keeps its checkout with the new ``bis``; one whose checkout ran out is ended
    first; one open in another Koffer refuses the whole checkout with a Conflict naming
    who holds it and since when. Each Akte's audit shows its checkout."""
    access = _access(actor, geraet.tenant_id, access)
    if not rules.bedient_geraet(access, actor.pk, geraet):
        raise NotFound("not_found", "Diesen Koffer gibt es nicht.")
    if geraet.gesperrt_am is not None:
        raise Conflict("koffer_gesperrt", "Dieser Koffer ist gesperrt.")
    unique = _mitnehmbar(access, actor, geraet, akten)
    now = timezone.now()
    bis = _frist(now, bis)
    try:
        with transaction.atomic():
            return _ausleihen_locked(actor, geraet, unique, now, bis)
    except IntegrityError:
        # The database's last guard: another checkout of one of these Akten committed
        # between our read and our insert. Name it like the check above would have.
        for akte in unique:
            other = (
                Ausleihe.objects.for_tenant(geraet.tenant_id)
                .filter(akte_id=akte.pk, zurueck_am__isnull=True)
                .exclude(geraet=geraet)
                .select_related("user")
                .first()
            )
            if other is not None:
                raise Conflict(
                    "im_koffer", texte.schon_im_koffer(akte.aktenzeichen, other)
                ) from None
        raise Conflict(
            "im_koffer", "Eine der Akten wurde gerade in einen anderen Koffer genommen."
        ) from None


def _ausleihen_locked(
    actor: User, geraet: Geraet, akten: list[Akte], now: datetime, bis: datetime
) -> list[Ausleihe]:
    # The Koffer's row, locked: a revocation committed since the caller loaded it wins.
    gesperrt = (
        Geraet.objects.for_tenant(geraet.tenant_id)
        .select_for_update()
        .filter(pk=geraet.pk)
        .values_list("gesperrt_am", flat=True)
        .get()
    )
    if gesperrt is not None:
        raise Conflict("koffer_gesperrt", "Dieser Koffer ist gesperrt.")
    by_akte = {akte.pk: akte for akte in akten}
    bestehende = {
        row.akte_id: row
        for row in Ausleihe.objects.for_tenant(geraet.tenant_id)
        .select_for_update()
        .filter(akte_id__in=list(by_akte), zurueck_am__isnull=True)
        .select_related("user")
    }
    for akte in akten:
        row = bestehende.get(akte.pk)
        if row is not None and row.bis > now and row.geraet_id != geraet.pk:
            raise Conflict("im_koffer", texte.schon_im_koffer(akte.aktenzeichen, row))
    result = []
    for akte in akten:
        row = bestehende.get(akte.pk)
        if row is not None and row.bis <= now:
            row.akte = akte
            _beenden(None, row, row.bis, "field.ausleihe.abgelaufen")
            row = None
        if row is not None:
            alt = row.bis
            row.bis = bis
            row.save(update_fields=["bis"])
            row.akte = akte
            audit.record(
                actor=actor,
                tenant_id=geraet.tenant_id,
                action="field.ausleihe.verlaengert",
                obj=akte,
                subject=records.first_subject(akte),
                changes={"koffer": geraet.name, "bis": [alt, bis]},
            )
            result.append(row)
            continue
        row = Ausleihe(
            tenant_id=geraet.tenant_id, geraet=geraet, akte=akte, user=actor, seit=now, bis=bis
        )
        row.save(force_insert=True)
        audit.record(
            actor=actor,
            tenant_id=geraet.tenant_id,
            action="field.ausleihe.create",
            obj=akte,
            subject=records.first_subject(akte),
            changes={"koffer": geraet.name, "bis": bis},
        )
        result.append(row)
    return result


def zurueckgeben(*, actor: User, ausleihe: Ausleihe, access: Access | None = None) -> Ausleihe:
    """Ends an open checkout now (the field worker of the Koffer, or the administration):
    the Akte is free for the office and other Koffer again."""
    access = _access(actor, ausleihe.tenant_id, access)
    if not rules.sieht_geraet(access, actor.pk, ausleihe.geraet):
        raise NotFound("not_found", "Diese Ausleihe gibt es nicht.")
    now = timezone.now()
    with transaction.atomic():
        row = (
            Ausleihe.objects.for_tenant(ausleihe.tenant_id)
            .select_for_update()
            .select_related("akte", "geraet", "user")
            .get(pk=ausleihe.pk)
        )
        if row.zurueck_am is not None or row.bis <= now:
            raise Conflict("nicht_ausgeliehen", "Diese Akte ist nicht mehr im Koffer.")
        _beenden(actor, row, now, "field.ausleihe.zurueck")
    return row
