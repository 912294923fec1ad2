"""Every write of a letter: the draft, its changes, the release (alone or with a second
person), handing it over in person, discarding a draft.

A letter is checked every time it is rendered (``outbox.satz.pruefe``): the draft shows
the findings beside its preview, and a letter with findings cannot be released, so nothing
wrong reaches the print provider. Releasing files the letter in its Akte as an outgoing,
immutable Dokument in the same transaction (``records.dokumente.services.file_letter``,
idempotent by ``postausgang:<letter id>``), so a released letter is always filed.

Four eyes: where the template asks for it (always, or from an amount on), the writer's
release only asks; a second person who may write in the Akte releases it, and both are
recorded (``freigabe_angefordert_von``, ``freigegeben_von``) and audited.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.outbox import access as rules
from koffer.outbox import zustellung
from koffer.outbox.briefe import daten, setzen
from koffer.outbox.errors import Conflict, Forbidden, Invalid, OutboxError
from koffer.outbox.models import Brief, BriefEreignis, Serienbrief, Vorlage
from koffer.outbox.postfach import services as postfach
from koffer.records import access as records_access
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Dokument, Person, Vorgang

Status = Brief.Status
MAX_REASON = 500
MAX_ADDRESS_LINES = 10  # more never fit; the check reports what does not
MAX_INPUT = 4000


def _event(
    brief: Brief,
    status: str,
    *,
    actor: User | None,
    key: str = "",
    detail: str = "",
    einmalig: bool = False,
) -> None:
    """Record that ``brief`` reached ``status`` (once per ``key``, default the status).
    ``einmalig``: a step a letter takes once only (drafted, released), written without
    first looking for the event."""
    now = timezone.now()
    fields = {"status": status, "at": now, "recorded_at": now, "actor": actor}
    fields["detail"] = detail[:500]
    if einmalig:
        BriefEreignis.objects.create(
            tenant_id=brief.tenant_id, brief=brief, key=key or status, **fields
        )
        return
    BriefEreignis.objects.get_or_create(
        tenant_id=brief.tenant_id, brief=brief, key=key or status, defaults=fields
    )


def audit_brief(actor: User | None, brief: Brief, action: str, **details: Any) -> None:
    """One audit event about ``brief``, its addressee as the subject (also for the
    Postausgang's local print)."""
    audit.record(
        actor=actor,
        tenant_id=brief.tenant_id,
        action=action,
        obj=brief,
        subject=brief.empfaenger,
        **details,
    )


def _locked(brief: Brief) -> Brief:
    return (
        Brief.objects.for_tenant(brief.tenant_id)
        .select_for_update(of=("self",))
        .select_related(
            "akte__unit",
            "akte__caseworker",
            "akte__bg",
            "vorgang",
            "version__vorlage",
            "empfaenger",
        )
        .get(pk=brief.pk)
    )


def _events_once(brief: Brief, actor: User | None, steps: list[tuple[str, str]]) -> None:
    """The events of steps a letter takes once only (drafted, released, put before a
    second person), each ``(status, detail)``, in one statement, without looking for
    them first."""
    BriefEreignis.objects.bulk_create(_once_rows(brief, actor, steps, timezone.now()))


def _mark_released(
    brief: Brief, dokument: Dokument, done: setzen.Gesetzt, actor: User | None, now: datetime
) -> None:
    """Set ``brief`` (unsaved) to released: filed as ``dokument``, typeset as ``done``."""
    brief.dokument = dokument
    brief.status = Status.FREIGEGEBEN
    brief.briefdatum = done.briefdatum
    brief.seiten = done.seiten
    brief.portoklasse = done.portoklasse
    brief.befunde = []
    brief.freigegeben_von = actor
    brief.freigegeben_at = now
    brief.updated_at = now


def _once_rows(
    brief: Brief, actor: User | None, steps: list[tuple[str, str]], now: datetime
) -> list[BriefEreignis]:
    """The unsaved event rows of ``steps`` (``(status, detail)``), keyed by their status."""
    return [
        BriefEreignis(
            tenant_id=brief.tenant_id,
            brief=brief,
            key=status,
            status=status,
            at=now,
            recorded_at=now,
            actor=actor,
            detail=detail[:500],
        )
        for status, detail in steps
    ]


def _may_write(access: Access, actor: User, akte: Akte) -> None:
    if not rules.can_write_in(access, actor.pk, akte):
        raise Forbidden("outbox_forbidden", "Sie dürfen in dieser Akte keine Briefe schreiben.")


def _clean_inputs(felder: list[dict[str, Any]], eingaben: dict[str, Any]) -> dict[str, str]:
    """The writer's values for the version's fields; unknown keys are dropped."""
    known = {f["key"] for f in felder}
    return {key: str(value)[:MAX_INPUT].strip() for key, value in eingaben.items() if key in known}


def _one_line(value: Any) -> str:
    return " ".join(str(value).split())[:120]


def clean_address(raw: dict[str, Any]) -> dict[str, Any]:
    """An address as the letter stores it (``satz.Anschrift``'s parts), each line on one
    line; too many or too long lines are kept as written, the check says what is wrong."""
    namen = [_one_line(x) for x in raw.get("namen", []) if _one_line(x)]
    return {
        "namen": namen[:MAX_ADDRESS_LINES],
        "strasse": _one_line(raw.get("strasse", "")),
        "ort": _one_line(raw.get("ort", "")),
        "land": _one_line(raw.get("land", "")),
    }


def _amount(brief: Brief) -> Decimal | None:
    for field in brief.version.felder:
        if field.get("typ") == "betrag":
            found = daten.betrag(brief.eingaben.get(field["key"], ""))
            if found is not None:
                return found
    return None


def needs_second_person(brief: Brief) -> bool:
    """Whether the template asks for four eyes for this letter: always, or from its amount
    on (a Bescheid without an amount where an amount decides: four eyes, to be safe)."""
    vorlage = brief.version.vorlage
    if not vorlage.vier_augen:
        return False
    if vorlage.vier_augen_ab is None:
        return True
    return brief.betrag is None or brief.betrag >= vorlage.vier_augen_ab


def neuer_brief(
    *,
    actor: User,
    akte: Akte,
    vorlage: Vorlage,
    vorgang: Vorgang | None = None,
    empfaenger: Person | None = None,
    kanal: str = Brief.Kanal.HYBRID,
    serienbrief: Serienbrief | None = None,
    eingaben: dict[str, Any] | None = None,
) -> Brief:
    """The draft :func:`entwerfen` saves, not saved yet (its id already drawn): a serial
    letter typesets it ahead from this."""
    version = vorlage.aktuelle_version
    if version is None or not vorlage.is_active:
        raise Invalid("vorlage_unusable", f"Die Vorlage „{vorlage.titel}“ ist nicht freigegeben.")
    if vorgang is not None and vorgang.akte_id != akte.pk:
        raise Invalid("vorgang_other_akte", "Der Vorgang gehört nicht zu dieser Akte.")
    if kanal not in Brief.Kanal.values:
        raise Invalid("kanal_unknown", "Unbekannter Versandweg.")
    person = empfaenger or setzen.erste_person(akte)
    if kanal == Brief.Kanal.PORTAL:
        postfach.pruefen(person)
    now = timezone.now()
    brief = Brief(
        tenant_id=akte.tenant_id,
        akte=akte,
        vorgang=vorgang,
        version=version,
        empfaenger=person,
        anschrift=daten.anschrift(person),
        betreff=version.betreff,
        kanal=kanal,
        eingaben=_clean_inputs(version.felder, eingaben or {}),
        serienbrief=serienbrief,
        created_at=now,
        created_by=actor,
        updated_at=now,
    )
    if brief.eingaben:
        brief.betrag = _amount(brief)
    return brief


def entwerfen(
    *,
    actor: User,
    access: Access,
    akte: Akte,
    vorlage: Vorlage,
    vorgang: Vorgang | None = None,
    empfaenger: Person | None = None,
    kanal: str = Brief.Kanal.HYBRID,
    serienbrief: Serienbrief | None = None,
    eingaben: dict[str, Any] | None = None,
    entwurf: Brief | None = None,
) -> Brief:
    """A new draft in ``akte`` from the template's current version, addressed to
    ``empfaenger`` (default: the Akte's first person), with the writer's ``eingaben``;
    ``serienbrief``: made by that serial letter. ``entwurf``: the draft
    :func:`neuer_brief` made for ``akte`` and ``vorlage`` earlier, saved as it is (the
    other arguments are then not looked at)."""
    _may_write(access, actor, akte)
    brief = entwurf or neuer_brief(
        actor=actor,
        akte=akte,
        vorlage=vorlage,
        vorgang=vorgang,
        empfaenger=empfaenger,
        kanal=kanal,
        serienbrief=serienbrief,
        eingaben=eingaben,
    )
    version = brief.version
    # No savepoint of its own: a failure here fails the caller's transaction (a serial
    # letter's savepoint per Akte, or the request's).
    with transaction.atomic(savepoint=False):
        brief.save(force_insert=True)
        _event(brief, Status.ENTWURF, actor=actor, detail=f"Vorlage {vorlage.titel}", einmalig=True)
        audit_brief(
            actor,
            brief,
            "outbox.brief.entworfen",
            changes={"vorlage": vorlage.code, "version": version.nummer, "kanal": brief.kanal},
        )
    return brief


def aendern(
    *,
    actor: User,
    access: Access,
    brief: Brief,
    eingaben: dict[str, Any] | None = None,
    anschrift: dict[str, Any] | None = None,
    kanal: str | None = None,
    einschreiben: str | None = None,
) -> Brief:
    """Change a draft: the writer's fields, the address lines, channel, registered mail."""
    with transaction.atomic():
        brief = _locked(brief)
        _may_write(access, actor, brief.akte)
        if brief.status != Status.ENTWURF:
            raise Conflict(
                "brief_not_draft", f"Der Brief ist {brief.get_status_display()} und unveränderlich."
            )
        changes: dict[str, Any] = {}
        if eingaben is not None:
            brief.eingaben = {**brief.eingaben, **_clean_inputs(brief.version.felder, eingaben)}
            brief.betrag = _amount(brief)
            changes["eingaben"] = sorted(brief.eingaben)
        if anschrift is not None:
            brief.anschrift = clean_address(anschrift)
            changes["anschrift"] = True
        if kanal is not None:
            if kanal not in Brief.Kanal.values:
                raise Invalid("kanal_unknown", "Unbekannter Versandweg.")
            if kanal == Brief.Kanal.PORTAL and brief.kanal != kanal:
                postfach.pruefen(brief.empfaenger)
            brief.kanal = changes["kanal"] = kanal
        if einschreiben is not None:
            if einschreiben not in Brief.Einschreiben.values:
                raise Invalid("einschreiben_unknown", "Unbekannte Art des Einschreibens.")
            brief.einschreiben = changes["einschreiben"] = einschreiben
        brief.updated_at = timezone.now()
        brief.save()
        audit_brief(
            actor,
            brief,
            "outbox.brief.geaendert",
            changes=changes,
        )
    return brief


def _findings(brief: Brief, done: setzen.Gesetzt) -> Invalid:
    """Keep the check's findings on the letter (shown beside its draft) and say them."""
    brief.befunde = [b.als_dict() for b in done.befunde]
    brief.save(update_fields=["befunde"])
    return Invalid(
        "brief_befunde",
        "Der Brief kann so nicht versandt werden: " + " ".join(b.message for b in done.befunde),
    )


def freigeben(
    *,
    actor: User,
    access: Access,
    brief: Brief,
    vorgesetzt: setzen.Vorgesetzt | None = None,
    frisch: bool = False,
) -> Brief:
    """The writer's release: checked, then filed and released — or, where four eyes are
    needed, put before a second person. A letter with findings stays a draft, the
    findings kept on it. ``vorgesetzt``: the letter typeset ahead (a serial letter).
    ``frisch``: ``brief`` was drafted in the caller's still open transaction (a serial
    letter's step), so no other transaction can see it: it is used as it is, without
    reading and locking it again, and its filing needs no look for an earlier one."""
    today = timezone.localdate()
    with transaction.atomic():
        if not frisch:
            brief = _locked(brief)
        _may_write(access, actor, brief.akte)
        if brief.status != Status.ENTWURF:
            raise Conflict(
                "brief_not_draft", f"Der Brief ist bereits {brief.get_status_display()}."
            )
        done = setzen.setze(brief, briefdatum=today, vorgesetzt=vorgesetzt)
        if done.befunde:
            refused = _findings(brief, done)
        elif needs_second_person(brief):
            brief.status = Status.ZUR_FREIGABE
            brief.freigabe_angefordert_von = actor
            brief.seiten = done.seiten
            brief.befunde = []
            brief.updated_at = timezone.now()
            brief.save()
            _event(brief, Status.ZUR_FREIGABE, actor=actor, key="zur_freigabe")
            audit_brief(actor, brief, "outbox.brief.vorgelegt")
            return brief
        else:
            return _release(brief, actor=actor, done=done, neu=frisch)
    raise refused


def serienbrief_freigeben(
    *,
    actor: User,
    access: Access,
    entwurf: Brief,
    vorgesetzt: setzen.Vorgesetzt | None = None,
) -> Brief:
    """A serial letter's letter (``entwurf`` from :func:`neuer_brief`, addressed to the
    Akte's first person) drafted and released in one go, in the caller's transaction:
    what :func:`entwerfen` and then :func:`freigeben` do, written once with its final
    values (one insert, its events in one statement) and audited as both steps
    (``outbox.brief.entworfen``, then ``…freigegeben`` or ``…vorgelegt``). A letter with
    findings raises :class:`Invalid` and writes nothing (a serial letter reports it).
    ``vorgesetzt``: the letter typeset ahead."""
    brief = entwurf
    akte = brief.akte
    _may_write(access, actor, akte)
    version = brief.version
    done = setzen.setze(brief, briefdatum=timezone.localdate(), vorgesetzt=vorgesetzt)
    if done.befunde:
        raise Invalid(
            "brief_befunde",
            "Der Brief kann so nicht versandt werden: " + " ".join(b.message for b in done.befunde),
        )
    audit_brief(
        actor,
        brief,
        "outbox.brief.entworfen",
        changes={"vorlage": version.vorlage.code, "version": version.nummer, "kanal": brief.kanal},
    )
    drafted = (Status.ENTWURF.value, f"Vorlage {version.vorlage.titel}")
    if not needs_second_person(brief):
        return _release(
            brief, actor=actor, done=done, neu=True, subject=brief.empfaenger, vorher=[drafted]
        )
    brief.status = Status.ZUR_FREIGABE
    brief.freigabe_angefordert_von = actor
    brief.seiten = done.seiten
    brief.befunde = []
    brief.save(force_insert=True)
    _events_once(brief, actor, [drafted, (Status.ZUR_FREIGABE.value, "")])
    audit_brief(actor, brief, "outbox.brief.vorgelegt")
    return brief


def einzeln(brief: Brief) -> bool:
    """Whether a serial letter's letter is released alone (:func:`serienbrief_freigeben`)
    rather than with its chunk (:func:`serienbriefe_freigeben`): one that waits for a
    second person or goes into a portal mailbox."""
    return brief.kanal == Brief.Kanal.PORTAL or needs_second_person(brief)


@dataclass(frozen=True)
class Geprueft:
    """A serial letter's letter typeset and checked (:func:`serienbrief_pruefen`), to be
    released with its chunk."""

    brief: Brief
    gesetzt: setzen.Gesetzt


def serienbrief_pruefen(
    *,
    actor: User,
    access: Access,
    entwurf: Brief,
    vorgesetzt: setzen.Vorgesetzt | None = None,
) -> Geprueft:
    """What :func:`serienbrief_freigeben` checks before it writes (the writer may write in
    the Akte, the Akte takes documents, the letter has no findings), writing nothing; a
    letter that fails raises :class:`~koffer.errors.DomainError` with the reason."""
    _may_write(access, actor, entwurf.akte)
    documents.check_target(entwurf.akte, entwurf.vorgang)
    done = setzen.setze(entwurf, briefdatum=timezone.localdate(), vorgesetzt=vorgesetzt)
    if done.befunde:
        raise Invalid(
            "brief_befunde",
            "Der Brief kann so nicht versandt werden: " + " ".join(b.message for b in done.befunde),
        )
    return Geprueft(entwurf, done)


def serienbriefe_freigeben(*, actor: User, geprueft: Sequence[Geprueft]) -> list[Brief]:
    """The letters of a serial letter's chunk checked by :func:`serienbrief_pruefen` (none
    :func:`einzeln`) drafted, filed and released together in the caller's transaction:
    for each what :func:`serienbrief_freigeben` writes — its audit events
    (``outbox.brief.entworfen``, ``records.dokument.create``, ``…freigegeben``), its
    Dokument, the letter with its final values and its two events — but each table in one
    statement for all (their audit events chained in one bundle). All or nothing."""
    if not geprueft:
        return []
    tenant_id = geprueft[0].brief.tenant_id
    with audit.batched(tenant_id):
        with audit.gebuendelt(tenant_id):
            for item in geprueft:
                version = item.brief.version
                audit_brief(
                    actor,
                    item.brief,
                    "outbox.brief.entworfen",
                    changes={
                        "vorlage": version.vorlage.code,
                        "version": version.nummer,
                        "kanal": item.brief.kanal,
                    },
                )
        dokumente = documents.file_letters(
            actor=actor,
            letters=[
                documents.LetterToFile(
                    akte=item.brief.akte,
                    letter=_scan(item.brief, item.gesetzt),
                    meta=_meta(item.brief, item.gesetzt),
                    key=f"postausgang:{item.brief.pk}",
                    vorgang=item.brief.vorgang,
                    subject=item.brief.empfaenger,
                )
                for item in geprueft
            ],
        )
        now = timezone.now()
        made: list[Brief] = []
        for item, dokument in zip(geprueft, dokumente, strict=True):
            brief = item.brief
            _mark_released(brief, dokument, item.gesetzt, actor, now)
            made.append(brief)
        Brief.objects.bulk_create(made)
        BriefEreignis.objects.bulk_create(
            [
                row
                for brief in made
                for row in _once_rows(
                    brief,
                    actor,
                    [
                        (Status.ENTWURF.value, f"Vorlage {brief.version.vorlage.titel}"),
                        (Status.FREIGEGEBEN.value, ""),
                    ],
                    now,
                )
            ]
        )
        with audit.gebuendelt(tenant_id):
            for brief in made:
                audit_brief(
                    actor,
                    brief,
                    "outbox.brief.freigegeben",
                    changes={
                        "dokument": str(brief.dokument_id),
                        "seiten": brief.seiten,
                        "vier_augen": False,
                        "status": brief.status,
                    },
                )
    return made


def zweitfreigabe(*, actor: User, access: Access, brief: Brief) -> Brief:
    """The second person's release of a letter that needs four eyes."""
    today = timezone.localdate()
    with transaction.atomic():
        brief = _locked(brief)
        if brief.status != Status.ZUR_FREIGABE:
            raise Conflict("brief_not_waiting", f"Der Brief ist {brief.get_status_display()}.")
        if not rules.can_release(access, actor.pk, brief.akte, author_id=brief.created_by_id):
            if actor.pk in (brief.created_by_id, brief.freigabe_angefordert_von_id):
                raise Forbidden(
                    "four_eyes_same_person",
                    "Diesen Brief muss eine zweite Person freigeben, "
                    "nicht wer ihn geschrieben hat.",
                )
            raise Forbidden("outbox_forbidden", "Sie dürfen diesen Brief nicht freigeben.")
        done = setzen.setze(brief, briefdatum=today)
        if not done.befunde:
            return _release(brief, actor=actor, done=done)
        refused = _findings(brief, done)
    raise refused


def zurueckgeben(*, actor: User, access: Access, brief: Brief, grund: str) -> Brief:
    """The second person sends a letter back to its writer, with a reason."""
    reason = " ".join(grund.split())[:MAX_REASON]
    if not reason:
        raise Invalid("reason_missing", "Bitte sagen Sie, was am Brief zu ändern ist.")
    with transaction.atomic():
        brief = _locked(brief)
        if brief.status != Status.ZUR_FREIGABE:
            raise Conflict("brief_not_waiting", f"Der Brief ist {brief.get_status_display()}.")
        if not rules.can_release(access, actor.pk, brief.akte, author_id=brief.created_by_id):
            raise Forbidden("outbox_forbidden", "Sie dürfen diesen Brief nicht zurückgeben.")
        brief.status = Status.ENTWURF
        brief.freigabe_angefordert_von = None
        brief.updated_at = timezone.now()
        brief.save()
        _event(
            brief,
            Status.ENTWURF,
            actor=actor,
            key=f"zurueck-{BriefEreignis.objects.for_tenant(brief.tenant_id).filter(brief=brief).count()}",
            detail=f"Zurückgegeben: {reason}",
        )
        audit_brief(
            actor,
            brief,
            "outbox.brief.zurueckgegeben",
            reason=reason,
        )
    return brief


def verwerfen(*, actor: User, access: Access, brief: Brief) -> Brief:
    """Discard a draft (kept, marked, never sent)."""
    with transaction.atomic():
        brief = _locked(brief)
        _may_write(access, actor, brief.akte)
        if not brief.is_draft:
            raise Conflict(
                "brief_not_draft",
                f"Der Brief ist {brief.get_status_display()}; freigegebene Briefe bleiben in der Akte.",
            )
        brief.status = Status.VERWORFEN
        brief.updated_at = timezone.now()
        brief.save(update_fields=["status", "updated_at"])
        _event(brief, Status.VERWORFEN, actor=actor)
        audit_brief(actor, brief, "outbox.brief.verworfen")
    return brief


def _scan(brief: Brief, done: setzen.Gesetzt) -> documents.Scan:
    """The letter as its Akte files it: the PDF, its text and pages."""
    return documents.Scan(
        filename=setzen.dateiname(brief),
        original=done.pdf,
        searchable=None,
        text=done.text,
        page_count=done.seiten,
    )


def _meta(brief: Brief, done: setzen.Gesetzt) -> documents.DocumentMeta:
    return documents.DocumentMeta(
        title=brief.betreff[:300],
        kind=brief.version.vorlage.get_art_display(),
        direction=Dokument.Direction.OUTGOING,
        sender=done.absender[:200],
    )


def _release(
    brief: Brief,
    *,
    actor: User,
    done: setzen.Gesetzt,
    neu: bool = False,
    subject: Person | documents.Unread | None = documents.UNREAD,
    vorher: list[tuple[str, str]] | None = None,
) -> Brief:
    """File and release (in the caller's transaction, the letter locked; ``neu``: drafted
    in it). A letter not saved yet is inserted with its final values; ``vorher``: the
    events of its steps before (``(status, detail)``, written with the release's).
    ``subject``: the Akte's first person, where read already."""
    now = timezone.now()
    result = documents.file_letter(
        actor=actor,
        akte=brief.akte,
        letter=_scan(brief, done),
        meta=_meta(brief, done),
        vorgang=brief.vorgang,
        key=f"postausgang:{brief.pk}",
        neu=neu,
        subject=subject,
    )
    if result.dokument is None:
        raise OutboxError(
            "brief_not_filed", f"Der Brief konnte nicht abgelegt werden: {result.message}"
        )
    _mark_released(brief, result.dokument, done, actor, now)
    brief.save(force_insert=brief._state.adding)
    _events_once(brief, actor, [*(vorher or []), (Status.FREIGEGEBEN.value, "")])
    if brief.kanal == Brief.Kanal.PORTAL:  # no print batch: into the mailbox at once
        postfach.bereitstellen(brief, actor=actor)
        brief.save(update_fields=["status", "bereitgestellt_am"])
    audit_brief(
        actor,
        brief,
        "outbox.brief.freigegeben",
        changes={
            "dokument": str(result.dokument.pk),
            "seiten": done.seiten,
            "vier_augen": brief.freigabe_angefordert_von_id is not None,
            "status": brief.status,
        },
    )
    return brief


def aushaendigen(*, actor: User, access: Access, brief: Brief, am: date) -> Brief:
    """A released letter handed over in person, or printed by the office and given to the
    post (kanal lokal: also after koffer printed it, „gedruckt“). Handed over, it is known
    that day; posted, the day counts as the day of posting exactly as a print provider's
    „versendet“ report (``outbox.zustellung``: Bekanntgabe, a Bescheid's objection
    deadline; a later date corrects both). The day is neither in the future nor before
    the release."""
    lokal = brief.kanal == Brief.Kanal.LOKAL
    regel = zustellung.bekanntgabe_regel(brief.akte.tenant, actor) if lokal else None
    with transaction.atomic():
        brief = _locked(brief)
        _may_write(access, actor, brief.akte)
        if brief.kanal == Brief.Kanal.HYBRID:
            raise Conflict("brief_hybrid", "Dieser Brief geht über den Druckdienstleister.")
        allowed = (
            (Status.FREIGEGEBEN, Status.GEDRUCKT, Status.VERSENDET)
            if lokal
            else (Status.FREIGEGEBEN,)
        )
        if brief.status not in allowed:
            raise Conflict("brief_not_released", f"Der Brief ist {brief.get_status_display()}.")
        _check_day(brief, am, lokal=lokal)
        changes: dict[str, Any] = {"am": am.isoformat()}
        if regel is not None:
            brief.status = Status.VERSENDET
            changes |= zustellung.versendet(actor, brief, am, regel)
        else:
            brief.status, brief.versendet_am, brief.bekanntgabe_am = Status.AUSGEHAENDIGT, am, am
        brief.updated_at = timezone.now()
        brief.save()
        detail = f"zur Post gegeben am {am:%d.%m.%Y}" if lokal else daten.datum(am)
        _event(brief, brief.status, actor=actor, key=f"{brief.status}:{am}", detail=detail)
        audit_brief(
            actor,
            brief,
            "outbox.brief.ausgehaendigt",
            changes={**changes, "status": brief.status},
        )
    return brief


def _check_day(brief: Brief, am: date, *, lokal: bool) -> None:
    if am > timezone.localdate():
        raise Invalid("date_future", "Das Datum liegt in der Zukunft.", field="am")
    if not lokal:  # handed over: the day as the caseworker says (also recorded later)
        return
    released = timezone.localdate(brief.freigegeben_at) if brief.freigegeben_at else None
    if released is not None and am < released:
        raise Invalid(
            "date_before_release",
            f"Das Datum liegt vor der Freigabe des Briefs am {released:%d.%m.%Y}.",
            field="am",
        )


def record_read(*, actor: User, brief: Brief, purpose: str) -> None:
    """A letter (its draft, preview or PDF) was looked at: audited like the Akte's other
    personal data."""
    audit_brief(
        actor,
        brief,
        "outbox.brief.gelesen",
        reason=purpose[:200],
    )


def may_read(access: Access, actor: User, akte: Akte) -> bool:
    return records_access.can_view(access, actor.pk, akte)
