"""Serial letters: one template to many Akten, as a background job.

Starting one resolves the selection (a list of Aktenzeichen, or the open Akten of a unit,
optionally of one Aktenplan position) into the Akten the starting person may write in,
and queues the job ``outbox.serienbrief``. The job makes the letters in chunks of
:data:`CHUNK` Akten, each chunk one job step; inside a chunk every letter is checked
alone before anything is written, so one that cannot be made (its check finds a missing
address, the Akte was closed meanwhile) is recorded with its reason and the others go on.
The chunk's letters are then released together, each written and audited as a person's
release would be (``briefe.serienbriefe_freigeben``), every table in one statement; where
the template asks for four eyes (or the letter goes to a portal mailbox) a letter is made
alone in its own savepoint and waits for a second person.

Typesetting is most of a letter's time and needs no database: :func:`vorbereiten` drafts
a chunk's letters in memory and hands them to a pool of child processes
(``satz.werkstatt``) before the job writes the chunk before it, so both cores work. The
step itself takes a letter typeset ahead only if it still prints exactly that.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.accounts.roles import Perm
from koffer.audit import services as audit
from koffer.errors import DomainError
from koffer.jobs import services as jobs
from koffer.outbox.briefe import services as briefe
from koffer.outbox.briefe import setzen
from koffer.outbox.errors import Invalid
from koffer.outbox.models import Brief, Serienbrief, SerienbriefFehler, Vorlage
from koffer.outbox.satz import Briefsatz
from koffer.outbox.satz.werkstatt import Fertig, Satzpool
from koffer.records import access as records_access
from koffer.records import selectors as records
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Person
from koffer.tenancy.models import Mandant

logger = logging.getLogger(__name__)

JOB_KIND = "outbox.serienbrief"
CHUNK = 25
MAX_AKTEN = 20_000


@dataclass(frozen=True)
class Auswahl:
    """Which Akten: ``aktenzeichen`` (a list), or the open Akten of the unit at
    ``unit_path`` and below (optionally only of the Aktenplan position ``plan_id``)."""

    aktenzeichen: tuple[str, ...] = ()
    unit_path: str = ""
    plan_id: uuid.UUID | None = None


def _writable(access: Access, actor: User, tenant_id: uuid.UUID) -> Any:
    return (
        Akte.objects.for_tenant(tenant_id)
        .filter(records_access.akten_q(access, actor.pk, Perm.RECORDS_EDIT))
        .filter(status=Akte.Status.OPEN)
    )


def resolve(
    *, actor: User, access: Access, tenant_id: uuid.UUID, auswahl: Auswahl
) -> tuple[list[Akte], list[str]]:
    """The Akten of the selection the actor may write in, in order, and the Aktenzeichen
    of the list that are unknown, closed or not the actor's (said before anything
    starts)."""
    if not access.can(Perm.OUTBOX_SEND):
        return [], list(auswahl.aktenzeichen)
    rows = _writable(access, actor, tenant_id)
    if auswahl.aktenzeichen:
        wanted = list(dict.fromkeys(a.strip() for a in auswahl.aktenzeichen if a.strip()))
        found = {a.aktenzeichen: a for a in rows.filter(aktenzeichen__in=wanted)}
        return [found[a] for a in wanted if a in found], [a for a in wanted if a not in found]
    if not auswahl.unit_path:
        return [], []
    chosen = rows.filter(unit_path__under=auswahl.unit_path)
    if auswahl.plan_id is not None:
        chosen = chosen.filter(aktenplaneinheit_id=auswahl.plan_id)
    return list(chosen.order_by("aktenzeichen")[: MAX_AKTEN + 1]), []


def starten(
    *,
    actor: User,
    access: Access,
    tenant: Mandant,
    vorlage: Vorlage,
    akten: list[Akte],
    auswahl: str,
    eingaben: dict[str, str],
    kanal: str = Brief.Kanal.HYBRID,
) -> Serienbrief:
    """Queue a serial letter for ``akten`` (already resolved)."""
    if not akten:
        raise Invalid("serie_empty", "Die Auswahl enthält keine Akte, in der Sie schreiben dürfen.")
    if len(akten) > MAX_AKTEN:
        raise Invalid(
            "serie_too_large",
            f"Höchstens {MAX_AKTEN:,} Akten je Serienbrief; bitte die Auswahl teilen.".replace(
                ",", "."
            ),
        )
    version = vorlage.aktuelle_version
    if version is None or not vorlage.is_active:
        raise Invalid("vorlage_unusable", f"Die Vorlage „{vorlage.titel}“ ist nicht freigegeben.")
    known = {f["key"] for f in version.felder}
    with transaction.atomic():
        serie = Serienbrief.objects.create(
            tenant=tenant,
            vorlage=vorlage,
            version=version,
            titel=f"{vorlage.titel} an {len(akten)} Akten"[:200],
            eingaben={k: str(v)[:4000] for k, v in eingaben.items() if k in known},
            kanal=kanal,
            akten=[str(a.pk) for a in akten],
            auswahl=auswahl[:300],
            created_at=timezone.now(),
            created_by=actor,
        )
        job = jobs.start_job(
            actor=actor,
            tenant=tenant,
            kind=JOB_KIND,
            title=f"Serienbrief: {serie.titel}",
            params={"serienbrief": str(serie.pk)},
        )
        serie.job_id = job.pk
        serie.save(update_fields=["job_id"])
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="outbox.serienbrief.gestartet",
            obj=serie,
            changes={"vorlage": vorlage.code, "akten": len(akten), "auswahl": auswahl[:300]},
        )
    return serie


def serie_of(tenant_id: uuid.UUID, serie_id: uuid.UUID) -> Serienbrief | None:
    return (
        Serienbrief.objects.for_tenant(tenant_id)
        .select_related("vorlage", "version__vorlage", "created_by")
        .filter(pk=serie_id)
        .first()
    )


@dataclass(frozen=True)
class Vorbereitet:
    """One letter of a chunk drafted in memory (``entwurf``, its id drawn) and handed to
    the pool as ``satz``; ``fertig`` its typesetting to come."""

    entwurf: Brief
    satz: Briefsatz
    fertig: Future[Fertig]


def _akten(serie: Serienbrief, akte_ids: list[str]) -> dict[str, Akte]:
    return {
        str(a.pk): a
        for a in Akte.objects.for_tenant(serie.tenant_id)
        .filter(pk__in=akte_ids)
        .select_related("unit", "caseworker", "bg", "aktenplaneinheit")
    }


def _done(serie: Serienbrief, akte_ids: list[str]) -> set[str]:
    return set(
        str(x)
        for x in Brief.objects.for_tenant(serie.tenant_id)
        .filter(serienbrief=serie, akte_id__in=akte_ids)
        .values_list("akte_id", flat=True)
    )


def _personen(serie: Serienbrief, akten: Mapping[str, Akte]) -> dict[uuid.UUID, Person]:
    """Each Akte's first person (the letter's addressee), one query for the chunk."""
    return records.first_subjects(serie.tenant_id, [a.pk for a in akten.values()])


def _entwurf(serie: Serienbrief, akte: Akte, person: Person | None) -> Brief:
    return briefe.neuer_brief(
        actor=serie.created_by,
        akte=akte,
        vorlage=serie.vorlage,
        empfaenger=person,
        kanal=serie.kanal,
        serienbrief=serie,
        eingaben=serie.eingaben,
    )


def vorbereiten(
    *, serie: Serienbrief, akte_ids: list[str], pool: Satzpool
) -> dict[str, Vorbereitet]:
    """Draft the letters of a chunk in memory (reads only) and hand each to ``pool``. An
    Akte whose letter cannot be drafted is left out: the step finds out why."""
    with setzen.koepfe_merken():
        return _vorbereiten(serie=serie, akte_ids=akte_ids, pool=pool)


def _vorbereiten(
    *, serie: Serienbrief, akte_ids: list[str], pool: Satzpool
) -> dict[str, Vorbereitet]:
    today = timezone.localdate()
    done = _done(serie, akte_ids)
    found: dict[str, Vorbereitet] = {}
    akten = _akten(serie, akte_ids)
    personen = _personen(serie, akten)
    for key, akte in akten.items():
        if key in done:
            continue
        try:
            entwurf = _entwurf(serie, akte, personen.get(akte.pk))
            data = setzen.briefsatz(entwurf, briefdatum=today)
        except DomainError:
            continue
        found[key] = Vorbereitet(entwurf, data, pool.setze(data, duplex=entwurf.duplex))
    return found


def _vorgesetzt(ahead: Vorbereitet | None) -> setzen.Vorgesetzt | None:
    if ahead is None:
        return None
    try:
        return setzen.Vorgesetzt(ahead.satz, ahead.fertig.result())
    except Exception:  # a child died: the step typesets the letter itself
        logger.exception("typesetting ahead failed for letter %s", ahead.entwurf.pk)
        return None


def blobs_vorab(
    *, serie: Serienbrief, vorbereitet: Mapping[str, Vorbereitet] | None
) -> documents.BlobsAhead | None:
    """The PDFs of a chunk typeset ahead, stored ahead while the chunk is written (outside
    its transaction; the filing takes them from there). None without letters typeset ahead."""
    pdfs = [
        letter.fertig.result().pdf
        for letter in (vorbereitet or {}).values()
        # a child that died: the step typesets and stores that letter itself (and logs it)
        if letter.fertig.exception() is None
    ]
    if not pdfs:
        return None
    return documents.blobs_ahead(tenant_id=serie.tenant_id, datas=pdfs)


def make_chunk(
    *,
    serie: Serienbrief,
    akte_ids: list[str],
    vorbereitet: Mapping[str, Vorbereitet] | None = None,
    blobs: documents.BlobsAhead | None = None,
) -> dict[str, int]:
    """Make, check and release the letters of one chunk (one job step, one transaction;
    a savepoint per Akte). An Akte that already has its letter of this series is
    skipped. ``vorbereitet``: letters drafted and typeset ahead (:func:`vorbereiten`),
    ``blobs`` their PDFs being stored ahead (:func:`blobs_vorab`)."""
    with documents.using_blobs_ahead(blobs), setzen.koepfe_merken():
        return _make_chunk(serie=serie, akte_ids=akte_ids, vorbereitet=vorbereitet)


def _make_chunk(
    *,
    serie: Serienbrief,
    akte_ids: list[str],
    vorbereitet: Mapping[str, Vorbereitet] | None,
) -> dict[str, int]:
    actor = serie.created_by
    access = Access.for_user(actor.pk, serie.tenant_id)
    done = _done(serie, akte_ids)
    ahead = vorbereitet or {}
    # An Akte drafted ahead comes with its draft (read once, when drafting); the others
    # are read here, with their addressees, once for the chunk.
    akten = {k: ahead[k].entwurf.akte for k in akte_ids if k in ahead and k not in done}
    missing = [k for k in akte_ids if k not in done and k not in akten]
    rest = _akten(serie, missing) if missing else {}
    personen = _personen(serie, rest) if rest else {}
    akten |= rest
    counts = {"erstellt": 0, "zur_freigabe": 0, "fehler": 0}
    # The chunk's audit events at one statement each (the chain head locked once), the
    # letters released with the chunk in one bundle.
    with audit.batched(serie.tenant_id):
        geprueft: list[briefe.Geprueft] = []
        for key in akte_ids:
            akte = akten.get(key)
            if key in done or akte is None:
                continue
            made = _brief(serie, actor, access, akte, ahead.get(key), personen)
            if made is None:
                counts["fehler"] += 1
            elif isinstance(made, briefe.Geprueft):
                geprueft.append(made)
            elif made.status == Brief.Status.ZUR_FREIGABE:
                counts["zur_freigabe"] += 1
            else:
                counts["erstellt"] += 1
        counts["erstellt"] += len(briefe.serienbriefe_freigeben(actor=actor, geprueft=geprueft))
    Serienbrief.objects.for_tenant(serie.tenant_id).filter(pk=serie.pk).update(
        erstellt=_count(serie, excluding=Brief.Status.ZUR_FREIGABE),
        zur_freigabe=Brief.objects.for_tenant(serie.tenant_id)
        .filter(serienbrief=serie, status=Brief.Status.ZUR_FREIGABE)
        .count(),
        fehler=SerienbriefFehler.objects.for_tenant(serie.tenant_id)
        .filter(serienbrief=serie)
        .count(),
        status=Serienbrief.Status.LAEUFT,
    )
    return counts


def _brief(
    serie: Serienbrief,
    actor: User,
    access: Access,
    akte: Akte,
    letter: Vorbereitet | None,
    personen: Mapping[uuid.UUID, Person],
) -> Brief | briefe.Geprueft | None:
    """One Akte's letter checked, to be released with the chunk (most), or made and
    released alone in its own savepoint (four eyes, the portal mailbox); None when it
    could not be made (the reason recorded for the report)."""
    try:
        entwurf = letter.entwurf if letter is not None else None
        if entwurf is None:
            entwurf = _entwurf(serie, akte, personen.get(akte.pk))
        if not briefe.einzeln(entwurf):
            return briefe.serienbrief_pruefen(
                actor=actor, access=access, entwurf=entwurf, vorgesetzt=_vorgesetzt(letter)
            )
        with audit.savepoint():
            return briefe.serienbrief_freigeben(
                actor=actor, access=access, entwurf=entwurf, vorgesetzt=_vorgesetzt(letter)
            )
    except DomainError as exc:
        SerienbriefFehler.objects.get_or_create(
            tenant_id=serie.tenant_id,
            serienbrief=serie,
            akte=akte,
            defaults={"aktenzeichen": akte.aktenzeichen, "grund": exc.message[:2000]},
        )
        return None


def _count(serie: Serienbrief, *, excluding: str) -> int:
    return (
        Brief.objects.for_tenant(serie.tenant_id)
        .filter(serienbrief=serie)
        .exclude(status=excluding)
        .count()
    )


def finish(*, serie: Serienbrief) -> Serienbrief:
    with transaction.atomic():
        row = Serienbrief.objects.for_tenant(serie.tenant_id).select_for_update().get(pk=serie.pk)
        row.status = Serienbrief.Status.FERTIG
        row.finished_at = timezone.now()
        row.save(update_fields=["status", "finished_at"])
        audit.record(
            actor=None,
            tenant_id=row.tenant_id,
            action="outbox.serienbrief.fertig",
            obj=row,
            changes={
                "erstellt": row.erstellt,
                "zur_freigabe": row.zur_freigabe,
                "fehler": row.fehler,
            },
        )
    return row
