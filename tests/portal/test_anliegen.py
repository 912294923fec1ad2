"""„Mein Anliegen“ (issue 19, item 3): the citizen follows each application as a timeline
(received, filed, in progress, documents missing — with what exactly —, decided), sees
what they sent, and answers a request for documents by uploading per item; the answer
arrives through the Posteingang in the request's Akte and Vorgang."""

from __future__ import annotations

import io
import re
from datetime import timedelta
from typing import Any

import pikepdf
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.inbox.models import Eingangsdokument, Stapel
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.portal.anliegen import services as anliegen
from koffer.portal.errors import Forbidden
from koffer.portal.models import (
    Antrag,
    Buergerkonto,
    Nachforderung,
    NachforderungDatei,
    NachforderungPosten,
    OnlineAngebot,
)
from koffer.records import services as records
from koffer.records.models import Akte, Dokument, Vorgang, Wiedervorlage
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.factories import portal as portal_factories
from tests.forms.formkern import admin_access, akte, other_team_caseworker
from tests.portal.test_antrag import _ausfuellen, _beginnen, _url, angebot, formular, konto

__all__ = ["admin_access", "akte", "angebot", "formular", "konto", "other_team_caseworker"]

pytestmark = pytest.mark.django_db


def _jobs(tenant: Mandant) -> None:
    for job in Job.objects.for_tenant(tenant).filter(kind="inbox.online", status="waiting"):
        runner.execute(job.pk)


def _png(name: str = "lohn.png") -> SimpleUploadedFile:
    puffer = io.BytesIO()
    Image.new("RGB", (60, 90), (10, 120, 10)).save(puffer, format="PNG")
    return SimpleUploadedFile(name, puffer.getvalue(), content_type="image/png")


def _pdf(name: str = "miete.pdf") -> SimpleUploadedFile:
    doc = pikepdf.new()
    doc.add_blank_page(page_size=(595, 842))
    doc.add_blank_page(page_size=(595, 842))
    puffer = io.BytesIO()
    doc.save(puffer)
    return SimpleUploadedFile(name, puffer.getvalue(), content_type="application/pdf")


def _eingereicht(client: Client, tenant: Mandant, angebot: OnlineAngebot) -> Antrag:
    antrag, _ = _beginnen(client, tenant, angebot)
    _ausfuellen(client, antrag)
    assert client.post(_url(antrag, "pruefen/")).status_code == 302
    antrag.refresh_from_db()
    return antrag


def _schritte(html: str) -> list[tuple[str, str]]:
    """The timeline as (title, state) in order."""
    return re.findall(
        r'<h3 class="kern-heading-small">([^<]+?) <span[^>]*>\(([^)]+)\)</span></h3>', html
    )


def _vorgang(antrag: Antrag) -> Vorgang:
    eingang = Eingangsdokument.objects.for_tenant(antrag.tenant_id).get(pk=antrag.eingang_id)
    assert eingang.vorgang_id is not None
    return (
        Vorgang.objects.for_tenant(antrag.tenant_id)
        .select_related("akte")
        .get(pk=eingang.vorgang_id)
    )


def _anfordern(caseworker: User, vorgang: Vorgang, frist: Any) -> Any:
    return signed_in(caseworker).post(
        f"/verwaltung/portal/vorgaenge/{vorgang.pk}/unterlagen-anfordern/",
        {
            "posten": "Lohnabrechnungen Oktober und November\nMietbescheinigung\n",
            "frist": frist.isoformat(),
            "hinweis": "Fotos mit dem Handy genügen.",
        },
    )


@pytest.fixture
def verknuepft(konto: Buergerkonto, akte: Akte) -> Buergerkonto:
    konto.person = akte.subjects.get()
    konto.save()
    return konto


def test_the_timeline_from_submission_to_decision(
    tenant: Mandant,
    angebot: OnlineAngebot,
    verknuepft: Buergerkonto,
    akte: Akte,
    team_caseworker: User,
) -> None:
    client = portal_factories.buerger_client(verknuepft)
    antrag = _eingereicht(client, tenant, angebot)
    seite = _url(antrag, "")
    assert _schritte(client.get(seite).content.decode()) == [
        ("Eingegangen", "erledigt"),
        ("Zugeordnet", "aktueller Stand"),
        ("In Bearbeitung", "noch offen"),
        ("Entschieden", "noch offen"),
    ]
    # filed: the online application opened a Vorgang of the form's type in the Akte
    _jobs(tenant)
    vorgang = _vorgang(antrag)
    assert vorgang.akte_id == akte.pk and vorgang.typ.code == "antrag"
    dokument = Dokument.objects.for_tenant(tenant).get(akte=akte, vorgang=vorgang)
    assert "online" in dokument.title
    html = client.get(seite).content.decode()
    assert _schritte(html) == [
        ("Eingegangen", "erledigt"),
        ("Zugeordnet", "erledigt"),
        ("In Bearbeitung", "aktueller Stand"),
        ("Entschieden", "noch offen"),
    ]
    assert "Eingangsbestätigung" in html
    assert client.get(_url(antrag, "eingangsbestaetigung.pdf")).status_code == 200
    assert AuditEvent.objects.filter(
        action="read", reason="Eingangsbestätigung herunterladen"
    ).exists()
    liste = client.get(f"/portal/{tenant.slug}/antraege/").content.decode()
    assert "Stand: <strong>In Bearbeitung</strong>" in liste
    # the caseworker asks for documents from the Vorgang's page
    vorgang_seite = signed_in(team_caseworker).get(f"/vorgaenge/{vorgang.pk}/").content.decode()
    assert "Unterlagen anfordern (Online-Dienste)" in vorgang_seite
    frist = timezone.localdate() + timedelta(days=14)
    assert _anfordern(team_caseworker, vorgang, frist).status_code == 302
    nf = Nachforderung.objects.for_tenant(tenant).get(antrag=antrag)
    wv = Wiedervorlage.objects.for_tenant(tenant).get(pk=nf.wiedervorlage_id)
    assert wv.due_date == frist and wv.assignee == team_caseworker and wv.vorgang_id == vorgang.pk
    html = client.get(seite).content.decode()
    assert ("Unterlagen fehlen", "aktueller Stand") in _schritte(html)
    assert "Lohnabrechnungen Oktober und November" in html and "Mietbescheinigung" in html
    assert f"{frist:%d.%m.%Y}" in html
    # the citizen answers each item with files and sends
    nf_url = f"/portal/{tenant.slug}/unterlagen/{nf.pk}/"
    lohn, miete = NachforderungPosten.objects.for_tenant(tenant).filter(nachforderung=nf)
    seite_nf = client.get(nf_url).content.decode()
    assert "Fotos mit dem Handy genügen." in seite_nf
    for posten, datei in ((lohn, _png()), (miete, _pdf())):
        antwort = client.post(
            nf_url, {"aktion": "hochladen", "posten": str(posten.pk), "dateien": [datei]}
        )
        assert antwort.status_code == 302, antwort.content.decode()[:2000]
    assert client.post(nf_url, {"aktion": "senden"}).status_code == 302
    assert client.post(nf_url, {"aktion": "senden"}).status_code == 302  # twice: once sent
    stapel = Stapel.objects.for_tenant(tenant).filter(batch_id__startswith="nachforderung-")
    assert stapel.count() == 2
    assert AuditEvent.objects.filter(action="portal.nachforderung.answer").count() == 1
    _jobs(tenant)
    nf.refresh_from_db()
    assert nf.status == "beantwortet"
    for posten, seiten in ((lohn, 1), (miete, 2)):
        posten.refresh_from_db()
        eingang = Eingangsdokument.objects.for_tenant(tenant).get(pk=posten.eingang_id)
        assert eingang.state == Eingangsdokument.State.ABGELEGT, eingang.reason
        dokument = Dokument.objects.for_tenant(tenant).get(pk=eingang.dokument_id)
        assert dokument.akte_id == akte.pk and dokument.vorgang_id == vorgang.pk
        assert posten.text in dokument.title and dokument.page_count == seiten
    wv.refresh_from_db()
    assert wv.done_at is not None
    assert (
        Wiedervorlage.objects.for_tenant(tenant)
        .filter(
            assignee=team_caseworker,
            note__startswith="Unterlagen eingegangen",
            done_at__isnull=True,
        )
        .exists()
    )
    html = client.get(seite).content.decode()
    assert ("Unterlagen fehlen", "erledigt") in _schritte(html)
    assert ("Unterlagen gesendet", "erledigt") in _schritte(html)
    assert "lohn.png" in html and "miete.pdf" in html
    # the files sent are downloadable again, audited
    datei = NachforderungDatei.objects.for_tenant(tenant).get(name="miete.pdf")
    download = client.get(f"/portal/{tenant.slug}/unterlagen/dateien/{datei.pk}/")
    assert download.status_code == 200 and b"".join(download.streaming_content).startswith(b"%PDF")
    assert AuditEvent.objects.filter(action="read", reason__contains="miete.pdf").exists()
    # decided: the Vorgang closed
    records.change_vorgang_status(
        actor=team_caseworker, vorgang=vorgang, status=Vorgang.Status.DONE, note="intern: bewilligt"
    )
    html = client.get(seite).content.decode()
    assert _schritte(html)[-1] == ("Entschieden", "erledigt")
    assert "intern" not in html  # a note of the Vorgang is the office's
    assert AuditEvent.objects.filter(
        action="read", actor_id=verknuepft.pk, reason="Online-Dienste: Stand des Antrags"
    ).exists()


@pytest.fixture
def angefordert(
    tenant: Mandant,
    angebot: OnlineAngebot,
    verknuepft: Buergerkonto,
    team_caseworker: User,
) -> Nachforderung:
    antrag = _eingereicht(portal_factories.buerger_client(verknuepft), tenant, angebot)
    _jobs(tenant)
    vorgang = _vorgang(antrag)
    return anliegen.nachfordern(
        actor=team_caseworker,
        access=Access.for_user(team_caseworker.pk, tenant.pk),
        vorgang=vorgang,
        posten=["Mietbescheinigung"],
        frist=timezone.localdate() + timedelta(days=7),
    )


def test_a_refused_upload_says_why_and_nothing_is_sent(
    tenant: Mandant, verknuepft: Buergerkonto, angefordert: Nachforderung
) -> None:
    client = portal_factories.buerger_client(verknuepft)
    url = f"/portal/{tenant.slug}/unterlagen/{angefordert.pk}/"
    [posten] = angefordert.posten.all()
    kaputt = SimpleUploadedFile("miete.pdf", b"%PDF-1.7\nkaputt", content_type="application/pdf")
    antwort = client.post(
        url, {"aktion": "hochladen", "posten": str(posten.pk), "dateien": [kaputt]}
    )
    assert antwort.status_code == 422
    html = antwort.content.decode()
    assert "miete.pdf" in html and "Es wurde nichts gesendet." in html
    text = SimpleUploadedFile("notiz.txt", b"hallo", content_type="text/plain")
    antwort = client.post(url, {"aktion": "hochladen", "posten": str(posten.pk), "dateien": [text]})
    assert antwort.status_code == 422 and "Dateityp" in antwort.content.decode()
    assert not NachforderungDatei.objects.for_tenant(tenant).exists()
    antwort = client.post(url, {"aktion": "senden"})
    assert antwort.status_code == 422
    assert "mindestens eine Datei" in antwort.content.decode()
    assert (
        not Stapel.objects.for_tenant(tenant).filter(batch_id__startswith="nachforderung-").exists()
    )
    angefordert.refresh_from_db()
    assert angefordert.status == "offen"


def test_uploads_to_a_request_count_against_the_hourly_upload_limit(
    tenant: Mandant, verknuepft: Buergerkonto, angefordert: Nachforderung, settings: Any
) -> None:
    settings.KOFFER_PORTAL_LIMITS = {**settings.KOFFER_PORTAL_LIMITS, "upload": (2, 3600)}
    client = portal_factories.buerger_client(verknuepft)
    url = f"/portal/{tenant.slug}/unterlagen/{angefordert.pk}/"
    [posten] = angefordert.posten.all()
    erste = client.post(
        url, {"aktion": "hochladen", "posten": str(posten.pk), "dateien": [_png(), _pdf()]}
    )
    assert erste.status_code == 302
    zu_viel = client.post(
        url, {"aktion": "hochladen", "posten": str(posten.pk), "dateien": [_png("dritte.png")]}
    )
    assert zu_viel.status_code == 429 and int(zu_viel["Retry-After"]) > 0
    assert "zu viele Dateien" in zu_viel.content.decode()
    assert NachforderungDatei.objects.for_tenant(tenant).count() == 2


def test_sending_again_after_a_part_was_sent_answers_as_it_stands(
    tenant: Mandant,
    angebot: OnlineAngebot,
    verknuepft: Buergerkonto,
    team_caseworker: User,
) -> None:
    antrag = _eingereicht(portal_factories.buerger_client(verknuepft), tenant, angebot)
    _jobs(tenant)
    nf = anliegen.nachfordern(
        actor=team_caseworker,
        access=Access.for_user(team_caseworker.pk, tenant.pk),
        vorgang=_vorgang(antrag),
        posten=["Mietbescheinigung", "Kontoauszug"],
        frist=timezone.localdate() + timedelta(days=7),
    )
    miete, _konto = nf.posten.order_by("position")
    anliegen.hochladen(actor=verknuepft, nachforderung=nf, posten_id=miete.pk, dateien=[_pdf()])
    anliegen.beantworten(actor=verknuepft, nachforderung=nf)
    lieferungen = Stapel.objects.for_tenant(tenant).filter(batch_id__startswith="nachforderung-")
    assert lieferungen.count() == 1

    again = anliegen.beantworten(actor=verknuepft, nachforderung=nf)

    assert again.status == Nachforderung.Status.OFFEN  # the account statement is still missing
    assert lieferungen.count() == 1


def test_another_account_or_a_person_no_longer_represented_gets_404(
    tenant: Mandant, verknuepft: Buergerkonto, angefordert: Nachforderung
) -> None:
    client = portal_factories.buerger_client(verknuepft)
    [posten] = angefordert.posten.all()
    url = f"/portal/{tenant.slug}/unterlagen/{angefordert.pk}/"
    assert (
        client.post(
            url, {"aktion": "hochladen", "posten": str(posten.pk), "dateien": [_png()]}
        ).status_code
        == 302
    )
    datei = NachforderungDatei.objects.for_tenant(tenant).get()
    datei_url = f"/portal/{tenant.slug}/unterlagen/dateien/{datei.pk}/"
    antrag_url = _url(angefordert.antrag, "")
    assert client.get(datei_url).status_code == 200
    fremd = portal_factories.buerger_client(portal_factories.buergerkonto(tenant))
    for ziel in (url, datei_url, antrag_url):
        assert fremd.get(ziel).status_code == 404, ziel
    assert fremd.post(url, {"aktion": "senden"}).status_code == 404
    # the account no longer acts for the Akte's person: the request is gone for it
    verknuepft.person = None
    verknuepft.save()
    assert client.get(url).status_code == 404
    assert client.get(datei_url).status_code == 404
    assert client.post(url, {"aktion": "senden"}).status_code == 404
    assert "Unterlagen fehlen" not in client.get(antrag_url).content.decode()


def test_staff_who_may_not_edit_the_akte_cannot_request(
    tenant: Mandant,
    angebot: OnlineAngebot,
    verknuepft: Buergerkonto,
    other_team_caseworker: User,
    team_caseworker: User,
) -> None:
    antrag = _eingereicht(portal_factories.buerger_client(verknuepft), tenant, angebot)
    _jobs(tenant)
    vorgang = _vorgang(antrag)
    frist = timezone.localdate() + timedelta(days=7)
    assert _anfordern(other_team_caseworker, vorgang, frist).status_code == 404
    with pytest.raises(Forbidden):
        anliegen.nachfordern(
            actor=other_team_caseworker,
            access=Access.for_user(other_team_caseworker.pk, tenant.pk),
            vorgang=vorgang,
            posten=["Mietbescheinigung"],
            frist=frist,
        )
    # a past deadline is refused with its reason
    gestern = timezone.localdate() - timedelta(days=1)
    antwort = _anfordern(team_caseworker, vorgang, gestern)
    assert antwort.status_code == 422 and "in der Vergangenheit" in antwort.content.decode()
    # a closed Akte takes no request either
    records.change_akte(
        actor=team_caseworker, akte=vorgang.akte, status=Akte.Status.CLOSED, reason="erledigt"
    )
    vorgang.refresh_from_db()
    antwort = _anfordern(team_caseworker, vorgang, frist)
    assert antwort.status_code == 403
    assert not Nachforderung.objects.for_tenant(tenant).exists()
    assert not AuditEvent.objects.filter(action="portal.nachforderung.create").exists()


def test_my_applications_page_reads_in_a_fixed_number_of_queries(
    tenant: Mandant, verknuepft: Buergerkonto, angefordert: Nachforderung
) -> None:
    client = portal_factories.buerger_client(verknuepft)
    url = f"/portal/{tenant.slug}/antraege/"

    def gezaehlt() -> int:
        with CaptureQueriesContext(connection) as abfragen:
            assert client.get(url).status_code == 200
        return len(abfragen)

    eine = gezaehlt()
    for _ in range(3):  # more applications, each with a request for documents
        portal_factories.nachforderung(verknuepft, angefordert.vorgang.akte)
    html = client.get(url).content.decode()
    assert html.count("Stand: <strong>") == 4
    assert gezaehlt() == eine
