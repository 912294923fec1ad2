"""The office and the Koffer of tests/field/test_koffer_ende_zu_ende.py, run in their
processes with ``manage.py shell -c``: the office's seed (a field worker with TOTP, one
Akte checked out to a Koffer, a form with a signature step in the catalogue) and what
each side holds at the end. Each prints one line of JSON."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice

from koffer.accounts.access import Access
from koffer.audit.models import AuditEvent
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Einreichung, Entwurf
from koffer.records import services as records
from koffer.records.dokumente import naming
from koffer.records.dokumente import services as documents
from koffer.records.models import Akte, AkteSubjekt, Dokument, DokumentVersion, Person, Vorgang
from koffer.tenancy.models import Mandant
from tests import factories
from tests.field import paket_bestand
from tests.field.paket_bestand import bestand
from tests.forms.formkern import definition, text


def formular_mit_unterschrift() -> dict[str, Any]:
    """The test form with a last step that asks for a signature on screen."""
    daten = definition("hausbesuch-antrag")
    daten["titel"] = text("Antrag beim Hausbesuch")
    daten["schritte"].append(
        {
            "id": "abschluss",
            "titel": text("Unterschrift"),
            "felder": [
                {
                    "id": "unterschrift",
                    "typ": "unterschrift",
                    "label": text("Unterschrift"),
                    "pflicht": True,
                }
            ],
        }
    )
    return daten


def seed(path: str) -> None:
    tenant = factories.mandant("Stadt Koffertal", kind=Mandant.Kind.GEMEINDE)
    with transaction.atomic():
        b = bestand(tenant, akten=1, dokumente=1)
        akte = b.akten[0]
        person = _person(str(akte.pk))
        records.change_person(
            actor=None,
            person=person,
            street="Lindenweg 3",
            postal_code="12345",
            city="Koffertal",
        )
        admin = factories.user(tenant, role="mandant_admin")
        [ergebnis] = katalog.importieren(
            actor=admin,
            access=Access.for_user(admin.pk, tenant.pk),
            tenant=tenant,
            daten=formular_mit_unterschrift(),
        )
        geraet = TOTPDevice.objects.create(user=b.worker, name="Authenticator", confirmed=True)
    Path(path).write_text(
        json.dumps(
            {
                "code": b.kopplungscode,
                "username": b.worker.username,
                "password": factories.PASSWORD,
                "totp": geraet.key,
                "akte": str(akte.pk),
                "aktenzeichen": akte.aktenzeichen,
                "nachname": person.family_name,
                "formular": str(ergebnis.formular.pk),
            }
        )
    )


def _person(akte_id: str) -> Person:
    akte = Akte.objects.unscoped().get(pk=akte_id)
    subjekt = AkteSubjekt.objects.for_tenant(akte.tenant_id).filter(akte=akte).first()
    assert subjekt is not None
    return Person.objects.for_tenant(akte.tenant_id).get(pk=subjekt.person_id)


def bestand_der_akte(akte_id: str, *, beleg: str = "", pruefen: bool = False) -> None:
    """Everything of the Akte either side holds: documents with their versions' hashes,
    drafts, submissions, Vorgänge, the person's fields the test changes. ``beleg``: first
    file a text document of that name (a paper the citizen hands over, on the Koffer);
    ``pruefen``: also the answer of ``manage.py audit_verify`` on this side."""
    neu = {}
    if beleg:
        akte = Akte.objects.unscoped().get(pk=akte_id)
        data = paket_bestand.text(3000, f"koffer-{beleg}")
        result = documents.ingest_file(
            actor=None, akte=akte, file=naming.IncomingFile.from_bytes(beleg, data)
        )
        assert result.ok and result.dokument is not None, result.message
        neu = {"beleg": str(result.dokument.pk)}
    akte = Akte.objects.unscoped().get(pk=akte_id)
    t = akte.tenant_id
    person = _person(akte_id)
    versionen = DokumentVersion.objects.for_tenant(t).filter(dokument__akte=akte)
    found = {
        "dokumente": sorted(
            str(pk)
            for pk in Dokument.objects.for_tenant(t).filter(akte=akte).values_list("pk", flat=True)
        ),
        "versionen": sorted(
            f"{v.dokument_id}:{v.sha256}" for v in versionen.only("dokument_id", "sha256")
        ),
        "entwuerfe": sorted(
            str(pk)
            for pk in Entwurf.objects.for_tenant(t).filter(akte=akte).values_list("pk", flat=True)
        ),
        "einreichungen": {
            str(e.pk): str(e.dokument_id)
            for e in Einreichung.objects.for_tenant(t).filter(akte=akte)
        },
        "vorgaenge": sorted(
            str(pk)
            for pk in Vorgang.objects.for_tenant(t).filter(akte=akte).values_list("pk", flat=True)
        ),
        "telefon": person.telefon,
        "city": person.city,
        "kanaele": sorted(
            Einreichung.objects.for_tenant(t).filter(akte=akte).values_list("kanal", flat=True)
        ),
        # documents and submissions the office filed through its services from a Koffer's
        # push: its own event, as the field worker, naming the Koffer's event
        "vom_koffer": sorted(
            e.object_id
            for e in AuditEvent.objects.filter(
                tenant_id=t, action__in=["records.dokument.create", "forms.einreichung.create"]
            )
            if e.actor_id is not None
            and "koffer" in e.changes
            and isinstance(e.changes.get("koffer_ereignis"), dict)
        ),
        **neu,
    }
    if pruefen:
        ausgabe = io.StringIO()
        try:
            call_command("audit_verify", stdout=ausgabe)
            found["audit"] = "ok"
        except CommandError as exc:
            found["audit"] = f"{exc}: {ausgabe.getvalue()}"
    print(json.dumps(found))


def person_aendern(akte_id: str, **felder: str) -> None:
    """A change in the office while it is stopped (as a colleague's edit would be)."""
    person = _person(akte_id)
    records.change_person(actor=None, person=person, **felder)  # type: ignore[arg-type]
    print(json.dumps({"person": str(person.pk)}))
