"""Reads of the messages: the Vorgänge a citizen may write about, a thread."""

from __future__ import annotations

import uuid

from django.db.models import Q, QuerySet

from koffer.audit import services as audit
from koffer.portal import access
from koffer.portal.access import gueltige_vertretungen_q
from koffer.portal.models import Buergerkonto, Nachricht, NachrichtAnlage, Vertretung
from koffer.records.models import AkteSubjekt, Person, Vorgang


def vorgaenge(konto: Buergerkonto) -> QuerySet[Vorgang]:
    """The open Vorgänge of the Akten whose persons the account may act for."""
    ids = [p.pk for p in access.personen_des_kontos(konto)]
    akten = (
        AkteSubjekt.objects.for_tenant(konto.tenant_id).filter(person_id__in=ids).values("akte_id")
    )
    return (
        Vorgang.objects.for_tenant(konto.tenant_id)
        .filter(akte_id__in=akten, status=Vorgang.Status.OPEN)
        .select_related("akte")
        .order_by("-opened_at", "pk")
    )


LISTE_MAX = 50


def vorgaenge_lesen(konto: Buergerkonto, zweck: str) -> list[Vorgang]:
    """The Vorgänge the citizen may write about as listed (page or API), at most
    ``LISTE_MAX``, the read audited (a Vorgang's title and Akte are the person's data)."""
    liste = list(vorgaenge(konto)[:LISTE_MAX])
    audit.read(
        actor=konto, tenant_id=konto.tenant_id, obj=konto, subject=konto.person, purpose=zweck
    )
    return liste


def vorgang(konto: Buergerkonto, vorgang_id: uuid.UUID) -> Vorgang | None:
    """A Vorgang the citizen may write about; None for unknown and another's alike."""
    return vorgaenge(konto).filter(pk=vorgang_id).first()


def verlauf(vorgang: Vorgang) -> list[Nachricht]:
    return list(
        Nachricht.objects.for_tenant(vorgang.tenant_id)
        .filter(vorgang=vorgang)
        .select_related("konto", "verfasst_von")
        .prefetch_related("anlagen")
        .order_by("created_at", "pk")[:500]
    )


def ungelesen(konto: Buergerkonto) -> list[Nachricht]:
    """The office's answers about the account's Vorgänge not yet read, newest first."""
    return list(
        Nachricht.objects.for_tenant(konto.tenant_id)
        .filter(
            vorgang__in=vorgaenge(konto),
            richtung=Nachricht.Richtung.AUSGANG,
            gelesen_am__isnull=True,
        )
        .select_related("vorgang")
        .order_by("-created_at", "-pk")[:100]
    )


def erste_person(vorgang: Vorgang) -> Person | None:
    subjekt = (
        AkteSubjekt.objects.for_tenant(vorgang.tenant_id)
        .filter(akte_id=vorgang.akte_id)
        .select_related("person")
        .order_by("pk")
        .first()
    )
    return subjekt.person if subjekt is not None else None


def konten_des_vorgangs(vorgang: Vorgang) -> QuerySet[Buergerkonto]:
    """Accounts that may act for a person of the Vorgang's Akte, with a confirmed
    address (for the notice about an answer)."""
    personen = AkteSubjekt.objects.for_tenant(vorgang.tenant_id).filter(akte_id=vorgang.akte_id)
    ids = personen.values("person_id")
    vertreter = (
        Vertretung.objects.for_tenant(vorgang.tenant_id)
        .filter(gueltige_vertretungen_q(), person_id__in=ids)
        .values("konto_id")
    )
    return (
        Buergerkonto.objects.for_tenant(vorgang.tenant_id)
        .filter(Q(person_id__in=ids) | Q(pk__in=vertreter))
        .filter(email_bestaetigt_am__isnull=False)
        .exclude(email="")
    )


def verlauf_lesen(konto: Buergerkonto, vorgang: Vorgang) -> list[Nachricht]:
    """The thread as the citizen reads it (page or API), audited as a read of the
    person's data."""
    eintraege = verlauf(vorgang)
    audit.read(
        actor=konto,
        tenant_id=konto.tenant_id,
        obj=vorgang,
        subject=konto.person,
        purpose="Nachrichten im Portal",
    )
    return eintraege


def anlage(vorgang: Vorgang, anlage_id: uuid.UUID) -> NachrichtAnlage | None:
    """A document of the Akte an answer about ``vorgang`` carries; else None."""
    return (
        NachrichtAnlage.objects.for_tenant(vorgang.tenant_id)
        .filter(
            pk=anlage_id,
            nachricht__vorgang=vorgang,
            nachricht__richtung=Nachricht.Richtung.AUSGANG,
            dokument__current_version__isnull=False,
        )
        .select_related("dokument__current_version")
        .first()
    )


def anlage_lesen(
    konto: Buergerkonto, vorgang: Vorgang, anlage_id: uuid.UUID
) -> NachrichtAnlage | None:
    """The office's attachment the citizen downloads (page or API), audited as a read of
    the document; None when the answer carries no such document."""
    gefunden = anlage(vorgang, anlage_id)
    if gefunden is None or gefunden.dokument is None:
        return None
    audit.read(
        actor=konto,
        tenant_id=konto.tenant_id,
        obj=gefunden.dokument,
        subject=konto.person,
        purpose=f"Online-Dienste: Anlage „{gefunden.name}“ heruntergeladen"[:300],
    )
    return gefunden
