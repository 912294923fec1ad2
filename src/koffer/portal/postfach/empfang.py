"""What the portal tells the Postausgang (registered in ``PortalConfig.ready()`` through
``outbox.postfach.kanal``): who can receive a person's letters in the mailbox, and that a
letter was made available (the notice is then a job)."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from koffer.jobs import services as jobs
from koffer.outbox.models import Brief
from koffer.portal.access import gueltige_vertretungen_q
from koffer.portal.models import Buergerkonto, PortalEinstellung, Vertretung
from koffer.records.models import Person

JOB_KIND = "portal.postfach.benachrichtigung"


def erlaubt(tenant_id: object) -> bool:
    """The Mandant lets letters go to the citizen's mailbox (its portal setting)."""
    return (
        PortalEinstellung.objects.for_tenant(tenant_id)
        .filter(elektronische_zustellung_erlaubt=True)
        .exists()
    )


def konten_fuer(person: Person) -> QuerySet[Buergerkonto]:
    """The accounts that receive ``person``'s letters: its own and those of its confirmed,
    valid representatives, each having consented to electronic delivery and holding a
    confirmed e-mail address for the notice."""
    vertreter = (
        Vertretung.objects.for_tenant(person.tenant_id)
        .filter(gueltige_vertretungen_q(), person=person)
        .values("konto_id")
    )
    return (
        Buergerkonto.objects.for_tenant(person.tenant_id)
        .filter(Q(person=person) | Q(pk__in=vertreter))
        .filter(postfach_einwilligung_am__isnull=False, email_bestaetigt_am__isnull=False)
        .exclude(email="")
        .order_by("pk")
    )


def erreichbar(person: Person) -> bool:
    return erlaubt(person.tenant_id) and konten_fuer(person).exists()


def bereitgestellt(brief: Brief) -> None:
    """In the release's transaction: the notice as a job, queued once committed."""
    jobs.start_job(
        actor=None,  # type: ignore[arg-type]  # the system's job; the release is audited
        tenant=brief.akte.tenant,
        kind=JOB_KIND,
        title="Benachrichtigung: neuer Brief im Bürgerpostfach",
        params={"brief": str(brief.pk)},
    )
