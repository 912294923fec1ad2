"""The Koffer's own page on the laptop (Koffer mode): what it shows, the office's clock
and its warning, the expiry wipe by the Koffer itself (with a pinned and a moved clock),
unsent changes kept in the payload file, and a failed sync that can be retried."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, timedelta
from email.utils import format_datetime
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.field.models import Ausleihe, Stand
from koffer.field.paket import abholung, selectors, services
from koffer.field.rueckgabe import abgleich
from koffer.field.unterwegs import tasks, uhr, verfall, vermerke
from koffer.forms.models import Entwurf, Formularversion
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.records.models import Akte, AkteSubjekt, DokumentVersion, Person
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.field.paket_bestand import Bestand, bestand

pytestmark = pytest.mark.django_db

SEITE = "/unterwegs/"


@pytest.fixture
def var(tmp_path: Path) -> Iterator[Path]:
    with override_settings(KOFFER_MODE="koffer", VAR_DIR=tmp_path):
        yield tmp_path


@pytest.fixture
def daten(tenant: Mandant, var: Path) -> Bestand:
    """Two Akten checked out and their package imported into this (the Koffer's)
    database; the Koffer paired with an office that is not running. The data is made as
    the office makes it (real Aktenzeichen): made in Koffer mode, an Akte the package does
    not carry would be one opened offline, with a provisional number, sent on sync."""
    with override_settings(KOFFER_MODE="buero"):
        found = bestand(tenant, akten=2, dokumente=1)
    services.einspielen(json.loads(json.dumps(selectors.bauen(geraet=found.geraet))))
    abholung.zugang_speichern(abholung.Buero(url="http://127.0.0.1:9", token="kg_test"))
    return found


def _person(akte: Akte) -> Person:
    subjekt = AkteSubjekt.objects.for_tenant(akte.tenant_id).filter(akte=akte).first()
    assert subjekt is not None
    return Person.objects.for_tenant(akte.tenant_id).get(pk=subjekt.person_id)


def test_in_the_office_the_page_does_not_exist(tenant: Mandant) -> None:
    worker = bestand(tenant, akten=1, dokumente=0).worker
    client = signed_in(worker)
    assert client.get(SEITE).status_code == 404
    assert client.post("/unterwegs/abgleichen/").status_code == 404
    assert "field_unterwegs" not in client.get("/").content.decode()


def test_the_page_shows_the_carried_akten_until_when_and_their_unsent_changes(
    daten: Bestand,
) -> None:
    person = _person(daten.akten[0])
    person.telefon = "0170 1234567"
    person.save(update_fields=["telefon"])

    response = signed_in(daten.worker).get(SEITE)

    assert response.status_code == 200
    html = response.content.decode()
    assert "Jetzt abholen" in html and "Jetzt abgleichen" in html
    assert "http://127.0.0.1:9" in html
    for akte in daten.akten:
        assert akte.aktenzeichen in html
        assert reverse("records:akte_detail", args=[akte.pk]) in html
    bis = Ausleihe.objects.for_tenant(daten.tenant.pk).filter(akte=daten.akten[0]).get().bis
    assert f"bis {bis.astimezone(timezone.get_current_timezone()):%d.%m.%Y}" in html
    rows = {
        line.split("</a>")[0].rsplit(">", 1)[-1]: line
        for line in html.split('<tr class="kern-table__row">')[1:]
    }
    assert '<td class="kern-table__cell">1</td>' in rows[daten.akten[0].aktenzeichen]
    assert '<td class="kern-table__cell">0</td>' in rows[daten.akten[1].aktenzeichen]
    # Nothing was written to send: the page only counts.
    assert abgleich.offene() == []


def test_an_unpaired_koffer_offers_the_pairing_form(tenant: Mandant, var: Path) -> None:
    worker = bestand(tenant, akten=1, dokumente=0).worker
    html = signed_in(worker).get(SEITE).content.decode()
    assert "Kopplungscode" in html and 'name="code"' in html
    assert "Jetzt abgleichen" not in html

    refused = signed_in(worker).post(
        "/unterwegs/koppeln/", {"buero": "http://127.0.0.1:9", "code": "ABCD-EFGH"}
    )
    assert refused.status_code == 400
    assert "nicht erreichbar" in refused.content.decode()
    assert not abholung.zugang_pfad().exists()


def test_a_clock_days_behind_the_office_is_warned_about(daten: Bestand) -> None:
    buero = timezone.now() + timedelta(days=3, minutes=2)
    uhr.beobachten(format_datetime(buero.astimezone(UTC), usegmt=True))

    assert uhr.warnung().startswith("Die Uhr dieses Laptops geht 3 Tage nach.")
    html = signed_in(daten.worker).get(SEITE).content.decode()
    assert "Die Uhr dieses Laptops geht 3 Tage nach" in html

    uhr.beobachten(
        format_datetime((timezone.now() - timedelta(hours=5)).astimezone(UTC), usegmt=True)
    )
    assert uhr.warnung().startswith("Die Uhr dieses Laptops geht 5 Stunden vor.")
    uhr.beobachten(format_datetime(timezone.now().astimezone(UTC), usegmt=True))
    assert uhr.warnung() == ""


def test_a_clock_turned_back_does_not_keep_an_akte_longer(daten: Bestand) -> None:
    ausleihe = Ausleihe.objects.for_tenant(daten.tenant.pk).filter(akte=daten.akten[0]).get()
    # The office's answer came one minute after the checkout ended …
    uhr.beobachten(
        format_datetime((ausleihe.bis + timedelta(minutes=1)).astimezone(UTC), usegmt=True)
    )
    # … and the laptop's clock, turned back, still says it is today.
    assert timezone.now() < ausleihe.bis
    assert uhr.buero_jetzt() >= ausleihe.bis

    erledigt = verfall.abgelaufene_abwischen()

    assert {v.akte_id for v in erledigt} == {a.pk for a in daten.akten}
    assert not Akte.objects.for_tenant(daten.tenant.pk).filter(pk=daten.akten[0].pk).exists()


def test_an_expired_akte_is_wiped_with_its_documents_and_blobs(
    daten: Bestand, django_capture_on_commit_callbacks: Any
) -> None:
    akte, andere = daten.akten
    shas = set(
        DokumentVersion.objects.for_tenant(akte.tenant_id)
        .filter(dokument__akte=akte)
        .values_list("sha256", flat=True)
    )
    assert shas and all(get_store().exists(s) for s in shas)
    person = _person(akte)
    bis = Ausleihe.objects.for_tenant(akte.tenant_id).filter(akte=akte).get().bis
    later = bis + timedelta(days=2)
    Ausleihe.objects.for_tenant(akte.tenant_id).filter(akte=andere).update(bis=later)

    assert verfall.abgelaufene_abwischen() == []  # not yet
    with (
        time_machine.travel(bis + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        html = signed_in(daten.worker).get(SEITE).content.decode()  # wiped before shown

    assert akte.aktenzeichen not in html and andere.aktenzeichen in html
    assert not Akte.objects.for_tenant(akte.tenant_id).filter(pk=akte.pk).exists()
    assert Akte.objects.for_tenant(akte.tenant_id).filter(pk=andere.pk).exists()
    assert not Person.objects.for_tenant(akte.tenant_id).filter(pk=person.pk).exists()
    assert not DokumentVersion.objects.for_tenant(akte.tenant_id).filter(sha256__in=shas).exists()
    assert not any(get_store().exists(s) for s in shas)
    assert not Stand.objects.for_tenant(akte.tenant_id).filter(objekt_id=str(akte.pk)).exists()
    assert Stand.objects.for_tenant(akte.tenant_id).filter(objekt_id=str(andere.pk)).exists()
    event = AuditEvent.objects.filter(action=verfall.AKTION).get()
    assert event.object_id == str(akte.pk)
    assert event.changes["gesichert"] is False
    assert abgleich.offene() == []
    assert vermerke.lesen()["verfall"]["akten"] == 1


def test_unsent_changes_of_an_expired_akte_wait_in_the_payload_file(daten: Bestand) -> None:
    akte = daten.akten[0]
    person = _person(akte)
    alt = person.telefon
    person.telefon = "0170 7654321"
    person.save(update_fields=["telefon"])
    bis = Ausleihe.objects.for_tenant(akte.tenant_id).filter(akte=akte).get().bis
    Ausleihe.objects.for_tenant(akte.tenant_id).filter(akte=daten.akten[1]).update(
        bis=bis + timedelta(days=2)
    )

    with time_machine.travel(bis + timedelta(minutes=1), tick=False):
        [erledigt] = verfall.abgelaufene_abwischen()

    assert erledigt.akte_id == akte.pk and erledigt.gesichert
    assert not Person.objects.for_tenant(akte.tenant_id).filter(pk=person.pk).exists()
    [datei] = abgleich.offene()
    payload = abgleich.lesen(datei)
    assert {
        "modell": "records.person",
        "id": str(person.pk),
        "felder": {"telefon": {"basis": alt, "neu": "0170 7654321"}},
        "akte": str(akte.pk),
    } in payload["geaendert"]
    event = AuditEvent.objects.filter(action=verfall.AKTION).get()
    assert event.changes["gesichert"] is True


def _entwurf(daten: Bestand, akte: Akte, antworten: dict[str, Any]) -> Entwurf:
    jetzt = timezone.now()
    return Entwurf.objects.create(
        tenant=daten.tenant,
        formularversion=Formularversion.objects.for_tenant(daten.tenant).first(),
        akte=akte,
        antworten=antworten,
        created_at=jetzt,
        created_by=daten.worker,
        updated_at=jetzt,
    )


def test_an_expired_akte_leaves_no_form_files_unless_another_form_names_them(
    daten: Bestand, django_capture_on_commit_callbacks: Any
) -> None:
    akte, andere = daten.akten
    store = get_store()
    upload = store.put(b"%PDF-1.4 Mietvertrag der Antragstellerin").sha256
    unterschrift = store.put(b"\x89PNG gezeichnete Unterschrift").sha256
    geteilt = store.put(b"%PDF-1.4 Bescheid, den auch die andere Akte nennt").sha256
    _entwurf(
        daten,
        akte,
        {
            "nachweise": [{"blob": upload, "name": "mietvertrag.pdf"}, {"blob": geteilt}],
            "unterschrift": {"bild": unterschrift},
            "name": "Erika Muster",
        },
    )
    _entwurf(daten, andere, {"nachweis": {"blob": geteilt, "name": "bescheid.pdf"}})
    bis = Ausleihe.objects.for_tenant(akte.tenant_id).filter(akte=akte).get().bis
    Ausleihe.objects.for_tenant(akte.tenant_id).filter(akte=andere).update(
        bis=bis + timedelta(days=2)
    )

    with (
        time_machine.travel(bis + timedelta(minutes=1), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        [erledigt] = verfall.abgelaufene_abwischen()

    assert erledigt.akte_id == akte.pk
    assert not Entwurf.objects.for_tenant(daten.tenant).filter(akte=akte).exists()
    assert not store.exists(upload)
    assert not store.exists(unterschrift)
    assert store.exists(geteilt)  # the other carried Akte's draft still names it
    event = AuditEvent.objects.filter(action=verfall.AKTION).get()
    assert event.changes["blobs"] == erledigt.blobs >= 2


def test_a_sync_that_cannot_reach_the_office_fails_and_can_be_retried(daten: Bestand) -> None:
    person = _person(daten.akten[0])
    person.telefon = "0170 1111111"
    person.save(update_fields=["telefon"])
    client = signed_in(daten.worker)

    started = client.post("/unterwegs/abgleichen/")

    assert started.status_code == 302
    job = Job.objects.for_tenant(daten.tenant.pk).get(kind=tasks.ABGLEICHEN)
    assert runner.execute(job.pk) == "failed"
    job.refresh_from_db()
    assert "nicht erreichbar" in job.error
    assert "wird beim nächsten Aufruf wiederholt" in job.error
    [datei] = abgleich.offene()  # the push waits, the retry sends the same one
    progress = client.get("/unterwegs/auftrag/")
    assert progress.status_code == 286
    assert "Erneut versuchen" in progress.content.decode()

    retried = client.post("/unterwegs/auftrag/wiederholen/")

    assert retried.status_code == 302
    job.refresh_from_db()
    assert job.status == Job.Status.WAITING
    assert runner.execute(job.pk) == "failed"
    assert abgleich.offene() == [datei]


def test_the_office_unreachable_is_said_quickly(daten: Bestand) -> None:
    html = signed_in(daten.worker).get("/unterwegs/buero/").content.decode()
    assert "Büro nicht erreichbar" in html


def test_a_job_of_another_mandant_is_not_shown(daten: Bestand, other_tenant: Mandant) -> None:
    fremd = Job.objects.create(
        tenant=other_tenant, kind=tasks.ABHOLEN, title="Fremder Auftrag", status="failed"
    )
    client = signed_in(daten.worker)
    assert client.get("/unterwegs/auftrag/").status_code == 404
    assert client.post("/unterwegs/auftrag/wiederholen/").status_code == 404
    assert fremd.title not in client.get(SEITE).content.decode()
    fremd.refresh_from_db()
    assert fremd.status == "failed"
