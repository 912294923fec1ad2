"""Every write of the Hausbesuche: plan a visit (with its Wiedervorlage for the field
worker), move it to another day, cancel it with a reason, close it as done; and the read
of a route sheet. Each checks ``field.access``, writes in one transaction and leaves one
audit event of its own (the Wiedervorlage's events come from the records services)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, time

from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.reasons import need_reason
from koffer.audit.services import Actor
from koffer.field import access as rules
from koffer.field.errors import Conflict, FieldError, Forbidden
from koffer.field.models import Hausbesuch
from koffer.forms.katalog import selectors as katalog
from koffer.records import access as records_access
from koffer.records import services as records
from koffer.records.models import Akte, Person, Vorgang, Wiedervorlage

ANLASS_MAX = 300
HINWEISE_MAX = 500


def planen(
    *,
    actor: Actor,
    akte: Akte,
    aussendienst: User,
    datum: date,
    anlass: str,
    uhrzeit: time | None = None,
    formulare: Sequence[str] = (),
    hinweise: str = "",
    vorgang: Vorgang | None = None,
    aus_wiedervorlage: Wiedervorlage | None = None,
    quelle: str = Hausbesuch.Quelle.SACHBEARBEITUNG,
    access: Access | None = None,
) -> Hausbesuch:
    """Plan a home visit: the actor may edit the open Akte, the field worker is one
    :func:`field.access.aussendienste` offers, the day is today or later, the reason is
    given, every form to take along is an active form of the Mandant's catalogue. The field
    worker gets a Wiedervorlage on that day („Hausbesuch: <Anlass>“).

    ``aus_wiedervorlage``: an open Wiedervorlage of this Akte the visit takes over (the
    caseworker's reminder becomes the visit); it is done in the same transaction.
    ``quelle``: who asked for it (a citizen's request from the portal: ``portal``)."""
    grants = records_access.of_actor(actor, akte.tenant_id, access)
    user_id = records_access.user_id_of(actor)
    if not rules.plant_hausbesuche(grants, user_id, akte):
        raise Forbidden("besuch_forbidden", "Für diese Akte dürfen Sie keinen Hausbesuch planen.")
    anlass = _anlass(anlass)
    hinweise = _hinweise(hinweise)
    _nicht_vergangen(datum)
    if not rules.aussendienste(akte).filter(pk=aussendienst.pk).exists():
        raise FieldError(
            "besuch_aussendienst",
            f"{aussendienst.get_full_name() or aussendienst} kann für diese Akte keine "
            "Hausbesuche machen (Außendienst der zuständigen Organisationseinheit).",
        )
    if vorgang is not None and vorgang.akte_id != akte.pk:
        raise FieldError("besuch_vorgang", "Der Vorgang gehört nicht zu dieser Akte.")
    schluessel = _formulare(akte.tenant_id, formulare)
    if aus_wiedervorlage is not None and (
        aus_wiedervorlage.akte_id != akte.pk or aus_wiedervorlage.done_at is not None
    ):
        raise FieldError(
            "besuch_wiedervorlage", "Diese Wiedervorlage ist nicht mehr offen in dieser Akte."
        )
    with transaction.atomic():
        if aus_wiedervorlage is not None:
            records.complete_wiedervorlage(actor=actor, wiedervorlage=aus_wiedervorlage)
        wv = records.set_wiedervorlage(
            actor=actor,
            akte=akte,
            due_date=datum,
            assignee=aussendienst,
            vorgang=vorgang,
            note=_vermerk(anlass),
        )
        besuch = Hausbesuch.objects.create(
            tenant_id=akte.tenant_id,
            akte=akte,
            vorgang=vorgang,
            aussendienst=aussendienst,
            datum=datum,
            uhrzeit=uhrzeit,
            anlass=anlass,
            formulare=schluessel,
            hinweise=hinweise,
            quelle=quelle,
            wiedervorlage=wv,
            created_by=actor if isinstance(actor, User) else None,
            created_at=timezone.now(),
        )
        audit.record(
            actor=actor,
            tenant_id=akte.tenant_id,
            action="field.hausbesuch.create",
            obj=besuch,
            changes={
                "akte": str(akte.pk),
                "aussendienst": str(aussendienst.pk),
                "datum": datum,
                "uhrzeit": uhrzeit.strftime("%H:%M") if uhrzeit else None,
                "anlass": anlass,
                "formulare": schluessel,
                "aus_wiedervorlage": str(aus_wiedervorlage.pk) if aus_wiedervorlage else None,
                "quelle": quelle,
            },
        )
    return besuch


def verlegen(
    *,
    actor: Actor,
    besuch: Hausbesuch,
    datum: date,
    uhrzeit: time | None = None,
    access: Access | None = None,
) -> Hausbesuch:
    """Move a planned visit to another day (today or later) or time; its Wiedervorlage
    moves with it (the old one done, a new one for the new day)."""
    _darf_aendern(actor, besuch, access)
    _geplant(besuch)
    _nicht_vergangen(datum)
    alt = {"datum": besuch.datum, "uhrzeit": _uhr(besuch.uhrzeit)}
    with transaction.atomic():
        if besuch.datum != datum or besuch.wiedervorlage_id is None:
            _wiedervorlage_erledigen(actor, besuch)
            besuch.wiedervorlage = records.set_wiedervorlage(
                actor=actor,
                akte=besuch.akte,
                due_date=datum,
                assignee=besuch.aussendienst,
                vorgang=besuch.vorgang,
                note=_vermerk(besuch.anlass),
            )
        besuch.datum = datum
        besuch.uhrzeit = uhrzeit
        besuch.save(update_fields=["datum", "uhrzeit", "wiedervorlage"])
        audit.record(
            actor=actor,
            tenant_id=besuch.tenant_id,
            action="field.hausbesuch.verlegt",
            obj=besuch,
            changes=audit.diff(alt, {"datum": datum, "uhrzeit": _uhr(uhrzeit)}),
        )
    return besuch


def absagen(
    *, actor: Actor, besuch: Hausbesuch, grund: str, access: Access | None = None
) -> Hausbesuch:
    """Cancel a planned visit with a reason; its Wiedervorlage is done."""
    _darf_aendern(actor, besuch, access)
    _geplant(besuch)
    grund = need_reason(grund, prompt="Bitte geben Sie an, warum der Hausbesuch ausfällt.")
    with transaction.atomic():
        _wiedervorlage_erledigen(actor, besuch)
        besuch.status = Hausbesuch.Status.ABGESAGT
        besuch.absagegrund = grund
        besuch.save(update_fields=["status", "absagegrund"])
        audit.record(
            actor=actor,
            tenant_id=besuch.tenant_id,
            action="field.hausbesuch.abgesagt",
            obj=besuch,
            changes={"status": {"old": "geplant", "new": "abgesagt"}},
            reason=grund,
        )
    return besuch


def erledigen(*, actor: Actor, besuch: Hausbesuch, access: Access | None = None) -> Hausbesuch:
    """Close a planned visit as done (the field worker after the visit); its Wiedervorlage
    is done."""
    _darf_aendern(actor, besuch, access)
    _geplant(besuch)
    with transaction.atomic():
        _wiedervorlage_erledigen(actor, besuch)
        besuch.status = Hausbesuch.Status.ERLEDIGT
        besuch.erledigt_am = timezone.now()
        besuch.save(update_fields=["status", "erledigt_am"])
        audit.record(
            actor=actor,
            tenant_id=besuch.tenant_id,
            action="field.hausbesuch.erledigt",
            obj=besuch,
            changes={"status": {"old": "geplant", "new": "erledigt"}},
        )
    return besuch


def tag_gelesen(
    *,
    actor: Actor,
    tenant_id: uuid.UUID,
    aussendienst_id: uuid.UUID,
    datum: date,
    akten: Sequence[tuple[Akte, Person | None]],
    zweck: str,
) -> None:
    """Audit that ``actor`` read a day's visits (the page, the API): one event naming the
    day and its Akten, so the list costs the same for one visit as for twenty."""
    if not akten:
        return
    audit.record(
        actor=actor,
        tenant_id=tenant_id,
        action="read",
        obj=("field.hausbesuche", f"{aussendienst_id}/{datum.isoformat()}"),
        changes={"akten": [akte.aktenzeichen for akte, _ in akten]},
        reason=f"{zweck} am {datum:%d.%m.%Y}",
    )


def tourenplan_gelesen(
    *,
    actor: Actor,
    tenant_id: uuid.UUID,
    datum: date,
    akten: Sequence[tuple[Akte, Person | None]],
) -> None:
    """Audit the route sheet's download: it leaves koffer on paper, so each Akte on it is
    recorded as read with its person (the data subject's own export finds it)."""
    with transaction.atomic():
        for akte, person in akten:
            audit.read(
                actor=actor,
                tenant_id=tenant_id,
                obj=akte,
                subject=person,
                purpose=f"Tourenplan vom {datum:%d.%m.%Y}",
            )


# --- Checks ---------------------------------------------------------------------------------


def _darf_aendern(actor: Actor, besuch: Hausbesuch, access: Access | None) -> None:
    grants = records_access.of_actor(actor, besuch.tenant_id, access)
    if not rules.aendert_besuch(grants, records_access.user_id_of(actor), besuch):
        raise Forbidden("besuch_forbidden", "Diesen Hausbesuch dürfen Sie nicht ändern.")


def _geplant(besuch: Hausbesuch) -> None:
    if besuch.status != Hausbesuch.Status.GEPLANT:
        raise Conflict(
            "besuch_nicht_geplant",
            f"Dieser Hausbesuch ist schon {besuch.get_status_display()}.",
        )


def _nicht_vergangen(datum: date) -> None:
    today = timezone.localdate()
    if datum < today:
        raise FieldError(
            "besuch_vergangen",
            f"Das Datum des Hausbesuchs ({datum:%d.%m.%Y}) liegt in der Vergangenheit. "
            f"Bitte wählen Sie heute ({today:%d.%m.%Y}) oder einen späteren Tag.",
        )


def _anlass(anlass: str) -> str:
    anlass = (anlass or "").strip()
    if not anlass:
        raise FieldError("besuch_anlass", "Bitte geben Sie den Anlass des Hausbesuchs an.")
    if len(anlass) > ANLASS_MAX:
        raise FieldError(
            "besuch_anlass", f"Der Anlass darf höchstens {ANLASS_MAX} Zeichen lang sein."
        )
    return anlass


def _hinweise(hinweise: str) -> str:
    hinweise = (hinweise or "").strip()
    if len(hinweise) > HINWEISE_MAX:
        raise FieldError(
            "besuch_hinweise", f"Die Hinweise dürfen höchstens {HINWEISE_MAX} Zeichen lang sein."
        )
    return hinweise


def _formulare(tenant_id: uuid.UUID, formulare: Sequence[str]) -> list[str]:
    """The chosen keys in order, each once; every one an active form of the catalogue."""
    gewaehlt = list(dict.fromkeys(formulare))
    if not gewaehlt:
        return []
    aktiv = set(
        katalog.katalog(tenant_id)
        .filter(schluessel__in=gewaehlt)
        .values_list("schluessel", flat=True)
    )
    fehlen = [s for s in gewaehlt if s not in aktiv]
    if fehlen:
        raise FieldError(
            "besuch_formular",
            "Diese Formulare gibt es im Katalog nicht (oder nicht mehr): " + ", ".join(fehlen),
        )
    return gewaehlt


def _vermerk(anlass: str) -> str:
    return f"Hausbesuch: {anlass}"


def _uhr(uhrzeit: time | None) -> str | None:
    return uhrzeit.strftime("%H:%M") if uhrzeit else None


def _wiedervorlage_erledigen(actor: Actor, besuch: Hausbesuch) -> None:
    wv: Wiedervorlage | None = besuch.wiedervorlage
    if wv is not None and wv.done_at is None:
        records.complete_wiedervorlage(actor=actor, wiedervorlage=wv)
