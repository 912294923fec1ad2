"""Writes of the messages about a Vorgang.

A citizen's message becomes a PDF/A (who, when, which Vorgang, the text), stored before
one transaction that writes the message and hands it to the Posteingang
(``inbox.online.einliefern``): the filing job puts it into the Vorgang as an incoming
document with a Wiedervorlage „Neuer Posteingang“ for its caseworker. Messages are
limited per account and hour (429, German).

The office's answer is typeset the same way and filed at once as an outgoing document of
the Vorgang (``records.dokumente.services.file_letter``, idempotent by its key); the
accounts that may act for the Akte's persons get the mailbox's e-mail notice (the same
job as a letter's), which names nothing.

Attachments both ways: a citizen's message may carry up to ``MAX_ANLAGEN`` files — the
forms' upload rules (types, 20 MB, the E-Akte's bounded inspection; a refused file is
never stored and nothing is sent, the German reason at the form), counted against the
account's upload limit — each made one PDF (``anliegen.unterlagen``) and delivered with
the message into its Vorgang. The office's answer may carry documents of the Akte, which
the citizen downloads from the thread (an audited read)."""

from __future__ import annotations

import hashlib
import math
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.forms.ausfuellen import ablage
from koffer.forms.definition import Definition, Feld, Schritt
from koffer.inbox.online import services as online
from koffer.jobs import services as jobs
from koffer.portal import drossel
from koffer.portal.anliegen import unterlagen
from koffer.portal.errors import Forbidden, PortalError, ZuVieleVersuche
from koffer.portal.models import Buergerkonto, Nachricht, NachrichtAnlage, OnlineAngebot
from koffer.portal.nachrichten import pdf, selectors
from koffer.portal.postfach import empfang
from koffer.portal.postfach import services as postfach
from koffer.records import access as records_access
from koffer.records.dokumente import services as documents
from koffer.records.models import Dokument, Vorgang

MAX_TEXT = 5000
PRO_STUNDE = 10
MAX_ANLAGEN = 5
FELD = "anlagen"


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


@dataclass(frozen=True)
class _Anlage:
    name: str
    pdf: bytes
    sha256: str
    seiten: int


def _definition() -> Definition:
    """The attachments as a form step with one file field: the forms' upload rules
    (types, 20 MB, the E-Akte's inspection) apply unchanged."""
    feld = Feld(id=FELD, typ="datei", label={"de": "Anlagen"}, schritt="n")
    schritt = Schritt(id="n", titel={"de": "Anlagen"}, felder=(feld,))
    return Definition(
        schluessel="nachricht",
        titel={"de": "Nachricht"},
        schritte=(schritt,),
        roh={},
        felder={FELD: feld},
    )


def _anlagen(actor: Buergerkonto, dateien: Sequence[UploadedFile]) -> list[_Anlage]:
    """Each file inspected and made one PDF; any refusal refuses them all (nothing of a
    refused file is stored) with its German reason."""
    if len(dateien) > MAX_ANLAGEN:
        raise PortalError(
            "zu_viele_anlagen", f"Bitte hängen Sie höchstens {MAX_ANLAGEN} Dateien an."
        )
    if not dateien:
        return []
    drossel.zaehlen(
        tenant_id=actor.tenant_id, grenzen=[("upload", str(actor.pk))], anzahl=len(dateien)
    )
    abgelegt = ablage.ablegen(
        tenant_id=actor.tenant_id,
        definition=_definition(),
        schritt_id="n",
        gezeigt=frozenset({FELD}),
        dateien={f"f-{FELD}": list(dateien)},
        post={},
        gesendet={},
        bisher={},
        jetzt=timezone.now(),
    )
    try:
        if abgelegt.fehler.get(FELD):
            raise PortalError(
                "anlage_abgelehnt",
                " ".join(abgelegt.fehler[FELD]) + " Ihre Nachricht wurde nicht gesendet.",
            )
        gefunden = []
        for angabe in abgelegt.antworten.get(FELD, []):
            daten, seiten = unterlagen.zusammenstellen([(angabe["blob"], angabe["typ"])])
            gefunden.append(
                _Anlage(angabe["name"], daten, hashlib.sha256(daten).hexdigest(), seiten)
            )
        return gefunden
    finally:
        # the originals are not kept: each went into its PDF, which the Akte files
        documents.discard_blobs(abgelegt.marken)


def schreiben(
    *,
    actor: Buergerkonto,
    vorgang: Vorgang,
    text: str,
    dateien: Sequence[UploadedFile] = (),
) -> Nachricht:
    """The citizen writes about ``vorgang`` (the caller found it through the selectors,
    so the account may act for a person of its Akte), with up to ``MAX_ANLAGEN`` files."""
    clean = _text(text)
    _begrenzen(actor)
    akte, tenant = vorgang.akte, actor.tenant
    lieferant = _lieferant(vorgang)
    anlagen = _anlagen(actor, dateien)
    jetzt = timezone.localtime()
    von = actor.anzeigename
    datei = pdf.nachricht_pdf(
        mandant=tenant.name,
        titel=f"Nachricht zu: {vorgang.title}",
        kopf=_kopf(vorgang, von, f"{jetzt:%d.%m.%Y, %H:%M} Uhr"),
        text=clean,
    )
    sha = hashlib.sha256(datei).hexdigest()
    marken = documents.store_blobs(
        tenant_id=tenant.pk, blobs=[(sha, datei), *((a.sha256, a.pdf) for a in anlagen)]
    )
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
            for position, anlage in enumerate(anlagen, start=1):
                eingang = online.einliefern(
                    actor=actor,
                    tenant=tenant,
                    provider_id=lieferant,
                    unit_id=akte.unit_id,
                    sendung=online.Sendung(
                        batch_id=f"nachricht-{nachricht.pk}-anlage-{position}",
                        dateiname=f"anlage-{position}.pdf",
                        pdf_sha256=anlage.sha256,
                        pdf_size=len(anlage.pdf),
                        pages=anlage.seiten,
                        titel=f"Anlage zur Nachricht (online): {anlage.name}"[:300],
                        absender=von,
                        text="",
                        daten={"nachricht": str(nachricht.pk), "anlage": anlage.name},
                        akte_id=akte.pk,
                        grund="",
                        vorgang_id=vorgang.pk,
                        art="Nachricht (online)",
                    ),
                )
                NachrichtAnlage.objects.create(
                    tenant=tenant,
                    nachricht=nachricht,
                    position=position,
                    name=anlage.name,
                    eingang=eingang,
                )
            documents.settle_blobs(marken)
            audit.record(
                actor=actor,
                tenant_id=tenant.pk,
                action="portal.nachricht.gesendet",
                obj=nachricht,
                subject=actor.person,
                changes={
                    "vorgang": str(vorgang.pk),
                    "zeichen": len(clean),
                    "anlagen": [{"name": a.name, "pdf": a.sha256} for a in anlagen],
                },
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


def anhaengbar(vorgang: Vorgang) -> list[Dokument]:
    """The documents of the Akte an answer may carry (not cancelled, with a file)."""
    return list(
        Dokument.objects.for_tenant(vorgang.tenant_id)
        .filter(akte_id=vorgang.akte_id, current_version__isnull=False)
        .exclude(status=Dokument.Status.CANCELLED)
        .select_related("current_version")
        .order_by("-created_at", "-pk")[:200]
    )


def antworten(
    *,
    actor: User,
    access: Access,
    vorgang: Vorgang,
    text: str,
    dokument_ids: Sequence[uuid.UUID] = (),
) -> Nachricht:
    """The caseworker answers: filed as an outgoing document of the Vorgang, shown in the
    citizen's mailbox, the e-mail notice queued after the commit. ``dokument_ids``: up to
    ``MAX_ANLAGEN`` documents of the Akte the citizen may then download."""
    if not may_answer(access, actor, vorgang):
        raise Forbidden("nachricht_forbidden", "Sie dürfen in dieser Akte nicht schreiben.")
    clean = _text(text)
    if len(set(dokument_ids)) > MAX_ANLAGEN:
        raise PortalError(
            "zu_viele_anlagen", f"Bitte hängen Sie höchstens {MAX_ANLAGEN} Dokumente an."
        )
    erlaubt = {d.pk: d for d in anhaengbar(vorgang)}
    beigefuegt = [erlaubt[i] for i in dict.fromkeys(dokument_ids) if i in erlaubt]
    if len(beigefuegt) != len(set(dokument_ids)):
        raise PortalError("anlage_unbekannt", "Dieses Dokument gibt es in der Akte nicht (mehr).")
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
        NachrichtAnlage.objects.bulk_create(
            NachrichtAnlage(
                tenant=tenant,
                nachricht=nachricht,
                position=position,
                name=(d.current_version.filename if d.current_version else d.title)[:200],
                dokument=d,
            )
            for position, d in enumerate(beigefuegt, start=1)
        )
        audit.record(
            actor=actor,
            tenant_id=tenant.pk,
            action="portal.nachricht.beantwortet",
            obj=nachricht,
            subject=selectors.erste_person(vorgang),
            changes={
                "vorgang": str(vorgang.pk),
                "dokument": str(result.dokument.pk),
                "anlagen": [str(d.pk) for d in beigefuegt],
            },
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
