"""Online applications (issue 19, item 2): offered per Mandant, prefilled, resumed on
another device, a stale save refused without loss, uploads inspected like the E-Akte's,
submitted with a receipt PDF and its hash, handed to the Posteingang — filed into the
person's Akte when the account is linked, otherwise into triage with the reason."""

from __future__ import annotations

import hashlib
import io
import re
import shutil
import subprocess
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Formular
from koffer.inbox.models import Eingangsdokument, Stapel
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.portal.antrag import angebote, services
from koffer.portal.errors import Forbidden
from koffer.portal.models import Antrag, Buergerkonto, OnlineAngebot
from koffer.records.dokumente import blob_ledger
from koffer.records.models import Akte, Dokument
from koffer.tenancy.models import Mandant, Organisationseinheit
from tests.conftest import signed_in
from tests.factories import portal as portal_factories
from tests.forms import formkern
from tests.forms.formkern import admin_access, akte, text

__all__ = ["admin_access", "akte"]

pytestmark = pytest.mark.django_db


def _definition() -> dict[str, Any]:
    daten = formkern.definition("wba-online")
    daten["schritte"].append(
        {
            "id": "nachweise",
            "titel": text("Nachweise"),
            "hilfe": text("Fotos oder PDF-Dateien Ihrer Belege, zum Beispiel Lohnabrechnungen."),
            "felder": [{"id": "belege", "typ": "datei", "label": text("Belege")}],
        }
    )
    return daten


@pytest.fixture
def formular(tenant: Mandant, plan: Any, admin_user: User, admin_access: Access) -> Formular:
    [ergebnis] = katalog.importieren(
        actor=admin_user, access=admin_access, tenant=tenant, daten=_definition()
    )
    return ergebnis.formular


@pytest.fixture
def angebot(
    formular: Formular, admin_user: User, admin_access: Access, team: Organisationseinheit
) -> OnlineAngebot:
    gefunden = angebote.angebot_setzen(
        actor=admin_user, access=admin_access, formular=formular, unit=team, aktiv=True
    )
    assert gefunden is not None
    return gefunden


@pytest.fixture
def konto(tenant: Mandant) -> Buergerkonto:
    return portal_factories.buergerkonto(
        tenant,
        given_names="Erika",
        family_name="Mustermann",
        street="Heidestraße 17",
        postal_code="51147",
        city="Köln",
        email="erika@example.org",
    )


def _beginnen(client: Client, tenant: Mandant, angebot: OnlineAngebot) -> tuple[Antrag, str]:
    antwort = client.post(f"/portal/{tenant.slug}/antraege/neu/", {"angebot": str(angebot.pk)})
    assert antwort.status_code == 302, antwort.content[:300]
    antrag = Antrag.objects.for_tenant(tenant).get(angebot=angebot, status="offen")
    return antrag, antwort["Location"]


def _url(antrag: Antrag, rest: str) -> str:
    return f"/portal/{antrag.tenant.slug}/antraege/{antrag.pk}/{rest}"


def _version(html: str) -> str:
    found = re.search(r'name="version" value="(\d+)"', html)
    assert found is not None
    return found[1]


def _ausfuellen(client: Client, antrag: Antrag) -> None:
    """Every step, as a citizen types it (the person step kept as prefilled)."""
    schritte = {
        "person": {"f-nachname": "Mustermann", "f-vorname": "Erika"},
        "haushalt": {"f-umgezogen": "nein"},
        "einkommen": {"f-lohn": "1.234,50", "f-bemerkung": "Minijob im Café"},
        "nachweise": {},
    }
    for schritt, werte in schritte.items():
        seite = client.get(_url(antrag, f"schritt/{schritt}/"))
        assert seite.status_code == 200, schritt
        antwort = client.post(
            _url(antrag, f"schritt/{schritt}/"),
            {**werte, "version": _version(seite.content.decode())},
        )
        assert antwort.status_code == 302, (schritt, antwort.content.decode()[:2000])


def _job_ausfuehren(tenant: Mandant) -> None:
    for job in Job.objects.for_tenant(tenant).filter(kind="inbox.online", status="waiting"):
        runner.execute(job.pk)


def _pdftext(pdf: bytes, tmp_path: Any) -> str:
    datei = tmp_path / "quittung.pdf"
    datei.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(datei), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_the_administration_offers_a_form_and_the_start_page_lists_it(
    tenant: Mandant,
    formular: Formular,
    admin_user: User,
    admin_access: Access,
    team: Organisationseinheit,
    team_caseworker: User,
    konto: Buergerkonto,
) -> None:
    client = portal_factories.buerger_client(konto)
    assert formular.titel not in client.get(f"/portal/{tenant.slug}/").content.decode()
    with pytest.raises(Forbidden):
        angebote.angebot_setzen(
            actor=team_caseworker,
            access=Access.for_user(team_caseworker.pk, tenant.pk),
            formular=formular,
            unit=team,
            aktiv=True,
        )
    angebote.angebot_setzen(
        actor=admin_user, access=admin_access, formular=formular, unit=team, aktiv=True
    )
    formular.refresh_from_db()
    assert formular.online
    html = client.get(f"/portal/{tenant.slug}/").content.decode()
    assert "Anträge online stellen" in html and formular.titel in html
    angebote.angebot_setzen(actor=admin_user, access=admin_access, formular=formular, aktiv=False)
    assert formular.titel not in client.get(f"/portal/{tenant.slug}/").content.decode()
    assert AuditEvent.objects.filter(action="portal.angebot.change").count() == 2


def test_a_draft_is_prefilled_from_the_account(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto
) -> None:
    client = portal_factories.buerger_client(konto)
    antrag, weiter = _beginnen(client, tenant, angebot)
    assert weiter == _url(antrag, "schritt/person/")
    assert antrag.antworten["nachname"] == "Mustermann"
    assert antrag.antworten["vorname"] == "Erika"
    assert antrag.antworten["geburtsdatum"] == "1980-01-01"
    assert antrag.antworten["anschrift"] == {
        "strasse": "Heidestraße",
        "hausnummer": "17",
        "plz": "51147",
        "ort": "Köln",
    }
    assert "aktenzeichen" not in antrag.antworten  # no Akte: nothing of an Akte
    html = client.get(weiter).content.decode()
    assert 'value="Mustermann"' in html and "Heidestraße" in html
    event = AuditEvent.objects.get(action="portal.antrag.create")
    assert event.actor_id == konto.pk and event.actor_label.startswith("Bürger:in ")


def test_a_linked_account_is_prefilled_from_its_person_and_akte(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto, akte: Akte
) -> None:
    konto.person = akte.subjects.get()
    konto.save()
    antrag, _ = _beginnen(portal_factories.buerger_client(konto), tenant, angebot)
    assert antrag.antworten["nachname"] == "Beispiel"  # the E-Akte's person, not BundID's
    assert antrag.antworten["aktenzeichen"] == akte.aktenzeichen
    assert antrag.antworten["anschrift"]["strasse"] == "Hauptstraße"


def test_a_draft_resumes_on_another_device(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto
) -> None:
    handy = portal_factories.buerger_client(konto)
    _, weiter = _beginnen(handy, tenant, angebot)
    seite = handy.get(weiter).content.decode()
    antwort = handy.post(
        weiter, {"f-nachname": "Mustermann-Neu", "f-vorname": "Erika", "version": _version(seite)}
    )
    assert antwort.status_code == 302
    laptop = portal_factories.buerger_client(konto)
    start = laptop.get(f"/portal/{tenant.slug}/").content.decode()
    assert "fortsetzen" in start
    antwort = laptop.post(f"/portal/{tenant.slug}/antraege/neu/", {"angebot": str(angebot.pk)})
    assert antwort["Location"] == weiter  # the step last saved
    assert Antrag.objects.for_tenant(tenant).count() == 1
    assert 'value="Mustermann-Neu"' in laptop.get(weiter).content.decode()


def test_a_stale_save_from_a_second_device_is_refused_and_loses_nothing(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto
) -> None:
    handy = portal_factories.buerger_client(konto)
    laptop = portal_factories.buerger_client(konto)
    antrag, weiter = _beginnen(handy, tenant, angebot)
    alt = _version(laptop.get(weiter).content.decode())
    assert handy.post(weiter, {"f-nachname": "Vom Handy", "version": alt}).status_code == 302
    antwort = laptop.post(weiter, {"f-nachname": "Vom Laptop", "version": alt})
    assert antwort.status_code == 409
    html = antwort.content.decode()
    assert "auf einem anderen Gerät" in html
    assert 'value="Vom Laptop"' in html  # what was typed is still on the page
    antrag.refresh_from_db()
    assert antrag.antworten["nachname"] == "Vom Handy"
    # saving again from that page takes it
    neu = _version(html)
    assert neu == str(antrag.version)
    assert laptop.post(weiter, {"f-nachname": "Vom Laptop", "version": neu}).status_code == 302
    antrag.refresh_from_db()
    assert antrag.antworten["nachname"] == "Vom Laptop"


def _png(name: str) -> SimpleUploadedFile:
    puffer = io.BytesIO()
    Image.new("RGB", (24, 24), (200, 10, 10)).save(puffer, format="PNG")
    return SimpleUploadedFile(name, puffer.getvalue(), content_type="image/png")


def test_an_upload_failing_inspection_is_refused_and_a_good_one_kept(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto
) -> None:
    client = portal_factories.buerger_client(konto)
    antrag, _ = _beginnen(client, tenant, angebot)
    schritt = _url(antrag, "schritt/nachweise/")
    kaputt = SimpleUploadedFile("beleg.pdf", b"%PDF-1.7\nkaputt", content_type="application/pdf")
    antwort = client.post(
        schritt, {"f-belege": [kaputt, _png("foto.png")], "version": str(antrag.version)}
    )
    assert antwort.status_code == 200
    html = antwort.content.decode()
    assert "beleg.pdf" in html and "kern-error" in html
    antrag.refresh_from_db()
    [foto] = antrag.antworten["belege"]
    assert foto["name"] == "foto.png" and len(foto["blob"]) == 64


@pytest.mark.skipif(shutil.which("pdftotext") is None, reason="pdftotext fehlt")
def test_submission_gives_a_receipt_with_the_hash_and_goes_to_triage_without_an_akte(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto, team: Any, tmp_path: Any
) -> None:
    client = portal_factories.buerger_client(konto)
    antrag, _ = _beginnen(client, tenant, angebot)
    _ausfuellen(client, antrag)
    pruefen = client.get(_url(antrag, "pruefen/"))
    assert pruefen.status_code == 200 and "Minijob im Café" in pruefen.content.decode()
    antwort = client.post(_url(antrag, "pruefen/"))
    assert antwort.status_code == 302 and antwort["Location"] == _url(antrag, "eingereicht/")
    antrag.refresh_from_db()
    assert antrag.status == "eingereicht" and len(antrag.pruefsumme) == 64
    # the hash is over what was sent: form, version and the checked values
    seite = client.get(antrag_url := _url(antrag, "eingereicht/")).content.decode()
    assert antrag.pruefsumme[:16] in seite
    quittung = client.get(_url(antrag, "eingangsbestaetigung.pdf"))
    assert quittung.status_code == 200 and quittung["Content-Type"] == "application/pdf"
    assert quittung.streaming  # from the blob store, never read whole
    pdf = b"".join(quittung.streaming_content)
    assert hashlib.sha256(pdf).hexdigest() == antrag.quittung_sha256
    text = _pdftext(pdf, tmp_path)
    assert "Mustermann" in text and "Minijob im Café" in text and tenant.name in text
    assert antrag.pruefsumme in re.sub(r"\s+", "", text)
    # double submit: the same receipt, one delivery
    again = client.post(_url(antrag, "pruefen/"))
    assert again.status_code == 302 and again["Location"] == antrag_url
    assert Stapel.objects.for_tenant(tenant).filter(source="portal").count() == 1
    assert AuditEvent.objects.filter(action="portal.antrag.submit").count() == 1
    # in the Posteingang: the form's PDF with its data, to triage with the reason
    stapel = Stapel.objects.for_tenant(tenant).get(source="portal")
    assert antrag.pruefsumme in stapel.manifest and "Minijob im Café" in stapel.manifest
    _job_ausfuehren(tenant)
    doc = Eingangsdokument.objects.for_tenant(tenant).get(stapel=stapel)
    assert doc.original_sha256 == antrag.quittung_sha256
    assert doc.state == Eingangsdokument.State.ZU_PRUEFEN
    assert "keiner Person zugeordnet" in doc.reason
    assert doc.unit_id == team.pk


def test_a_linked_accounts_submission_is_filed_into_the_akte(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto, akte: Akte
) -> None:
    konto.person = akte.subjects.get()
    konto.save()
    client = portal_factories.buerger_client(konto)
    antrag, _ = _beginnen(client, tenant, angebot)
    _ausfuellen(client, antrag)
    assert client.post(_url(antrag, "pruefen/")).status_code == 302
    _job_ausfuehren(tenant)
    antrag.refresh_from_db()
    doc = Eingangsdokument.objects.for_tenant(tenant).get(pk=antrag.eingang_id)
    assert doc.state == Eingangsdokument.State.ABGELEGT, doc.reason
    dokument = Dokument.objects.for_tenant(tenant).get(pk=doc.dokument_id)
    assert dokument.akte_id == akte.pk
    assert "online" in dokument.title


def test_an_incomplete_application_is_not_submitted(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto
) -> None:
    client = portal_factories.buerger_client(konto)
    antrag, _ = _beginnen(client, tenant, angebot)
    antwort = client.post(_url(antrag, "pruefen/"))
    assert antwort.status_code == 422
    html = antwort.content.decode()
    assert (
        "kann so noch nicht abgesendet werden" in html and "schritt/haushalt/#f-umgezogen" in html
    )
    antrag.refresh_from_db()
    assert antrag.status == "offen"
    assert not Stapel.objects.for_tenant(tenant).filter(source="portal").exists()


def test_another_citizens_application_is_not_found(
    tenant: Mandant, angebot: OnlineAngebot, konto: Buergerkonto
) -> None:
    antrag, weiter = _beginnen(portal_factories.buerger_client(konto), tenant, angebot)
    fremd = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    assert fremd.get(weiter).status_code == 404
    assert fremd.post(_url(antrag, "pruefen/")).status_code == 404
    assert fremd.get(_url(antrag, "eingangsbestaetigung.pdf")).status_code == 404


def test_the_administration_page_switches_a_form_online(
    tenant: Mandant,
    formular: Formular,
    admin_user: User,
    team: Organisationseinheit,
    team_caseworker: User,
) -> None:
    url = "/verwaltung/portal/online-antraege/"
    assert signed_in(team_caseworker).get(url).status_code in (403, 404)
    admin = signed_in(admin_user)
    html = admin.get(url).content.decode()
    assert formular.titel in html and "Nicht online angeboten" in html
    antwort = admin.post(url, {"formular": str(formular.pk), "unit": str(team.pk), "aktiv": "1"})
    assert antwort.status_code == 302
    angebot = OnlineAngebot.objects.for_tenant(tenant).get(formular=formular)
    assert angebot.aktiv and angebot.unit_id == team.pk and angebot.eingerichtet_von == admin_user
    assert "Online angeboten, Zuordnung" in admin.get(url).content.decode()
    admin.post(url, {"formular": str(formular.pk), "unit": str(team.pk), "aktiv": "0"})
    angebot.refresh_from_db()
    assert not angebot.aktiv


class Abbruch(Exception):
    """Stands for a process killed at a point of the submission."""


@pytest.mark.parametrize("punkt", ["gedruckt", "gespeichert", "eingeliefert", "eingereicht"])
def test_a_submission_interrupted_at_any_point_leaves_nothing_half_submitted(
    tenant: Mandant,
    angebot: OnlineAngebot,
    konto: Buergerkonto,
    punkt: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    client = portal_factories.buerger_client(konto)
    antrag, _ = _beginnen(client, tenant, angebot)
    _ausfuellen(client, antrag)

    def abbrechen(name: str) -> None:
        if name == punkt:
            raise Abbruch(name)

    monkeypatch.setattr(services, "step_reached", abbrechen)
    with pytest.raises(Abbruch):
        services.einreichen(actor=konto, antrag=antrag)
    antrag.refresh_from_db()
    assert antrag.status == "offen" and not antrag.pruefsumme
    assert not Stapel.objects.for_tenant(tenant).filter(source="portal").exists()
    assert not AuditEvent.objects.filter(action="portal.antrag.submit").exists()
    # the citizen tries again: submitted once, delivered once
    monkeypatch.undo()
    assert client.post(_url(antrag, "pruefen/")).status_code == 302
    antrag.refresh_from_db()
    assert antrag.status == "eingereicht"
    assert Stapel.objects.for_tenant(tenant).filter(source="portal").count() == 1
    assert blob_ledger.referenced(antrag.quittung_sha256)
