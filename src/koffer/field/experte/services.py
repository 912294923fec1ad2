"""Every write of an expert session. The field worker starts it on a draft they fill,
with the citizen's consent (who gave it, how, when: required, recorded, audited); the
expert joins and leaves; both write fields and leave hints; the field worker ends it.

A field is written through the Formulare's services (``antworten_uebernehmen``: the
draft keeps what was typed, errors included) with a version per field: the writer names
the version they saw, and if someone else wrote the field since, nothing is saved and
:class:`Veraltet` answers the field as it is now (last write wins per field, a stale one
is never silent). Each write appends an :class:`Ereignis` the other screen's stream
sends on. The session row is locked first, then the draft, in every write."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.field import access as rules
from koffer.field.errors import Conflict, FieldError, Forbidden, NotFound, Veraltet
from koffer.field.experte import selectors
from koffer.field.models import Ereignis, Hinweis, Sitzung
from koffer.forms.ausfuellen import services as ausfuellen
from koffer.forms.katalog import selectors as katalog
from koffer.forms.models import Entwurf
from koffer.records import access as records_access
from koffer.records import selectors as records

MAX_WERT = 10_000  # characters of one field's value as sent from the session page
MAX_HINWEIS = 1_000


def _gesperrt(sitzung: Sitzung) -> Sitzung:
    return (
        Sitzung.objects.for_tenant(sitzung.tenant_id)
        .select_for_update(of=("self",))
        .select_related(
            "entwurf__formularversion__formular", "entwurf__akte", "gestartet_von", "experte"
        )
        .get(pk=sitzung.pk)
    )


def _ereignis(
    row: Sitzung, art: str, autor: User, feld: str = "", hinweis: Hinweis | None = None
) -> None:
    """Number and append an event (the caller saves ``letzte_nummer``)."""
    row.letzte_nummer += 1
    Ereignis.objects.create(
        tenant_id=row.tenant_id,
        sitzung=row,
        nummer=row.letzte_nummer,
        art=art,
        feld=feld,
        hinweis=hinweis,
        autor=autor,
        am=timezone.now(),
    )


def _audit(actor: User, row: Sitzung, action: str, changes: dict[str, Any]) -> None:
    audit.record(
        actor=actor,
        tenant_id=row.tenant_id,
        action=action,
        obj=row,
        subject=records.first_subject(row.entwurf.akte),
        changes={"entwurf": str(row.entwurf_id), **changes},
    )


def _offen(row: Sitzung) -> None:
    if row.status != Sitzung.Status.OFFEN:
        raise Conflict("sitzung_beendet", "Die Expertensitzung ist beendet.")


def _rolle(actor: User, row: Sitzung, access: Access | None) -> str:
    """The actor's part in the session, checked: the field worker while they may fill the
    draft, the expert while they are still someone who can be invited."""
    rolle = selectors.rolle(row, actor.pk)
    if rolle is None:
        raise NotFound("not_found", "Diese Expertensitzung gibt es nicht.")
    if rolle == selectors.AUSSENDIENST:
        grants = records_access.of_actor(actor, row.tenant_id, access)
        if not rules.laedt_experten_ein(grants, actor.pk, row.entwurf.akte):
            raise Forbidden("forbidden", "Sie dürfen diesen Entwurf nicht mehr ausfüllen.")
    elif not rules.experten(row.tenant_id).filter(pk=actor.pk).exists():
        raise Forbidden("forbidden", "Sie können nicht mehr als Expertin/Experte mitarbeiten.")
    return rolle


def _dabei(row: Sitzung, rolle: str) -> None:
    """The expert writes only while joined."""
    if rolle == selectors.EXPERTE and (row.beigetreten_am is None or row.verlassen_am is not None):
        raise Conflict("nicht_beigetreten", "Bitte treten Sie der Sitzung zuerst bei.")


def starten(
    *,
    actor: User,
    access: Access | None = None,
    entwurf: Entwurf,
    experte: User,
    einwilligung_von: str,
    einwilligung_art: str,
    eingewilligt: bool,
) -> Sitzung:
    """Invite ``experte`` into the open draft ``entwurf``: only with the citizen's consent
    (``eingewilligt``, who gave it and how), only someone who can be invited
    (``field.access.experten``), one open session per draft."""
    entwurf = (
        Entwurf.objects.for_tenant(entwurf.tenant_id).select_related("akte").get(pk=entwurf.pk)
    )
    grants = records_access.of_actor(actor, entwurf.tenant_id, access)
    if not rules.laedt_experten_ein(grants, actor.pk, entwurf.akte):
        raise Forbidden(
            "forbidden", "Eine Expertin oder einen Experten lädt ein, wer den Entwurf ausfüllt."
        )
    if entwurf.status != Entwurf.Status.OFFEN:
        raise Conflict("entwurf_not_open", f"Der Entwurf ist {entwurf.get_status_display()}.")
    if not eingewilligt:
        raise FieldError(
            "einwilligung_fehlt",
            "Ohne die Einwilligung der Bürgerin oder des Bürgers kann niemand zugeschaltet "
            "werden. Bitte bestätigen Sie die Einwilligung.",
        )
    von = einwilligung_von.strip()
    if not von or len(von) > 200:
        raise FieldError(
            "einwilligung_von_fehlt",
            "Bitte geben Sie an, wer eingewilligt hat (höchstens 200 Zeichen).",
        )
    if einwilligung_art not in Sitzung.Einwilligung.values:
        raise FieldError(
            "einwilligung_art_fehlt",
            "Bitte geben Sie an, ob mündlich oder schriftlich eingewilligt wurde.",
        )
    if not rules.experten(entwurf.tenant_id, ausser=actor.pk).filter(pk=experte.pk).exists():
        raise FieldError(
            "experte_ungeeignet",
            "Diese Person kann nicht als Expertin/Experte zugeschaltet werden.",
        )
    now = timezone.now()
    try:
        with transaction.atomic():
            row = Sitzung.objects.create(
                tenant_id=entwurf.tenant_id,
                entwurf=entwurf,
                gestartet_von=actor,
                experte=experte,
                einwilligung_von=von,
                einwilligung_art=einwilligung_art,
                einwilligung_am=now,
                gestartet_am=now,
            )
            _audit(
                actor,
                row,
                "field.experte.start",
                {
                    "experte": str(experte.pk),
                    "einwilligung": {"art": einwilligung_art, "am": now.isoformat()},
                },
            )
    except IntegrityError as exc:  # the partial unique constraint: one open per draft
        raise Conflict(
            "sitzung_offen", "Zu diesem Entwurf läuft schon eine Expertensitzung."
        ) from exc
    return row


def beitreten(*, actor: User, sitzung: Sitzung) -> Sitzung:
    """The invited expert joins (again, after leaving)."""
    with transaction.atomic():
        row = _gesperrt(sitzung)
        _offen(row)
        if _rolle(actor, row, None) != selectors.EXPERTE:
            raise Forbidden("forbidden", "Beitreten kann nur die eingeladene Person.")
        now = timezone.now()
        row.beigetreten_am, row.verlassen_am = row.beigetreten_am or now, None
        _ereignis(row, Ereignis.Art.BEITRITT, actor)
        row.save(update_fields=["beigetreten_am", "verlassen_am", "letzte_nummer"])
        _audit(actor, row, "field.experte.join", {})
    return row


def verlassen(*, actor: User, sitzung: Sitzung) -> Sitzung:
    """The expert leaves; the field worker goes on alone (the expert may join again)."""
    with transaction.atomic():
        row = _gesperrt(sitzung)
        _offen(row)
        rolle = selectors.rolle(row, actor.pk)
        if rolle is None:
            raise NotFound("not_found", "Diese Expertensitzung gibt es nicht.")
        if rolle != selectors.EXPERTE:
            raise Forbidden(
                "forbidden", "Die Sitzung verlässt die Expertin/der Experte; Sie beenden sie."
            )
        row.verlassen_am = timezone.now()
        _ereignis(row, Ereignis.Art.VERLASSEN, actor)
        row.save(update_fields=["verlassen_am", "letzte_nummer"])
        _audit(actor, row, "field.experte.leave", {})
    return row


def beenden(*, actor: User, access: Access | None = None, sitzung: Sitzung) -> Sitzung:
    """The field worker ends the session; the expert's page and stream close."""
    with transaction.atomic():
        row = _gesperrt(sitzung)
        _offen(row)
        if _rolle(actor, row, access) != selectors.AUSSENDIENST:
            raise Forbidden("forbidden", "Die Sitzung beendet, wer sie begonnen hat.")
        row.status, row.beendet_am = Sitzung.Status.BEENDET, timezone.now()
        _ereignis(row, Ereignis.Art.ENDE, actor)
        row.save(update_fields=["status", "beendet_am", "letzte_nummer"])
        _audit(actor, row, "field.experte.end", {})
    return row


def feld_setzen(
    *,
    actor: User,
    access: Access | None = None,
    sitzung: Sitzung,
    feld: str,
    wert: Any,
    version: int,
) -> int:
    """Write one field of the session's draft, based on ``version`` of that field (as the
    writer last saw it); answers the field's new version. A field written by someone else
    since raises :class:`Veraltet` and saves nothing; a field hidden from the expert is
    refused to them."""
    if isinstance(wert, str) and len(wert) > MAX_WERT:
        raise FieldError("wert_zu_lang", f"Der Wert ist zu lang (höchstens {MAX_WERT} Zeichen).")
    with transaction.atomic():
        row = _gesperrt(sitzung)
        _offen(row)
        rolle = _rolle(actor, row, access)
        _dabei(row, rolle)
        definition, hidden = selectors.sichtbar_fuer(row, rolle)
        feld_def = definition.feld(feld)
        if feld_def is None or not feld_def.hat_wert or not feld_def.schritt:
            raise NotFound("feld_unbekannt", "Dieses Feld gibt es im Formular nicht.")
        if feld in hidden:
            raise Forbidden("feld_verborgen", "Dieses Feld ist für Sie verborgen.")
        if feld_def.typ in selectors.NUR_IM_FORMULAR:
            raise Conflict(
                "feld_im_formular",
                "Dateien und Unterschriften werden im Formular selbst hochgeladen bzw. "
                "geleistet; sie erscheinen dann hier.",
            )
        stand = row.felder.get(feld) or {}
        bisher = int(stand.get("v", 0))
        if version != bisher:
            aktuell = selectors.feld_stand(row, feld, rolle)
            raise Veraltet(feld, aktuell["von"] or "jemand anderem", aktuell)
        ausfuellen.antworten_uebernehmen(actor=actor, entwurf=row.entwurf, antworten={feld: wert})
        row.felder = {**row.felder, feld: {"v": bisher + 1, "von": str(actor.pk)}}
        _ereignis(row, Ereignis.Art.FELD, actor, feld=feld)
        row.save(update_fields=["felder", "letzte_nummer"])
        # the field's name, never its value: the draft holds that
        _audit(
            actor,
            row,
            "field.experte.change",
            {"feld": feld, "version": bisher + 1, "rolle": rolle},
        )
    return bisher + 1


def hinweis_geben(
    *, actor: User, access: Access | None = None, sitzung: Sitzung, feld: str, text: str
) -> Hinweis:
    """Leave a hint beside ``feld`` (empty: the whole form); both see it at once."""
    text = text.strip()
    if not text or len(text) > MAX_HINWEIS:
        raise FieldError(
            "hinweis_leer", f"Bitte schreiben Sie einen Hinweis (höchstens {MAX_HINWEIS} Zeichen)."
        )
    with transaction.atomic():
        row = _gesperrt(sitzung)
        _offen(row)
        rolle = _rolle(actor, row, access)
        _dabei(row, rolle)
        if feld:
            definition, hidden = selectors.sichtbar_fuer(row, selectors.EXPERTE)
            if definition.feld(feld) is None or feld in hidden:
                raise NotFound(
                    "feld_unbekannt",
                    "Einen Hinweis gibt es zu den sichtbaren Feldern des Formulars.",
                )
        hinweis = Hinweis.objects.create(
            tenant_id=row.tenant_id,
            sitzung=row,
            feld=feld,
            text=text,
            autor=actor,
            am=timezone.now(),
        )
        _ereignis(row, Ereignis.Art.HINWEIS, actor, feld=feld, hinweis=hinweis)
        row.save(update_fields=["letzte_nummer"])
        _audit(actor, row, "field.experte.hint", {"feld": feld, "hinweis": str(hinweis.pk)})
    return hinweis


def sperren(entwurf: Entwurf) -> None:
    """Before a save of the draft through the form's own path (``forms.ausfuellen.
    beobachter``): the open session's row is locked first, as in :func:`feld_setzen`."""
    selectors.offene_sitzung(entwurf)


def formular_geaendert(actor: User, entwurf: Entwurf, felder: frozenset[str]) -> None:
    """The draft's answers ``felder`` were saved through the form's own pages (a step, the
    draft API, a file removed) while a session is open on it: each field's version moves
    on as if written in the session (a write the other screen based on the old version is
    then refused as stale, never silently lost) and the stream tells both screens. In
    the caller's transaction; one audit event naming the fields, never their values."""
    row = selectors.offene_sitzung(entwurf)
    if row is None:
        return
    definition = katalog.definition(entwurf.formularversion)
    namen = sorted(f for f in felder if (d := definition.feld(f)) is not None and d.hat_wert)
    if not namen:
        return
    neu = dict(row.felder)
    for feld in namen:
        neu[feld] = {"v": int((neu.get(feld) or {}).get("v", 0)) + 1, "von": str(actor.pk)}
        _ereignis(row, Ereignis.Art.FORMULAR, actor, feld=feld)
    row.felder = neu
    row.save(update_fields=["felder", "letzte_nummer"])
    rolle = selectors.rolle(row, actor.pk) or "andere"
    audit.record(
        actor=actor,
        tenant_id=row.tenant_id,
        action="field.experte.change",
        obj=row,
        subject=records.first_subject(entwurf.akte),
        changes={
            "entwurf": str(row.entwurf_id),
            "felder": namen[:200],
            "versionen": {f: neu[f]["v"] for f in namen[:200]},
            "rolle": rolle,
            "quelle": "formular",
        },
    )


def record_read(*, actor: User, sitzung: Sitzung) -> None:
    """Audit that ``actor`` opened the session's draft (personal data)."""
    ausfuellen.record_read(actor=actor, obj=sitzung.entwurf, purpose="Expertensitzung geöffnet")
