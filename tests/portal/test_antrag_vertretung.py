"""Applying for a represented person (issue 19, items 1 and 7): the citizen picks for whom
on the start page — itself or a person of a confirmed, valid Vertretung —, the draft is
prefilled from that person and filed into that person's Akte; the receipt and the
Posteingang's data name the representative and the authority; audited with the person
as subject; refused with a German reason when the Vertretung expired meanwhile, at every
save and at submission. Reads of a citizen's application are audited once per page."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.inbox.models import Eingangsdokument, Stapel
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.portal import vertretungen
from koffer.portal.models import Antrag, Buergerkonto, OnlineAngebot, Vertretung
from koffer.records.models import Akte, Dokument, Person
from koffer.tenancy.models import Mandant
from tests.factories import portal as portal_factories
from tests.portal.test_antrag import admin_access, angebot, formular, konto
from tests.portal.test_vertretungen import GEBOREN, betreuer, betreute

__all__ = ["admin_access", "angebot", "betreuer", "betreute", "formular", "konto"]

pytestmark = pytest.mark.django_db


def _vertretung(
    tenant: Mandant, betreuer: Buergerkonto, betreute: Person, caseworker: User, **extra: Any
) -> Vertretung:
    vertretung = vertretungen.beantragen(
        actor=betreuer,
        family_name="Alt",
        given_names="Hedwig",
        birth_date=GEBOREN,
        art=extra.get("art", "betreuung"),
        nachweis="Betreuerausweis AG Prüfstadt 12 XVII 34/25",
        gueltig_bis=extra.get("gueltig_bis"),
    )
    return vertretungen.bestaetigen(
        actor=caseworker,
        access=Access.for_user(caseworker.pk, tenant.pk),
        vertretung_id=vertretung.pk,
        person_id=betreute.pk,
    )


def _url(antrag: Antrag, rest: str) -> str:
    return f"/portal/{antrag.tenant.slug}/antraege/{antrag.pk}/{rest}"


def _beginnen(client: Client, tenant: Mandant, angebot: OnlineAngebot, fuer: str = "") -> Any:
    return client.post(
        f"/portal/{tenant.slug}/antraege/neu/", {"angebot": str(angebot.pk), "fuer": fuer}
    )


def _version(client: Client, url: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', client.get(url).content.decode())
    assert found is not None
    return found[1]


def _ausfuellen(client: Client, antrag: Antrag) -> None:
    schritte = {
        "person": {"f-nachname": "Alt", "f-vorname": "Hedwig"},
        "haushalt": {"f-umgezogen": "nein"},
        "einkommen": {"f-lohn": "812,00", "f-bemerkung": "Rente"},
        "nachweise": {},
    }
    for schritt, werte in schritte.items():
        url = _url(antrag, f"schritt/{schritt}/")
        antwort = client.post(url, {**werte, "version": _version(client, url)})
        assert antwort.status_code == 302, (schritt, antwort.content.decode()[:1500])


def _pdftext(pdf: bytes, tmp_path: Any) -> str:
    datei = tmp_path / "quittung.pdf"
    datei.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(datei), "-"], capture_output=True, text=True, check=True
    ).stdout


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext fehlt")
def test_a_representative_applies_for_the_represented_person(
    tenant: Mandant,
    angebot: OnlineAngebot,
    betreuer: Buergerkonto,
    betreute: Person,
    team_caseworker: User,
    tmp_path: Any,
) -> None:
    vertretung = _vertretung(tenant, betreuer, betreute, team_caseworker)
    client = portal_factories.buerger_client(betreuer)
    start = client.get(f"/portal/{tenant.slug}/").content.decode()
    assert "Antrag stellen für" in start and f'value="{betreute.pk}">Hedwig Alt' in start

    assert _beginnen(client, tenant, angebot, fuer=str(betreute.pk)).status_code == 302
    antrag = Antrag.objects.for_tenant(tenant).get()
    assert (antrag.person_id, antrag.vertretung_id) == (betreute.pk, vertretung.pk)
    # prefilled from the represented person and her Akte, not from the account
    akte = Akte.objects.for_tenant(tenant).get(subjekte__person=betreute)
    assert antrag.antworten["nachname"] == "Alt"
    assert antrag.antworten["aktenzeichen"] == akte.aktenzeichen
    # the representative's own application of the same form is another one
    assert _beginnen(client, tenant, angebot).status_code == 302
    assert Antrag.objects.for_tenant(tenant).count() == 2
    eigener = Antrag.objects.for_tenant(tenant).get(person__isnull=True)
    assert eigener.antworten.get("nachname") == "Sorge"
    assert "(für Hedwig Alt)" in client.get(f"/portal/{tenant.slug}/").content.decode()

    _ausfuellen(client, antrag)
    assert client.post(_url(antrag, "pruefen/")).status_code == 302
    antrag.refresh_from_db()
    assert antrag.status == "eingereicht"
    quittung = client.get(_url(antrag, "eingangsbestaetigung.pdf"))
    text = re.sub(r"\s+", " ", _pdftext(b"".join(quittung.streaming_content), tmp_path))
    assert AuditEvent.objects.filter(
        action="read", object_id=str(antrag.pk), reason="Eingangsbestätigung herunterladen"
    ).exists()
    assert "Eingereicht von Petra Sorge für Hedwig Alt" in text
    assert "Rechtliche Betreuung (bestätigt)" in text
    # the Posteingang's data name the representative and the authority
    stapel = Stapel.objects.for_tenant(tenant).get(source="portal")
    assert '"vertreter": "Petra Sorge"' in stapel.manifest
    assert '"art": "betreuung"' in stapel.manifest
    assert f'"vertreter_konto": "{betreuer.pk}"' in stapel.manifest
    # filed into the represented person's Akte
    for job in Job.objects.for_tenant(tenant).filter(kind="inbox.online", status="waiting"):
        runner.execute(job.pk)
    doc = Eingangsdokument.objects.for_tenant(tenant).get(pk=antrag.eingang_id)
    assert doc.state == Eingangsdokument.State.ABGELEGT, doc.reason
    assert Dokument.objects.for_tenant(tenant).get(pk=doc.dokument_id).akte_id == akte.pk
    # audited: the citizen is the actor, the represented person the subject
    for action in ("portal.antrag.create", "portal.antrag.change", "portal.antrag.submit"):
        event = AuditEvent.objects.filter(action=action, object_id=str(antrag.pk)).first()
        assert event is not None, action
        assert event.actor_id == betreuer.pk and event.subject_id == str(betreute.pk), action
    submit = AuditEvent.objects.get(action="portal.antrag.submit")
    assert submit.changes["vertretung"] == str(vertretung.pk)


def test_acting_without_a_vertretung_is_refused_with_the_reason(
    tenant: Mandant,
    angebot: OnlineAngebot,
    betreuer: Buergerkonto,
    betreute: Person,
) -> None:
    client = portal_factories.buerger_client(betreuer)
    antwort = _beginnen(client, tenant, angebot, fuer=str(betreute.pk))
    assert antwort.status_code == 302 and antwort["Location"] == f"/portal/{tenant.slug}/"
    start = client.get(antwort["Location"]).content.decode()
    assert "Es liegt keine Vertretung vor" in start
    assert not Antrag.objects.for_tenant(tenant).exists()
    assert AuditEvent.objects.filter(
        action="portal.vertretung.verweigert", subject_id=str(betreute.pk)
    ).exists()
    # garbage is refused alike
    assert _beginnen(client, tenant, angebot, fuer="kein-uuid").status_code == 302
    assert not Antrag.objects.for_tenant(tenant).exists()


def test_a_vertretung_expired_meanwhile_stops_saving_and_submitting(
    tenant: Mandant,
    angebot: OnlineAngebot,
    betreuer: Buergerkonto,
    betreute: Person,
    team_caseworker: User,
) -> None:
    heute = timezone.localdate()
    _vertretung(tenant, betreuer, betreute, team_caseworker, art="vollmacht", gueltig_bis=heute)
    client = portal_factories.buerger_client(betreuer)
    assert _beginnen(client, tenant, angebot, fuer=str(betreute.pk)).status_code == 302
    antrag = Antrag.objects.for_tenant(tenant).get()
    _ausfuellen(client, antrag)
    antrag.refresh_from_db()
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=True):
        client = portal_factories.buerger_client(betreuer)  # signed in again the next day
        url = _url(antrag, "schritt/einkommen/")
        gespeichert = client.post(url, {"f-lohn": "900,00", "version": str(antrag.version)})
        assert gespeichert.status_code == 403
        assert f"am {heute:%d.%m.%Y} abgelaufen" in gespeichert.content.decode()
        eingereicht = client.post(_url(antrag, "pruefen/"))
        assert eingereicht.status_code == 403
        assert f"am {heute:%d.%m.%Y} abgelaufen" in eingereicht.content.decode()
    antrag.refresh_from_db()
    assert antrag.status == "offen" and antrag.antworten["lohn"] != "900.00"
    assert not Stapel.objects.for_tenant(tenant).exists()
    assert (
        AuditEvent.objects.filter(
            action="portal.vertretung.verweigert", changes__grund="abgelaufen"
        ).count()
        == 2
    )


def test_a_citizens_reads_of_the_application_are_audited_once_per_page(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto, akte_person: Person
) -> None:
    client = portal_factories.buerger_client(konto)
    assert _beginnen(client, tenant, angebot).status_code == 302
    antrag = Antrag.objects.for_tenant(tenant).get()

    def reads() -> list[str]:
        return list(
            AuditEvent.objects.filter(action="read", object_id=str(antrag.pk))
            .order_by("seq")
            .values_list("reason", flat=True)
        )

    schritt = _url(antrag, "schritt/person/")
    assert client.get(schritt).status_code == 200
    assert reads() == ["Online-Antrag bearbeiten"]
    # a save is audited as the save it is, not as a read besides
    client.post(schritt, {"f-nachname": "Neu", "version": str(antrag.version)})
    assert reads() == ["Online-Antrag bearbeiten"]
    assert client.get(_url(antrag, "pruefen/")).status_code == 200
    event = AuditEvent.objects.filter(action="read", object_id=str(antrag.pk)).latest("seq")
    assert event.reason == "Online-Antrag prüfen"
    assert event.actor_id == konto.pk and event.subject_id == str(akte_person.pk)


@pytest.fixture
def akte_person(konto: Buergerkonto, betreute: Person) -> Person:
    konto.person = betreute
    konto.save()
    return betreute
