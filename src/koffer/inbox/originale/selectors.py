"""Every read of the paper originals, already limited to what the actor may see
(``inbox.access``): a batch's register of originals with the day each may be destroyed,
the originals due for a destruction list, and the lists themselves (a provider its own,
the mail room those of its units).

When an original may be destroyed: ``aufbewahrung_wochen`` weeks (the Mandant's default,
8, or its kind's own, ``Artregel``) after the day koffer's check of the batch finished
(``Stapel.checked_at``, Europe/Berlin). That day, not the scan date, because only then are
the scans verified against the Lieferschein (TR-RESISCAN: destroy only what is proven
stored); it is never earlier than the scan. No day at all while the batch is unchecked,
in quarantine, or its provider's quality check failed (until the mail room releases its
originals: then from the day of the release), and none for a document still in
processing (its kind is unknown) or in quarantine. Excluded are originals marked
„Original aufbewahren“ and those under a „Rechtliche Sperre“ (the E-Akte has no legal
hold of its own, so the flag lives here, on the original).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, timedelta

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.inbox import access as rules
from koffer.inbox.models import (
    Eingangsdokument,
    Original,
    Originalfreigabe,
    Stapel,
    Stapeldatei,
    Vernichtungseintrag,
    Vernichtungsliste,
)
from koffer.inbox.verarbeitung import regeln
from koffer.tenancy.models import Mandant

DocState = Eingangsdokument.State
# Documents whose scan is settled: filed, waiting for a person, or nobody's post.
DATED_STATES = (DocState.ZU_PRUEFEN, DocState.ABGELEGT, DocState.NICHT_ZUORDENBAR)
CHECKED_STATES = (Stapel.State.VERARBEITET, Stapel.State.MIT_PROBLEMEN)
# A list still unconfirmed this many days after it was made is overdue (start page).
OVERDUE_DAYS = 14


@dataclass(frozen=True)
class Aufbewahrung:
    """How many weeks the Mandant keeps paper originals, in general and per kind."""

    default_weeks: int
    per_kind: dict[str, int]

    @classmethod
    def of(cls, tenant_id: uuid.UUID) -> Aufbewahrung:
        return cls(
            regeln.regeln(tenant_id).aufbewahrung_wochen, regeln.aufbewahrung_je_art(tenant_id)
        )

    def weeks(self, kind: str) -> int:
        return self.per_kind.get(kind, self.default_weeks)


def base_day(stapel: Stapel, freigabe: Originalfreigabe | None) -> tuple[date | None, str]:
    """The day the batch's originals start their weeks, or None and why not."""
    if stapel.source == Stapel.Source.FITCONNECT:
        return None, "Elektronisch über FIT-Connect eingegangen: kein Papieroriginal."
    if stapel.state == Stapel.State.QUARANTAENE:
        return None, "Der Stapel ist in Quarantäne: keine Vernichtung."
    if stapel.checked_at is None or stapel.state not in CHECKED_STATES:
        return None, "Die Prüfung des Stapels steht noch aus."
    if not stapel.quality_passed:
        if freigabe is None:
            return None, (
                "Die Qualitätsprüfung des Dienstleisters ist nicht bestanden: keine "
                "Vernichtung, bis die Poststelle die Originale freigibt."
            )
        return max(stapel.scan_date, timezone.localdate(freigabe.released_at)), ""
    return max(stapel.scan_date, timezone.localdate(stapel.checked_at)), ""


def due_day(
    doc: Eingangsdokument, start: date | None, policy: Aufbewahrung
) -> tuple[date | None, str]:
    """The day ``doc``'s original may be destroyed, or None and why not."""
    if doc.state == DocState.NEU:
        return None, "Das Dokument wird noch verarbeitet."
    if doc.state == DocState.QUARANTAENE:
        return None, "Das Dokument ist in Quarantäne: Original nicht vernichten."
    if start is None:
        return None, ""
    return start + timedelta(weeks=policy.weeks(doc.kind)), ""


@dataclass(frozen=True)
class Zeile:
    """One paper original in a batch's register: a document's pages, or a whole file not
    (yet) split into documents."""

    datei: Stapeldatei
    dokument: Eingangsdokument | None
    due: date | None
    why: str
    original: Original | None
    eintrag: Vernichtungseintrag | None

    @property
    def pages(self) -> str:
        if self.dokument is None:
            return "ganze Datei"
        return self.dokument.pages_label

    @property
    def status(self) -> str:
        """What becomes of the original, in a few words."""
        if self.original is not None and self.original.sperre:
            return f"Rechtliche Sperre: {self.original.sperre_grund}"
        if self.original is not None and self.original.aufbewahren:
            return f"Original aufbewahren: {self.original.aufbewahren_grund}"
        if self.eintrag is not None:
            liste = self.eintrag.liste
            return f"{liste.label}: {self.eintrag.get_state_display()}"
        if self.due is None:
            return self.why or "kein Vernichtungsdatum"
        if self.due <= timezone.localdate():
            return "fällig, noch auf keiner Vernichtungsliste"
        return "aufbewahren bis zum Vernichtungsdatum"


def freigabe(stapel: Stapel) -> Originalfreigabe | None:
    return (
        Originalfreigabe.objects.for_tenant(stapel.tenant_id)
        .filter(stapel=stapel)
        .select_related("released_by")
        .first()
    )


def register(stapel: Stapel) -> list[Zeile]:
    """The batch's paper originals in file order: each document, and each file without
    documents (not yet split, missing or in quarantine). Five queries."""
    tenant_id = stapel.tenant_id
    start, why = base_day(stapel, freigabe(stapel))
    policy = Aufbewahrung.of(tenant_id)
    docs = list(
        Eingangsdokument.objects.for_tenant(tenant_id)
        .filter(stapel=stapel)
        .select_related("datei")
        .order_by("datei__position", "teil")
    )
    ids = [d.pk for d in docs]
    originals = {
        o.dokument_id: o for o in Original.objects.for_tenant(tenant_id).filter(dokument_id__in=ids)
    }
    eintraege: dict[uuid.UUID, Vernichtungseintrag] = {}
    for e in (
        Vernichtungseintrag.objects.for_tenant(tenant_id)
        .filter(dokument_id__in=ids)
        .select_related("liste")
        .order_by("liste__created_at")
    ):
        eintraege[e.dokument_id] = e  # the newest list wins
    by_file: dict[uuid.UUID, list[Eingangsdokument]] = {}
    for d in docs:
        by_file.setdefault(d.datei_id, []).append(d)
    rows: list[Zeile] = []
    for datei in Stapeldatei.objects.for_tenant(tenant_id).filter(stapel=stapel):
        found = by_file.get(datei.pk, [])
        if not found:
            rows.append(Zeile(datei, None, None, _file_why(datei, why), None, None))
        for d in found:
            due, doc_why = due_day(d, start, policy)
            rows.append(
                Zeile(datei, d, due, doc_why or why, originals.get(d.pk), eintraege.get(d.pk))
            )
    return rows


def _file_why(datei: Stapeldatei, why: str) -> str:
    if datei.state == Stapeldatei.State.FEHLT:
        return "Die Datei wurde nicht geliefert: Original nicht vernichten."
    if datei.state == Stapeldatei.State.QUARANTAENE:
        return "Die Datei ist in Quarantäne: Original nicht vernichten."
    return why or "Die Datei ist noch nicht in Dokumente geteilt."


def original(doc: Eingangsdokument) -> Original | None:
    return Original.objects.for_tenant(doc.tenant_id).filter(dokument=doc).first()


def zeile(doc: Eingangsdokument) -> Zeile:
    """The register's row of one document."""
    return next(r for r in register(doc.stapel) if r.dokument and r.dokument.pk == doc.pk)


# --- originals due for destruction -------------------------------------------------------------


@dataclass(frozen=True)
class Faellig:
    dokument: Eingangsdokument
    due: date


def due(tenant: Mandant, stapel_q: Q, today: date | None = None) -> list[Faellig]:
    """Originals of the batches matching ``stapel_q`` whose day has come, that are not
    excluded and on no list (except withdrawn from one), oldest batch first."""
    today = today or timezone.localdate()
    policy = Aufbewahrung.of(tenant.pk)
    shortest = min([policy.default_weeks, *policy.per_kind.values()])
    batches = (
        Stapel.objects.for_tenant(tenant)
        .filter(
            stapel_q,
            state__in=CHECKED_STATES,
            checked_at__isnull=False,
        )
        .exclude(source=Stapel.Source.FITCONNECT)
    )  # no paper originals
    releases = {
        f.stapel_id: f
        for f in Originalfreigabe.objects.for_tenant(tenant).filter(stapel__in=batches)
    }
    batches = batches.filter(Q(quality_passed=True) | Q(pk__in=list(releases)))
    excluded = Original.objects.for_tenant(tenant).filter(Q(aufbewahren=True) | Q(sperre=True))
    listed = Vernichtungseintrag.objects.for_tenant(tenant).exclude(
        state=Vernichtungseintrag.State.ZURUECKGEZOGEN
    )
    latest = timezone.now() - timedelta(weeks=shortest)
    candidates = (
        Eingangsdokument.objects.for_tenant(tenant)
        .filter(stapel__in=batches, state__in=DATED_STATES)
        .filter(Q(stapel__checked_at__lte=latest) | Q(stapel__pk__in=list(releases)))
        .exclude(pk__in=excluded.values("dokument_id"))
        .exclude(pk__in=listed.values("dokument_id"))
        .select_related("stapel", "datei")
        .order_by("stapel__checked_at", "datei__position", "teil")
    )
    found = []
    for doc in candidates:
        start, _ = base_day(doc.stapel, releases.get(doc.stapel_id))
        day, _ = due_day(doc, start, policy)
        if day is not None and day <= today:
            found.append(Faellig(doc, day))
    return found


def due_for_mail_room(access: Access, tenant: Mandant) -> list[Faellig]:
    return due(tenant, rules.incoming_q(access))


# --- destruction lists ------------------------------------------------------------------------


def listen(access: Access, user_id: object, tenant: Mandant) -> QuerySet[Vernichtungsliste]:
    """The lists the actor may see (a provider its own, the mail room its units'), newest
    first, each with its number of entries."""
    return (
        Vernichtungsliste.objects.for_tenant(tenant)
        .filter(rules.stapel_q(access, user_id))
        .select_related("provider", "unit")
        .annotate(entry_count=Count("eintraege"))
        .order_by("-created_at", "-pk")
    )


def liste(
    access: Access, user_id: object, tenant: Mandant, pk: uuid.UUID
) -> Vernichtungsliste | None:
    """One list, or None if it is unknown or not the actor's to see (both look alike)."""
    return (
        Vernichtungsliste.objects.for_tenant(tenant)
        .filter(rules.stapel_q(access, user_id), pk=pk)
        .select_related("provider", "unit", "created_by", "confirmed_by")
        .first()
    )


def eintraege(liste: Vernichtungsliste) -> list[Vernichtungseintrag]:
    return list(
        Vernichtungseintrag.objects.for_tenant(liste.tenant_id)
        .filter(liste=liste)
        .select_related("stapel", "dokument__datei")
        .order_by("position")
    )


def open_lists(access: Access, user_id: object, tenant: Mandant) -> QuerySet[Vernichtungsliste]:
    """The provider's own lists waiting for its confirmation, oldest first."""
    return (
        Vernichtungsliste.objects.for_tenant(tenant)
        .filter(rules.own_q(access, user_id), state=Vernichtungsliste.State.OFFEN)
        .order_by("created_at", "pk")
    )


def overdue_lists(access: Access, tenant: Mandant) -> QuerySet[Vernichtungsliste]:
    """The mail room's lists unconfirmed for more than :data:`OVERDUE_DAYS` days."""
    return (
        Vernichtungsliste.objects.for_tenant(tenant)
        .filter(
            rules.incoming_q(access),
            state=Vernichtungsliste.State.OFFEN,
            created_at__lt=timezone.now() - timedelta(days=OVERDUE_DAYS),
        )
        .order_by("created_at", "pk")
    )
