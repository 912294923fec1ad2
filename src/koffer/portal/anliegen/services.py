"""Requests for documents (Nachforderung) about an online application, and the citizen's
answer.

A caseworker who may edit the Akte asks for items with a deadline (a Wiedervorlage for
them on that day). The citizen uploads files per item — inspected like an application's
uploads (``forms.ausfuellen.ablage``: type, size, the E-Akte's bounded inspection) — and
sends the answer: per item one PDF of its files, delivered through the Posteingang
(``inbox.online.einliefern``) into the request's Akte and Vorgang, the item answered, the
deadline's Wiedervorlage done and a new one „Unterlagen eingegangen“ for the caseworker.
Sending twice delivers once (the item's batch id, the row lock).
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Sequence
from datetime import date, datetime

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.forms.ausfuellen import ablage
from koffer.forms.definition.modell import Definition, Feld, Schritt
from koffer.inbox.online import services as online
from koffer.portal import access, drossel
from koffer.portal.anliegen import unterlagen
from koffer.portal.errors import Conflict, Forbidden, NotFound, Ungueltig
from koffer.portal.models import (
    Antrag,
    Buergerkonto,
    Nachforderung,
    NachforderungDatei,
    NachforderungPosten,
)
from koffer.records import selectors as records_selectors
from koffer.records import services as records
from koffer.records.dokumente import services as documents
from koffer.records.models import Vorgang, Wiedervorlage

MAX_POSTEN = 20
MAX_POSTEN_TEXT = 300
MAX_HINWEIS = 2000
MAX_DATEIEN = 20  # per item
FELD = "unterlagen"


def blob_referenced(sha256: str) -> bool:
    """A file uploaded for a request names the blob (asked by the blob ledger)."""
    return NachforderungDatei.objects.unscoped().filter(blob=sha256).exists()


def antrag_des_vorgangs(vorgang: Vorgang) -> Antrag | None:
    """The online application filed into ``vorgang`` (its document there, or the Vorgang
    its filing opened)."""
    return (
        Antrag.objects.for_tenant(vorgang.tenant_id)
        .filter(status=Antrag.Status.EINGEREICHT, eingang__isnull=False)
        .filter(eingang__vorgang=vorgang)
        .select_related("formularversion__formular", "konto")
        .order_by("-eingereicht_am")
        .first()
    ) or (
        Antrag.objects.for_tenant(vorgang.tenant_id)
        .filter(status=Antrag.Status.EINGEREICHT, eingang__dokument__vorgang=vorgang)
        .select_related("formularversion__formular", "konto")
        .order_by("-eingereicht_am")
        .first()
    )


def _posten_pruefen(posten: Sequence[str]) -> list[str]:
    texte = [" ".join(p.split()) for p in posten]
    texte = [t for t in texte if t]
    if not texte:
        raise Ungueltig("posten_leer", "Bitte nennen Sie mindestens eine Unterlage.")
    if len(texte) > MAX_POSTEN:
        raise Ungueltig(
            "posten_zu_viele", f"Bitte fordern Sie höchstens {MAX_POSTEN} Unterlagen auf einmal an."
        )
    lang = next((t for t in texte if len(t) > MAX_POSTEN_TEXT), None)
    if lang is not None:
        raise Ungueltig(
            "posten_zu_lang",
            f"„{lang[:40]}…“ ist zu lang: höchstens {MAX_POSTEN_TEXT} Zeichen je Unterlage.",
        )
    return texte


def nachfordern(
    *,
    actor: User,
    access: Access,
    vorgang: Vorgang,
    posten: Sequence[str],
    frist: date,
    hinweis: str = "",
) -> Nachforderung:
    """Ask the citizen of the Vorgang's online application for ``posten`` by ``frist``
    (today or later); a Wiedervorlage for ``actor`` on that day. Needs the right to edit
    the Akte."""
    akte = vorgang.akte
    if not access_darf(access, actor, vorgang):
        raise Forbidden(
            "nachforderung_forbidden", "Sie dürfen in dieser Akte keine Unterlagen anfordern."
        )
    antrag = antrag_des_vorgangs(vorgang)
    if antrag is None:
        raise NotFound("antrag_not_found", "Zu diesem Vorgang gibt es keinen Online-Antrag.")
    texte = _posten_pruefen(posten)
    heute = timezone.localdate()
    if frist < heute:
        raise Ungueltig(
            "frist_vergangen",
            f"Die Frist ({frist:%d.%m.%Y}) liegt in der Vergangenheit. Bitte wählen Sie heute "
            "oder einen späteren Tag.",
        )
    hinweis = hinweis.strip()
    if len(hinweis) > MAX_HINWEIS:
        raise Ungueltig("hinweis_zu_lang", f"Der Hinweis hat höchstens {MAX_HINWEIS} Zeichen.")
    person = records_selectors.first_subject(akte)
    if person is None:
        raise Ungueltig("akte_ohne_person", "Die Akte nennt keine Person.")
    with transaction.atomic():
        wv = records.set_wiedervorlage(
            actor=actor,
            akte=akte,
            vorgang=vorgang,
            assignee=actor,
            due_date=frist,
            note=f"Frist der Nachforderung (Online-Dienste): {', '.join(texte)}"[:500],
        )
        nf = Nachforderung.objects.create(
            tenant_id=akte.tenant_id,
            antrag=antrag,
            vorgang=vorgang,
            person=person,
            frist=frist,
            hinweis=hinweis,
            erstellt_von=actor,
            erstellt_am=timezone.now(),
            wiedervorlage=wv,
        )
        NachforderungPosten.objects.bulk_create(
            NachforderungPosten(tenant_id=akte.tenant_id, nachforderung=nf, position=i, text=t)
            for i, t in enumerate(texte, start=1)
        )
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="portal.nachforderung.create",
            obj=nf,
            subject=person,
            changes={
                "vorgang": str(vorgang.pk),
                "antrag": str(antrag.pk),
                "posten": texte,
                "frist": frist,
            },
        )
    return nf


def access_darf(grants: Access, actor: User, vorgang: Vorgang) -> bool:
    return access.darf_nachfordern(grants, actor.pk, vorgang.akte)


# --- the citizen's side --------------------------------------------------------------------


def _gesperrt(konto: Buergerkonto, nachforderung: Nachforderung) -> Nachforderung:
    """The request locked, if it is the citizen's (else NotFound, like a missing one)."""
    row = (
        Nachforderung.objects.for_tenant(konto.tenant_id)
        .select_for_update(of=("self",))
        .select_related("antrag", "vorgang__akte")
        .filter(pk=nachforderung.pk, antrag__konto=konto)
        .first()
    )
    if row is None or not access.darf_nachforderung_sehen(konto, row.person_id):
        raise NotFound("nachforderung_not_found", "Diese Anforderung gibt es nicht.")
    return row


def _offen(row: Nachforderung) -> None:
    if row.status != Nachforderung.Status.OFFEN:
        raise Conflict("nachforderung_beantwortet", "Diese Unterlagen haben Sie bereits gesendet.")


def _definition(posten: NachforderungPosten) -> Definition:
    """The item as a form step with one file field: the forms' upload rules (types,
    20 MB, the E-Akte's inspection) apply unchanged."""
    feld = Feld(id=FELD, typ="datei", label={"de": posten.text}, schritt="n")
    schritt = Schritt(id="n", titel={"de": posten.text}, felder=(feld,))
    return Definition(
        schluessel="nachforderung",
        titel={"de": "Unterlagen nachreichen"},
        schritte=(schritt,),
        roh={},
        felder={FELD: feld},
    )


def hochladen(
    *,
    actor: Buergerkonto,
    nachforderung: Nachforderung,
    posten_id: uuid.UUID,
    dateien: Sequence[UploadedFile],
) -> list[str]:
    """Inspect and keep the files for one item; answers the German messages of files
    refused (the others are kept)."""
    jetzt = timezone.now()
    posten = (
        NachforderungPosten.objects.for_tenant(actor.tenant_id)
        .filter(pk=posten_id, nachforderung_id=nachforderung.pk)
        .first()
    )
    if posten is None:
        raise NotFound("posten_not_found", "Diese Unterlage gibt es in der Anforderung nicht.")
    # counted before any file is stored or inspected, like an application's uploads
    drossel.zaehlen(
        tenant_id=actor.tenant_id, grenzen=[("upload", str(actor.pk))], anzahl=len(dateien)
    )
    abgelegt = ablage.ablegen(
        tenant_id=actor.tenant_id,
        definition=_definition(posten),
        schritt_id="n",
        gezeigt=frozenset({FELD}),
        dateien={f"f-{FELD}": list(dateien)},
        post={},
        gesendet={},
        bisher={},
        jetzt=jetzt,
    )
    meldungen = list(abgelegt.fehler.get(FELD, []))
    try:
        with transaction.atomic():
            row = _gesperrt(actor, nachforderung)
            _offen(row)
            posten = NachforderungPosten.objects.for_tenant(actor.tenant_id).get(pk=posten.pk)
            if posten.beantwortet_am is not None:
                raise Conflict(
                    "posten_beantwortet", "Für diese Unterlage haben Sie bereits Dateien gesendet."
                )
            vorhanden = set(
                NachforderungDatei.objects.for_tenant(actor.tenant_id)
                .filter(posten=posten)
                .values_list("blob", flat=True)
            )
            neue = [d for d in abgelegt.antworten.get(FELD, []) if d["blob"] not in vorhanden]
            if len(vorhanden) + len(neue) > MAX_DATEIEN:
                raise Ungueltig(
                    "zu_viele_dateien",
                    f"Bitte laden Sie höchstens {MAX_DATEIEN} Dateien je Unterlage hoch.",
                )
            NachforderungDatei.objects.bulk_create(
                NachforderungDatei(
                    tenant_id=actor.tenant_id,
                    posten=posten,
                    blob=d["blob"],
                    name=d["name"],
                    typ=d["typ"],
                    groesse=d["groesse"],
                    hochgeladen_am=jetzt,
                )
                for d in neue
            )
            if neue:
                audit.record(
                    actor=actor,
                    tenant_id=actor.tenant_id,
                    action="portal.nachforderung.upload",
                    obj=row,
                    subject=row.person,
                    changes={
                        "posten": posten.text,
                        "dateien": [{"name": d["name"], "blob": d["blob"]} for d in neue],
                    },
                )
            documents.settle_blobs(abgelegt.marken)
    except BaseException:
        documents.discard_blobs(abgelegt.marken)
        raise
    return meldungen


def datei_entfernen(
    *, actor: Buergerkonto, nachforderung: Nachforderung, datei_id: uuid.UUID
) -> NachforderungDatei:
    """Remove a file not yet sent (its blob released)."""
    with transaction.atomic():
        row = _gesperrt(actor, nachforderung)
        _offen(row)
        datei = (
            NachforderungDatei.objects.for_tenant(actor.tenant_id)
            .select_related("posten")
            .filter(pk=datei_id, posten__nachforderung=row, posten__beantwortet_am__isnull=True)
            .first()
        )
        if datei is None:
            raise NotFound("datei_not_found", "Diese Datei ist nicht (mehr) vorhanden.")
        datei.delete()
        marke = documents.release_blob(tenant_id=actor.tenant_id, sha256=datei.blob)
        audit.record(
            actor=actor,
            tenant_id=actor.tenant_id,
            action="portal.nachforderung.datei.remove",
            obj=row,
            subject=row.person,
            changes={"posten": datei.posten.text, "name": datei.name, "blob": datei.blob},
        )
        transaction.on_commit(lambda: documents.discard_blobs([marke]))
    return datei


def step_reached(name: str) -> None:
    """Called at each point of sending an answer; the interruption tests raise here."""


def beantworten(*, actor: Buergerkonto, nachforderung: Nachforderung) -> Nachforderung:
    """Send the files of every item that has some: per item one PDF delivered into the
    request's Akte and Vorgang. The request is answered when every item is. Sending
    again answers the request as it stands (nothing delivered twice)."""
    jetzt = timezone.now()
    with transaction.atomic():  # read what to send; the slow PDFs are made outside
        row = _gesperrt(actor, nachforderung)
        if row.status != Nachforderung.Status.OFFEN:
            return row
        offene = list(
            NachforderungPosten.objects.for_tenant(actor.tenant_id)
            .filter(nachforderung=row, beantwortet_am__isnull=True)
            .prefetch_related(
                Prefetch(
                    "dateien",
                    queryset=NachforderungDatei.objects.for_tenant(actor.tenant_id).order_by(
                        "hochgeladen_am", "pk"
                    ),
                )
            )
        )
    zu_senden = [p for p in offene if list(p.dateien.all())]
    if not zu_senden:
        if len(offene) < row.posten.count():
            return row  # sent before, nothing new since: the same answer again
        raise Ungueltig("keine_dateien", "Bitte laden Sie zuerst mindestens eine Datei hoch.")
    pdfs = {
        p.pk: unterlagen.zusammenstellen([(d.blob, d.typ) for d in p.dateien.all()])
        for p in zu_senden
    }
    step_reached("zusammengestellt")
    marken = documents.store_blobs(
        tenant_id=actor.tenant_id,
        blobs=[(hashlib.sha256(pdf).hexdigest(), pdf) for pdf, _ in pdfs.values()],
    )
    try:
        with transaction.atomic():
            row = _gesperrt(actor, nachforderung)
            if row.status != Nachforderung.Status.OFFEN:  # a twin request won
                documents.discard_blobs(marken)
                return row
            row = _senden(actor, row, zu_senden, pdfs, jetzt)
            documents.settle_blobs(marken)
            step_reached("gesendet")
    except BaseException:
        documents.discard_blobs(marken)
        raise
    return row


def _senden(
    actor: Buergerkonto,
    row: Nachforderung,
    zu_senden: list[NachforderungPosten],
    pdfs: dict[uuid.UUID, tuple[bytes, int]],
    jetzt: datetime,
) -> Nachforderung:
    antrag = row.antrag
    vorgang = row.vorgang
    akte = vorgang.akte
    angebot = antrag.angebot
    gesendet = []
    for posten in zu_senden:
        posten.refresh_from_db(fields=["beantwortet_am"])
        if posten.beantwortet_am is not None:
            continue
        pdf, seiten = pdfs[posten.pk]
        dateien = list(posten.dateien.all())
        eingang = online.einliefern(
            actor=actor,
            tenant=akte.tenant,
            provider_id=angebot.eingerichtet_von_id,
            unit_id=angebot.unit_id,
            sendung=online.Sendung(
                batch_id=f"nachforderung-{posten.pk}",
                dateiname=f"unterlagen-{posten.position}-{jetzt:%Y-%m-%d}.pdf",
                pdf_sha256=hashlib.sha256(pdf).hexdigest(),
                pdf_size=len(pdf),
                pages=seiten,
                titel=f"{posten.text} (online nachgereicht)"[:300],
                absender=f"{row.person.given_names} {row.person.family_name}".strip() or str(actor),
                text="\n".join(
                    [
                        f"Nachgereichte Unterlage: {posten.text}",
                        f"Angefordert am {row.erstellt_am:%d.%m.%Y}, Frist {row.frist:%d.%m.%Y}",
                        *(f"Datei: {d.name}" for d in dateien),
                    ]
                ),
                daten={
                    "nachforderung": str(row.pk),
                    "posten": posten.text,
                    "dateien": [{"name": d.name, "sha256": d.blob} for d in dateien],
                },
                akte_id=akte.pk,
                grund="",
                vorgang_id=vorgang.pk,
                art="Nachweis (online)",
            ),
        )
        posten.beantwortet_am, posten.eingang = jetzt, eingang
        posten.save(update_fields=["beantwortet_am", "eingang"])
        gesendet.append(posten.text)
    rest = (
        NachforderungPosten.objects.for_tenant(row.tenant_id)
        .filter(nachforderung=row, beantwortet_am__isnull=True)
        .exists()
    )
    if not rest:
        row.status, row.beantwortet_am = Nachforderung.Status.BEANTWORTET, jetzt
        row.save(update_fields=["status", "beantwortet_am"])
    _wiedervorlage(actor, row, gesendet, fertig=not rest)
    audit.record(
        actor=actor,
        tenant_id=row.tenant_id,
        action="portal.nachforderung.answer",
        obj=row,
        subject=row.person,
        changes={"posten": gesendet, "vollstaendig": not rest},
    )
    return row


def _wiedervorlage(
    actor: Buergerkonto, row: Nachforderung, gesendet: list[str], *, fertig: bool
) -> None:
    """The caseworker's desk: „Unterlagen eingegangen“ today; the deadline's Wiedervorlage
    done once everything came."""
    frist_wv = (
        Wiedervorlage.objects.for_tenant(row.tenant_id)
        .filter(pk=row.wiedervorlage_id, done_at__isnull=True)
        .first()
    )
    if fertig and frist_wv is not None:
        records.complete_wiedervorlage(actor=actor, wiedervorlage=frist_wv)
    records.set_wiedervorlage(
        actor=actor,
        akte=row.vorgang.akte,
        vorgang=row.vorgang,
        assignee=row.erstellt_von,
        due_date=timezone.localdate(),
        note=f"Unterlagen eingegangen (Online-Dienste): {', '.join(gesendet)}"[:500],
    )
