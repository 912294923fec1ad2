"""Writes of the citizen's mailbox: the consent to electronic delivery and its
revocation, opening a letter (the first retrieval is the receipt, recorded by the
Postausgang), and the e-mail notice the job sends.

The notice says only that something is there — no name, no Aktenzeichen, no content —
because an e-mail is no safe channel for social data (§ 35 SGB I). It is sent once per
letter: the job reads whether it is still due, sends, then marks the letter in a short
transaction (a worker killed between sending and marking sends it again on retry; no
SMTP call ever holds the database's write lock)."""

from __future__ import annotations

import uuid
from typing import Any

from django.core.mail import send_mail
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from koffer.audit import services as audit
from koffer.outbox.models import Brief
from koffer.outbox.postfach import services as postfach
from koffer.portal import access, saml
from koffer.portal.errors import PortalError
from koffer.portal.models import Buergerkonto
from koffer.portal.postfach import empfang
from koffer.tenancy.models import Mandant

BETREFF = "Neue Nachricht in Ihrem Postfach"


def einwilligen(*, actor: Buergerkonto) -> Buergerkonto:
    """The account consents to receiving letters in its mailbox (dated). It needs a
    confirmed e-mail address: the ten days of § 37 Abs. 2a SGB X run from the notice."""
    if not actor.email or actor.email_bestaetigt_am is None:
        raise PortalError(
            "email_fehlt",
            "Für die Zustellung ins Postfach brauchen wir eine bestätigte E-Mail-Adresse, "
            "an die wir Sie benachrichtigen. Ihr Konto hat keine.",
        )
    with transaction.atomic():
        konto = (
            Buergerkonto.objects.for_tenant(actor.tenant_id).select_for_update().get(pk=actor.pk)
        )
        if konto.postfach_einwilligung_am is not None:
            return konto
        konto.postfach_einwilligung_am = timezone.now()
        konto.save(update_fields=["postfach_einwilligung_am"])
        audit.record(
            actor=konto,
            tenant_id=konto.tenant_id,
            action="portal.postfach.einwilligung",
            obj=konto,
            subject=konto.person,
            changes={"am": konto.postfach_einwilligung_am},
        )
    return konto


def widerrufen(*, actor: Buergerkonto) -> Buergerkonto:
    """The consent revoked for the future: letters already in the mailbox stay there."""
    with transaction.atomic():
        konto = (
            Buergerkonto.objects.for_tenant(actor.tenant_id).select_for_update().get(pk=actor.pk)
        )
        if konto.postfach_einwilligung_am is None:
            return konto
        seit = konto.postfach_einwilligung_am
        konto.postfach_einwilligung_am = None
        konto.save(update_fields=["postfach_einwilligung_am"])
        audit.record(
            actor=konto,
            tenant_id=konto.tenant_id,
            action="portal.postfach.widerruf",
            obj=konto,
            subject=konto.person,
            changes={"eingewilligt_am": seit},
        )
    return konto


def von(konto: Buergerkonto, brief: Brief) -> str:
    """Who retrieved it, as the letter's status shows it (a representative said so)."""
    if konto.person_id is not None and konto.person_id == brief.empfaenger_id:
        return konto.anzeigename
    return f"{konto.anzeigename} (Vertretung)"


def oeffnen(*, actor: Buergerkonto, brief: Brief) -> Brief:
    """``actor`` opens a letter of its mailbox (the caller found it through the
    selectors, so the account may act for its recipient). The first retrieval is the
    receipt (``outbox.postfach.oeffnen``); every later open is audited as a read."""
    if brief.abgerufen_am is None:
        return postfach.oeffnen(actor=actor, brief=brief, von=von(actor, brief))
    audit.read(
        actor=actor,
        tenant_id=brief.tenant_id,
        obj=brief,
        subject=brief.empfaenger,
        purpose="Brief im Bürgerpostfach geöffnet",
    )
    return brief


def postfach_url(tenant: Mandant) -> str:
    return saml.base_url() + reverse("portal:postfach", kwargs={"mandant": tenant.slug})


def benachrichtigen(tenant_id: uuid.UUID, brief_id: uuid.UUID) -> dict[str, Any]:
    """The job's step: the notice to every receiving account, once per letter."""
    faellig = (
        Brief.objects.for_tenant(tenant_id)
        .select_related("akte__tenant", "empfaenger")
        .filter(pk=brief_id, benachrichtigt_am__isnull=True, bereitstellung_beendet_am__isnull=True)
        .first()
    )
    if faellig is None or faellig.empfaenger is None:
        return {"gesendet": 0}
    tenant = faellig.akte.tenant
    adressen = sorted({k.email for k in empfang.konten_fuer(faellig.empfaenger)})
    text = (
        f"Guten Tag,\n\nIn Ihrem Postfach beim {tenant.name} liegt eine neue Nachricht.\n\n"
        f"{postfach_url(tenant)}\n\nBitte melden Sie sich an, um sie zu lesen.\n"
    )
    for adresse in adressen:  # one each: no recipient learns another's address
        send_mail(f"{tenant.name}: {BETREFF}", text, None, [adresse])
    with transaction.atomic():
        brief = postfach.zur_benachrichtigung(tenant_id, brief_id)
        if brief is not None:
            postfach.benachrichtigt(brief=brief, anzahl=len(adressen))
    return {"gesendet": len(adressen)}


def darf_oeffnen(konto: Buergerkonto, brief: Brief) -> bool:
    return brief.empfaenger is not None and access.darf_handeln_fuer(konto, brief.empfaenger)
