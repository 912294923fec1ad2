"""Every write of a citizen's online application (the citizen is the actor, audited as
``str(konto)``, the person the subject where the account is linked).

A draft belongs to the account, server-side: it resumes on any device. Each save names
the ``version`` of the page it came from; a save from an older page (another device
saved in between) is refused with a German message and the typed answers stay on the
page, so nothing is lost. Submitting checks every answer strictly (the Formulare's
``pruefen``), prints the form with the Mandant, the date and time and the SHA-256 of the
checked data (uploaded files are in it by their hashes) — the PDF is the citizen's
receipt and the document of the Posteingang — and hands it with its data to the
Posteingang (``inbox.online``), all in one transaction: submitted and delivered, or
neither. Submitting again answers the same submission.
"""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import pikepdf
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.utils import timezone

from koffer.audit import services as audit
from koffer.forms.ausfuellen import ablage
from koffer.forms.ausfuellen import vorbelegung as forms_vorbelegung
from koffer.forms.darstellung.namen import name
from koffer.forms.definition import Definition, Pruefung, pruefen, sichtbar, text_de
from koffer.forms.definition.werte import leer
from koffer.forms.druck import formular_pdf
from koffer.forms.errors import Ungueltig, befunde_text
from koffer.forms.katalog import selectors as katalog
from koffer.inbox.online import services as online
from koffer.outbox.briefe.setzen import satzkopf
from koffer.portal import access as rules
from koffer.portal import drossel, vertretungen
from koffer.portal.antrag import vorbelegung
from koffer.portal.errors import Conflict, Forbidden, NotFound
from koffer.portal.models import Antrag, Buergerkonto, OnlineAngebot, Vertretung
from koffer.records import antwortcode
from koffer.records.dokumente import services as documents
from koffer.records.models import Person

MAX_ANTWORTEN = 2_000_000
# The Vorgang an online application opens in the Akte when its form names none: a
# caseworker works on a Vorgang, and a request for documents is made in one.
VORGANG_TYP = "antrag"


def blob_referenced(sha256: str) -> bool:
    """An application's answers or receipt name the blob (asked by the blob ledger)."""
    return (
        Antrag.objects.unscoped().filter(antworten__icontains=sha256).exists()
        or Antrag.objects.unscoped().filter(quittung_sha256=sha256).exists()
    )


def uploads_zaehlen(*, actor: Buergerkonto, anzahl: int) -> None:
    """Count ``anzahl`` files about to be uploaded against the account's hourly limit
    (``portal.drossel``), before any is stored or inspected."""
    if anzahl:
        drossel.zaehlen(
            tenant_id=actor.tenant_id, grenzen=[("upload", str(actor.pk))], anzahl=anzahl
        )


def step_reached(name: str) -> None:
    """Called at each point of a submission. It does nothing; the interruption tests
    raise here to stand for a process killed at that point."""


def subjekt(antrag: Antrag) -> Person | None:
    """Whom the application is about: the represented person, else the account's own."""
    return antrag.person if antrag.person_id is not None else antrag.konto.person


def _vertretene(actor: Buergerkonto, person_id: object) -> tuple[Person | None, Vertretung | None]:
    """For ``person_id`` (None or the account's own person: the citizen itself) the
    represented person and the valid Vertretung; refused with the German reason
    (``vertretungen.handeln_fuer``, audited) when there is none."""
    if person_id in (None, "") or str(person_id) == str(actor.person_id):
        return None, None
    try:
        pk = uuid.UUID(str(person_id))
    except ValueError as exc:
        raise Forbidden("vertretung_keine", vertretungen.KEINE) from exc
    person = Person.objects.for_tenant(actor.tenant_id).filter(pk=pk).first()
    if person is None:
        raise Forbidden("vertretung_keine", vertretungen.KEINE)
    vertretungen.handeln_fuer(konto=actor, person=person)
    vertretung = rules.gueltige_vertretung(actor, person.pk)
    if vertretung is None:  # the account's own person under another id: cannot be
        raise Forbidden("vertretung_keine", vertretungen.KEINE)
    return person, vertretung


def _noch_vertreten(actor: Buergerkonto, antrag: Antrag) -> None:
    """An application for a represented person goes on only while the Vertretung is
    valid (checked at every save and at submission); refused with the reason, audited."""
    if antrag.person_id is None:
        return
    person = Person.objects.for_tenant(antrag.tenant_id).filter(pk=antrag.person_id).first()
    if person is None:
        raise Forbidden("vertretung_keine", vertretungen.KEINE)
    vertretungen.handeln_fuer(konto=actor, person=person)


def lage_des_antrags(antrag: Antrag, definition: Definition) -> vorbelegung.Lage:
    """Where the application's person stands (prefill, persons, the Akte to file into)."""
    return vorbelegung.lage(antrag.konto, definition, person_id=antrag.person_id)


def beginnen(*, actor: Buergerkonto, angebot: OnlineAngebot, person_id: object = None) -> Antrag:
    """The account's open application of this form for this person (resumed), else a new
    one on the form's current version, prefilled from the account and its person — or,
    with ``person_id`` of a person the account represents under a confirmed, valid
    Vertretung, from that person (refused with the reason otherwise)."""
    person, vertretung = _vertretene(actor, person_id)
    offen = (
        Antrag.objects.for_tenant(actor.tenant_id)
        .filter(konto=actor, angebot=angebot, status=Antrag.Status.OFFEN, person=person)
        .first()
    )
    if offen is not None:
        return offen
    formular = angebot.formular
    version = formular.aktuelle_version
    if not angebot.aktiv or not formular.is_active or version is None:
        raise NotFound("angebot_not_found", "Dieser Antrag wird online nicht angeboten.")
    definition = katalog.definition(version)
    lage = vorbelegung.lage(actor, definition, person_id=person.pk if person else None)
    antworten, vorbelegt = vorbelegung.vorbelegen(definition, lage)
    now = timezone.now()
    with transaction.atomic():
        antrag = Antrag.objects.create(
            tenant_id=actor.tenant_id,
            konto=actor,
            angebot=angebot,
            formularversion=version,
            person=person,
            vertretung=vertretung,
            antworten=antworten,
            vorbelegt=vorbelegt,
            schritt=definition.schritte[0].id,
            created_at=now,
            updated_at=now,
        )
        audit.record(
            actor=actor,
            tenant_id=actor.tenant_id,
            action="portal.antrag.create",
            obj=antrag,
            subject=person or actor.person,
            changes={
                "formular": formular.schluessel,
                "version": version.nummer,
                "vorbelegt": sorted(vorbelegt),
                **(
                    {"vertretung": str(vertretung.pk), "vertretung_art": vertretung.art}
                    if vertretung is not None
                    else {}
                ),
            },
        )
    return antrag


def _gesperrt(antrag: Antrag) -> Antrag:
    return (
        Antrag.objects.for_tenant(antrag.tenant_id)
        .select_for_update(of=("self",))
        .select_related("formularversion__formular", "angebot__formular", "konto", "person")
        .get(pk=antrag.pk)
    )


def _eigenes(actor: Buergerkonto, antrag: Antrag) -> None:
    if antrag.konto_id != actor.pk or antrag.tenant_id != actor.tenant_id:
        raise NotFound("antrag_not_found", "Diesen Antrag gibt es nicht.")


def _noch_offen(antrag: Antrag) -> None:
    if antrag.status != Antrag.Status.OFFEN:
        raise Conflict("antrag_eingereicht", "Dieser Antrag ist bereits eingereicht.")


def speichern(
    *,
    actor: Buergerkonto,
    antrag: Antrag,
    schritt: str,
    antworten: Mapping[str, Any],
    version: int,
) -> Pruefung:
    """Merge one step's answers and save them, errors included, if ``version`` is the
    stored one (then it counts up); answers the step's check. A stale ``version`` raises
    :class:`Conflict` and saves nothing: the page keeps what was typed."""
    _eigenes(actor, antrag)
    _noch_vertreten(actor, antrag)
    with transaction.atomic():
        row = _gesperrt(antrag)
        _noch_offen(row)
        if row.version != version:
            raise Conflict(
                "antrag_veraltet",
                "Dieser Antrag wurde inzwischen auf einem anderen Gerät oder in einem "
                "anderen Fenster geändert. Ihre Eingaben auf dieser Seite sind nicht "
                "verloren: Bitte prüfen Sie sie und speichern Sie erneut.",
            )
        definition = katalog.definition(row.formularversion)
        if definition.schritt(schritt) is None:
            raise NotFound("schritt_not_found", "Diesen Schritt gibt es nicht.")
        alt = dict(row.antworten)
        neu = {**alt, **{str(k): v for k, v in antworten.items()}}
        neu = {k: v for k, v in neu.items() if not leer(v)}
        if len(json.dumps(neu, ensure_ascii=False)) > MAX_ANTWORTEN:
            meldung = "Die Angaben sind zu umfangreich."
            raise Ungueltig("antworten_too_large", meldung, fehler={"": [meldung]})
        geaendert = {str(k) for k in antworten if alt.get(str(k)) != neu.get(str(k))}
        row.vorbelegt = {k: v for k, v in row.vorbelegt.items() if k not in geaendert}
        row.antworten, row.schritt, row.updated_at = neu, schritt, timezone.now()
        row.version += 1
        row.save(update_fields=["antworten", "schritt", "vorbelegt", "version", "updated_at"])
        audit.record(
            actor=actor,
            tenant_id=row.tenant_id,
            action="portal.antrag.change",
            obj=row,
            subject=subjekt(row),
            changes={"schritt": schritt, "felder": sorted(geaendert)[:200], "version": row.version},
        )
    antrag.antworten, antrag.version = row.antworten, row.version
    antrag.vorbelegt, antrag.schritt = row.vorbelegt, row.schritt
    return pruefen(
        definition,
        neu,
        heute=timezone.localdate(),
        schritt=schritt,
        personen=lage_des_antrags(row, definition).personen,
        streng=False,
    )


def _vertretung_daten(antrag: Antrag) -> dict[str, str] | None:
    """Who sent it for whom and under which authority, for the receipt and the
    Posteingang's data; None for the citizen's own application."""
    if antrag.vertretung_id is None:
        return None
    vertretung = Vertretung.objects.for_tenant(antrag.tenant_id).get(pk=antrag.vertretung_id)
    konto = antrag.konto
    person = antrag.person
    assert person is not None
    return {
        "id": str(vertretung.pk),
        "art": vertretung.art,
        "art_text": vertretung.get_art_display(),
        "vertreter": konto.anzeigename,
        "vertreter_konto": str(konto.pk),
        "fuer": f"{person.given_names} {person.family_name}".strip(),
        "person": str(person.pk),
        "gueltig_bis": vertretung.gueltig_bis.isoformat() if vertretung.gueltig_bis else "",
    }


def pruefsumme(antrag: Antrag, werte: Mapping[str, Any]) -> str:
    """SHA-256 of what was sent: the form, its version and the checked values (uploaded
    files and drawn signatures are in them by their SHA-256)."""
    version = antrag.formularversion
    daten = {
        "formular": version.formular.schluessel,
        "version": version.nummer,
        "werte": werte,
    }
    text = json.dumps(daten, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(text.encode()).hexdigest()


def summe_lesbar(summe: str) -> str:
    """The hash in groups of 16, so that a printed line can break between them."""
    return " ".join(summe[i : i + 16] for i in range(0, len(summe), 16))


def _klartext(definition: Definition, werte: Mapping[str, Any]) -> str:
    zeilen = [text_de(definition.titel)]
    for feld in definition.felder.values():
        if feld.id in werte:
            zeilen.append(
                f"{text_de(feld.label)}: {json.dumps(werte[feld.id], ensure_ascii=False)}"
            )
    return "\n".join(zeilen)


def _seiten(pdf: bytes) -> int:
    with pikepdf.open(io.BytesIO(pdf)) as doc:
        return len(doc.pages)


def einreichen(*, actor: Buergerkonto, antrag: Antrag) -> Antrag:
    """Check strictly (:class:`Ungueltig` names every finding by path), print the receipt,
    store it, then in one transaction: the application submitted and the Posteingang's
    delivery written. Submitting again answers the submitted application."""
    _eigenes(actor, antrag)
    antrag = (
        Antrag.objects.for_tenant(antrag.tenant_id)
        .select_related("formularversion__formular", "angebot", "konto", "tenant", "person")
        .get(pk=antrag.pk)
    )
    if antrag.status == Antrag.Status.EINGEREICHT:
        return antrag
    _noch_vertreten(actor, antrag)
    definition = katalog.definition(antrag.formularversion)
    lage = lage_des_antrags(antrag, definition)
    heute, jetzt = timezone.localdate(), timezone.localtime()
    pruefung = pruefen(
        definition, antrag.antworten, heute=heute, personen=lage.personen, streng=True
    )
    if not pruefung.ok:
        raise Ungueltig(
            "form_answers_invalid",
            "Der Antrag kann so nicht eingereicht werden: " + befunde_text(pruefung.fehler),
            fehler=pruefung.fehler,
        )
    # Counted once the check passed: what follows (typesetting the receipt) is the cost.
    drossel.zaehlen(tenant_id=actor.tenant_id, grenzen=[("einreichen", str(actor.pk))])
    vertretung = _vertretung_daten(antrag)
    summe = pruefsumme(antrag, pruefung.werte)
    mandant = antrag.tenant
    code = (
        antwortcode.encode(
            antwortcode.Antwortcode(tenant_id=mandant.pk, akte_id=lage.akte.pk, vorgang_id=None)
        )
        if lage.akte is not None
        else None
    )
    # The slow part (typesetting) before the short transaction.
    pdf = formular_pdf(
        definition,
        forms_vorbelegung.mit_namen(definition, pruefung.werte, lage.namen),
        briefkopf=satzkopf(None, mandant.name),
        antwortcode=code,
        kopfzeilen=(
            ("Online eingereicht bei", mandant.name),
            ("Eingereicht am", f"{jetzt:%d.%m.%Y, %H:%M} Uhr"),
            ("Eingangsnummer", str(antrag.pk)),
            ("Prüfsumme (SHA-256)", summe_lesbar(summe)),
            ("Version", str(antrag.formularversion.nummer)),
            *(
                (
                    ("Eingereicht von", f"{vertretung['vertreter']} für {vertretung['fuer']}"),
                    ("Vertretung", f"{vertretung['art_text']} (bestätigt)"),
                )
                if vertretung
                else ()
            ),
        ),
        heute=heute,
    )
    sha = hashlib.sha256(pdf).hexdigest()
    step_reached("gedruckt")
    marken = documents.store_blobs(tenant_id=mandant.pk, blobs=[(sha, pdf)])
    try:
        step_reached("gespeichert")
        with transaction.atomic():
            row = _gesperrt(antrag)
            if row.status == Antrag.Status.EINGEREICHT:  # a twin request won
                documents.discard_blobs(marken)
                return row
            angebot = row.angebot
            titel = text_de(definition.titel)
            eingang = online.einliefern(
                actor=actor,
                tenant=mandant,
                provider_id=angebot.eingerichtet_von_id,
                unit_id=angebot.unit_id,
                sendung=online.Sendung(
                    batch_id=f"portal-{row.pk}",
                    dateiname=f"{definition.schluessel}-{heute.isoformat()}.pdf",
                    pdf_sha256=sha,
                    pdf_size=len(pdf),
                    pages=_seiten(pdf),
                    titel=f"{titel} (online)",
                    absender=f"{lage.person.given_names} {lage.person.family_name}".strip()
                    or str(actor),
                    text=_klartext(definition, pruefung.werte),
                    daten={
                        "formular": definition.schluessel,
                        "version": row.formularversion.nummer,
                        "werte": pruefung.werte,
                        "sha256": summe,
                        **({"vertretung": vertretung} if vertretung else {}),
                    },
                    akte_id=lage.akte.pk if lage.akte is not None else None,
                    grund=lage.grund,
                    vorgang_typ=(
                        definition.vorgang.vorgangstyp if definition.vorgang else VORGANG_TYP
                    ),
                    vorgang_titel=f"{titel} vom {heute:%d.%m.%Y} (online)",
                ),
            )
            step_reached("eingeliefert")
            row.status, row.werte, row.pruefsumme = Antrag.Status.EINGEREICHT, pruefung.werte, summe
            row.eingereicht_am, row.updated_at = jetzt, jetzt
            row.quittung_sha256, row.eingang = sha, eingang
            row.save()
            audit.record(
                actor=actor,
                tenant_id=row.tenant_id,
                action="portal.antrag.submit",
                obj=row,
                subject=subjekt(row),
                changes={
                    "formular": definition.schluessel,
                    "sha256": summe,
                    "quittung": sha,
                    "eingang": str(eingang.pk),
                    **({"vertretung": vertretung["id"]} if vertretung else {}),
                },
            )
            documents.settle_blobs(marken)
            step_reached("eingereicht")
    except BaseException:
        documents.discard_blobs(marken)
        raise
    return row


def datei_entfernen(*, actor: Buergerkonto, antrag: Antrag, feld: str, blob: str) -> dict[str, Any]:
    """Remove one uploaded file of an open application (its blob released)."""
    _eigenes(actor, antrag)
    with transaction.atomic():
        row = _gesperrt(antrag)
        _noch_offen(row)
        bisher = row.antworten.get(feld)
        dateien = [d for d in bisher if isinstance(d, Mapping)] if isinstance(bisher, list) else []
        entfernt = next((dict(d) for d in dateien if d.get("blob") == blob), None)
        if entfernt is None:
            raise NotFound("datei_not_found", "Diese Datei ist nicht (mehr) im Antrag.")
        rest = [d for d in dateien if d.get("blob") != blob]
        antworten = {k: v for k, v in row.antworten.items() if k != feld}
        if rest:
            antworten[feld] = rest
        row.antworten, row.updated_at = antworten, timezone.now()
        row.version += 1
        row.save(update_fields=["antworten", "version", "updated_at"])
        marke = documents.release_blob(tenant_id=row.tenant_id, sha256=blob)
        audit.record(
            actor=actor,
            tenant_id=row.tenant_id,
            action="portal.antrag.datei.remove",
            obj=row,
            subject=subjekt(row),
            changes={"feld": feld, "blob": blob, "groesse": entfernt.get("groesse")},
        )
        transaction.on_commit(lambda: documents.discard_blobs([marke]))
    antrag.antworten, antrag.version = row.antworten, row.version
    return entfernt


def _nur_eingaben(definition: Definition, antworten: Mapping[str, Any]) -> None:
    """Answers sent as data name fields of the form, and files and drawn signatures come
    only through their upload, inspected and stored: answers that name a blob themselves
    are refused, as are unknown fields (422 with the fields)."""
    fehler: dict[str, list[str]] = {}
    for feld_id, wert in antworten.items():
        feld = definition.felder.get(str(feld_id))
        if feld is None:
            fehler[str(feld_id)] = ["Dieses Feld gibt es in diesem Antrag nicht."]
        elif feld.typ == "datei" and not leer(wert):
            fehler[feld.id] = [
                "Dateien werden einzeln hochgeladen (POST …/dateien/<Feld>), nicht als Antwort."
            ]
        elif feld.typ == "unterschrift" and isinstance(wert, Mapping) and "bild" in wert:
            fehler[feld.id] = [
                "Eine Unterschrift wird hier nur mit dem Namen bestätigt, ohne Bild."
            ]
    if fehler:
        raise Ungueltig(
            "antworten_ungueltig",
            "Die Angaben können so nicht gespeichert werden: " + befunde_text(fehler),
            fehler=fehler,
        )


def antworten_speichern(
    *,
    actor: Buergerkonto,
    antrag: Antrag,
    schritt: str,
    antworten: Mapping[str, Any],
    version: int,
) -> Pruefung:
    """:func:`speichern` for answers sent as data (the API): the same save, but a value
    for a file field or a signature's picture is refused, those need their upload."""
    _eigenes(actor, antrag)
    _nur_eingaben(katalog.definition(antrag.formularversion), antworten)
    return speichern(
        actor=actor, antrag=antrag, schritt=schritt, antworten=antworten, version=version
    )


def datei_hochladen(
    *,
    actor: Buergerkonto,
    antrag: Antrag,
    feld: str,
    dateien: Sequence[Any],
    version: int,
) -> list[dict[str, Any]]:
    """Add files to a file field of an open application: each checked like an upload to
    the E-Akte (size, type, the bounded inspection), stored, then saved as :func:`speichern`
    saves (``version`` as there). All or nothing: if one file is refused, none is kept and
    :class:`Ungueltig` names it by field. Answers the field's files after the save."""
    _eigenes(actor, antrag)
    _noch_offen(antrag)
    definition = katalog.definition(antrag.formularversion)
    datei_feld = definition.felder.get(feld)
    if datei_feld is None or datei_feld.typ != "datei":
        raise NotFound("feld_not_found", "Dieses Dateifeld gibt es in diesem Antrag nicht.")
    jetzt = timezone.now()
    gezeigt = sichtbar(definition, antrag.antworten, heute=timezone.localdate()).felder
    if feld not in gezeigt:
        meldung = "Nach Ihren bisherigen Angaben wird diese Datei nicht gebraucht."
        raise Ungueltig("feld_nicht_gefragt", meldung, fehler={feld: [meldung]})
    if not dateien:
        meldung = "Bitte wählen Sie mindestens eine Datei."
        raise Ungueltig("datei_fehlt", meldung, fehler={feld: [meldung]})
    abgelegt = ablage.ablegen(
        tenant_id=antrag.tenant_id,
        definition=definition,
        schritt_id=datei_feld.schritt,
        gezeigt=gezeigt,
        dateien={name(feld): dateien},
        post={},
        gesendet={},
        bisher=antrag.antworten,
        jetzt=jetzt,
    )
    try:
        if abgelegt.fehler:
            raise Ungueltig(
                "datei_abgelehnt",
                "Die Datei wurde nicht angenommen: " + befunde_text(abgelegt.fehler),
                fehler=abgelegt.fehler,
            )
        speichern(
            actor=actor,
            antrag=antrag,
            schritt=datei_feld.schritt,
            antworten=abgelegt.antworten,
            version=version,
        )
    except BaseException:
        documents.discard_blobs(abgelegt.marken)
        raise
    documents.settle_blobs(abgelegt.marken)
    gespeichert = antrag.antworten.get(feld)
    return [dict(d) for d in gespeichert] if isinstance(gespeichert, list) else []
