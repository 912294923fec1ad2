"""Every write of the Besuchswünsche: a citizen's request for a home visit recorded (the
portal calls :func:`anfragen` with the citizen's account as the actor), a planner turning
it into a :class:`Hausbesuch` of source portal (:func:`planen`, through the Hausbesuche'
own ``planen``) or declining it with a reason the citizen sees (:func:`ablehnen`), and
the citizen taking an open request back (:func:`zurueckziehen`). Each writes in one transaction and leaves one audit event of its own."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, time

from django.db import transaction
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit import services as audit
from koffer.audit.reasons import need_reason
from koffer.audit.services import Actor
from koffer.field import access as rules
from koffer.field.besuche import services as besuche
from koffer.field.errors import Conflict, FieldError, NotFound
from koffer.field.models import Besuchswunsch, Hausbesuch
from koffer.kontakt import telefon_problem
from koffer.records import access as records_access
from koffer.records.models import Akte, AkteSubjekt, Person
from koffer.tenancy.models import Organisationseinheit

ANLIEGEN_MAX = 1000
HINWEIS_MAX = 500
# Monday to Friday (``date.weekday()``): the office visits on working days.
WOCHENTAGE = {0: "Montag", 1: "Dienstag", 2: "Mittwoch", 3: "Donnerstag", 4: "Freitag"}
# How far ahead a citizen may wish: a request is for the coming weeks, not next year.
ZEITRAUM_TAGE = 180


@dataclass
class Angaben:
    """What the citizen (or a relative) tells about the visit wished for."""

    fuer: str
    family_name: str
    given_names: str
    street: str
    postal_code: str
    city: str
    telefon: str
    thema: str
    anliegen: str = ""
    beziehung: str = ""
    wochentage: Sequence[int] = field(default_factory=list)
    tageszeit: str = Besuchswunsch.Tageszeit.EGAL
    ab: date | None = None
    bis: date | None = None
    barrieren: Sequence[str] = field(default_factory=list)
    barrieren_hinweis: str = ""


def anfragen(
    *,
    actor: Actor,
    konto_id: uuid.UUID,
    anfragende: str,
    unit: Organisationseinheit,
    angaben: Angaben,
    person: Person | None = None,
) -> Besuchswunsch:
    """Record a citizen's request for a home visit for the planners of ``unit``. The
    caller (the portal) has checked that the account may act for ``person``; a request
    for a relative without a Vertretung has no person. Everything the planner needs is
    checked here: name, address, a phone for the call-back, a topic, working days, a
    period from today within half a year, known accessibility needs."""
    a = _geprueft(angaben, person)
    with transaction.atomic():
        wunsch = Besuchswunsch.objects.create(
            tenant_id=unit.tenant_id,
            konto_id=konto_id,
            anfragende=anfragende[:200],
            fuer=a.fuer,
            person=person,
            family_name=a.family_name,
            given_names=a.given_names,
            street=a.street,
            postal_code=a.postal_code,
            city=a.city,
            telefon=a.telefon,
            beziehung=a.beziehung,
            thema=a.thema,
            anliegen=a.anliegen,
            wochentage=list(a.wochentage),
            tageszeit=a.tageszeit,
            ab=a.ab,
            bis=a.bis,
            barrieren=list(a.barrieren),
            barrieren_hinweis=a.barrieren_hinweis,
            unit=unit,
            created_at=timezone.now(),
        )
        audit.record(
            actor=actor,
            tenant_id=unit.tenant_id,
            action="field.besuchswunsch.create",
            obj=wunsch,
            subject=person,
            changes={
                "fuer": a.fuer,
                "thema": a.thema,
                "wochentage": list(a.wochentage),
                "tageszeit": a.tageszeit,
                "ab": a.ab,
                "bis": a.bis,
                "barrieren": list(a.barrieren),
                "unit": str(unit.pk),
            },
        )
    return wunsch


def planen(
    *,
    actor: User,
    wunsch: Besuchswunsch,
    akte: Akte,
    aussendienst: User,
    datum: date,
    anlass: str,
    uhrzeit: time | None = None,
    hinweise: str = "",
    formulare: Sequence[str] = (),
    access: Access | None = None,
) -> Hausbesuch:
    """Turn an open request into a planned :class:`Hausbesuch` (source portal) for
    ``akte``: the actor sees the request and may plan visits for the Akte (checked by the
    Hausbesuche' ``planen``); a request for a person of the E-Akte goes only into an Akte
    of that person. The citizen then sees the date on the portal's start page."""
    grants = records_access.of_actor(actor, wunsch.tenant_id, access)
    with transaction.atomic():
        wunsch = _offen(grants, actor, wunsch.pk)
        if wunsch.person_id is not None and not (
            AkteSubjekt.objects.for_tenant(akte.tenant_id)
            .filter(akte=akte, person_id=wunsch.person_id)
            .exists()
        ):
            raise FieldError(
                "wunsch_akte_person",
                f"Die Akte {akte.aktenzeichen} ist keine Akte von {wunsch.name}, für die der "
                "Hausbesuch angefragt wurde. Bitte wählen Sie eine Akte dieser Person.",
            )
        besuch = besuche.planen(
            actor=actor,
            access=grants,
            akte=akte,
            aussendienst=aussendienst,
            datum=datum,
            uhrzeit=uhrzeit,
            anlass=anlass,
            formulare=formulare,
            hinweise=hinweise,
            quelle=Hausbesuch.Quelle.PORTAL,
        )
        wunsch.status = Besuchswunsch.Status.GEPLANT
        wunsch.hausbesuch = besuch
        wunsch.entschieden_am = timezone.now()
        wunsch.entschieden_von = actor
        wunsch.save(update_fields=["status", "hausbesuch", "entschieden_am", "entschieden_von"])
        audit.record(
            actor=actor,
            tenant_id=wunsch.tenant_id,
            action="field.besuchswunsch.geplant",
            obj=wunsch,
            subject=wunsch.person,
            changes={
                "status": {"old": "offen", "new": "geplant"},
                "akte": str(akte.pk),
                "hausbesuch": str(besuch.pk),
                "datum": datum,
            },
        )
    return besuch


def ablehnen(
    *, actor: User, wunsch: Besuchswunsch, grund: str, access: Access | None = None
) -> Besuchswunsch:
    """Decline an open request with a reason; the citizen sees the reason on the portal
    (so it is written for them)."""
    grants = records_access.of_actor(actor, wunsch.tenant_id, access)
    grund = need_reason(
        grund, prompt="Bitte geben Sie an, warum der Hausbesuch nicht stattfinden kann."
    )
    if len(grund) > HINWEIS_MAX:
        raise FieldError(
            "wunsch_grund", f"Der Grund darf höchstens {HINWEIS_MAX} Zeichen lang sein."
        )
    with transaction.atomic():
        wunsch = _offen(grants, actor, wunsch.pk)
        wunsch.status = Besuchswunsch.Status.ABGELEHNT
        wunsch.ablehnungsgrund = grund
        wunsch.entschieden_am = timezone.now()
        wunsch.entschieden_von = actor
        wunsch.save(
            update_fields=["status", "ablehnungsgrund", "entschieden_am", "entschieden_von"]
        )
        audit.record(
            actor=actor,
            tenant_id=wunsch.tenant_id,
            action="field.besuchswunsch.abgelehnt",
            obj=wunsch,
            subject=wunsch.person,
            changes={"status": {"old": "offen", "new": "abgelehnt"}},
            reason=grund,
        )
    return wunsch


def zurueckziehen(
    *, actor: Actor, tenant_id: uuid.UUID, konto_id: uuid.UUID, wunsch_id: uuid.UUID
) -> Besuchswunsch:
    """The account that made a request takes it back while no planner has decided: it
    leaves the planners' open requests and stays visible to the citizen as „zurückgezogen“.
    Another account's request is a 404 alike; a planned or declined one is a
    :class:`Conflict` (the office is to be called). Withdrawing twice changes nothing."""
    with transaction.atomic():
        wunsch = (
            Besuchswunsch.objects.for_tenant(tenant_id)
            .select_for_update()
            .filter(pk=wunsch_id, konto_id=konto_id)
            .first()
        )
        if wunsch is None:
            raise NotFound("wunsch_not_found", "Diese Anfrage gibt es nicht.")
        if wunsch.status == Besuchswunsch.Status.ZURUECKGEZOGEN:
            return wunsch
        if wunsch.status == Besuchswunsch.Status.GEPLANT:
            raise Conflict(
                "wunsch_geplant",
                "Dieser Hausbesuch ist schon geplant und kann hier nicht mehr zurückgezogen "
                "werden. Bitte rufen Sie die Verwaltung an, wenn Sie den Termin absagen möchten.",
            )
        if wunsch.status != Besuchswunsch.Status.OFFEN:
            raise Conflict(
                "wunsch_entschieden",
                "Über diese Anfrage ist schon entschieden "
                f"({wunsch.get_status_display()}); sie kann nicht mehr zurückgezogen werden.",
            )
        wunsch.status = Besuchswunsch.Status.ZURUECKGEZOGEN
        wunsch.zurueckgezogen_am = timezone.now()
        wunsch.save(update_fields=["status", "zurueckgezogen_am"])
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="field.besuchswunsch.zurueckgezogen",
            obj=wunsch,
            subject=wunsch.person,
            changes={"status": {"old": "offen", "new": "zurueckgezogen"}},
        )
    return wunsch


def gelesen(
    *, actor: User, tenant_id: uuid.UUID, wuensche: Sequence[Besuchswunsch], zweck: str
) -> None:
    """Audit that ``actor`` read requests (names, addresses, phones of citizens): one
    event for a list, naming each request's person where the E-Akte knows it."""
    if not wuensche:
        return
    with transaction.atomic():
        if len(wuensche) == 1:
            audit.read(
                actor=actor,
                tenant_id=tenant_id,
                obj=wuensche[0],
                subject=wuensche[0].person,
                purpose=zweck,
            )
            return
        audit.record(
            actor=actor,
            tenant_id=tenant_id,
            action="read",
            obj=("field.besuchswuensche", tenant_id),
            changes={"wuensche": [str(w.pk) for w in wuensche]},
            reason=zweck,
        )


# --- Checks ---------------------------------------------------------------------------------


def _offen(grants: Access, actor: User, wunsch_id: uuid.UUID) -> Besuchswunsch:
    """The request locked, if the actor sees it (else 404 alike) and it is still open."""
    assert grants.tenant_id is not None
    found = (
        Besuchswunsch.objects.for_tenant(grants.tenant_id)
        .select_for_update()
        .filter(rules.wuensche_q(grants, actor.pk), pk=wunsch_id)
        .first()
    )
    if found is None:
        raise NotFound("wunsch_not_found", "Diese Anfrage gibt es nicht.")
    if found.status != Besuchswunsch.Status.OFFEN:
        raise Conflict(
            "wunsch_entschieden",
            f"Über diese Anfrage ist schon entschieden: {found.get_status_display()}.",
        )
    return found


def _text(value: str, name: str, code: str, *, required: bool = True, limit: int = 200) -> str:
    value = " ".join((value or "").split())
    if required and not value:
        raise FieldError(code, f"Bitte geben Sie {name} an.")
    if len(value) > limit:
        raise FieldError(code, f"Diese Angabe ist zu lang ({name}): höchstens {limit} Zeichen.")
    return value


def _geprueft(a: Angaben, person: Person | None) -> Angaben:
    if a.fuer not in Besuchswunsch.Fuer.values:
        raise FieldError("wunsch_fuer", "Bitte wählen Sie, für wen der Hausbesuch ist.")
    if a.fuer == Besuchswunsch.Fuer.ANGEHOERIGE and person is not None:
        raise FieldError(
            "wunsch_fuer", "Für eine vertretene Person fragen Sie bitte als Vertretung an."
        )
    if a.fuer == Besuchswunsch.Fuer.VERTRETUNG and person is None:
        raise FieldError("wunsch_fuer", "Bitte wählen Sie die vertretene Person.")
    if a.thema not in Besuchswunsch.Thema.values:
        raise FieldError("wunsch_thema", "Bitte wählen Sie das Thema des Besuchs.")
    if a.tageszeit not in Besuchswunsch.Tageszeit.values:
        raise FieldError("wunsch_tageszeit", "Bitte wählen Sie eine Tageszeit.")
    tage = sorted({int(t) for t in a.wochentage})
    if any(t not in WOCHENTAGE for t in tage):
        raise FieldError("wunsch_wochentage", "Hausbesuche gibt es montags bis freitags.")
    barrieren = [b for b in Besuchswunsch.Barriere.values if b in set(a.barrieren)]
    if len(barrieren) != len(set(a.barrieren)):
        raise FieldError("wunsch_barrieren", "Bitte wählen Sie nur Angaben aus der Liste.")
    heute = timezone.localdate()
    for tag in (a.ab, a.bis):
        if tag is not None and tag < heute:
            raise FieldError(
                "wunsch_zeitraum",
                f"Der {tag:%d.%m.%Y} liegt in der Vergangenheit. Bitte wählen Sie heute "
                f"({heute:%d.%m.%Y}) oder einen späteren Tag.",
            )
        if tag is not None and (tag - heute).days > ZEITRAUM_TAGE:
            raise FieldError(
                "wunsch_zeitraum",
                f"Bitte wünschen Sie einen Tag in den nächsten {ZEITRAUM_TAGE} Tagen.",
            )
    if a.ab is not None and a.bis is not None and a.ab > a.bis:
        raise FieldError(
            "wunsch_zeitraum", "„Frühestens am“ muss vor „Spätestens am“ liegen oder gleich sein."
        )
    telefon = (a.telefon or "").strip()
    if not telefon:
        raise FieldError("wunsch_telefon", "Bitte geben Sie eine Telefonnummer für den Rückruf an.")
    if problem := telefon_problem(telefon):
        raise FieldError("wunsch_telefon", problem)
    return Angaben(
        fuer=a.fuer,
        family_name=_text(a.family_name, "den Familiennamen", "wunsch_name", limit=120),
        given_names=_text(a.given_names, "die Vornamen", "wunsch_name", required=False),
        street=_text(a.street, "Straße und Hausnummer", "wunsch_anschrift"),
        postal_code=_text(a.postal_code, "die Postleitzahl", "wunsch_anschrift", limit=10),
        city=_text(a.city, "den Ort", "wunsch_anschrift", limit=120),
        telefon=telefon,
        thema=a.thema,
        anliegen=_text(
            a.anliegen, "das Anliegen", "wunsch_anliegen", required=False, limit=ANLIEGEN_MAX
        ),
        beziehung=_text(a.beziehung, "die Beziehung", "wunsch_beziehung", required=False, limit=80),
        wochentage=tage,
        tageszeit=a.tageszeit,
        ab=a.ab,
        bis=a.bis,
        barrieren=barrieren,
        barrieren_hinweis=_text(
            a.barrieren_hinweis,
            "die Hinweise zum Zugang",
            "wunsch_barrieren",
            required=False,
            limit=HINWEIS_MAX,
        ),
    )
