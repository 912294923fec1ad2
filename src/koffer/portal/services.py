"""Writes of the portal: sign-ins (BundID, e-mail), e-mail accounts, Vertretungen.

Citizens are audited as actors themselves: ``audit.record(actor=konto, …)`` puts the
account's id in ``actor_id`` (a UUIDv7 of this table, never a staff user's) and
``str(konto)`` — "Bürger:in <first characters of the kennung>…" — in ``actor_label``; the
subject is the linked person where there is one. Failed sign-ins have no account yet:
they are audited with the actor "Portal-Anmeldung" and the reason's code.
"""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone

from koffer.audit import services as audit
from koffer.portal import auth, saml, verknuepfung
from koffer.portal.errors import AnmeldungAbgelehnt
from koffer.portal.models import Buergerkonto, SamlAssertion, Vertrauensniveau
from koffer.tenancy.models import Mandant


class SystemActor:
    """An actor without an account (a failed sign-in): no id, a label."""

    def __init__(self, label: str) -> None:
        self.pk: Any = None
        self.label = label

    def __str__(self) -> str:
        return self.label


ANMELDUNG = SystemActor("Portal-Anmeldung")


def bundid_anmelden(*, tenant: Mandant, identitaet: saml.Identitaet) -> Buergerkonto:
    """Accept a checked SAML answer: refuse a replayed assertion, create or update the
    account (attributes from BundID win), link it to a person at level "hoch" when exactly
    one matches, audit the sign-in. The caller starts the session."""
    now = timezone.now()
    with transaction.atomic():
        # Used assertions past their NotOnOrAfter protect nothing any more: pysaml2
        # refuses them by time. They go here instead of in a cleanup job.
        SamlAssertion.objects.for_tenant(tenant).filter(gueltig_bis__lt=now).delete()
        try:
            with transaction.atomic():
                SamlAssertion.objects.create(
                    tenant=tenant,
                    assertion_id=identitaet.assertion_id,
                    gueltig_bis=identitaet.gueltig_bis,
                )
        except IntegrityError as exc:
            raise AnmeldungAbgelehnt("wiederholt", saml.WIEDERHOLT) from exc
        konto, neu = _konto_fuer(tenant, identitaet.kennung, Buergerkonto.Art.BUNDID)
        alt = {k: getattr(konto, k) for k in identitaet.attribute}
        for name, value in identitaet.attribute.items():
            setattr(konto, name, value)
        if "email" in identitaet.attribute:
            konto.email_bestaetigt_am = konto.email_bestaetigt_am or now
        konto.vertrauensniveau = identitaet.niveau
        verknuepft = _verknuepfen(konto, identitaet.niveau)
        konto.save()
        audit.record(
            actor=konto,
            tenant_id=tenant.pk,
            action="portal.anmeldung",
            obj=konto,
            subject=konto.person,
            changes={
                "art": "bundid",
                "vertrauensniveau": identitaet.niveau,
                "neu": neu,
                "person_verknuepft": verknuepft,
                **({} if neu else audit.diff(alt, identitaet.attribute)),
            },
        )
    return konto


def _konto_fuer(tenant: Mandant, kennung: str, art: str) -> tuple[Buergerkonto, bool]:
    """The account for ``kennung``, locked; created when new (the unique constraint
    decides a race between two first sign-ins)."""
    found = (
        Buergerkonto.objects.for_tenant(tenant).select_for_update().filter(kennung=kennung).first()
    )
    if found is not None:
        return found, False
    try:
        with transaction.atomic():
            return (
                Buergerkonto.objects.create(
                    tenant=tenant,
                    kennung=kennung,
                    art=art,
                    vertrauensniveau=Vertrauensniveau.NIEDRIG,
                ),
                True,
            )
    except IntegrityError:
        konto = Buergerkonto.objects.for_tenant(tenant).select_for_update().get(kennung=kennung)
        return konto, False


def _verknuepfen(konto: Buergerkonto, niveau: str) -> bool:
    if konto.person_id is not None or niveau != Vertrauensniveau.HOCH:
        return False
    person = verknuepfung.eindeutige_person(
        konto.tenant_id,
        family_name=konto.family_name,
        given_names=konto.given_names,
        birth_date=konto.birth_date,
    )
    if person is None:
        return False
    konto.person = person
    return True


def anmeldung_fehlgeschlagen(*, tenant: Mandant, art: str, code: str, detail: str = "") -> None:
    """Audit a refused sign-in (in its own transaction: the refusal rolled back the rest)."""
    with transaction.atomic():
        audit.record(
            actor=ANMELDUNG,
            tenant_id=tenant.pk,
            action="portal.anmeldung.fehlgeschlagen",
            obj=("portal.anmeldung", art),
            changes={"art": art, "grund": code},
            reason=detail[:500],
        )


def abmelden(*, konto: Buergerkonto) -> None:
    """Audit the end of a citizen's session (the view ends it)."""
    audit.record(
        actor=konto,
        tenant_id=konto.tenant_id,
        action="portal.abmeldung",
        obj=konto,
        subject=konto.person,
    )


def zugang_ausstellen(*, actor: Buergerkonto, niveau: str) -> auth.Zugangstoken:
    """A short-lived bearer token for the API, at the level of the session that asks
    (never higher); audited, the token itself never."""
    zugang = auth.token_fuer(actor, niveau)
    with transaction.atomic():
        audit.record(
            actor=actor,
            tenant_id=actor.tenant_id,
            action="portal.zugang.create",
            obj=actor,
            subject=actor.person,
            changes={"niveau": niveau, "gueltig_bis": zugang.gueltig_bis.isoformat()},
        )
    return zugang
