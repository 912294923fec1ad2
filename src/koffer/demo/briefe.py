"""The demo's letters and their dispatch, written through the same services a caseworker
uses, from the demo's templates (``demo.outbox``):

- in the Sozialamt (Landkreis), an Eingangsbestätigung and an Anhörung released and
  already in a batch for the Landkreis's print provider (the machine account
  ``druck.dienstleister``, which ``make run``'s simulator signs in as), so that
  „Postausgang: Versand“, a batch and a letter's timeline have something to show;
- in the Sozialamt also a letter to print locally, and the printer „Drucker Bürgerbüro
  (Demo)“ it can be printed on: ``make run`` starts that printer (``demo_drucker``, a
  real IPP printer) where cups-ipp-utils is installed; elsewhere the row is there and a
  print fails visibly with „nicht erreichbar“;
- in the Jobcenter, a Bewilligungsbescheid above 5,000 EUR waiting for the team lead's
  second release („Briefe zur Freigabe“ of ``tl.jobcenter``), a draft of an
  Aufforderung zur Mitwirkung with its live preview, and a serial letter (an
  Eingangsbestätigung to the open Akten of Leistungsteam 1).
"""

from __future__ import annotations

import uuid
from datetime import timedelta

from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.jobs import runner
from koffer.outbox.briefe import services as briefe
from koffer.outbox.lokaldruck import services as lokaldruck
from koffer.outbox.models import Brief, BriefEreignis, Vorlage
from koffer.outbox.serienbriefe import services as serien
from koffer.outbox.versand import services as versand
from koffer.records.models import Akte
from koffer.tenancy.models import Mandant, Organisationseinheit

KREIS = "landkreis-musterland"
JOBCENTER = "jobcenter-musterland"
PROVIDER = "druck.dienstleister"
ADMIN = "admin.kreis"
DRUCKER = "Drucker Bürgerbüro (Demo)"
DRUCKER_PORT = 8631  # where ``manage.py demo_drucker`` listens (IPP's own port is 631)


def _datum(days: int) -> str:
    return (timezone.localdate() + timedelta(days=days)).strftime("%d.%m.%Y")


def _write(
    tenant: Mandant,
    username: str,
    code: str,
    eingaben: dict[str, str],
    *,
    release: bool = True,
    with_vorgang: bool = False,
    released_days_ago: int = 0,
    kanal: str = Brief.Kanal.HYBRID,
) -> None:
    writer = User.objects.get(username=username)
    access = Access.for_user(writer.pk, tenant.pk)
    akte = Akte.objects.for_tenant(tenant).filter(caseworker=writer).order_by("pk").first()
    if akte is None:
        return
    vorgang = akte.vorgaenge.order_by("opened_at").first() if with_vorgang else None
    vorlage = Vorlage.objects.for_tenant(tenant).get(code=code)
    brief = briefe.entwerfen(
        actor=writer,
        access=access,
        akte=akte,
        vorlage=vorlage,
        vorgang=vorgang,
        eingaben=eingaben,
        kanal=kanal,
    )
    if release:
        brief = briefe.freigeben(actor=writer, access=access, brief=brief)
    if released_days_ago and brief.freigegeben_at is not None:
        # Demo history: released before the last cut-off, so that it is in a batch.
        earlier = timedelta(days=released_days_ago)
        Brief.objects.for_tenant(tenant).filter(pk=brief.pk).update(
            created_at=brief.created_at - earlier, freigegeben_at=brief.freigegeben_at - earlier
        )
        # Values, not F("at") - interval: timestamptz arithmetic is STABLE, which Citus
        # refuses in an UPDATE with column references.
        events = list(BriefEreignis.objects.for_tenant(tenant).filter(brief=brief))
        for event in events:
            event.at, event.recorded_at = event.at - earlier, event.recorded_at - earlier
        BriefEreignis.objects.for_tenant(tenant).bulk_update(events, ["at", "recorded_at"])


def _serie(tenant: Mandant) -> uuid.UUID | None:
    """A serial letter of the Jobcenter's Leistungsteam 1: an Eingangsbestätigung to each
    of its open Akten (run by :func:`finish` after the demo's transaction)."""
    writer = User.objects.get(username="sb.jobcenter")
    access = Access.for_user(writer.pk, tenant.pk)
    team = Organisationseinheit.objects.for_tenant(tenant).get(name="Leistungsteam 1")
    akten, _ = serien.resolve(
        actor=writer,
        access=access,
        tenant_id=tenant.pk,
        auswahl=serien.Auswahl(unit_path=team.path),
    )
    if not akten:
        return None
    serie = serien.starten(
        actor=writer,
        access=access,
        tenant=tenant,
        vorlage=Vorlage.objects.for_tenant(tenant).get(code="eingangsbestaetigung"),
        akten=akten,
        auswahl=f"offene Akten von {team.name}",
        eingaben={"unterlage": "Weiterbewilligungsantrag", "eingang": _datum(-2)},
    )
    return serie.job_id


def finish(jobs: list[uuid.UUID]) -> None:
    """Run the serial letter right away (the demo has no worker yet when it loads; the
    queued task later finds the job done and skips it)."""
    for job in jobs:
        runner.execute(job)


def load(mandanten: dict[str, Mandant]) -> list[uuid.UUID]:
    kreis = mandanten[KREIS]
    admin = User.objects.get(username=ADMIN)
    versand.save_druckdienst(
        actor=admin,
        access=Access.for_user(admin.pk, kreis.pk),
        tenant=kreis,
        konto=User.objects.get(username=PROVIDER),
        name="Druckzentrum Musterland (Simulator)",
        rang=1,
        bestaetigung_minuten=240,
    )
    _write(
        kreis,
        "sb.sozialamt",
        "sa-eingangsbestaetigung",
        {"unterlage": "Antrag auf Hilfe zur Pflege mit Anlagen", "eingang": _datum(-3)},
        released_days_ago=1,
    )
    _write(
        kreis,
        "sb.sozialamt",
        "sa-anhoerung",
        {
            "sachverhalt": "Die Hilfe zur Pflege soll ab dem nächsten Monat um den Betrag "
            "des Pflegegeldes gemindert werden, das die Pflegekasse seit Oktober zahlt.",
            "frist": _datum(14),
        },
        released_days_ago=1,
    )
    lokaldruck.save_drucker(
        actor=admin,
        access=Access.for_user(admin.pk, kreis.pk),
        tenant=kreis,
        name=DRUCKER,
        uri=f"ipp://127.0.0.1:{DRUCKER_PORT}/ipp/print",
        duplex=True,
    )
    _write(
        kreis,
        "sb.sozialamt",
        "sa-eingangsbestaetigung",
        {"unterlage": "Nachweise zum Pflegegrad", "eingang": _datum(-1)},
        kanal=Brief.Kanal.LOKAL,
    )
    stapel = versand.stapeln(tenant_id=kreis.pk, now=timezone.now())
    if stapel is not None:
        versand.packen(stapel=stapel)
    jobcenter = mandanten[JOBCENTER]
    _write(
        jobcenter,
        "sb.jobcenter",
        "bewilligung",
        {
            "betrag": "5.612,00 €",
            "beginn": _datum(25),
            "ende": _datum(25 + 364),
            "begruendung": "Sie erfüllen die Voraussetzungen der §§ 7 ff. SGB II; "
            "die Berechnung ergibt sich aus dem beigefügten Berechnungsbogen.",
        },
    )
    _write(
        jobcenter,
        "sb.jobcenter",
        "mitwirkung",
        {"unterlagen": "Kontoauszüge der letzten drei Monate", "frist": _datum(21)},
        release=False,
        with_vorgang=True,
    )
    job = _serie(jobcenter)
    return [job] if job is not None else []
