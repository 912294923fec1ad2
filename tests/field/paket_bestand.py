"""Data for the checkout package's tests, made through the services like real data: a
Mandant's field worker with a paired Koffer, Akten checked out to it (person, BG,
Vorgang, Frist, Wiedervorlage, text documents), an Akte not checked out, a form of the
catalogue and a letter template. Used in-process and, through ``manage.py shell -c``, to
seed a real office process before it starts."""

from __future__ import annotations

import hashlib
import itertools
from dataclasses import dataclass, field
from datetime import timedelta

from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.field.geraete import services as geraete
from koffer.field.models import Geraet
from koffer.forms.katalog import services as katalog
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, Aktenplaneinheit
from koffer.tenancy.models import Mandant
from tests import factories
from tests.factories import records as record_factories
from tests.forms.formkern import definition
from tests.outbox import factories as outbox_factories

_seq = itertools.count(1)


@dataclass
class Bestand:
    tenant: Mandant
    worker: User
    geraet: Geraet
    kopplungscode: str
    akten: list[Akte]
    fremd: Akte  # of the same Mandant, not checked out
    blobs: dict[str, int] = field(default_factory=dict)  # sha256 -> size of checked-out docs


def text(size: int, seed: str) -> bytes:
    """``size`` bytes of German-looking text, different for every ``seed``."""
    line = f"Zeile {seed}: Antrag auf Leistungen, Nachweis der Kosten der Unterkunft.\n"
    data = bytearray()
    counter = 0
    while len(data) < size:
        data += f"{counter:08d} ".encode() + line.encode()
        counter += 1
    return bytes(data[:size])


def bestand(tenant: Mandant, *, akten: int = 2, dokumente: int = 2, groesse: int = 2000) -> Bestand:
    plan = Aktenplaneinheit.objects.for_tenant(tenant).filter(kennzeichen="50.2").first()
    plan = plan or record_factories.leistungsplan(tenant)
    team = factories.unit(tenant, name=f"Seniorenbüro {next(_seq)}")
    caseworker = factories.user(tenant, unit_=team)
    worker = factories.user(
        tenant, role="aussendienst", unit_=team, username=f"aussendienst{next(_seq)}"
    )
    admin = factories.user(tenant, role="mandant_admin")
    katalog.importieren(
        actor=admin,
        access=Access.for_user(admin.pk, tenant.pk),
        tenant=tenant,
        daten=definition(f"wba-koffer-{next(_seq)}"),
    )
    outbox_factories.version(tenant)
    made: list[Akte] = []
    blobs: dict[str, int] = {}
    for i in range(akten + 1):
        akte = record_factories.akte(caseworker=caseworker, plan=plan, unit=team)
        vorgang = record_factories.vorgang(akte, actor=caseworker)
        record_factories.frist(vorgang, timezone.localdate() + timedelta(days=14))
        record_factories.wiedervorlage(
            akte, timezone.localdate() + timedelta(days=1), assignee=worker, actor=caseworker
        )
        for d in range(dokumente):
            data = text(groesse, f"{akte.pk}-{d}")
            result = documents.ingest_file(
                actor=caseworker,
                akte=akte,
                vorgang=vorgang,
                file=naming.IncomingFile.from_bytes(f"Nachweis {d + 1}.txt", data),
            )
            assert result.ok, result.message
            if i < akten:
                blobs[hashlib.sha256(data).hexdigest()] = len(data)
        made.append(akte)
    geraet, code = geraete_mit_ausleihen(worker, made[:akten])
    return Bestand(
        tenant=tenant,
        worker=worker,
        geraet=geraet,
        kopplungscode=code,
        akten=made[:akten],
        fremd=made[akten],
        blobs=blobs,
    )


def geraete_mit_ausleihen(worker: User, akten: list[Akte]) -> tuple[Geraet, str]:
    """A Koffer registered by ``worker`` (with its pairing code) and ``akten`` checked out."""
    geraet, code = geraete.geraet_anlegen(
        actor=worker, tenant_id=akten[0].tenant_id, name=f"Koffer {next(_seq)}"
    )
    geraete.ausleihen(actor=worker, geraet=geraet, akten=akten)
    return geraet, code
