"""Every write of drafts and submissions, for whoever may add documents to the Akte
(``forms.access.fuellt_aus``, asked here, so API, pages and a command cannot differ).

A draft keeps the answers as entered, errors included, and stays on the version it
began on, whatever is imported later ("drafts survive every definition change"). Saving
a step always saves and answers that step's check. A submission checks every answer
strictly (hidden or unknown fields are errors), prints the form (``forms.druck``), files
it as an incoming Dokument of the Akte (``records.dokumente.services.file_form``,
idempotent by ``formular:<draft id>``), opens the definition's Vorgang with its
Wiedervorlage, all in one transaction; submitting the same draft again answers the same
Einreichung.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Mapping
from datetime import date, timedelta
from typing import Any

import pikepdf
from django.db import transaction
from django.utils import timezone
from uuid6 import uuid7

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.forms import access as rules
from koffer.forms.ausfuellen import ablage, beobachter, selectors, vorbelegung
from koffer.forms.definition import Definition, Pruefung, pruefen, text_de
from koffer.forms.definition.werte import leer
from koffer.forms.druck import formular_pdf
from koffer.forms.errors import Conflict, Forbidden, FormsError, NotFound, Ungueltig, befunde_text
from koffer.forms.katalog import selectors as katalog
from koffer.forms.katalog.services import fristregeln, vorgangstyp
from koffer.forms.models import Einreichung, Entwurf, Formular
from koffer.outbox.briefe.setzen import satzkopf
from koffer.outbox.vorlagen.selectors import briefkopf_fuer
from koffer.records import access as records_access
from koffer.records import antwortcode
from koffer.records import selectors as records
from koffer.records import services as records_services
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument, Vorgang

MAX_ANTWORTEN = 2_000_000  # bytes of a draft's answers as JSON; 1,500 fields fit easily


def _grants(actor: User, akte: Akte, access: Access | None) -> Access:
    return records_access.of_actor(actor, akte.tenant_id, access)


def _darf(actor: User, akte: Akte, access: Access | None) -> None:
    if not rules.fuellt_aus(_grants(actor, akte, access), actor.pk, akte):
        raise Forbidden(
            "forbidden", "Formulare füllt aus, wer Dokumente zu dieser Akte ablegen darf."
        )


def _offen(akte: Akte) -> None:
    if akte.status != Akte.Status.OPEN:
        raise Conflict("akte_not_open", "Die Akte ist geschlossen.")


def entwurf_beginnen(
    *,
    actor: User,
    access: Access | None = None,
    formular: Formular,
    akte: Akte,
    vorgang: Vorgang | None = None,
) -> Entwurf:
    """A new draft of the form's current version for ``akte``, prefilled from the Akte
    (each field's ``vorbelegung``; ``vorbelegt`` names the source per field)."""
    # As stored now (its current version may be newer than the caller's copy), and only
    # in the Akte's Mandant.
    row = (
        Formular.objects.for_tenant(akte.tenant_id)
        .filter(pk=formular.pk, tenant_id=formular.tenant_id)
        .select_related("aktuelle_version")
        .first()
    )
    if row is None:
        raise NotFound("not_found", "Dieses Formular gibt es nicht.")
    formular = row
    _darf(actor, akte, access)
    _offen(akte)
    if vorgang is not None and vorgang.akte_id != akte.pk:
        raise FormsError("vorgang_foreign", "Der Vorgang gehört zu einer anderen Akte.")
    version = formular.aktuelle_version
    if not formular.is_active or version is None:
        raise Conflict(
            "formular_inactive", f"Das Formular „{formular.titel}“ wird nicht mehr angeboten."
        )
    definition = katalog.definition(version)
    lage = vorbelegung.aktenlage(akte, selectors.fruehere_werte(akte, formular))
    antworten, vorbelegt = vorbelegung.vorbelegen(definition, lage)
    now = timezone.now()
    with transaction.atomic():
        entwurf = Entwurf.objects.create(
            tenant_id=akte.tenant_id,
            formularversion=version,
            akte=akte,
            vorgang=vorgang,
            antworten=antworten,
            schritt=definition.schritte[0].id,
            vorbelegt=vorbelegt,
            created_at=now,
            created_by=actor,
            updated_at=now,
        )
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="forms.entwurf.create",
            obj=entwurf,
            subject=lage.person,
            changes={
                "formular": formular.schluessel,
                "version": version.nummer,
                "akte": str(akte.pk),
                "vorgang": str(vorgang.pk) if vorgang else None,
                "vorbelegt": sorted(vorbelegt),
            },
        )
    return entwurf


def _gesperrt(entwurf: Entwurf) -> Entwurf:
    return (
        Entwurf.objects.for_tenant(entwurf.tenant_id)
        .select_for_update(of=("self",))
        .select_related("formularversion__formular", "akte", "vorgang")
        .get(pk=entwurf.pk)
    )


def _noch_offen(entwurf: Entwurf) -> None:
    if entwurf.status != Entwurf.Status.OFFEN:
        raise Conflict("entwurf_not_open", f"Der Entwurf ist {entwurf.get_status_display()}.")


def schritt_speichern(
    *,
    actor: User,
    access: Access | None = None,
    entwurf: Entwurf,
    schritt: str,
    antworten: Mapping[str, Any],
) -> Pruefung:
    """Merge one step's answers into the draft and save them, always, errors included;
    answers the check of that step (a draft's check: hidden fields are kept aside)."""
    _darf(actor, entwurf.akte, access)
    return _speichern(actor, entwurf, schritt, antworten, melden=True)


def antworten_uebernehmen(
    *, actor: User, entwurf: Entwurf, antworten: Mapping[str, Any]
) -> Pruefung:
    """Merge ``antworten`` into an open draft as :func:`schritt_speichern` does (saved
    always, errors included, audited as ``forms.entwurf.change`` by ``actor``), keeping
    the draft's step. For a caller that has answered access itself: the remote expert
    of a Koffer session (``field.experte``), who fills the fields the citizen agreed to
    show them without being able to open the Akte. The followers (``beobachter``) are not
    told: the caller keeps its own account of the change."""
    return _speichern(actor, entwurf, None, antworten, melden=False)


def _speichern(
    actor: User,
    entwurf: Entwurf,
    schritt: str | None,
    antworten: Mapping[str, Any],
    *,
    melden: bool,
) -> Pruefung:
    if not isinstance(antworten, Mapping):
        raise Ungueltig(
            "antworten_invalid",
            "Die Antworten sind ein JSON-Objekt (Feld → Wert).",
            fehler={"": ["Die Antworten sind kein JSON-Objekt."]},
        )
    with transaction.atomic():
        if melden:
            beobachter.sperren(entwurf)
        row = _gesperrt(entwurf)
        _noch_offen(row)
        definition = katalog.definition(row.formularversion)
        schritt = row.schritt if schritt is None else schritt
        if definition.schritt(schritt) is None:
            meldung = f"Unbekannter Schritt „{schritt[:40]}“."
            raise Ungueltig("schritt_unknown", meldung, fehler={"": [meldung]})
        alt = dict(row.antworten)
        neu = {**alt, **{str(k): v for k, v in antworten.items()}}
        # An answer cleared is no answer: else a field hidden after it was answered would
        # block the submission for good.
        neu = {k: v for k, v in neu.items() if not leer(v)}
        if len(json.dumps(neu, ensure_ascii=False)) > MAX_ANTWORTEN:
            meldung = "Die Antworten sind zu umfangreich."
            raise Ungueltig("antworten_too_large", meldung, fehler={"": [meldung]})
        # A prefilled answer the person changed no longer comes from the Akte.
        geaendert = {str(k) for k in antworten if alt.get(str(k)) != neu.get(str(k))}
        row.vorbelegt = {k: v for k, v in row.vorbelegt.items() if k not in geaendert}
        row.antworten, row.schritt, row.updated_at = neu, schritt, timezone.now()
        row.save(update_fields=["antworten", "schritt", "vorbelegt", "updated_at"])
        audit.record(
            actor=actor,
            tenant_id=row.tenant_id,
            action="forms.entwurf.change",
            obj=row,
            subject=records.first_subject(row.akte),
            # which answers changed, never their values: the draft holds those
            changes={"schritt": schritt, "felder": sorted(geaendert)[:200]},
        )
        if melden:
            beobachter.geaendert(actor, row, frozenset(geaendert))
    return pruefen(
        definition,
        neu,
        heute=timezone.localdate(),
        schritt=schritt,
        personen=vorbelegung.personen(row.akte),
        streng=False,
    )


def datei_entfernen(
    *, actor: User, access: Access | None = None, entwurf: Entwurf, feld: str, blob: str
) -> dict[str, Any]:
    """Remove one uploaded file (``blob``: its SHA-256) from the ``datei`` field ``feld``
    of an open draft; answers the file's entry (name, type, size). The field's last file
    removed leaves it unanswered (a required field is an error again). The blob is
    released in the blob ledger: after the commit it is removed unless another draft,
    submission or document still points to it."""
    _darf(actor, entwurf.akte, access)
    with transaction.atomic():
        beobachter.sperren(entwurf)
        row = _gesperrt(entwurf)
        _noch_offen(row)
        definition = katalog.definition(row.formularversion)
        feld_def = definition.felder.get(feld)
        if feld_def is None or feld_def.typ != "datei":
            raise NotFound("datei_not_found", "Dieses Dateifeld gibt es im Formular nicht.")
        bisher = row.antworten.get(feld)
        dateien = [d for d in bisher if isinstance(d, Mapping)] if isinstance(bisher, list) else []
        entfernt = next((dict(d) for d in dateien if d.get("blob") == blob), None)
        if entfernt is None:
            raise NotFound("datei_not_found", "Diese Datei ist nicht (mehr) im Entwurf.")
        rest = [d for d in dateien if d.get("blob") != blob]
        antworten = {k: v for k, v in row.antworten.items() if k != feld}
        if rest:
            antworten[feld] = rest
        row.antworten, row.updated_at = antworten, timezone.now()
        row.save(update_fields=["antworten", "updated_at"])
        marke = documents.release_blob(tenant_id=row.tenant_id, sha256=blob)
        audit.record(
            actor=actor,
            tenant_id=row.tenant_id,
            action="forms.entwurf.datei.remove",
            obj=row,
            subject=records.first_subject(row.akte),
            # the file's hash and size name it for the record; its name may be personal
            changes={"feld": feld, "blob": blob, "groesse": entfernt.get("groesse")},
        )
        beobachter.geaendert(actor, row, frozenset({feld}))
        transaction.on_commit(lambda: documents.discard_blobs([marke]))
    return entfernt


def verwerfen(*, actor: User, access: Access | None = None, entwurf: Entwurf) -> Entwurf:
    """Discard an open draft (kept, marked, never submitted). Its uploaded files and drawn
    signatures are released in the blob ledger: after the commit each leaves the store
    unless another draft, submission or document still points to it (the answers keep
    their names and hashes, as a record of what was there)."""
    _darf(actor, entwurf.akte, access)
    with transaction.atomic():
        row = _gesperrt(entwurf)
        _noch_offen(row)
        row.status, row.updated_at = Entwurf.Status.VERWORFEN, timezone.now()
        row.save(update_fields=["status", "updated_at"])
        blobs = ablage.genannte_blobs(row.antworten)
        marken = [documents.release_blob(tenant_id=row.tenant_id, sha256=b) for b in blobs]
        audit.record(
            actor=actor,
            tenant_id=row.tenant_id,
            action="forms.entwurf.discard",
            obj=row,
            changes={
                "status": {"old": Entwurf.Status.OFFEN, "new": Entwurf.Status.VERWORFEN},
                "freigegeben": len(blobs),
            },
        )
        transaction.on_commit(lambda: documents.discard_blobs(marken))
    return row


def _klartext(definition: Definition, werte: Mapping[str, Any]) -> str:
    """The submission as text for the E-Akte's search: title, then label: value."""
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


def _drucken(
    entwurf: Entwurf,
    definition: Definition,
    werte: Mapping[str, Any],
    heute: date,
    vorgang_id: uuid.UUID | None,
) -> bytes:
    akte = entwurf.akte
    version = entwurf.formularversion
    kopf = briefkopf_fuer(akte.unit)
    # The reply code names the Akte and the Vorgang (the draft's, or the one the
    # submission opens): a copy signed on paper and scanned is filed there by the
    # Posteingang.
    code = antwortcode.encode(
        antwortcode.Antwortcode(tenant_id=akte.tenant_id, akte_id=akte.pk, vorgang_id=vorgang_id)
    )
    return formular_pdf(
        definition,
        vorbelegung.mit_namen(definition, werte, vorbelegung.personennamen(akte)),
        briefkopf=satzkopf(kopf, akte.unit.name),
        antwortcode=code,
        kopfzeilen=(
            ("Aktenzeichen", akte.aktenzeichen),
            ("Formular", f"{text_de(definition.titel)} (Version {version.nummer})"),
            ("Eingegangen am", f"{heute:%d.%m.%Y}"),
        ),
        heute=heute,
    )


def einreichen(
    *, actor: User, access: Access | None = None, entwurf: Entwurf, kanal: str = "schalter"
) -> Einreichung:
    """Submit the draft: every answer checked strictly (:class:`Ungueltig` naming every
    finding, ``fehler`` by path), the form printed and filed as an incoming Dokument of
    the Akte, the definition's Vorgang opened (unless the draft names one) with the
    Dokument in it and a Wiedervorlage for the actor. Submitting again answers the same
    Einreichung."""
    entwurf = (  # as stored now: the caller's copy may be older than a discard
        Entwurf.objects.for_tenant(entwurf.tenant_id)
        .select_related(
            "formularversion__formular", "akte__unit", "akte__aktenplaneinheit", "vorgang"
        )
        .get(pk=entwurf.pk)
    )
    akte = entwurf.akte
    _darf(actor, akte, access)
    if kanal not in Einreichung.Kanal.values:
        raise FormsError("kanal_unknown", "Diesen Eingangsweg gibt es nicht.")
    vorhanden = selectors.einreichung_von(entwurf)
    if vorhanden is not None:
        return vorhanden
    _noch_offen(entwurf)
    _offen(akte)
    definition = katalog.definition(entwurf.formularversion)
    heute = timezone.localdate()
    pruefung = pruefen(
        definition,
        entwurf.antworten,
        heute=heute,
        personen=vorbelegung.personen(akte),
        streng=True,
    )
    if not pruefung.ok:
        raise Ungueltig(
            "form_answers_invalid",
            "Das Formular kann so nicht eingereicht werden: " + befunde_text(pruefung.fehler),
            fehler=pruefung.fehler,
        )
    module = akte.aktenplaneinheit.module
    typ = vorgangstyp(akte.tenant_id, definition, module) if entwurf.vorgang_id is None else None
    if definition.vorgang is not None and entwurf.vorgang_id is None and typ is None:
        raise FormsError(
            "vorgangstyp_missing",
            f"Den Vorgangstyp „{definition.vorgang.vorgangstyp}“, den dieses Formular eröffnet, "
            "gibt es nicht mehr. Bitte wenden Sie sich an die Administration.",
        )
    # The Vorgang the submission opens gets its id now, so that the printed reply code
    # names it; then the slow part (typesetting) before the short transaction.
    neuer_vorgang = uuid7() if typ is not None else None
    pdf = _drucken(entwurf, definition, pruefung.werte, heute, entwurf.vorgang_id or neuer_vorgang)
    with transaction.atomic():
        row = _gesperrt(entwurf)
        again = selectors.einreichung_von(row)
        if again is not None:  # a twin request won
            return again
        _noch_offen(row)
        return _ablegen(
            actor, access, row, definition, pruefung.werte, pdf, heute, kanal, neuer_vorgang
        )


def _ablegen(
    actor: User,
    access: Access | None,
    entwurf: Entwurf,
    definition: Definition,
    werte: dict[str, Any],
    pdf: bytes,
    heute: date,
    kanal: str,
    vorgang_id: uuid.UUID | None,
) -> Einreichung:
    """File, open the Vorgang (with ``vorgang_id``, which the printed reply code names),
    set the Wiedervorlage (in the caller's transaction, the draft locked)."""
    akte = entwurf.akte
    titel = text_de(definition.titel)
    vorgang = entwurf.vorgang
    if vorgang is None and definition.vorgang is not None:
        typ = vorgangstyp(akte.tenant_id, definition, akte.aktenplaneinheit.module)
        assert typ is not None  # checked before printing
        vorgang = records_services.create_vorgang(
            actor=actor,
            akte=akte,
            typ=typ,
            title=f"{titel} vom {heute:%d.%m.%Y}",
            pk=vorgang_id,
        )
        regeln = fristregeln(akte.tenant_id, definition)
        for code in definition.vorgang.fristen:
            if code in regeln:  # a rule removed since the import: the Vorgang opens without it
                records_services.add_frist(
                    actor=actor, vorgang=vorgang, base_date=heute, regel=regeln[code]
                )
    person = records.first_subject(akte)
    result = documents.file_form(
        actor=actor,
        akte=akte,
        form=documents.Scan(
            filename=f"{definition.schluessel}-{heute.isoformat()}.pdf",
            original=pdf,
            searchable=None,
            text=_klartext(definition, werte),
            page_count=_seiten(pdf),
        ),
        meta=documents.DocumentMeta(
            title=titel[:300],
            kind="Formular",
            sender=(f"{person.given_names} {person.family_name}".strip() if person else "")[:200],
            received_on=heute,
        ),
        vorgang=vorgang,
        key=f"formular:{entwurf.pk}",
        access=access,
    )
    if result.dokument is None:
        raise FormsError(
            "formular_not_filed", f"Das Formular konnte nicht abgelegt werden: {result.message}"
        )
    now = timezone.now()
    einreichung = Einreichung.objects.create(
        tenant_id=akte.tenant_id,
        entwurf=entwurf,
        formularversion=entwurf.formularversion,
        akte=akte,
        vorgang=vorgang,
        dokument=result.dokument,
        werte=werte,
        kanal=kanal,
        eingereicht_am=now,
        eingereicht_von=actor,
    )
    entwurf.status, entwurf.vorgang, entwurf.updated_at = Entwurf.Status.EINGEREICHT, vorgang, now
    entwurf.save(update_fields=["status", "vorgang", "updated_at"])
    tage = definition.vorgang.wiedervorlage_tage if definition.vorgang else None
    if tage:
        records_services.set_wiedervorlage(
            actor=actor,
            akte=akte,
            due_date=heute + timedelta(days=tage),
            assignee=actor,
            vorgang=vorgang,
            dokument=result.dokument,
            note=f"Formular „{titel}“ eingegangen"[:500],
            today=heute,
        )
    audit.record(
        actor=actor,
        tenant_id=akte.tenant_id,
        action="forms.einreichung.create",
        obj=einreichung,
        subject=person,
        changes={
            "formular": entwurf.formularversion.formular.schluessel,
            "version": entwurf.formularversion.nummer,
            "entwurf": str(entwurf.pk),
            "dokument": str(result.dokument.pk),
            "vorgang": str(vorgang.pk) if vorgang else None,
            "kanal": kanal,
        },
    )
    return einreichung


# --- drafts and submissions made elsewhere (a Koffer's, offline) ---------------------------


def entwurf_uebernehmen(
    *, actor: User, entwurf: Entwurf, origin: dict[str, Any] | None = None
) -> Entwurf:
    """Take a draft made elsewhere (on a Koffer, offline) with its own id, its answers as
    entered and its times: for whoever may fill forms in its Akte, the Akte open, the
    form's version one of this Mandant, its Vorgang one of the Akte. Written as made by
    ``actor``, audited as ``forms.entwurf.create`` with ``origin``. A draft already here
    is answered as it is."""
    vorhanden = Entwurf.objects.for_tenant(entwurf.tenant_id).filter(pk=entwurf.pk).first()
    if vorhanden is not None:
        return vorhanden
    akte = Akte.objects.for_tenant(entwurf.tenant_id).get(pk=entwurf.akte_id)
    _darf(actor, akte, None)
    _offen(akte)
    version = katalog.version_im_mandanten(akte.tenant_id, entwurf.formularversion_id)
    if version is None:
        raise NotFound("not_found", "Dieses Formular gibt es nicht.")
    if entwurf.vorgang_id is not None and not (
        Vorgang.objects.for_tenant(akte.tenant_id)
        .filter(pk=entwurf.vorgang_id, akte_id=akte.pk)
        .exists()
    ):
        raise FormsError("vorgang_foreign", "Der Vorgang gehört zu einer anderen Akte.")
    if entwurf.status not in Entwurf.Status.values:
        raise FormsError("status_unknown", "Diesen Stand eines Entwurfs gibt es nicht.")
    if len(json.dumps(entwurf.antworten, default=str)) > MAX_ANTWORTEN:
        raise FormsError("antworten_zu_gross", "Die Antworten des Entwurfs sind zu umfangreich.")
    with transaction.atomic():
        row = Entwurf.objects.create(
            pk=entwurf.pk,
            tenant_id=akte.tenant_id,
            formularversion=version,
            akte=akte,
            vorgang_id=entwurf.vorgang_id,
            antworten=entwurf.antworten,
            schritt=entwurf.schritt,
            vorbelegt=entwurf.vorbelegt,
            status=entwurf.status,
            created_at=entwurf.created_at,
            created_by=actor,
            updated_at=entwurf.updated_at,
        )
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="forms.entwurf.create",
            obj=row,
            subject=records.first_subject(akte),
            changes={
                "formular": version.formular.schluessel,
                "version": version.nummer,
                "akte": str(akte.pk),
                "vorgang": str(row.vorgang_id) if row.vorgang_id else None,
                "vorbelegt": sorted(row.vorbelegt) if isinstance(row.vorbelegt, dict) else [],
                **(origin or {}),
            },
        )
    return row


def einreichung_uebernehmen(
    *, actor: User, einreichung: Einreichung, origin: dict[str, Any] | None = None
) -> Einreichung:
    """Take a submission made elsewhere (on a Koffer, offline: checked there, printed and
    filed there) with its own id and time: its Dokument must already be filed in the Akte
    (``records.dokumente.services.file_received``), its draft be one of the Akte on the
    same version, its Vorgang one of the Akte. The draft is marked submitted, the
    submission written with the channel „unterwegs erfasst“ as made by ``actor`` and
    audited as ``forms.einreichung.create`` with ``origin``. One already here is
    answered as it is (also the draft's other submission: one per draft)."""
    tenant_id = einreichung.tenant_id
    vorhanden = Einreichung.objects.for_tenant(tenant_id).filter(pk=einreichung.pk).first()
    if vorhanden is not None:
        return vorhanden
    akte = Akte.objects.for_tenant(tenant_id).get(pk=einreichung.akte_id)
    _darf(actor, akte, None)
    _offen(akte)
    with transaction.atomic():
        entwurf = (
            Entwurf.objects.for_tenant(tenant_id)
            .select_for_update()
            .filter(pk=einreichung.entwurf_id, akte_id=akte.pk)
            .first()
        )
        if entwurf is None or entwurf.formularversion_id != einreichung.formularversion_id:
            raise FormsError(
                "entwurf_fremd", "Der Entwurf dieser Einreichung gehört nicht zu dieser Akte."
            )
        again = selectors.einreichung_von(entwurf)
        if again is not None:
            return again
        dokument = (
            Dokument.objects.for_tenant(tenant_id)
            .filter(pk=einreichung.dokument_id, akte_id=akte.pk)
            .first()
        )
        if dokument is None:
            raise FormsError(
                "formular_not_filed", "Das Dokument dieser Einreichung liegt nicht in der Akte."
            )
        if einreichung.vorgang_id is not None and not (
            Vorgang.objects.for_tenant(tenant_id)
            .filter(pk=einreichung.vorgang_id, akte_id=akte.pk)
            .exists()
        ):
            raise FormsError("vorgang_foreign", "Der Vorgang gehört zu einer anderen Akte.")
        row = Einreichung.objects.create(
            pk=einreichung.pk,
            tenant_id=tenant_id,
            entwurf=entwurf,
            formularversion_id=entwurf.formularversion_id,
            akte=akte,
            vorgang_id=einreichung.vorgang_id,
            dokument=dokument,
            werte=einreichung.werte,
            kanal=Einreichung.Kanal.KOFFER,
            eingereicht_am=einreichung.eingereicht_am,
            eingereicht_von=actor,
        )
        entwurf.status = Entwurf.Status.EINGEREICHT
        entwurf.vorgang_id = einreichung.vorgang_id or entwurf.vorgang_id
        entwurf.updated_at = max(entwurf.updated_at, einreichung.eingereicht_am)
        entwurf.save(update_fields=["status", "vorgang", "updated_at"])
        version = katalog.version_im_mandanten(tenant_id, entwurf.formularversion_id)
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="forms.einreichung.create",
            obj=row,
            subject=records.first_subject(akte),
            changes={
                "formular": version.formular.schluessel if version else None,
                "version": version.nummer if version else None,
                "entwurf": str(entwurf.pk),
                "dokument": str(dokument.pk),
                "vorgang": str(row.vorgang_id) if row.vorgang_id else None,
                "kanal": row.kanal,
                **(origin or {}),
            },
        )
    return row


def record_read(*, actor: User, obj: Entwurf | Einreichung, purpose: str) -> None:
    """Audit that ``actor`` read a draft's or submission's answers (personal data), with
    the Akte's first person as the subject."""
    audit.read(
        actor=actor,
        tenant_id=obj.tenant_id,
        obj=obj,
        subject=records.first_subject(obj.akte),
        purpose=purpose,
    )
