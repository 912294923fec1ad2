"""Every write of the dispatch: the Mandant's rules and providers, batches made at each
cut-off and packed into a ZIP, the takeover of a batch nobody confirmed, and the
provider's side (fetching, confirming, reporting per letter).

What holds, and why it holds:

- A letter is in exactly one active batch: the assignment locks the letters and writes
  the batch in one transaction, and a partial unique constraint (``Stapelbrief.aktiv``)
  refuses a second; the first batch of a cut-off is unique too, so two workers at the
  same cut-off make one.
- Packing is a separate step after the assignment and may be repeated: the ZIP's bytes
  depend only on the batch (``paket``), the blob is announced in the blob ledger before
  the row points to it, and a batch still ``offen`` is packed by the next round. A worker
  killed anywhere loses no letter and sends none twice.
- A provider's report is idempotent by its ``ereignis_id`` (``BriefEreignis.key``) and
  never takes a letter back (``Brief.RANG``); a report about a letter of a batch another
  provider took over is refused (409), so no letter is printed twice.
"""

from __future__ import annotations

import re
import tempfile
import uuid
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import IO, Any

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.blobs.store import get_store, hash_stream
from koffer.outbox import access as outbox_access
from koffer.outbox import zustellung
from koffer.outbox.errors import Conflict, Forbidden, Invalid, NotFound
from koffer.outbox.models import (
    Brief,
    BriefEreignis,
    Druckdienst,
    Stapelbrief,
    Versandregeln,
    Versandstapel,
)
from koffer.outbox.versand import paket, porto
from koffer.outbox.versand.ordner import ordner_pfad, ueberschneidet, verzeichnis
from koffer.records import services as records
from koffer.records.dokumente import services as documents
from koffer.records.models import Dokument, FristRegel
from koffer.records.rueckpost import Rueckpost
from koffer.tenancy import counters
from koffer.tenancy.models import Mandant

Status = Brief.Status
Stapelstatus = Versandstapel.Status

DEFAULT_SCHLUSS = ["10:00", "15:00"]
# Hours a letter may stay in a status before it is an alarm on the mail-room page.
DEFAULT_ALARM = {
    "freigegeben": 24,
    "im_stapel": 24,
    "abgeholt": 24,
    "empfangen": 24,
    "gedruckt": 48,
}
ALARM_STATUSES = tuple(DEFAULT_ALARM)
MAX_SCHLUSS = 6
MAX_ALARM_HOURS = 24 * 30
COUNTER = "outbox.versandstapel"
REPORTED = (Status.EMPFANGEN, Status.GEDRUCKT, Status.VERSENDET, Status.UNZUSTELLBAR)
MAX_GRUND = 500
SPOOL_BYTES = 32 * 1024 * 1024  # a batch's ZIP stays in memory up to this, then on disk
_TIME = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")


# --- the Mandant's rules and providers ---------------------------------------------------------


def regeln(tenant_id: uuid.UUID) -> Versandregeln:
    """The Mandant's rules, or the defaults (not stored) when none were saved."""
    found = Versandregeln.objects.for_tenant(tenant_id).first()
    return found or Versandregeln(
        tenant_id=tenant_id,
        annahmeschluss=list(DEFAULT_SCHLUSS),
        alarm_stunden=dict(DEFAULT_ALARM),
        updated_at=timezone.now(),
    )


def _configures(access: Access, tenant: Mandant) -> None:
    if not outbox_access.configures_dispatch(access, tenant):
        raise Forbidden("forbidden", "Den Versand richtet die Administration des Mandanten ein.")


def _schlusszeiten(raw: list[str]) -> list[str]:
    zeiten = sorted({z.strip() for z in raw if z.strip()})
    bad = [z for z in zeiten if not _TIME.match(z)]
    if bad:
        raise Invalid(
            "schluss_invalid",
            f"Annahmeschluss bitte als Uhrzeit wie 10:00 angeben (nicht: {', '.join(bad)}).",
        )
    if not 1 <= len(zeiten) <= MAX_SCHLUSS:
        raise Invalid(
            "schluss_count", f"Bitte 1 bis {MAX_SCHLUSS} Uhrzeiten für den Annahmeschluss angeben."
        )
    return zeiten


def save_regeln(
    *,
    actor: User,
    access: Access,
    tenant: Mandant,
    annahmeschluss: list[str],
    alarm_stunden: dict[str, int],
) -> Versandregeln:
    """Store the cut-off times (local "HH:MM", one to six) and the alarm hours per
    status (1 hour to 30 days)."""
    _configures(access, tenant)
    zeiten = _schlusszeiten(annahmeschluss)
    unknown = sorted(set(alarm_stunden) - set(ALARM_STATUSES))
    if unknown:
        raise Invalid("alarm_status", f"Unbekannter Status für Alarme: {', '.join(unknown)}.")
    if any(not 1 <= h <= MAX_ALARM_HOURS for h in alarm_stunden.values()):
        raise Invalid("alarm_hours", f"Alarme bitte nach 1 bis {MAX_ALARM_HOURS} Stunden.")
    stunden = {**DEFAULT_ALARM, **alarm_stunden}
    with transaction.atomic():
        row, _ = Versandregeln.objects.for_tenant(tenant).update_or_create(
            tenant=tenant,
            defaults={
                "annahmeschluss": zeiten,
                "alarm_stunden": stunden,
                "updated_at": timezone.now(),
            },
        )
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="outbox.versand.regeln",
            obj=row,
            changes={"annahmeschluss": zeiten, "alarm_stunden": stunden},
        )
    return row


def save_druckdienst(
    *,
    actor: User,
    access: Access,
    tenant: Mandant,
    konto: User,
    name: str,
    rang: int,
    bestaetigung_minuten: int,
    is_active: bool = True,
    kanal: str = Druckdienst.Kanal.API,
    ordner: str = "",
) -> Druckdienst:
    """Add a print provider, or change the one of ``konto``: its machine account must
    hold the ``druckdienst`` role in this Mandant. ``kanal`` ``ablage``: it works through
    the drop folder ``ordner`` (under ``KOFFER_ABLAGE_ROOT``, made here)."""
    _configures(access, tenant)
    if kanal not in Druckdienst.Kanal.values:
        raise Invalid("kanal_invalid", "Übergabe über die API oder einen Ablageordner.")
    ordner = ordner_pfad(ordner) if kanal == Druckdienst.Kanal.ABLAGE else ""
    if ordner and ueberschneidet(ordner, _andere_ordner(tenant, konto)):
        raise Invalid(
            "ordner_taken",
            "Diesen Ablageordner, einen Ordner darüber oder darin nutzt schon ein anderer "
            "Druckdienst.",
            field="ordner",
        )
    name = " ".join(name.split())[:120]
    if not name:
        raise Invalid("name_missing", "Bitte geben Sie den Namen des Druckdienstes an.")
    if (
        not konto.is_machine
        or not konto.memberships.filter(tenant_id=tenant.pk, role="druckdienst").exists()
    ):
        raise Invalid(
            "not_druckdienst",
            "Das Konto ist kein Maschinenkonto mit der Rolle Druck-Dienstleister.",
        )
    if not 1 <= rang <= 99 or not 5 <= bestaetigung_minuten <= 7 * 24 * 60:
        raise Invalid(
            "dienst_numbers",
            "Reihenfolge 1 bis 99; Bestätigung nach 5 Minuten bis 7 Tagen.",
        )
    try:
        with transaction.atomic():
            dienst, created = Druckdienst.objects.for_tenant(tenant).update_or_create(
                tenant=tenant,
                konto=konto,
                defaults={
                    "name": name,
                    "rang": rang,
                    "bestaetigung_minuten": bestaetigung_minuten,
                    "is_active": is_active,
                    "kanal": kanal,
                    "ordner": ordner,
                    "updated_at": timezone.now(),
                },
            )
            audit.record(
                actor=actor,
                tenant_id=tenant.pk,
                action="outbox.druckdienst.create" if created else "outbox.druckdienst.change",
                obj=dienst,
                changes={
                    "konto": konto.username,
                    "rang": rang,
                    "bestaetigung_minuten": bestaetigung_minuten,
                    "is_active": is_active,
                    "kanal": kanal,
                    "ordner": ordner,
                },
            )
            if kanal == Druckdienst.Kanal.ABLAGE:
                verzeichnis(dienst)
    except OSError as exc:
        raise Invalid(
            "ordner_unwritable",
            f"Der Ablageordner lässt sich nicht anlegen ({exc.strerror}).",
            field="ordner",
        ) from None
    except IntegrityError:
        raise Conflict(
            "rang_taken", f"Die Reihenfolge {rang} hat schon ein anderer Druckdienst."
        ) from None
    return dienst


def _andere_ordner(tenant: Mandant, konto: User) -> list[str]:
    """The drop folders of every other provider, of every Mandant: they share the root."""
    rows = Druckdienst.objects.unscoped().filter(kanal=Druckdienst.Kanal.ABLAGE)
    return list(rows.exclude(tenant_id=tenant.pk, konto=konto).values_list("ordner", flat=True))


# --- batches -----------------------------------------------------------------------------------


def letzter_schluss(zeiten: list[str], now: datetime) -> datetime:
    """The latest cut-off at or before ``now`` (today's, else yesterday's last)."""
    local = timezone.localtime(now)
    candidates = [
        timezone.make_aware(
            datetime.combine(local.date() - timedelta(days=back), time.fromisoformat(z))
        )
        for back in (0, 1)
        for z in zeiten
    ]
    return max(c for c in candidates if c <= now)


def _ohne_stapel() -> Exists:
    # Matched by tenant_id too: on Citus the check stays in the letter's shard.
    return Exists(
        Stapelbrief.objects.filter(
            tenant_id=OuterRef("tenant_id"), brief=OuterRef("pk"), aktiv=True
        )
    )


def wartende_briefe(tenant_id: uuid.UUID, bis: datetime) -> list[uuid.UUID]:
    """Released hybrid letters, released by ``bis``, in no active batch and light enough
    for a letter, in the order of their release."""
    rows = (
        Brief.objects.for_tenant(tenant_id)
        .filter(kanal=Brief.Kanal.HYBRID, status=Status.FREIGEGEBEN, freigegeben_at__lte=bis)
        .exclude(_ohne_stapel())
        .order_by("freigegeben_at", "pk")
        .values_list("pk", "seiten", "duplex")
    )
    return [pk for pk, seiten, duplex in rows if porto.klasse(seiten, duplex=duplex).klasse]


def erster_dienst(tenant_id: uuid.UUID, *, nach: int = 0) -> Druckdienst | None:
    return (
        Druckdienst.objects.for_tenant(tenant_id)
        .filter(is_active=True, rang__gt=nach)
        .order_by("rang")
        .first()
    )


def stapeln(*, tenant_id: uuid.UUID, now: datetime) -> Versandstapel | None:
    """At or after a cut-off: every released hybrid letter of the Mandant released by
    then and in no batch goes into one new batch for the first active provider. None
    when the cut-off has its batch already, no letter waits or there is no provider."""
    schluss = letzter_schluss(regeln(tenant_id).annahmeschluss, now)
    stapel_da = Versandstapel.objects.for_tenant(tenant_id).filter(
        schluss=schluss, vorgaenger__isnull=True
    )
    if stapel_da.exists():
        return None
    dienst = erster_dienst(tenant_id)
    ids = wartende_briefe(tenant_id, schluss)
    if dienst is None or not ids:
        return None
    try:
        return _zuordnen(tenant_id, dienst, schluss, ids, now)
    except IntegrityError:
        return None  # another worker made this cut-off's batch at the same moment


def _zuordnen(
    tenant_id: uuid.UUID,
    dienst: Druckdienst,
    schluss: datetime,
    ids: list[uuid.UUID],
    now: datetime,
    vorgaenger: Versandstapel | None = None,
) -> Versandstapel | None:
    """Assign the letters ``ids`` to a new batch, in one transaction, the letters locked."""
    with transaction.atomic():
        locked = Brief.objects.for_tenant(tenant_id).select_for_update().filter(pk__in=ids)
        if vorgaenger is None:
            locked = locked.filter(status=Status.FREIGEGEBEN).exclude(_ohne_stapel())
        briefe = {b.pk: b for b in locked}
        order = [pk for pk in ids if pk in briefe]
        if not order:
            return None
        nummer = counters.next_value(tenant_id, COUNTER)
        stapel = Versandstapel.objects.create(
            tenant_id=tenant_id,
            nummer=f"{timezone.localtime(schluss):%Y%m%d-%H%M}-{nummer}",
            druckdienst=dienst,
            schluss=schluss,
            vorgaenger=vorgaenger,
            briefe_anzahl=len(order),
            created_at=now,
        )
        Stapelbrief.objects.bulk_create(
            [
                Stapelbrief(
                    tenant_id=tenant_id,
                    stapel=stapel,
                    brief_id=pk,
                    position=i,
                    dateiname=paket.dateiname(i, briefe[pk]),
                )
                for i, pk in enumerate(order, start=1)
            ]
        )
        detail = (
            f"Versandstapel {stapel.nummer} für {dienst.name}"
            if vorgaenger is None
            else f"Versandstapel {stapel.nummer}: {dienst.name} übernimmt von "
            f"{vorgaenger.druckdienst.name}"
        )
        # The batch is new, so no letter has its event yet: all of them in one INSERT,
        # the letters' status and postage class in one UPDATE (was five statements a
        # letter).
        BriefEreignis.objects.bulk_create(
            [
                BriefEreignis(
                    tenant_id=tenant_id,
                    brief=briefe[pk],
                    key=f"stapel:{stapel.pk}",
                    status=Status.IM_STAPEL,
                    at=now,
                    recorded_at=timezone.now(),
                    actor=None,
                    detail=detail[:500],
                )
                for pk in order
            ]
        )
        changed = []
        for pk in order:
            brief = briefe[pk]
            moved = _vorwaerts(brief, Status.IM_STAPEL, now)
            if not brief.portoklasse:
                brief.portoklasse = porto.klasse(brief.seiten, duplex=brief.duplex).klasse or ""
            elif not moved:
                continue
            changed.append(brief)
        Brief.objects.for_tenant(tenant_id).bulk_update(
            changed, ["status", "portoklasse", "updated_at"], batch_size=500
        )
        audit.record(
            actor=None,
            tenant_id=tenant_id,
            action="outbox.versandstapel.create",
            obj=stapel,
            changes={
                "druckdienst": dienst.name,
                "annahmeschluss": schluss,
                "briefe": len(order),
                "vorgaenger": str(vorgaenger.pk) if vorgaenger else None,
            },
        )
    return stapel


def inhalte(stapel: Versandstapel) -> list[paket.Inhalt]:
    rows = (
        Stapelbrief.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel)
        .select_related("brief__dokument__current_version", "brief__version")
        .order_by("position")
    )
    inhalte = []
    for row in rows:
        version = row.brief.dokument.current_version
        anlagen = [
            str(a.get("titel", a)) if isinstance(a, dict) else str(a)
            for a in row.brief.version.anlagen
        ]
        sha = version.pdf_sha256 or version.sha256
        inhalte.append(paket.Inhalt(row.brief, row.dateiname, sha, anlagen))
    return inhalte


def packen(*, stapel: Versandstapel, now: datetime | None = None) -> Versandstapel:
    """Build the batch's ZIP and store it: the batch is ``bereit`` for its provider. A
    batch packed already is left as it is; packing again after a crash gives the same
    bytes."""
    if stapel.status != Stapelstatus.OFFEN:
        return stapel
    store = get_store()
    with tempfile.SpooledTemporaryFile(max_size=SPOOL_BYTES) as spool:
        paket.schreiben(spool, stapel, inhalte(stapel), store.open)
        spool.seek(0)
        sha, size = hash_stream(spool)
        spool.seek(0)
        pending = documents.store_blobs(tenant_id=stapel.tenant_id, blobs=[(sha, spool)])
    try:
        done = _gepackt(stapel, sha, size, pending, now or timezone.now())
    except Exception:
        documents.discard_blobs(pending)
        raise
    if done is None:  # packed meanwhile by another worker
        documents.discard_blobs(pending)
        return Versandstapel.objects.for_tenant(stapel.tenant_id).get(pk=stapel.pk)
    return done


def _gepackt(
    stapel: Versandstapel, sha: str, size: int, pending: list[uuid.UUID], now: datetime
) -> Versandstapel | None:
    with transaction.atomic():
        row = (
            Versandstapel.objects.for_tenant(stapel.tenant_id)
            .select_for_update()
            .select_related("druckdienst")
            .get(pk=stapel.pk)
        )
        if row.status != Stapelstatus.OFFEN:
            return None
        row.zip_sha256, row.zip_size = sha, size
        row.status, row.bereit_at = Stapelstatus.BEREIT, now
        row.save(update_fields=["zip_sha256", "zip_size", "status", "bereit_at"])
        documents.settle_blobs(pending)
        audit.record(
            actor=None,
            tenant_id=row.tenant_id,
            action="outbox.versandstapel.pack",
            obj=row,
            changes={"zip_sha256": sha, "zip_size": size},
        )
    return row


def blob_referenced(sha256: str) -> bool:
    """A batch's ZIP is referenced (records' blob ledger asks before removing a blob)."""
    return Versandstapel.objects.unscoped().filter(zip_sha256=sha256).exists()


def faellig_zur_uebernahme(tenant_id: uuid.UUID, now: datetime) -> list[Versandstapel]:
    """Batches waiting or fetched but not confirmed within their provider's time."""
    rows = (
        Versandstapel.objects.for_tenant(tenant_id)
        .filter(status__in=[Stapelstatus.BEREIT, Stapelstatus.ABGEHOLT])
        .select_related("druckdienst")
    )
    return [
        s
        for s in rows
        if s.bereit_at is not None
        and s.bereit_at + timedelta(minutes=s.druckdienst.bestaetigung_minuten) <= now
    ]


def uebernehmen(*, stapel: Versandstapel, now: datetime) -> Versandstapel | None:
    """The next active provider takes over a batch its provider did not confirm in
    time: a new batch with the same letters; the old one is ``uebernommen`` and refused
    from then on. None when no provider comes after (the mail room sees the alarm)."""
    nachfolger = erster_dienst(stapel.tenant_id, nach=stapel.druckdienst.rang)
    if nachfolger is None:
        return None
    with transaction.atomic():
        old = (
            Versandstapel.objects.for_tenant(stapel.tenant_id)
            .select_for_update()
            .select_related("druckdienst")
            .get(pk=stapel.pk)
        )
        if old.status not in (Stapelstatus.BEREIT, Stapelstatus.ABGEHOLT):
            return None  # confirmed at the last moment, or taken over already
        ids = list(
            Stapelbrief.objects.for_tenant(old.tenant_id)
            .filter(stapel=old, aktiv=True)
            .order_by("position")
            .values_list("brief_id", flat=True)
        )
        Stapelbrief.objects.for_tenant(old.tenant_id).filter(stapel=old).update(aktiv=False)
        old.status, old.uebernommen_at = Stapelstatus.UEBERNOMMEN, now
        old.save(update_fields=["status", "uebernommen_at"])
        new = _zuordnen(old.tenant_id, nachfolger, old.schluss, ids, now, vorgaenger=old)
        audit.record(
            actor=None,
            tenant_id=old.tenant_id,
            action="outbox.versandstapel.takeover",
            obj=old,
            changes={
                "von": old.druckdienst.name,
                "an": nachfolger.name,
                "nachfolger": str(new.pk) if new else None,
            },
        )
    return new


# --- letters: their timeline and status ------------------------------------------------------


def _ereignis(
    brief: Brief,
    status: str,
    key: str,
    at: datetime,
    actor: User | None,
    detail: str = "",
    *,
    dokument: Dokument | None = None,
) -> tuple[BriefEreignis, bool]:
    """Record one step of the letter's timeline once per ``key`` (``dokument``: the scan
    of returned mail it links)."""
    return BriefEreignis.objects.for_tenant(brief.tenant_id).get_or_create(
        tenant_id=brief.tenant_id,
        brief=brief,
        key=key,
        defaults={
            "status": status,
            "at": at,
            "recorded_at": timezone.now(),
            "actor": actor,
            "detail": detail[:500],
            "dokument": dokument,
        },
    )


def _vorwaerts(brief: Brief, status: str, now: datetime) -> bool:
    """Move the letter to ``status`` if that is further along; never back."""
    if Brief.RANG[status] <= Brief.RANG[brief.status]:
        return False
    brief.status, brief.updated_at = status, now
    return True


# --- the provider's side -----------------------------------------------------------------------


def druckdienst_of(tenant_id: uuid.UUID, user: User) -> Druckdienst | None:
    return Druckdienst.objects.for_tenant(tenant_id).filter(konto=user).first()


def _provider(access: Access, tenant: Mandant, user: User) -> Druckdienst:
    """The provider acting; for anyone else the batch or letter asked for is unknown
    (404), as it would be for a provider it does not belong to."""
    dienst = druckdienst_of(tenant.pk, user) if outbox_access.fetches(access, tenant) else None
    if dienst is None:
        raise NotFound("not_found", "Diesen Versandstapel oder Brief gibt es nicht.")
    return dienst


def _own_batch(dienst: Druckdienst, stapel_id: uuid.UUID, *, lock: bool) -> Versandstapel:
    rows = Versandstapel.objects.for_tenant(dienst.tenant_id).select_related("druckdienst")
    if lock:
        rows = rows.select_for_update()
    stapel = rows.filter(pk=stapel_id, druckdienst=dienst).first()
    if stapel is None or stapel.status == Stapelstatus.OFFEN:
        raise NotFound("not_found", "Diesen Versandstapel gibt es nicht.")
    if stapel.status == Stapelstatus.UEBERNOMMEN:
        raise _taken_over(stapel)
    return stapel


def _taken_over(stapel: Versandstapel) -> Conflict:
    return Conflict(
        "uebernommen",
        f"Versandstapel {stapel.nummer} wurde nicht rechtzeitig bestätigt und ist von einem "
        "anderen Druckdienst übernommen worden. Bitte keinen Brief daraus drucken.",
    )


def abholen(
    *, actor: User, access: Access, tenant: Mandant, versandstapel_id: uuid.UUID
) -> Versandstapel:
    """The provider fetches the batch: the first fetch marks the batch and its letters
    ``abgeholt``. The ZIP itself comes from :func:`zip_stream`, the same bytes each time."""
    dienst = _provider(access, tenant, actor)
    now = timezone.now()
    with transaction.atomic():
        stapel = _own_batch(dienst, versandstapel_id, lock=True)
        if stapel.status == Stapelstatus.BEREIT:
            stapel.status, stapel.abgeholt_at = Stapelstatus.ABGEHOLT, now
            stapel.save(update_fields=["status", "abgeholt_at"])
            _alle(stapel, Status.ABGEHOLT, f"abgeholt:{stapel.pk}", now, actor, dienst.name)
            audit.record(
                actor=actor,
                tenant_id=tenant.pk,
                action="outbox.versandstapel.fetch",
                obj=stapel,
                changes={"zip_sha256": stapel.zip_sha256},
            )
    return stapel


def zip_stream(stapel: Versandstapel) -> IO[bytes]:
    return get_store().open(stapel.zip_sha256)


def _alle(
    stapel: Versandstapel, status: str, key: str, now: datetime, actor: User, wer: str
) -> None:
    ids = Stapelbrief.objects.for_tenant(stapel.tenant_id).filter(stapel=stapel, aktiv=True)
    briefe = (
        Brief.objects.for_tenant(stapel.tenant_id)
        .select_for_update()
        .filter(pk__in=ids.values("brief_id"))
    )
    detail = f"{Status(status).label}: Versandstapel {stapel.nummer}, {wer}"
    for brief in briefe:
        _ereignis(brief, status, key, now, actor, detail)
        if _vorwaerts(brief, status, now):
            brief.save(update_fields=["status", "updated_at"])


def bestaetigen(
    *, actor: User, access: Access, tenant: Mandant, versandstapel_id: uuid.UUID
) -> Versandstapel:
    """The provider confirms it has the batch: it is no longer taken over. Again: the
    same answer."""
    dienst = _provider(access, tenant, actor)
    now = timezone.now()
    with transaction.atomic():
        stapel = _own_batch(dienst, versandstapel_id, lock=True)
        if stapel.status == Stapelstatus.BESTAETIGT:
            return stapel
        _confirm(stapel, actor, now, dienst)
    return stapel


def _confirm(stapel: Versandstapel, actor: User, now: datetime, dienst: Druckdienst) -> None:
    if stapel.abgeholt_at is None:
        stapel.abgeholt_at = now
        _alle(stapel, Status.ABGEHOLT, f"abgeholt:{stapel.pk}", now, actor, dienst.name)
    stapel.status, stapel.bestaetigt_at = Stapelstatus.BESTAETIGT, now
    stapel.save(update_fields=["status", "abgeholt_at", "bestaetigt_at"])
    audit.record(
        actor=actor,
        tenant_id=stapel.tenant_id,
        action="outbox.versandstapel.confirm",
        obj=stapel,
    )


@dataclass(frozen=True)
class Meldung:
    """A provider's report about one letter."""

    ereignis_id: str
    status: str
    at: datetime | None = None
    versanddatum: date | None = None
    grund: str = ""


def _check(meldung: Meldung, stapel: Versandstapel, today: date) -> Meldung:
    if meldung.status not in REPORTED:
        raise Invalid(
            "status_invalid", "Gemeldet werden empfangen, gedruckt, versendet, unzustellbar."
        )
    key = meldung.ereignis_id.strip()
    if not key or len(key) > 100:
        raise Invalid("ereignis_id", "Bitte eine ereignis_id mit 1 bis 100 Zeichen angeben.")
    grund = " ".join(meldung.grund.split())
    if meldung.status == Status.UNZUSTELLBAR and not grund:
        raise Invalid("grund_missing", "Bei unzustellbar bitte den Grund angeben.")
    if len(grund) > MAX_GRUND:
        raise Invalid("grund_long", f"Der Grund darf höchstens {MAX_GRUND} Zeichen lang sein.")
    tag = meldung.versanddatum
    if meldung.status == Status.VERSENDET:
        if tag is None:
            raise Invalid("versanddatum_missing", "Bei versendet bitte das Versanddatum angeben.")
        if tag > today or tag < timezone.localtime(stapel.schluss).date():
            raise Invalid(
                "versanddatum_invalid",
                f"Das Versanddatum {tag:%d.%m.%Y} liegt vor dem Versandstapel oder in der Zukunft.",
            )
    return Meldung(key, meldung.status, meldung.at, tag, grund)


def _letter_row(dienst: Druckdienst, brief_id: uuid.UUID) -> Stapelbrief:
    """The provider's row of the letter: its active one, else a taken-over one (409);
    a letter in none of its batches is unknown (404)."""
    rows = (
        Stapelbrief.objects.for_tenant(dienst.tenant_id)
        .filter(brief_id=brief_id, stapel__druckdienst=dienst)
        .select_related("stapel")
        .order_by("-aktiv")
    )
    row = rows.first()
    if row is None or row.stapel.status == Stapelstatus.OFFEN:
        raise NotFound("not_found", "Diesen Brief gibt es nicht.")
    if not row.aktiv:
        raise _taken_over(row.stapel)
    return row


def melden(
    *, actor: User, access: Access, tenant: Mandant, brief_id: uuid.UUID, meldung: Meldung
) -> Brief:
    """Record a provider's report about one letter: idempotent by ``ereignis_id`` (the
    same report again changes nothing; another report under the same id is a 409),
    accepted out of order without going backwards. ``versendet`` sets the posting date
    and the Bekanntgabe (and a Bescheid's objection deadline), a later ``versendet`` with
    another date corrects both; ``unzustellbar`` keeps the reason and puts the Akte on
    its caseworker's desk. A report confirms the batch."""
    dienst = _provider(access, tenant, actor)
    row = _letter_row(dienst, brief_id)
    meldung = _check(meldung, row.stapel, timezone.localdate())
    regel = (
        zustellung.bekanntgabe_regel(tenant, actor) if meldung.status == Status.VERSENDET else None
    )
    now = timezone.now()
    with transaction.atomic():
        brief = (
            Brief.objects.for_tenant(tenant)
            .select_for_update(of=("self",))
            .select_related("akte", "vorgang", "version__vorlage")
            .get(pk=brief_id)
        )
        detail, key = _detail(meldung), f"druck:{meldung.ereignis_id}"
        seen = BriefEreignis.objects.for_tenant(tenant).filter(brief=brief, key=key).first()
        if seen is not None:
            if seen.status != meldung.status or seen.detail != detail:
                raise Conflict(
                    "ereignis_conflict",
                    f"Unter der ereignis_id „{meldung.ereignis_id}“ ist schon eine andere "
                    "Meldung erfasst.",
                )
            return brief
        stapel = Versandstapel.objects.for_tenant(tenant).select_for_update().get(pk=row.stapel_id)
        if stapel.status == Stapelstatus.UEBERNOMMEN:  # taken over since the lookup above
            raise _taken_over(stapel)
        if stapel.status in (Stapelstatus.BEREIT, Stapelstatus.ABGEHOLT):
            _confirm(stapel, actor, now, dienst)
            brief.refresh_from_db(fields=["status", "updated_at"])
        _ereignis(brief, meldung.status, key, meldung.at or now, actor, detail)
        versand = None
        if meldung.status == Status.VERSENDET:
            assert regel is not None and meldung.versanddatum is not None
            versand = (meldung.versanddatum, regel)
        changes = {"ereignis_id": meldung.ereignis_id} | _fortgeschrieben(
            actor, brief, meldung.status, now, versand=versand, grund=meldung.grund
        )
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="outbox.brief.report",
            obj=brief,
            changes=changes,
        )
    return brief


def _fortgeschrieben(
    actor: User | None,
    brief: Brief,
    status: str,
    now: datetime,
    *,
    versand: tuple[date, FristRegel] | None = None,
    grund: str = "",
) -> dict[str, Any]:
    """A reported status applied to the locked letter, however it was learnt (the print
    provider's report, returned mail in the Posteingang): forward only; ``versendet``
    sets the posting date and Bekanntgabe, ``unzustellbar`` keeps the reason and puts
    the Akte on its caseworker's desk once. Saved; returns what the audit keeps."""
    _vorwaerts(brief, status, now)
    changes: dict[str, Any] = {"status": status}
    if versand is not None:
        assert actor is not None  # a posting date comes from a provider's report
        changes |= zustellung.versendet(actor, brief, *versand)
    if status == Status.UNZUSTELLBAR:
        changes |= _unzustellbar(actor, brief, grund)
    # ``updated_at`` moves with the status only (_vorwaerts): it says since when the
    # letter is in it, which the alarms measure; a late report does not reset it.
    brief.save(update_fields=["status", "versendet_am", "bekanntgabe_am", "updated_at"])
    return changes


# --- returned mail found in the Posteingang (``records.rueckpost``) ---------------------------


def ruecklaeufer_pruefen(
    tenant_id: uuid.UUID, akte_id: uuid.UUID, brief_id: uuid.UUID
) -> str | None:
    """Why this letter cannot be marked returned (German), or None."""
    brief = Brief.objects.for_tenant(tenant_id).filter(pk=brief_id).first()
    if brief is None or brief.akte_id != akte_id:
        return (
            "Rückläufer: Der Antwortcode nennt einen Brief, den es hier nicht (mehr) gibt. "
            "Bitte prüfen Sie den Scan und legen Sie ihn von Hand ab."
        )
    if brief.is_draft or brief.status == Status.VERWORFEN:
        return (
            f"Rückläufer: Der Brief „{brief.betreff}“ ist nie versandt worden "
            f"({brief.get_status_display()}). Bitte prüfen Sie den Scan."
        )
    return None


def ruecklaeufer(*, actor: User | None, rueckpost: Rueckpost) -> bool:
    """Returned mail scanned in the Posteingang: the letter „unzustellbar“ exactly as by a
    provider's report (forward only, the reason kept, a Wiedervorlage for the caseworker
    once), its timeline names the Posteingang and links the scan. Idempotent by
    ``rueckpost.key`` (the scan): True when recorded now. Runs in the caller's
    transaction (the Posteingang marks its document filed in the same one)."""
    now = timezone.now()
    with transaction.atomic():
        brief = (
            Brief.objects.for_tenant(rueckpost.tenant_id)
            .select_for_update(of=("self",))
            .select_related("akte", "vorgang", "version__vorlage")
            .get(pk=rueckpost.brief_id)
        )
        _, created = _ereignis(
            brief,
            Status.UNZUSTELLBAR,
            rueckpost.key,
            rueckpost.at,
            actor,
            rueckpost.grund,
            dokument=rueckpost.dokument,
        )
        if not created:
            return False
        changes = _fortgeschrieben(actor, brief, Status.UNZUSTELLBAR, now, grund=rueckpost.grund)
        audit.record(
            actor=actor,
            tenant_id=rueckpost.tenant_id,
            action="outbox.brief.ruecklaeufer",
            obj=brief,
            changes=changes | {"quelle": "posteingang", "dokument": str(rueckpost.dokument.pk)},
        )
    return True


def _detail(meldung: Meldung) -> str:
    if meldung.status == Status.VERSENDET and meldung.versanddatum:
        return f"zur Post gegeben am {meldung.versanddatum:%d.%m.%Y}"
    return meldung.grund


def _unzustellbar(actor: User | None, brief: Brief, grund: str) -> dict[str, Any]:
    row = zustellung.of(brief)
    row.unzustellbar_grund = grund
    if row.wiedervorlage is None:
        akte = brief.akte
        row.wiedervorlage = records.set_wiedervorlage(
            actor=actor,  # type: ignore[arg-type]  # None: returned mail found by the Posteingang
            akte=akte,
            due_date=timezone.localdate(),
            assignee=akte.caseworker,
            unit=None if akte.caseworker_id else akte.unit,
            vorgang=brief.vorgang,
            dokument=brief.dokument,
            note=f"Brief unzustellbar zurück: „{brief.betreff}“ – {grund}",
        )
    row.updated_at = timezone.now()
    row.save(update_fields=["unzustellbar_grund", "wiedervorlage", "updated_at"])
    return {"grund": grund, "wiedervorlage": str(row.wiedervorlage.pk)}
