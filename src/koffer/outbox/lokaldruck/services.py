"""Every write of local printing: the office's printers, a released letter printed on one
(started here, carried out by the job ``outbox.lokaldruck`` in ``tasks``), its outcome.

What holds, and why:

- The printer gets the filed PDF (the Dokument's version), never a new rendering, so what
  is printed is what the Akte holds.
- No letter is printed twice by accident: a letter has at most one print waiting or
  running (a partial unique constraint, the last guard behind the check), and a letter
  that was printed once needs ``nochmals`` with a reason, which is audited.
- A retry after a failure sends again only when the printer certainly did not print (it
  was unreachable, refused the job, or ended it aborted or canceled); after a timeout
  the retry asks about the job already sent.
- A completed print moves the letter to „gedruckt“ (never back: ``Brief.RANG``), with a
  BriefEreignis and an audit event; posting it is ``briefe.services.aushaendigen``.
- Any other filed Dokument (a submitted form on the Koffer) prints the same way: one
  ``drucken`` takes either target, the same job, the same guards, its own audit actions; the
  Koffer's own printer comes from the setting ``KOFFER_DRUCKER`` (``einstellungsdrucker``).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.reasons import need_reason
from koffer.blobs.store import get_store
from koffer.jobs import services as jobs
from koffer.jobs.models import Job
from koffer.outbox import access as rules
from koffer.outbox.briefe.services import audit_brief
from koffer.outbox.errors import Conflict, Forbidden, Invalid, NotFound
from koffer.outbox.lokaldruck import ipp, sammel
from koffer.outbox.lokaldruck.selectors import EINSTELLUNGSDRUCKER
from koffer.outbox.models import Brief, BriefEreignis, Druckauftrag, Drucker
from koffer.records.models import Dokument
from koffer.tenancy.models import Mandant, Organisationseinheit

JOB_KIND = "outbox.lokaldruck"
Status = Druckauftrag.Status
PRINTABLE = (Brief.Status.FREIGEGEBEN, Brief.Status.GEDRUCKT, Brief.Status.VERSENDET)
MAX_GRUND = 500
MAX_JOB_NAME = 100


# --- printers ----------------------------------------------------------------------------------


def clean_uri(raw: str) -> str:
    """A printer's IPP address, checked: ``ipp://`` or ``ipps://``, a host, no user or
    password in it (they would stand in logs and pages)."""
    uri = raw.strip()
    try:
        parts = urlsplit(uri)
        port = parts.port
    except ValueError:
        raise Invalid(
            "uri_invalid", "Die IPP-Adresse ist ungültig (Port prüfen).", field="uri"
        ) from None
    if parts.scheme not in ("ipp", "ipps"):
        raise Invalid(
            "uri_scheme",
            "Die Adresse muss mit ipp:// oder ipps:// beginnen, z. B. "
            "ipp://drucker.example:631/ipp/print.",
            field="uri",
        )
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise Invalid(
            "uri_credentials",
            "Die Adresse darf keinen Benutzernamen und kein Kennwort enthalten.",
            field="uri",
        )
    if not parts.hostname:
        raise Invalid("uri_host", "In der Adresse fehlt der Rechnername des Druckers.", field="uri")
    if port == 0 or parts.query or parts.fragment or any(c.isspace() for c in uri):
        raise Invalid("uri_invalid", "Die IPP-Adresse ist ungültig.", field="uri")
    if len(uri) > 500:
        raise Invalid("uri_long", "Die Adresse ist zu lang (höchstens 500 Zeichen).", field="uri")
    return uri


def save_drucker(
    *,
    actor: User,
    access: Access,
    tenant: Mandant,
    drucker: Drucker | None = None,
    name: str,
    uri: str,
    unit: Organisationseinheit | None = None,
    duplex: bool = True,
    is_active: bool = True,
) -> Drucker:
    """Add a printer (``drucker`` None) or change one: the Mandant's administration, as
    for the print providers. The name is unique in the Mandant."""
    if not rules.configures_dispatch(access, tenant):
        raise Forbidden("forbidden", "Drucker richtet die Administration des Mandanten ein.")
    name = " ".join(name.split())
    if not name:
        raise Invalid("name_missing", "Bitte geben Sie den Namen des Druckers an.", field="name")
    if len(name) > 120:
        raise Invalid("name_long", "Der Name ist zu lang (höchstens 120 Zeichen).", field="name")
    uri = clean_uri(uri)
    if unit is not None and unit.tenant_id != tenant.pk:
        raise NotFound("not_found", "Diese Organisationseinheit gibt es nicht.")
    values = {
        "name": name,
        "uri": uri,
        "unit": unit,
        "duplex": duplex,
        "is_active": is_active,
        "updated_at": timezone.now(),
    }
    try:
        with transaction.atomic():
            if drucker is None:
                drucker = Drucker.objects.create(tenant=tenant, **values)
                action = "outbox.drucker.create"
            else:
                drucker = Drucker.objects.for_tenant(tenant).select_for_update().get(pk=drucker.pk)
                for key, value in values.items():
                    setattr(drucker, key, value)
                drucker.save()
                action = "outbox.drucker.change"
            audit.record(
                actor=actor,
                tenant_id=tenant.pk,
                action=action,
                obj=drucker,
                changes={
                    "name": name,
                    "uri": uri,
                    "unit": str(unit.pk) if unit else None,
                    "duplex": duplex,
                    "is_active": is_active,
                },
            )
    except IntegrityError:
        raise Invalid(
            "name_taken", f"Einen Drucker „{name}“ gibt es schon.", field="name"
        ) from None
    return drucker


# --- printing a letter -------------------------------------------------------------------------


def _locked_brief(brief: Brief) -> Brief:
    return (
        Brief.objects.for_tenant(brief.tenant_id)
        .select_for_update(of=("self",))
        .select_related("akte", "dokument__current_version", "empfaenger")
        .get(pk=brief.pk)
    )


def _usable(access: Access, tenant_id: uuid.UUID, drucker: Drucker) -> Drucker:
    found = (
        Drucker.objects.for_tenant(tenant_id)
        .filter(rules.printers_q(access), pk=drucker.pk, is_active=True)
        .first()
    )
    if found is None:
        raise NotFound("not_found", "Diesen Drucker gibt es nicht oder er ist nicht aktiv.")
    return found


def _brief_pruefen(access: Access, actor: User, brief: Brief) -> None:
    if not rules.can_write_in(access, actor.pk, brief.akte):
        raise Forbidden("outbox_forbidden", "Sie dürfen Briefe dieser Akte nicht drucken.")
    if brief.kanal != Brief.Kanal.LOKAL:
        raise Conflict(
            "brief_not_local", "Nur Briefe mit dem Versandweg „selbst drucken“ druckt koffer."
        )
    if brief.status not in PRINTABLE or brief.dokument is None:
        raise Conflict("brief_not_released", f"Der Brief ist {brief.get_status_display()}.")


def _locked_dokument(dokument: Dokument) -> Dokument:
    return (
        Dokument.objects.for_tenant(dokument.tenant_id)
        .select_for_update(of=("self",))
        .select_related("akte", "current_version")
        .get(pk=dokument.pk)
    )


def _dokument_pruefen(access: Access, actor: User, dokument: Dokument) -> None:
    if not rules.can_write_in(access, actor.pk, dokument.akte):
        raise Forbidden("outbox_forbidden", "Sie dürfen Dokumente dieser Akte nicht drucken.")
    dokument_pdf(dokument)  # a PDF at all, before the job is started


@dataclass(frozen=True)
class _Ziel:
    """What differs between printing a letter and printing another filed Dokument: the
    Druckauftrag's field, the lock, the checks, the words, the audit."""

    feld: str  # "brief" or "dokument"
    sperren: Callable[[Any], Any]
    pruefen: Callable[[Access, User, Any], None]
    # a letter further along than released counts as printed
    vorher_gedruckt: Callable[[Any], bool]
    der: str  # "Der Brief"
    den: str  # "den Brief"
    ihn: str  # "ihn"
    laeuft: str  # the message while a print waits or runs
    aktion: str


_BRIEF = _Ziel(
    feld="brief",
    sperren=_locked_brief,
    pruefen=_brief_pruefen,
    vorher_gedruckt=lambda brief: brief.status != Brief.Status.FREIGEGEBEN,
    der="Der Brief",
    den="den Brief",
    ihn="ihn",
    laeuft="Dieser Brief wird gerade gedruckt; bitte warten.",
    aktion="outbox.brief.drucken",
)
_DOKUMENT = _Ziel(
    feld="dokument",
    sperren=_locked_dokument,
    pruefen=_dokument_pruefen,
    vorher_gedruckt=lambda dokument: False,
    der="Das Dokument",
    den="das Dokument",
    ihn="es",
    laeuft="Dieses Dokument wird gerade gedruckt; bitte warten.",
    aktion="outbox.dokument.drucken",
)


def drucken(
    *,
    actor: User,
    access: Access,
    ziel: Brief | Dokument,
    drucker: Drucker,
    nochmals: bool = False,
    grund: str = "",
) -> Druckauftrag:
    """Start printing ``ziel`` on ``drucker`` (a job; the answer comes back on its page):
    a released local letter, or any other filed Dokument (its current version's PDF, as
    the Akte holds it) for whoever may write letters in its Akte. What was printed
    before needs ``nochmals`` and a reason; a print that is waiting or running is not
    started a second time."""
    art = _BRIEF if isinstance(ziel, Brief) else _DOKUMENT
    drucker = _usable(access, ziel.tenant_id, drucker)
    with transaction.atomic():
        ziel = art.sperren(ziel)
        art.pruefen(access, actor, ziel)
        mine = Druckauftrag.objects.for_tenant(ziel.tenant_id).filter(**{art.feld: ziel})
        if mine.filter(status__in=(Status.WARTET, Status.LAEUFT)).exists():
            raise Conflict("druck_laeuft", art.laeuft)
        reason = ""
        if art.vorher_gedruckt(ziel) or mine.filter(status=Status.GEDRUCKT).exists():
            if not nochmals:
                raise Conflict(
                    "schon_gedruckt",
                    f"{art.der} ist schon gedruckt. Um {art.ihn} nochmals zu drucken, wählen"
                    " Sie „nochmals drucken“ und nennen einen Grund.",
                )
            reason = need_reason(
                grund,
                max_length=MAX_GRUND,
                prompt=f"Bitte nennen Sie den Grund, {art.den} nochmals zu drucken.",
            )
        try:
            with transaction.atomic():
                auftrag = Druckauftrag.objects.create(
                    tenant_id=ziel.tenant_id,
                    drucker=drucker,
                    nochmals=bool(reason),
                    grund=reason,
                    created_at=timezone.now(),
                    created_by=actor,
                    **{art.feld: ziel},
                )
        except IntegrityError:
            raise Conflict("druck_laeuft", art.laeuft) from None
        _start_job(actor, auftrag)
        changes = {
            "drucker": drucker.name,
            "druckauftrag": str(auftrag.pk),
            "nochmals": bool(reason),
        }
        if isinstance(ziel, Brief):
            audit_brief(actor, ziel, art.aktion, reason=reason, changes=changes)
        else:
            _audit_dokument(actor, auftrag, art.aktion, changes, reason)
    return auftrag


def _running() -> Conflict:
    return Conflict("druck_laeuft", "Dieser Brief wird gerade gedruckt; bitte warten.")


def _start_job(actor: User, auftrag: Druckauftrag) -> None:
    job = jobs.start_job(
        actor=actor,
        tenant=Mandant.objects.get(pk=auftrag.tenant_id),
        kind=JOB_KIND,
        title=f"Drucken: {titel(auftrag)}"[:200],
        params={"druckauftrag": str(auftrag.pk)},
    )
    auftrag.job_id = job.pk
    auftrag.save(update_fields=["job_id"])


def wiederholen(*, actor: User, access: Access, auftrag: Druckauftrag) -> Druckauftrag:
    """Try a failed print again. When the printer certainly did not print, the PDF is sent
    anew; when its job's end is unknown (timeout), koffer asks about that job again, so
    the letter does not come out twice."""
    with transaction.atomic():
        auftrag = (
            Druckauftrag.objects.for_tenant(auftrag.tenant_id)
            .select_for_update(of=("self",))
            .select_related("brief__akte", "brief__empfaenger")
            .get(pk=auftrag.pk)
        )
        brief = auftrag.brief
        if brief is None:
            raise NotFound("not_found", "Diesen Druck eines Briefs gibt es nicht.")
        if not rules.can_write_in(access, actor.pk, brief.akte):
            raise Forbidden("outbox_forbidden", "Sie dürfen Briefe dieser Akte nicht drucken.")
        if auftrag.status != Status.FEHLGESCHLAGEN or auftrag.job_id is None:
            raise Conflict("not_failed", "Nur ein fehlgeschlagener Druck kann wiederholt werden.")
        unknown = fortsetzen(auftrag)
        job = Job.objects.for_tenant(auftrag.tenant_id).get(pk=auftrag.job_id)
        try:
            jobs.retry_job(actor=actor, job=job)
        except jobs.JobRefused as exc:
            raise Conflict(exc.code, exc.message) from None
        audit_brief(
            actor,
            brief,
            "outbox.brief.drucken_wiederholt",
            changes={"druckauftrag": str(auftrag.pk), "neu_gesendet": not unknown},
        )
    return auftrag


def fortsetzen(auftrag: Druckauftrag) -> bool:
    """Make a failed print wait again (a retry, from the letter's page or the job's):
    a new ``versuch`` unless the end of the job already sent is unknown. Whether it is
    unknown (then nothing is sent again)."""
    unknown = auftrag.ipp_versuch == auftrag.versuch and auftrag.ipp_state not in ipp.FINAL
    if not unknown:
        auftrag.versuch += 1
    auftrag.status, auftrag.meldung, auftrag.finished_at = Status.WARTET, "", None
    try:
        with transaction.atomic():
            auftrag.save(update_fields=["versuch", "status", "meldung", "finished_at"])
    except IntegrityError:
        raise _running() from None
    return unknown


# --- the job's side ----------------------------------------------------------------------------


def auftrag_of(tenant_id: uuid.UUID, auftrag_id: uuid.UUID) -> Druckauftrag | None:
    return (
        Druckauftrag.objects.for_tenant(tenant_id)
        .select_related(
            "brief__akte",
            "brief__dokument__current_version",
            "dokument__akte",
            "dokument__current_version",
            "drucker",
            "created_by",
        )
        .filter(pk=auftrag_id)
        .first()
    )


def job_name(brief: Brief) -> str:
    """The printer's job name: Aktenzeichen and subject, cut to what a printer's panel
    shows."""
    return _cut(f"{brief.akte.aktenzeichen} {brief.betreff}")


def _cut(name: str) -> str:
    return name if len(name) <= MAX_JOB_NAME else name[: MAX_JOB_NAME - 1] + "…"


def titel(auftrag: Druckauftrag) -> str:
    """What is printed, for pages and the job: the letter's subject or the document's
    title."""
    if auftrag.brief is not None:
        return auftrag.brief.betreff
    assert auftrag.dokument is not None
    return auftrag.dokument.title


def auftrag_name(auftrag: Druckauftrag) -> str:
    """The printer's job name of a print: Aktenzeichen and subject or title."""
    if auftrag.brief is not None:
        return job_name(auftrag.brief)
    assert auftrag.dokument is not None
    return _cut(f"{auftrag.dokument.akte.aktenzeichen} {auftrag.dokument.title}")


def auftrag_pdf(auftrag: Druckauftrag) -> bytes:
    """The filed PDF a print sends: the letter's, or the document's."""
    if auftrag.brief is not None:
        return pdf_of(auftrag.brief)
    assert auftrag.dokument is not None
    return dokument_pdf(auftrag.dokument)


def pdf_of(brief: Brief) -> bytes:
    """The filed PDF of a released letter, as the Akte holds it."""
    if brief.dokument is None or brief.dokument.current_version is None:
        raise Conflict("brief_not_released", "Der Brief ist nicht abgelegt.")
    return dokument_pdf(brief.dokument)


def dokument_pdf(dokument: Dokument) -> bytes:
    """The current version's PDF of a filed Dokument, byte for byte as the Akte holds it
    (its searchable PDF where it has one)."""
    version = dokument.current_version
    if version is None:
        raise Conflict("dokument_ohne_version", "Das Dokument hat keine Datei.")
    sha = version.pdf_sha256 or version.sha256
    if not sha or (not version.pdf_sha256 and version.mime_type != "application/pdf"):
        raise Conflict("dokument_kein_pdf", "Nur PDF-Dokumente lassen sich drucken.")
    with get_store().open(sha) as src:
        data: bytes = src.read(ipp.MAX_DOCUMENT + 1)
    return data


def laeuft(auftrag: Druckauftrag) -> None:
    Druckauftrag.objects.for_tenant(auftrag.tenant_id).filter(
        pk=auftrag.pk, status=Status.WARTET
    ).update(status=Status.LAEUFT)


def gesendet(auftrag: Druckauftrag, job: ipp.Auftrag) -> None:
    """The printer accepted the PDF as its job ``job.job_id``."""
    auftrag.ipp_job_id, auftrag.ipp_versuch, auftrag.ipp_state = (
        job.job_id,
        auftrag.versuch,
        job.state,
    )
    auftrag.save(update_fields=["ipp_job_id", "ipp_versuch", "ipp_state"])


def markiert(auftrag: Druckauftrag, vorher: int) -> None:
    """Before a send: the highest id among the printer's jobs of this user, kept at once."""
    auftrag.ipp_vorher, auftrag.ipp_vorher_versuch = vorher, auftrag.versuch
    auftrag.save(update_fields=["ipp_vorher", "ipp_vorher_versuch"])


def stand(auftrag: Druckauftrag, job: ipp.Auftrag) -> None:
    if auftrag.ipp_state != job.state:
        auftrag.ipp_state = job.state
        auftrag.save(update_fields=["ipp_state"])


def fehlgeschlagen(auftrag: Druckauftrag, meldung: str) -> None:
    """The print failed; the letter stays as it is, the message is shown on its page."""
    with transaction.atomic():
        auftrag.status, auftrag.meldung, auftrag.finished_at = (
            Status.FEHLGESCHLAGEN,
            meldung[:500],
            timezone.now(),
        )
        auftrag.save(update_fields=["status", "meldung", "finished_at"])
        changes = {"druckauftrag": str(auftrag.pk), "meldung": meldung[:500]}
        if auftrag.brief is None:
            _audit_dokument(None, auftrag, "outbox.dokument.druck_fehlgeschlagen", changes)
            return
        audit_brief(None, auftrag.brief, "outbox.brief.druck_fehlgeschlagen", changes=changes)


def gedruckt(auftrag: Druckauftrag) -> None:
    """The printer reports the job completed: the letter is „gedruckt“ (if not further
    along already), with its event and an audit event; a document's print only ends."""
    now = timezone.now()
    if auftrag.brief is None:
        with transaction.atomic():
            auftrag.status, auftrag.finished_at, auftrag.meldung = Status.GEDRUCKT, now, ""
            auftrag.save(update_fields=["status", "finished_at", "meldung"])
            _audit_dokument(
                auftrag.created_by,
                auftrag,
                "outbox.dokument.lokal_gedruckt",
                {"druckauftrag": str(auftrag.pk), "drucker": auftrag.drucker.name},
            )
        return
    with transaction.atomic():
        brief = _locked_brief(auftrag.brief)
        auftrag.status, auftrag.finished_at, auftrag.meldung = Status.GEDRUCKT, now, ""
        auftrag.save(update_fields=["status", "finished_at", "meldung"])
        BriefEreignis.objects.get_or_create(
            tenant_id=brief.tenant_id,
            brief=brief,
            key=f"lokaldruck:{auftrag.pk}",
            defaults={
                "status": Brief.Status.GEDRUCKT,
                "at": now,
                "recorded_at": now,
                "actor": auftrag.created_by,
                "detail": f"gedruckt auf {auftrag.drucker.name}"
                + (f" (nochmals: {auftrag.grund})" if auftrag.nochmals else ""),
            },
        )
        changes: dict[str, Any] = {"druckauftrag": str(auftrag.pk), "drucker": auftrag.drucker.name}
        if Brief.RANG[Brief.Status.GEDRUCKT] > Brief.RANG[brief.status]:
            brief.status, brief.updated_at = Brief.Status.GEDRUCKT, now
            brief.save(update_fields=["status", "updated_at"])
            changes["status"] = brief.status
        audit_brief(
            auftrag.created_by,
            brief,
            "outbox.brief.lokal_gedruckt",
            changes=changes,
        )


def sammel_pdf(*, actor: User, briefe: list[Brief], duplex: bool) -> bytes:
    """One PDF of ``briefe`` (already chosen by ``selectors.zu_drucken``) for a mobile
    printer; the read of every letter audited with its addressee."""
    pdf = sammel.zusammenfuegen((pdf_of(b) for b in briefe), duplex=duplex)
    with transaction.atomic():
        for brief in briefe:
            audit_brief(
                actor,
                brief,
                "outbox.brief.sammel_pdf",
                changes={"briefe": len(briefe), "duplex": duplex},
            )
    return pdf


# --- printing another filed Dokument (a submitted form on the Koffer) ------------------------


def _audit_dokument(
    actor: User | None,
    auftrag: Druckauftrag,
    action: str,
    changes: dict[str, Any],
    reason: str = "",
) -> None:
    assert auftrag.dokument is not None
    audit.record(
        actor=actor,
        tenant_id=auftrag.tenant_id,
        action=action,
        obj=auftrag.dokument,
        changes=changes,
        reason=reason,
    )


def einstellungsdrucker(*, tenant: Mandant) -> Drucker | None:
    """The printer the setting ``KOFFER_DRUCKER`` names (a Koffer's mobile printer, e.g.
    ``ipp://localhost:631/printers/mobil``) as the Mandant's printer „Koffer-Drucker“:
    added, or its address brought up to date, when the setting has one; None without.
    The setting is the machine's own (no office carries it), so no administration is
    asked; the change is audited without a person."""
    raw = str(getattr(settings, "KOFFER_DRUCKER", "") or "")
    if not raw.strip():
        return None
    uri = clean_uri(raw)
    with transaction.atomic():
        drucker = (
            Drucker.objects.for_tenant(tenant)
            .select_for_update()
            .filter(name=EINSTELLUNGSDRUCKER)
            .first()
        )
        if drucker is not None and drucker.uri == uri and drucker.is_active:
            return drucker
        now = timezone.now()
        if drucker is None:
            drucker = Drucker.objects.create(
                tenant=tenant, name=EINSTELLUNGSDRUCKER, uri=uri, duplex=False, updated_at=now
            )
            action = "outbox.drucker.create"
        else:
            drucker.uri, drucker.is_active, drucker.updated_at = uri, True, now
            drucker.save(update_fields=["uri", "is_active", "updated_at"])
            action = "outbox.drucker.change"
        audit.record(
            actor=None,
            tenant_id=tenant.pk,
            action=action,
            obj=drucker,
            changes={"name": drucker.name, "uri": uri, "aus_einstellung": True},
        )
    return drucker
