"""A submitted form (and a released letter) printed on a local printer (the Koffer's, named by the setting
``KOFFER_DRUCKER``) on a real IPP printer (ippeveprinter): the button on the submission's
page only where a printer exists, the filed PDF byte for byte in the printer's spool, the
print's state on the page, a second print only „nochmals“ with a reason; nobody outside
the Akte's reach prints it."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.forms.ausfuellen import services as ausfuellen
from koffer.forms.models import Einreichung, Formular
from koffer.jobs import runner
from koffer.outbox.lokaldruck import services, virtuell
from koffer.outbox.models import Brief, Druckauftrag, Drucker
from koffer.records.models import Akte, DokumentVersion
from tests.conftest import signed_in
from tests.forms.formkern import admin_access, akte, formular, other_team_caseworker
from tests.outbox.lokaldruck.conftest import needs_printer

__all__ = ["admin_access", "akte", "formular", "other_team_caseworker"]

pytestmark = [pytest.mark.django_db]


def _eingereicht(formular: Formular, akte: Akte, actor: User) -> Einreichung:
    entwurf = ausfuellen.entwurf_beginnen(actor=actor, formular=formular, akte=akte)
    ausfuellen.schritt_speichern(
        actor=actor, entwurf=entwurf, schritt="haushalt", antworten={"umgezogen": "nein"}
    )
    ausfuellen.schritt_speichern(
        actor=actor, entwurf=entwurf, schritt="einkommen", antworten={"lohn": "1.234,5"}
    )
    return ausfuellen.einreichen(actor=actor, entwurf=entwurf, kanal="koffer")


def _seite(client: Client, einreichung: Einreichung) -> str:
    antwort = client.get(reverse("forms:einreichung", args=[einreichung.pk]))
    assert antwort.status_code == 200
    return antwort.content.decode()


@needs_printer
def test_a_submitted_form_prints_on_the_koffer_printer_byte_for_byte(
    formular: Formular,
    akte: Akte,
    team_caseworker: User,
    settings: Any,
    virtueller_drucker: virtuell.VirtuellerDrucker,
) -> None:
    settings.KOFFER_DRUCKER = virtueller_drucker.uri
    einreichung = _eingereicht(formular, akte, team_caseworker)
    client = signed_in(team_caseworker)
    drucken = reverse("outbox:dokument_drucken", args=[einreichung.dokument_id])
    seite = _seite(client, einreichung)
    assert "Auf dem Koffer-Drucker drucken" in seite and f'action="{drucken}"' in seite
    assert 'name="druck-drucker" value="einstellung"' in seite

    antwort = client.post(drucken, {"druck-drucker": "einstellung"})
    assert antwort.status_code == 302 and antwort["Location"] == drucken
    drucker = Drucker.objects.for_tenant(akte.tenant_id).get(name="Koffer-Drucker")
    assert drucker.uri == virtueller_drucker.uri
    auftrag = Druckauftrag.objects.for_tenant(akte.tenant_id).get(dokument=einreichung.dokument_id)
    assert auftrag.brief is None and auftrag.job_id is not None
    assert runner.execute(auftrag.job_id) == "done"
    auftrag.refresh_from_db()
    assert auftrag.status == Druckauftrag.Status.GEDRUCKT, auftrag.meldung

    [pdf] = virtueller_drucker.pdfs()
    version = DokumentVersion.objects.for_tenant(akte.tenant_id).get(
        dokument=einreichung.dokument_id
    )
    with get_store().open(version.pdf_sha256 or version.sha256) as abgelegt:
        assert pdf.read_bytes() == abgelegt.read()
    sent = virtueller_drucker.attributes(pdf)
    assert sent["IPP_JOB_NAME"].startswith(akte.aktenzeichen)
    assert sent["IPP_JOB_ORIGINATING_USER_NAME"] == team_caseworker.username
    actions = set(
        AuditEvent.objects.filter(
            tenant_id=akte.tenant_id, action__startswith="outbox."
        ).values_list("action", flat=True)
    )
    assert {"outbox.drucker.create", "outbox.dokument.drucken"} <= actions
    assert "outbox.dokument.lokal_gedruckt" in actions

    # The page shows the print's state; the button now names the row, a second print
    # needs „nochmals“ and a reason.
    seite = client.get(drucken).content.decode()
    assert 'data-druckstand="gedruckt"' in seite and "Koffer-Drucker" in seite
    assert "Auf dem Koffer-Drucker drucken" in _seite(client, einreichung)
    wahl = {"druck-drucker": str(drucker.pk)}
    client.post(drucken, wahl)
    assert Druckauftrag.objects.for_tenant(akte.tenant_id).count() == 1
    client.post(drucken, {**wahl, "druck-nochmals": "on", "druck-grund": ""})
    assert Druckauftrag.objects.for_tenant(akte.tenant_id).count() == 1
    client.post(drucken, {**wahl, "druck-nochmals": "on", "druck-grund": "Kopie für Frau B."})
    assert Druckauftrag.objects.for_tenant(akte.tenant_id).count() == 2


def test_no_button_without_a_printer_and_no_print_outside_the_akte(
    formular: Formular,
    akte: Akte,
    team_caseworker: User,
    other_team_caseworker: User,
    settings: Any,
) -> None:
    settings.KOFFER_DRUCKER = ""
    einreichung = _eingereicht(formular, akte, team_caseworker)
    drucken = reverse("outbox:dokument_drucken", args=[einreichung.dokument_id])
    client = signed_in(team_caseworker)
    assert drucken not in _seite(client, einreichung)
    seite = client.get(drucken).content.decode()
    assert "kein Drucker eingerichtet" in seite and 'name="druck-drucker"' not in seite

    settings.KOFFER_DRUCKER = "ipp://127.0.0.1:9/ipp/print"
    fremd = signed_in(other_team_caseworker)
    assert fremd.get(drucken).status_code == 404
    assert fremd.post(drucken, {"druck-drucker": "einstellung"}).status_code == 404
    assert not Drucker.objects.for_tenant(akte.tenant_id).exists()
    assert not Druckauftrag.objects.for_tenant(akte.tenant_id).exists()


@needs_printer
def test_a_released_letter_prints_on_the_koffer_printer_too(
    team_caseworker: User,
    brief: Brief,
    settings: Any,
    virtueller_drucker: virtuell.VirtuellerDrucker,
) -> None:
    settings.KOFFER_DRUCKER = virtueller_drucker.uri
    client = signed_in(team_caseworker)
    seite = client.get(reverse("outbox:brief", args=[brief.pk])).content.decode()
    assert "Auf dem Koffer-Drucker drucken" in seite
    antwort = client.post(
        reverse("outbox:brief_drucken", args=[brief.pk]), {"druck-drucker": "einstellung"}
    )
    assert antwort.status_code == 302
    auftrag = Druckauftrag.objects.for_tenant(brief.tenant_id).get(brief=brief)
    assert auftrag.drucker.name == "Koffer-Drucker" and auftrag.job_id is not None
    assert runner.execute(auftrag.job_id) == "done"
    [pdf] = virtueller_drucker.pdfs()
    assert pdf.read_bytes() == services.pdf_of(brief)
    brief.refresh_from_db()
    assert brief.status == Brief.Status.GEDRUCKT


def test_a_filed_pdf_has_im_koffer_drucken_on_its_page_only_on_a_koffer(
    formular: Formular, akte: Akte, team_caseworker: User, settings: Any
) -> None:
    """The E-Akte's document page carries the Postausgang's „Im Koffer drucken“ (through
    ``records.erweiterungen``) on a Koffer, for a filed PDF the user may print."""
    from koffer.records.dokumente import services as documents

    settings.KOFFER_DRUCKER = "ipp://localhost:8631/ipp/print"
    einreichung = _eingereicht(formular, akte, team_caseworker)
    client = signed_in(team_caseworker)
    seite = reverse("records:dokument", args=[einreichung.dokument_id])
    drucken = reverse("outbox:dokument_drucken", args=[einreichung.dokument_id])
    link = f'href="{drucken}"'

    im_buero = client.get(seite).content.decode()
    assert "Im Koffer drucken" not in im_buero and link not in im_buero

    settings.KOFFER_MODE = "koffer"
    im_koffer = client.get(seite).content.decode()
    assert "Im Koffer drucken" in im_koffer and link in im_koffer
    druckseite = client.get(drucken)
    assert druckseite.status_code == 200
    assert "Auf dem Koffer-Drucker drucken" in druckseite.content.decode()

    assert einreichung.dokument is not None
    documents.cancel_dokument(
        actor=team_caseworker, dokument=einreichung.dokument, reason="doppelt abgelegt"
    )
    storniert = client.get(seite).content.decode()
    assert "Im Koffer drucken" not in storniert
