"""The paper path end to end (issue 17, item 4): a caseworker fills a form at the desk
for a person who signs on paper, submits it and prints the filed PDF from its page; the
printout is signed, scanned (pdftoppm at 300 dpi grey, a pen stroke drawn on it, turned
slightly, an image-only PDF as a scanner writes it) and delivered to the Posteingang as a
scan batch with its Lieferschein. The real pipeline (zxing reads the form's reply code,
tesseract the text) files it into the Akte and the Vorgang the submission opened,
without triage, searchable, the filing audited."""

from __future__ import annotations

import io
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.test import Client
from django.urls import reverse
from PIL import Image, ImageDraw

from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.forms.katalog import services as katalog
from koffer.forms.models import Einreichung, Entwurf, Formular
from koffer.inbox.models import Eingangsdokument
from koffer.inbox.verarbeitung import texterkennung
from koffer.inbox.verarbeitung.tasks import process_stapel
from koffer.records.models import Akte, Dokument
from koffer.tenancy.models import Mandant
from tests.conftest import signed_in
from tests.forms import formkern
from tests.forms.formkern import admin_access, akte, text
from tests.inbox import scans
from tests.inbox.conftest import Deliver, checked, deliver, poststelle, provider

__all__ = ["admin_access", "akte", "deliver", "poststelle", "provider"]

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.long,
    pytest.mark.skipif(bool(texterkennung.availability()), reason="Texterkennung fehlt"),
    pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm fehlt"),
]

SCAN_DPI = 300
MM = SCAN_DPI / 25.4
TITEL = "Weiterbewilligungsantrag (Test)"


@pytest.fixture
def formular(tenant: Mandant, plan: Any, admin_user: User, admin_access: Any) -> Formular:
    """The test form (it opens a Vorgang „Antrag“) with a signature at its end."""
    daten = formkern.definition("wba-papier")
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
    [ergebnis] = katalog.importieren(
        actor=admin_user, access=admin_access, tenant=tenant, daten=daten
    )
    return ergebnis.formular


def _ausgefuellt_und_gedruckt(client: Client, akte: Akte, formular: Formular) -> Einreichung:
    """At the desk: the form chosen on the Akte, filled step by step, „auf Papier
    unterschreiben“ chosen, submitted."""
    antwort = client.post(
        reverse("forms:entwurf_beginnen", args=[akte.pk]), {"formular": str(formular.pk)}
    )
    assert antwort.status_code == 302
    entwurf = Entwurf.objects.for_tenant(akte.tenant_id).get(akte=akte)
    schritte = {
        "person": {"f-nachname": "Beispiel", "f-vorname": "Anna"},
        "haushalt": {"f-umgezogen": "nein"},
        "einkommen": {"f-lohn": "1.234,50"},
        "abschluss": {"f-unterschrift-art": "papier"},
    }
    for schritt, post in schritte.items():
        url = reverse("forms:entwurf_schritt", args=[entwurf.pk, schritt])
        assert client.post(url, post).status_code == 302, schritt
    antwort = client.post(reverse("forms:entwurf_pruefen", args=[entwurf.pk]))
    assert antwort.status_code == 302, antwort.content.decode()[:2000]
    einreichung = Einreichung.objects.for_tenant(akte.tenant_id).get(entwurf=entwurf)
    assert einreichung.vorgang is not None  # the form opened its Vorgang
    return einreichung


def _gedruckt(client: Client, einreichung: Einreichung) -> bytes:
    """The PDF behind „PDF ansehen“ on the submission's confirmation: what is printed."""
    seite = client.get(reverse("forms:einreichung", args=[einreichung.pk])).content.decode()
    download = reverse("records:dokument_download", args=[einreichung.dokument_id])
    assert download in seite
    antwort = client.get(download)
    assert antwort.status_code == 200
    pdf = b"".join(antwort.streaming_content) if antwort.streaming else antwort.content
    assert pdf.startswith(b"%PDF")
    return pdf


def _unterschrieben_und_gescannt(pdf: bytes) -> bytes:
    """Every page as the scanner sees it (300 dpi grey), a pen stroke on page 1, the
    sheets a little askew: an image-only PDF."""
    with tempfile.TemporaryDirectory() as ordner:
        quelle = Path(ordner) / "formular.pdf"
        quelle.write_bytes(pdf)
        subprocess.run(
            ["pdftoppm", "-r", str(SCAN_DPI), "-gray", "-png", str(quelle), f"{ordner}/seite"],
            check=True,
            timeout=120,
        )
        seiten = []
        for png in sorted(Path(ordner).glob("seite*.png")):
            with Image.open(png) as bild:
                seiten.append(bild.convert("L"))
    stift = ImageDraw.Draw(seiten[0])
    unten = seiten[0].height - int(45 * MM)
    links = int(110 * MM)
    stift.line(
        [
            (links, unten),
            (links + int(12 * MM), unten - int(9 * MM)),
            (links + int(22 * MM), unten + int(2 * MM)),
            (links + int(35 * MM), unten - int(11 * MM)),
            (links + int(60 * MM), unten - int(3 * MM)),
        ],
        fill=20,
        width=7,
        joint="curve",
    )
    gedreht = [s.rotate(0.7, resample=Image.Resampling.BICUBIC, fillcolor=255) for s in seiten]
    ausgabe = io.BytesIO()
    gedreht[0].save(
        ausgabe, format="PDF", save_all=True, append_images=gedreht[1:], resolution=SCAN_DPI
    )
    return ausgabe.getvalue()


def test_a_form_signed_on_paper_and_scanned_is_filed_into_its_akte_and_vorgang(
    formular: Formular, akte: Akte, team_caseworker: User, tenant: Mandant, deliver: Deliver
) -> None:
    client = signed_in(team_caseworker)
    einreichung = _ausgefuellt_und_gedruckt(client, akte, formular)
    scan = _unterschrieben_und_gescannt(_gedruckt(client, einreichung))
    files = {"0001.pdf": scan}
    with pikepdf.open(io.BytesIO(scan)) as gelesen:
        pages = {"0001.pdf": len(gelesen.pages)}
    stapel = checked(deliver(files, scans.manifest(files, pages=pages)).stapel)

    process_stapel(stapel=stapel)

    [doc] = Eingangsdokument.objects.for_tenant(tenant).all()
    assert doc.state == Eingangsdokument.State.ABGELEGT, (doc.state, doc.reason)
    assert doc.antwortcode is not None
    assert doc.antwortcode["akte_id"] == str(akte.pk)
    assert doc.antwortcode["vorgang_id"] == str(einreichung.vorgang_id)
    assert doc.filed_rule == "Antwortcode eines koffer-Schreibens"  # no triage
    gescannt = Dokument.objects.for_tenant(tenant).get(pk=doc.dokument_id)
    assert (gescannt.akte_id, gescannt.vorgang_id) == (akte.pk, einreichung.vorgang_id)
    assert gescannt.source == Dokument.Source.SCAN
    assert gescannt.direction == Dokument.Direction.INCOMING
    # searchable: the OCR text carries the form's title, and the search finds the scan
    assert "Weiterbewilligungsantrag" in doc.text
    treffer = client.get(reverse("records:suche"), {"q": "Weiterbewilligungsantrag"})
    assert reverse("records:dokument", args=[gescannt.pk]) in treffer.content.decode()
    # the filing is in the audit trail, naming the Akte, the Vorgang and the document
    [event] = AuditEvent.objects.filter(tenant_id=tenant.pk, action="inbox.dokument.file")
    assert event.changes["akte"] == str(akte.pk)
    assert event.changes["vorgang"] == str(einreichung.vorgang_id)
    assert event.changes["dokument"] == str(gescannt.pk)
