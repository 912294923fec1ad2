"""Every read of the Besuchswünsche: the planners' list and one request (limited to the
units they edit Akten in, ``field.access.wuensche_q``), the Akten a request may go into,
and a citizen's own requests with the state of their visit (for the portal)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.db.models import Q, QuerySet

from koffer.accounts.access import Access
from koffer.accounts.roles import Perm
from koffer.field import access as rules
from koffer.field.models import Besuchswunsch, Hausbesuch
from koffer.field.wuensche.services import WOCHENTAGE
from koffer.records import access as records_access
from koffer.records.models import Akte
from koffer.records.selectors import Viewer
from koffer.records.suche import services as suche

LISTE_MAX = 200
KONTO_MAX = 20


def sichtbare(access: Access, user_id: uuid.UUID | None) -> QuerySet[Besuchswunsch]:
    assert access.tenant_id is not None
    return Besuchswunsch.objects.for_tenant(access.tenant_id).filter(
        rules.wuensche_q(access, user_id)
    )


def offene(access: Access, user_id: uuid.UUID | None) -> list[Besuchswunsch]:
    """The open requests the actor plans, oldest first (one query)."""
    return list(
        sichtbare(access, user_id)
        .filter(status=Besuchswunsch.Status.OFFEN)
        .select_related("unit")
        .order_by("created_at", "pk")[:LISTE_MAX]
    )


def anzahl_offen(access: Access, user_id: uuid.UUID | None) -> int:
    return sichtbare(access, user_id).filter(status=Besuchswunsch.Status.OFFEN).count()


def wunsch(access: Access, user_id: uuid.UUID | None, wunsch_id: uuid.UUID) -> Besuchswunsch | None:
    """One visible request with its person and visit; None when missing or hidden."""
    return (
        sichtbare(access, user_id)
        .select_related("person", "unit", "hausbesuch", "hausbesuch__akte")
        .filter(pk=wunsch_id)
        .first()
    )


def akten_q(access: Access, user_id: uuid.UUID | None) -> Q:
    """Condition on Akte: open Akten the actor may plan a visit for."""
    return Q(status=Akte.Status.OPEN) & records_access.akten_q(access, user_id, Perm.RECORDS_EDIT)


def passende_akten(
    access: Access, user_id: uuid.UUID | None, wunsch: Besuchswunsch, suche_text: str = ""
) -> list[suche.AkteHit]:
    """Akten the request may go into: for a person of the E-Akte that person's open Akten
    the actor may plan for; for a relative's request those found by the name given (or
    by ``suche_text``: Aktenzeichen, BG-Nummer, a name), in the search spelling."""
    permitted = akten_q(access, user_id)
    viewer = Viewer(access=access, user_id=user_id)
    if wunsch.person_id is not None:
        akten = (
            Akte.objects.for_tenant(wunsch.tenant_id)
            .filter(permitted, subjekte__person_id=wunsch.person_id)
            .distinct()
            .order_by("aktenzeichen")[:20]
        )
        return [
            suche.AkteHit(a.pk, a.aktenzeichen, a.title, a.get_status_display(), "Person", "")
            for a in akten
        ]
    text = suche_text.strip() or wunsch.family_name
    return suche.find_akten(viewer, text, among=permitted)


def akte_fuer(
    access: Access, user_id: uuid.UUID | None, wunsch: Besuchswunsch, akte_id: uuid.UUID
) -> Akte | None:
    """The chosen Akte, if the actor may plan for it (the service checks the person)."""
    return (
        Akte.objects.for_tenant(wunsch.tenant_id)
        .filter(akten_q(access, user_id), pk=akte_id)
        .first()
    )


@dataclass(frozen=True)
class Stand:
    """A citizen's request as the portal shows it: what, when asked, and its state."""

    wunsch: Besuchswunsch
    text: str  # „eingegangen“, „geplant für Dienstag, 15.12.2026 um 10:30 Uhr“, …
    grund: str  # the reason of a decline, for the citizen

    @property
    def zurueckziehbar(self) -> bool:
        """The citizen may still take it back: no planner has decided yet."""
        return self.wunsch.status == Besuchswunsch.Status.OFFEN


TAGE = ["Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"]


def des_kontos(tenant_id: uuid.UUID, konto_id: uuid.UUID) -> list[Stand]:
    """The account's requests, newest first, with the state of each (one query)."""
    rows = (
        Besuchswunsch.objects.for_tenant(tenant_id)
        .filter(konto_id=konto_id)
        .select_related("hausbesuch")
        .order_by("-created_at", "-pk")[:KONTO_MAX]
    )
    return [Stand(w, *_stand(w)) for w in rows]


def des_kontos_einer(
    tenant_id: uuid.UUID, konto_id: uuid.UUID, wunsch_id: uuid.UUID
) -> Stand | None:
    """One request of the account with its state; None for another's and unknown alike."""
    w = (
        Besuchswunsch.objects.for_tenant(tenant_id)
        .filter(konto_id=konto_id, pk=wunsch_id)
        .select_related("hausbesuch")
        .first()
    )
    return Stand(w, *_stand(w)) if w is not None else None


def _stand(w: Besuchswunsch) -> tuple[str, str]:
    if w.status == Besuchswunsch.Status.ABGELEHNT:
        return "abgesagt", w.ablehnungsgrund
    if w.status == Besuchswunsch.Status.ZURUECKGEZOGEN:
        return "zurückgezogen", ""
    besuch = w.hausbesuch
    if w.status == Besuchswunsch.Status.OFFEN or besuch is None:
        return "eingegangen, wird geplant", ""
    if besuch.status == Hausbesuch.Status.ABGESAGT:
        # The office's reason for cancelling is a note for staff; the citizen is called.
        return "abgesagt: Wir melden uns telefonisch bei Ihnen", ""
    tag = f"{TAGE[besuch.datum.weekday()]}, {besuch.datum:%d.%m.%Y}"
    uhr = f" um {besuch.uhrzeit:%H:%M} Uhr" if besuch.uhrzeit else ""
    if besuch.status == Hausbesuch.Status.ERLEDIGT:
        return f"erledigt: Besuch am {tag}", ""
    return f"geplant für {tag}{uhr}", ""


def wochentage_text(wunsch: Besuchswunsch) -> str:
    tage = [WOCHENTAGE[t] for t in wunsch.wochentage if t in WOCHENTAGE]
    return ", ".join(tage) if tage else "jeder Werktag"
