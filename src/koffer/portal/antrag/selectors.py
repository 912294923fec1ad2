"""Reads of the online applications, scoped to the signed-in account."""

from __future__ import annotations

import uuid

from django.db.models import QuerySet
from django.utils import timezone

from koffer.audit import services as audit
from koffer.forms.definition import sichtbar, text_de
from koffer.forms.katalog import selectors as katalog
from koffer.portal.models import Antrag, Buergerkonto, OnlineAngebot


def angebote(tenant_id: uuid.UUID) -> QuerySet[OnlineAngebot]:
    """The forms offered online now, by title."""
    return (
        OnlineAngebot.objects.for_tenant(tenant_id)
        .filter(aktiv=True, formular__is_active=True, formular__aktuelle_version__isnull=False)
        .select_related("formular")
        .order_by("formular__titel")
    )


def angebot(tenant_id: uuid.UUID, angebot_id: uuid.UUID) -> OnlineAngebot | None:
    return angebote(tenant_id).filter(pk=angebot_id).first()


def antraege(konto: Buergerkonto) -> QuerySet[Antrag]:
    """The account's applications, newest first."""
    return (
        Antrag.objects.for_tenant(konto.tenant_id)
        .filter(konto=konto)
        .select_related("formularversion__formular", "person")
        .order_by("-updated_at")
    )


def antrag(konto: Buergerkonto, antrag_id: uuid.UUID) -> Antrag | None:
    """One application of the account; another's is None (404 alike)."""
    return (
        antraege(konto)
        .select_related("angebot", "formularversion__formular", "konto__person", "tenant", "person")
        .filter(pk=antrag_id)
        .first()
    )


def schritte(antrag: Antrag) -> list[tuple[str, str]]:
    """The steps shown for the application's answers now, in order: (id, German title)."""
    definition = katalog.definition(antrag.formularversion)
    gezeigt = sichtbar(definition, antrag.antworten, heute=timezone.localdate()).schritte
    return [(s.id, text_de(s.titel)) for s in definition.schritte if s.id in gezeigt]


def quittung(antrag: Antrag) -> str | None:
    """The blob (SHA-256) of a submitted application's receipt PDF; None while it is
    open. Streamed from the store by ``portal.dateien``."""
    if antrag.status != Antrag.Status.EINGEREICHT or not antrag.quittung_sha256:
        return None
    return antrag.quittung_sha256


def gelesen(antrag: Antrag, zweck: str) -> None:
    """Audit the citizen's read of an application (its answers are personal data): once
    per page shown or receipt downloaded — a step's POST is audited as the save it is,
    and the portal's application pages load no fragments that would read again."""
    audit.read(
        actor=antrag.konto,
        tenant_id=antrag.tenant_id,
        obj=antrag,
        subject=antrag.person if antrag.person_id is not None else antrag.konto.person,
        purpose=zweck,
    )
