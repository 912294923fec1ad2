"""Writes of the messages about a Vorgang.

A citizen's message becomes a PDF/A (who, when, which Vorgang, the text), stored before
one transaction that writes the message and hands it to the Posteingang
(``inbox.online.einliefern``): the filing job puts it into the Vorgang as an incoming
document with a Wiedervorlage „Neuer Posteingang“ for its caseworker. Messages are
limited per account and hour (429, German).

The office's answer is typeset the same way and filed at once as an outgoing document of
the Vorgang (``records.dokumente.services.file_letter``, idempotent by its key); the
accounts that may act for the Akte's persons get the mailbox's e-mail notice (the same
job as a letter's), which names nothing."""

from __future__ import annotations

import hashlib
import math
import uuid
from datetime import timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.inbox.online import services as online
from koffer.jobs import services as jobs
from koffer.portal.errors import Forbidden, PortalError, ZuVieleVersuche
from koffer.portal.models import Buergerkonto, Nachricht, OnlineAngebot
from koffer.portal.nachrichten import pdf, selectors
from koffer.portal.postfach import empfang
from koffer.portal.postfach import services as postfach
from koffer.records import access as records_access
from koffer.records.dokumente import services as documents
from koffer.records.models import Dokument, Vorgang

MAX_TEXT = 5000
PRO_STUNDE = 10


def pro_stunde() -> int:
    return int(getattr(settings, "KOFFER_PORTAL_NACHRICHTEN_PRO_STUNDE", PRO_STUNDE))


def _text(text: str) -> str:
    clean = text.replace("\r\n", "\n").strip()
    if not clean:
        raise PortalError("nachricht_leer", "Bitte schreiben Sie Ihre Nachricht.")
    if len(clean) > MAX_TEXT:
        raise PortalError(
            "nachricht_zu_lang",
            f"Ihre Nachricht ist {len(clean)} Zeichen lang; bitte höchstens {MAX_TEXT}.",
        )
    return clean


def _kopf(vorgang: Vorgang, von: str, am: str) -> list[tuple[str, str]]:
    return [
        ("Von", von),
        ("Am", am),
        ("Aktenzeichen", vorgang.akte.aktenzeichen),
        ("Vorgang", vorgang.title),
    ]


def schreiben(*, actor: Buergerkonto, vorgang: Vorgang, text: str) -> Nachricht:
    """The citizen writes about ``vorgang`` (the caller found it through the selectors,
    so the account may act for a person of its Akte)."""
    clean = _text(text)
    _begrenzen(actor)
    akte, tenant = vorgang.akte, actor.tenant
    lieferant = _lieferant(vorgang)
    jetzt = timezone.localtime()
    von = actor.anzeigename
    datei = pdf.nachricht_pdf(
        mandant=tenant.name,
        titel=f"Nachricht zu: {vorgang.title}",
        kopf=_kopf(vorgang, von, f"{jetzt:%d.%m.%Y, %H:%M} Uhr"),
        text=clean,
    )
    sha = hashlib.sha256(datei).hexdigest()
    marken = documents.store_blobs(tenant_id=tenant.pk, blobs=[(sha, datei)])
    try:
        with transaction.atomic():
            nachricht = Nachricht.objects.create(
                tenant=tenant,
                vorgang=vorgang,
                richtung=Nachricht.Richtung.EINGANG,
                konto=actor,
                text=clean,
                pdf_sha256=sha,
                created_at=jetzt,
            )
            nachricht.eingang = online.einliefern(
                actor=actor,
                tenant=tenant,
                provider_id=lieferant,
                unit_id=akte.unit_id,
                sendung=online.Sendung(
                    batch_id=f"nachricht-{nachricht.pk}",
                    dateiname=f"nachricht-{jetzt:%Y-%m-%d-%H%M}.pdf",
                    pdf_sha256=sha,
                    pdf_size=len(datei),
                    pages=pdf.seiten(datei),
                    titel=f"Nachricht (online): {vorgang.title}"[:300],
                    absender=von,
                    text=clean,
                    daten={"nachricht": str(nachricht.pk), "vorgang": str(vorgang.pk)},
                    akte_id=akte.pk,
                    grund="",
                    vorgang_id=vorgang.pk,
                    art="Nachricht (online)",
                ),
            )
            nachricht.save(update_fields=["eingang"])
            documents.settle_blobs(marken)
            audit.record(
                actor=actor,
                tenant_id=tenant.pk,
                action="portal.nachricht.gesendet",
                obj=nachricht,
                subject=actor.person,
                changes={"vorgang": str(vorgang.pk), "zeichen": len(clean)},
            )
    except BaseException:
        documents.discard_blobs(marken)
        raise
    return nachricht


def _begrenzen(konto: Buergerkonto) -> None:
    """At most ``pro_stunde()`` messages in the last hour; a refusal says when the oldest
    of them leaves the hour (``Retry-After``)."""
    jetzt = timezone.now()
    zeiten = list(
        Nachricht.objects.for_tenant(konto.tenant_id)
        .filter(konto=konto, created_at__gte=jetzt - timedelta(hours=1))
        .order_by("-created_at")
        .values_list("created_at", flat=True)[: pro_stunde()]
    )
    if len(zeiten) < pro_stunde():
        return
    frei_ab = (zeiten[-1] if zeiten else jetzt) + timedelta(hours=1)
    warten = max(1, math.ceil((frei_ab - jetzt).total_seconds()))
    raise ZuVieleVersuche(
        "zu_viele_nachrichten",
        f"Sie haben in der letzten Stunde schon {pro_stunde()} Nachrichten gesendet. "
        "Bitte versuchen Sie es später noch einmal.",
        warten,
    )


def _lieferant(vorgang: Vorgang) -> uuid.UUID:
    """Who the Posteingang names as the delivery's provider: the Vorgang's or the Akte's
    caseworker, else whoever set up the Mandant's online services."""
    found = vorgang.caseworker_id or vorgang.akte.caseworker_id
    if found is None:
        found = (
            OnlineAngebot.objects.for_tenant(vorgang.tenant_id)
            .order_by("eingerichtet_am")
            .values_list("eingerichtet_von_id", flat=True)
            .first()
        )
    if found is None:
        raise PortalError(
            "nachricht_niemand",
            "Zu diesem Vorgang können Sie im Moment keine Nachricht senden: ihm ist niemand "
            "zugeordnet. Bitte wenden Sie sich an die Verwaltung.",
        )
    return found


def may_answer(access: Access, user: User, vorgang: Vorgang) -> bool:
    return records_access.can_edit(access, user.pk, vorgang.akte)


def antworten(*, actor: User, access: Access, vorgang: Vorgang, text: str) -> Nachricht:
    """The caseworker answers: filed as an outgoing document of the Vorgang, shown in the
    citizen's mailbox, the e-mail notice queued after the commit."""
    if not may_answer(access, actor, vorgang):
        raise Forbidden("nachricht_forbidden", "Sie dürfen in dieser Akte nicht schreiben.")
    clean = _text(text)
    tenant = vorgang.akte.tenant
    jetzt = timezone.localtime()
    datei = pdf.nachricht_pdf(
        mandant=tenant.name,
        titel=f"Antwort zu: {vorgang.title}",
        kopf=_kopf(vorgang, tenant.name, f"{jetzt:%d.%m.%Y, %H:%M} Uhr"),
        text=clean,
    )
    with transaction.atomic():
        nachricht = Nachricht.objects.create(
            tenant=tenant,
            vorgang=vorgang,
            richtung=Nachricht.Richtung.AUSGANG,
            verfasst_von=actor,
            text=clean,
            pdf_sha256=hashlib.sha256(datei).hexdigest(),
            created_at=jetzt,
        )
        result = documents.file_letter(
            actor=actor,
            akte=vorgang.akte,
            letter=documents.Scan(
                filename=f"antwort-{jetzt:%Y-%m-%d-%H%M}.pdf",
                original=datei,
                searchable=None,
                text=clean,
                page_count=pdf.seiten(datei),
            ),
            meta=documents.DocumentMeta(
                title=f"Antwort (online): {vorgang.title}"[:300],
                kind="Nachricht (online)",
                direction=Dokument.Direction.OUTGOING,
                sender=tenant.name[:200],
            ),
            vorgang=vorgang,
            key=f"portal-nachricht:{nachricht.pk}",
        )
        if result.dokument is None:
            raise PortalError(
                "antwort_nicht_abgelegt",
                f"Die Antwort konnte nicht abgelegt werden: {result.message}",
            )
        nachricht.dokument = result.dokument
        nachricht.save(update_fields=["dokument"])
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="portal.nachricht.beantwortet",
            obj=nachricht,
            subject=selectors.erste_person(vorgang),
            changes={"vorgang": str(vorgang.pk), "dokument": str(result.dokument.pk)},
        )
        jobs.start_job(
            actor=actor,
            tenant=tenant,
            kind=empfang.JOB_KIND,
            title="Benachrichtigung: neue Nachricht im Bürgerpostfach",
            params={"nachricht": str(nachricht.pk)},
        )
    return nachricht


def benachrichtigen(nachricht_id: uuid.UUID, tenant_id: uuid.UUID) -> int:
    """The mailbox's notice about an answer (the job's step), once: to the accounts that
    may act for a person of the Akte and have a confirmed address; a failed send fails
    the job, which can be retried."""
    nachricht = (
        Nachricht.objects.for_tenant(tenant_id)
        .select_related("vorgang__akte__tenant")
        .filter(pk=nachricht_id, benachrichtigt_am__isnull=True)
        .first()
    )
    if nachricht is None:
        return 0
    tenant = nachricht.vorgang.akte.tenant
    adressen = sorted({k.email for k in selectors.konten_des_vorgangs(nachricht.vorgang)})
    text = (
        f"Guten Tag,\n\nIn Ihrem Postfach beim {tenant.name} liegt eine neue Nachricht.\n\n"
        f"{postfach.postfach_url(tenant)}\n\nBitte melden Sie sich an, um sie zu lesen.\n"
    )
    for adresse in adressen:
        send_mail(f"{tenant.name}: {postfach.BETREFF}", text, None, [adresse])
    Nachricht.objects.for_tenant(tenant_id).filter(pk=nachricht_id).update(
        benachrichtigt_am=timezone.now()
    )
    return len(adressen)


def gelesen(*, actor: Buergerkonto, nachrichten: list[Nachricht]) -> None:
    """The office's answers the citizen now sees, marked read (once)."""
    ids = [
        n.pk for n in nachrichten if n.richtung == Nachricht.Richtung.AUSGANG and not n.gelesen_am
    ]
    if ids:
        Nachricht.objects.for_tenant(actor.tenant_id).filter(pk__in=ids).update(
            gelesen_am=timezone.now()
        )
