"""Citizens' accounts and signed-in citizen clients for portal tests."""

from __future__ import annotations

import itertools
from datetime import date
from typing import Any

from django.test import Client
from django.utils import timezone

from koffer.forms.models import Formular, Formularversion
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.portal import sitzung
from koffer.portal.models import (
    Antrag,
    Buergerkonto,
    Nachforderung,
    NachforderungDatei,
    NachforderungPosten,
    OnlineAngebot,
    Vertrauensniveau,
)
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant

_seq = itertools.count(1)


def buergerkonto(tenant: Mandant, **fields: Any) -> Buergerkonto:
    n = next(_seq)
    values: dict[str, Any] = {
        "kennung": f"bundid-pseudonym-{n:06d}",
        "art": Buergerkonto.Art.BUNDID,
        "vertrauensniveau": Vertrauensniveau.SUBSTANTIELL,
        "family_name": "Beispiel",
        "given_names": f"Bea {n}",
        "birth_date": date(1980, 1, 1),
    }
    values.update(fields)
    return Buergerkonto.objects.create(tenant=tenant, **values)


def buerger_client(konto: Buergerkonto, niveau: str | None = None) -> Client:
    """A test client with the citizen signed in, as sitzung.anmelden leaves the session."""
    client = Client()
    session = client.session
    session[sitzung.SESSION_KONTO] = str(konto.pk)
    session[sitzung.SESSION_TENANT] = str(konto.tenant_id)
    session[sitzung.SESSION_NIVEAU] = niveau or konto.vertrauensniveau
    session.save()
    return client


def leistungsplan(tenant: Mandant) -> Aktenplaneinheit:
    """The Leistungsakten unit (50.2) of the records factories, made once per Mandant, so
    that several of these factories can serve one test (or the demo's Mandant)."""
    from koffer.records import services as records
    from tests.factories import records as record_factories

    plan = Aktenplaneinheit.objects.for_tenant(tenant).filter(kennzeichen="50.2").first()
    if plan is not None:
        return plan
    root = Aktenplaneinheit.objects.for_tenant(tenant).filter(kennzeichen="50").first()
    if root is None:
        return record_factories.leistungsplan(tenant)
    return records.create_aktenplaneinheit(
        actor=None,
        tenant=tenant,
        parent=root,
        kennzeichen="50.2",
        title="Leistungsakten",
        module="sgb2",
        aktenzeichen_pattern="LA-{jahr}-{lfd:05}",
    )


def antrag(konto: Buergerkonto, schluessel: str = "online-test") -> Antrag:
    """An open online application of ``konto`` (a small form offered at its Mandant;
    steps ``person``, ``haushalt``, ``einkommen``)."""
    from tests import factories
    from tests.forms import formkern

    tenant = konto.tenant
    now = timezone.now()
    formular = Formular.objects.for_tenant(tenant).filter(schluessel=schluessel).first()
    if formular is None:
        daten = formkern.definition(schluessel)
        formular = Formular.objects.create(
            tenant=tenant, schluessel=schluessel, titel="Online-Test", updated_at=now
        )
        version = Formularversion.objects.create(
            tenant=tenant, formular=formular, nummer=1, definition=daten, created_at=now
        )
        Formular.objects.for_tenant(tenant).filter(pk=formular.pk).update(
            aktuelle_version=version, online=True
        )
        formular.refresh_from_db()
    angebot = OnlineAngebot.objects.for_tenant(tenant).filter(formular=formular).first()
    if angebot is None:
        angebot = OnlineAngebot.objects.create(
            tenant=tenant,
            formular=formular,
            unit=factories.root_unit(tenant),
            eingerichtet_von=factories.user(tenant),
            eingerichtet_am=now,
        )
    assert formular.aktuelle_version is not None
    return Antrag.objects.create(
        tenant=tenant,
        konto=konto,
        angebot=angebot,
        formularversion=formular.aktuelle_version,
        schritt="person",
        created_at=now,
        updated_at=now,
    )


def anlage(konto: Buergerkonto) -> str:
    """A file attached to the account's newest application (its blob's SHA-256)."""
    from koffer.blobs.store import get_store

    antrag = Antrag.objects.for_tenant(konto.tenant_id).filter(konto=konto).latest("created_at")
    daten = b"%PDF-1.4\n% Anlage\n"
    sha = get_store().put(daten).sha256
    antrag.antworten = {
        **antrag.antworten,
        "belege": [
            {"blob": sha, "name": "beleg.pdf", "typ": "application/pdf", "groesse": len(daten)}
        ],
    }
    antrag.save(update_fields=["antworten"])
    return sha


def nachforderung(konto: Buergerkonto, akte: Akte | None = None) -> Nachforderung:
    """An open request for documents about an application of ``konto``, the account
    linked to the Akte's person (one item: „Mietbescheinigung“); a new Akte unless
    ``akte`` is given."""
    from tests import factories
    from tests.factories import records as record_factories

    tenant = konto.tenant
    caseworker = factories.user(tenant, role="sachbearbeitung")
    if akte is None:
        akte = record_factories.akte(
            caseworker=caseworker,
            plan=leistungsplan(tenant),
            unit=factories.root_unit(tenant),
        )
    person = akte.subjects.get()
    konto.person = person
    konto.save(update_fields=["person"])
    now = timezone.now()
    nf = Nachforderung.objects.create(
        tenant=tenant,
        antrag=antrag(konto),
        vorgang=record_factories.vorgang(akte, actor=caseworker),
        person=person,
        frist=timezone.localdate(),
        erstellt_von=caseworker,
        erstellt_am=now,
    )
    NachforderungPosten.objects.create(
        tenant=tenant, nachforderung=nf, position=1, text="Mietbescheinigung"
    )
    return nf


def nachforderung_posten(konto: Buergerkonto) -> NachforderungPosten:
    """The first item of the account's newest request for documents (one made if none)."""
    nf = (
        Nachforderung.objects.for_tenant(konto.tenant_id)
        .filter(antrag__konto=konto)
        .order_by("-erstellt_am")
        .first()
    ) or nachforderung(konto)
    return (
        NachforderungPosten.objects.for_tenant(konto.tenant_id)
        .filter(nachforderung=nf)
        .order_by("position")
        .first()
    ) or NachforderungPosten.objects.create(
        tenant=konto.tenant, nachforderung=nf, position=1, text="Mietbescheinigung"
    )


def nachforderung_datei(konto: Buergerkonto) -> NachforderungDatei:
    """A file uploaded for a request of ``konto``."""
    from koffer.blobs.store import get_store

    nf = (
        Nachforderung.objects.for_tenant(konto.tenant_id)
        .filter(antrag__konto=konto)
        .order_by("-erstellt_am")
        .first()
    ) or nachforderung(konto)
    daten = b"%PDF-1.4\n% Mietbescheinigung\n"
    return NachforderungDatei.objects.create(
        tenant=konto.tenant,
        posten=NachforderungPosten.objects.for_tenant(konto.tenant_id).get(nachforderung=nf),
        blob=get_store().put(daten).sha256,
        name="miete.pdf",
        typ="application/pdf",
        groesse=len(daten),
        hochgeladen_am=timezone.now(),
    )


def postfachbrief(konto: Buergerkonto) -> Any:
    """A letter made available in ``konto``'s mailbox: released on the channel
    „Bürgerpostfach“ to the account's person (an Akte opened for it when it has none)."""
    from koffer.outbox.models import Brief
    from tests import factories
    from tests.factories import records as rf
    from tests.outbox import factories as outbox_factories

    tenant = konto.tenant
    unit = factories.root_unit(tenant)
    worker = factories.user(tenant, "sachbearbeitung", unit)
    akte = rf.akte(caseworker=worker, plan=leistungsplan(tenant), unit=unit)
    person = akte.subjekte.get().person
    if konto.person_id is None:
        Buergerkonto.objects.for_tenant(tenant).filter(pk=konto.pk).update(person=person)
        konto.person = person
    brief = outbox_factories.released_letter(tenant, akte, actor=worker, kanal=Brief.Kanal.PORTAL)
    Brief.objects.for_tenant(tenant).filter(pk=brief.pk).update(
        status=Brief.Status.BEREITGESTELLT,
        empfaenger=konto.person,
        bereitgestellt_am=timezone.now(),
    )
    return brief


def vorgang_des_kontos(konto: Buergerkonto) -> Any:
    """An open Vorgang of an Akte about ``konto``'s person (an Akte opened for it when the
    account has no person yet): one the citizen may write about."""
    from tests import factories
    from tests.factories import records as rf

    tenant = konto.tenant
    unit = factories.root_unit(tenant)
    worker = factories.user(tenant, "sachbearbeitung", unit)
    akte = rf.akte(caseworker=worker, plan=leistungsplan(tenant), unit=unit)
    if konto.person_id is None:
        person = akte.subjekte.get().person
        Buergerkonto.objects.for_tenant(tenant).filter(pk=konto.pk).update(person=person)
        konto.person = person
    else:
        from koffer.records.models import AkteSubjekt

        AkteSubjekt.objects.for_tenant(tenant).filter(akte=akte).update(person=konto.person)
    return rf.vorgang(akte, actor=worker)


def besuchswunsch(konto: Buergerkonto) -> Any:
    """An open request for a home visit ``konto`` made for a relative (no Vertretung), for
    the planners of the Mandant's root unit."""
    from koffer.field.models import Besuchswunsch
    from koffer.field.wuensche import services as wuensche
    from tests import factories

    return wuensche.anfragen(
        actor=konto,
        konto_id=konto.pk,
        anfragende=konto.anzeigename,
        unit=factories.root_unit(konto.tenant),
        angaben=wuensche.Angaben(
            fuer=Besuchswunsch.Fuer.ANGEHOERIGE,
            family_name="Albers",
            given_names="Gerda",
            street="Lindenweg 3",
            postal_code="12345",
            city="Prüfstadt",
            telefon="0151 2345678",
            thema=Besuchswunsch.Thema.BERATUNG,
        ),
    )


def mails_senden(tenant: Mandant) -> int:
    """Run the waiting jobs that send the portal's e-mails (``portal.email``), as the
    worker would; how many ran."""
    jobs = list(
        Job.objects.for_tenant(tenant)
        .filter(kind="portal.email", status=Job.Status.WAITING)
        .order_by("created_at", "pk")
    )
    for job in jobs:
        runner.execute(job.pk)
    return len(jobs)


def nachricht_anlage(konto: Buergerkonto) -> str:
    """A document of the Akte an answer about ``konto``'s newest open Vorgang carries
    (after ``vorgang_id``; a Vorgang opened for it when it has none): the office answers
    once, then again with the first answer's document attached."""
    from koffer.accounts.access import Access
    from koffer.portal.nachrichten import selectors, services

    vorgang = selectors.vorgaenge(konto).first() or vorgang_des_kontos(konto)
    worker = vorgang.akte.caseworker
    access = Access.for_user(worker.pk, konto.tenant_id)
    erste = services.antworten(actor=worker, access=access, vorgang=vorgang, text="Anbei.")
    assert erste.dokument_id is not None
    zweite = services.antworten(
        actor=worker,
        access=access,
        vorgang=vorgang,
        text="Nochmal.",
        dokument_ids=[erste.dokument_id],
    )
    return str(zweite.anlagen.get().pk)
