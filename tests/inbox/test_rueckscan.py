"""Rückscan: Deckblätter printed (a real PDF whose QR code zxing reads), a Rückscan batch
of scanned paper files split at its Deckblätter and filed into their Akten with real OCR,
an unknown Aktenzeichen in triage, the rollout per Standort, page and API."""

from __future__ import annotations

import io
import json
import random
import subprocess
from pathlib import Path
from typing import Any

import pikepdf
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from PIL import Image

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.audit.models import AuditEvent
from koffer.blobs.store import get_store
from koffer.demo.records import pdf_bytes
from koffer.inbox.errors import InboxError
from koffer.inbox.klaerung import services as klaerung
from koffer.inbox.lieferung import manifest
from koffer.inbox.models import Eingangsdokument, Problem, Protokolleintrag, Rueckscanakte, Stapel
from koffer.inbox.rueckscan import deckblatt, pdf, selectors, services, trennung
from koffer.inbox.verarbeitung import codes, protokoll, seiten, texterkennung
from koffer.inbox.verarbeitung.codes import Code
from koffer.inbox.verarbeitung.tasks import process_stapel
from koffer.records import antwortcode
from koffer.records import services as records
from koffer.records.models import AccessLevel, Akte, Dokument, Wiedervorlage
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant
from tests import factories
from tests.api.jsonschema_check import errors
from tests.conftest import signed_in
from tests.factories import records as record_factories
from tests.inbox import scans
from tests.inbox.conftest import Deliver, checked

pytestmark = pytest.mark.django_db
State = Eingangsdokument.State


class Site:
    def __init__(self, tenant: Mandant) -> None:
        self.plan = plan = record_factories.leistungsplan(tenant)
        root = factories.root_unit(tenant)
        self.nord = tenancy.create_unit(
            actor=None, tenant=tenant, parent=root, name="Standort Nord", kind="standort"
        )
        self.sued = tenancy.create_unit(
            actor=None, tenant=tenant, parent=root, name="Standort Süd", kind="standort"
        )
        self.team_nord = factories.unit(tenant, "Leistung Nord", parent=self.nord)
        self.team_sued = factories.unit(tenant, "Leistung Süd", parent=self.sued)
        self.worker = factories.user(tenant, role="sachbearbeitung", unit_=self.team_nord)
        worker_sued = factories.user(tenant, role="sachbearbeitung", unit_=self.team_sued)
        self.one = record_factories.akte(
            caseworker=self.worker, plan=plan, unit=self.team_nord, family_name="Kowalski"
        )
        self.two = record_factories.akte(
            caseworker=self.worker, plan=plan, unit=self.team_nord, family_name="Brandt"
        )
        self.south = record_factories.akte(
            caseworker=worker_sued, plan=plan, unit=self.team_sued, family_name="Yilmaz"
        )
        # Restricted: the mail room prints for every other open Akte, not for this one.
        Akte.objects.for_tenant(tenant).filter(pk=self.south.pk).update(
            access_level=AccessLevel.RESTRICTED
        )
        self.south.refresh_from_db()
        self.west = record_factories.akte(
            caseworker=worker_sued, plan=plan, unit=self.team_sued, family_name="Weber"
        )
        # Plans the Rückscan in the north: mail room there, and reads its Akten.
        self.planner = factories.user(tenant, role="poststelle", unit_=self.nord)
        factories.add_role(self.planner, tenant, "sachbearbeitung", self.team_nord)


@pytest.fixture
def site(tenant: Mandant) -> Site:
    return Site(tenant)


def _access(user: User, tenant: Mandant) -> Access:
    return Access.for_user(user.pk, tenant.pk)


def _printed(site: Site, tenant: Mandant, *akten: Akte) -> bytes:
    return services.print_deckblaetter(
        actor=site.planner,
        access=_access(site.planner, tenant),
        tenant=tenant,
        akte_ids=[a.pk for a in akten],
    )


# --- the code ------------------------------------------------------------------------------


def test_the_code_is_signed_for_its_mandant_and_is_no_separator_or_reply_code(
    tenant: Mandant, other_tenant: Mandant
) -> None:
    text = deckblatt.encode(tenant.pk, "50.10-2026/0001")
    assert text.startswith("KOFFER:R1:50.10-2026/0001:")
    assert deckblatt.read(text, tenant.pk) == deckblatt.Deckblatt("50.10-2026/0001", True)
    assert deckblatt.read(text, other_tenant.pk) == deckblatt.Deckblatt("50.10-2026/0001", False)
    forged = text.replace("0001:", "0002:")
    assert deckblatt.read(forged, tenant.pk) == deckblatt.Deckblatt("50.10-2026/0002", False)
    assert deckblatt.read("KOFFER-TRENNBLATT", tenant.pk) is None
    assert deckblatt.read("KOFFER:A1:AAAA:BBBB", tenant.pk) is None
    assert antwortcode.decode(text) is None


def test_split_at_deckblaetter_keeps_every_page_and_reports_the_odd_ones(tenant: Mandant) -> None:
    a = deckblatt.encode(tenant.pk, "AZ-1")
    b = deckblatt.encode(tenant.pk, "AZ-2")
    found = trennung.split(
        8,
        [
            Code(2, "QRCode", a),
            Code(3, "QRCode", "KOFFER-TRENNBLATT"),
            Code(5, "QRCode", b),
            Code(6, "QRCode", b),
        ],
        tenant.pk,
    )
    parts = found.trennung
    assert [t.pages for t in parts.teile] == [(0, 1), (3, 4), (7,)]
    assert parts.separators == [2, 5, 6]
    assert [c.text if c else None for c in found.deckblaetter] == [None, a, b]
    assert [code for code, _ in parts.problems] == ["ohne_deckblatt", "deckblatt_ohne_seiten"]
    everything = sorted([p for t in parts.teile for p in t.pages] + parts.separators)
    assert everything == list(range(8))
    last = trennung.split(2, [Code(1, "QRCode", a)], tenant.pk).trennung
    assert [t.pages for t in last.teile] == [(0,)]
    assert "keine Seite mehr" in last.problems[-1][1]


# --- the Deckblatt PDF ----------------------------------------------------------------------


def test_a_deckblatt_is_printed_read_back_and_plans_its_akte(tenant: Mandant, site: Site) -> None:
    data = _printed(site, tenant, site.one, site.two)
    text = subprocess.run(
        ["pdftotext", "-", "-"], input=data, capture_output=True, check=True
    ).stdout.decode()
    assert site.one.aktenzeichen in text and site.two.aktenzeichen in text
    assert site.one.title in text and "Leistung Nord" in text and "Standort Nord" in text
    assert "Hinweis für den Scan-Dienstleister" in text
    assert seiten.page_count(data) == 2
    found = codes.read_codes(data)
    assert [(c.page, c.text) for c in found] == [
        (0, deckblatt.encode(tenant.pk, site.one.aktenzeichen)),
        (1, deckblatt.encode(tenant.pk, site.two.aktenzeichen)),
    ]
    rows = Rueckscanakte.objects.for_tenant(tenant)
    assert {(r.akte_id, r.standort_id, r.state, r.printed) for r in rows} == {
        (site.one.pk, site.nord.pk, "geplant", 1),
        (site.two.pk, site.nord.pk, "geplant", 1),
    }
    assert rows[0].planned_by == site.planner
    _printed(site, tenant, site.one)  # printed again: still one row, counted
    assert Rueckscanakte.objects.for_tenant(tenant).get(akte=site.one).printed == 2
    events = AuditEvent.objects.filter(tenant_id=tenant.pk, action="inbox.rueckscan.deckblatt")
    assert events.count() == 3


def test_a_unit_prints_all_its_akten_and_a_restricted_akte_is_refused(
    tenant: Mandant, site: Site
) -> None:
    data = services.print_deckblaetter(
        actor=site.planner,
        access=_access(site.planner, tenant),
        tenant=tenant,
        unit_id=site.nord.pk,
    )
    assert seiten.page_count(data) == 2
    with pytest.raises(services.NotFound):
        _printed(site, tenant, site.one, site.south)  # restricted: only its team prints
    assert not Rueckscanakte.objects.for_tenant(tenant).filter(akte=site.south).exists()
    # Another unit's Akte the mail room cannot read, but files into: printed.
    assert seiten.page_count(_printed(site, tenant, site.west)) == 1
    assert Rueckscanakte.objects.for_tenant(tenant).get(akte=site.west).standort == site.sued
    caseworker = site.worker  # reads the Akte, but is no mail room
    with pytest.raises(services.Forbidden):
        services.print_deckblaetter(
            actor=caseworker,
            access=_access(caseworker, tenant),
            tenant=tenant,
            akte_ids=[site.one.pk],
        )


# --- a Rückscan batch, end to end -----------------------------------------------------------


def _scanned(pdf: bytes) -> Image.Image:
    """A printed Deckblatt as it comes back out of the scanner (200 dpi, grey)."""
    for _, image in seiten.page_images(pdf, [0], dpi=scans.DPI):
        return image.convert("L")
    raise AssertionError("no page")


@pytest.mark.skipif(bool(texterkennung.availability()), reason="Texterkennung fehlt")
def test_a_rueckscan_batch_files_each_paper_file_into_its_akte(
    tenant: Mandant, site: Site, deliver: Deliver
) -> None:
    sheet = _scanned(_printed(site, tenant, site.one))
    unknown = _scanned(
        pdf.render(
            tenant_id=tenant.pk,
            mandant=tenant.name,
            blaetter=[pdf.Blatt("GIBT-ES-NICHT-1", "Altakte", "Archiv", "Archiv")],
            gedruckt="01.11.2026",
        )
    )
    pages = [
        sheet,
        scans.letter(["Antrag auf Arbeitslosengeld II", "", "Erika Kowalski", "Seite eins"]),
        scans.letter(["Bescheid vom 01.02.2015", "", "Seite zwei der Papierakte"]),
        unknown,
        scans.letter(["Mietvertrag", "", "Seite eins einer unbekannten Akte"]),
    ]
    files = {"rueckscan-0001.pdf": scans.image_pdf(pages)}
    note = scans.manifest(files, pages={"rueckscan-0001.pdf": 5}, art="rueckscan")
    stapel = checked(deliver(files, note).stapel)
    assert stapel.art == Stapel.Art.RUECKSCAN

    stapel = process_stapel(stapel=stapel)

    filed, waiting = Eingangsdokument.objects.for_tenant(tenant).order_by("teil")
    assert filed.pages == [1, 2] and waiting.pages == [4]  # Deckblätter removed
    assert filed.state == State.ABGELEGT and filed.akte_id == site.one.pk
    assert filed.kind == "rueckscan" and filed.filed_rule == (
        f"Rückscan: Deckblatt AZ {site.one.aktenzeichen}"
    )
    assert "Seite zwei" in filed.text and filed.ocr_done
    dokument = Dokument.objects.for_tenant(tenant).get(pk=filed.dokument_id)
    assert dokument.source == Dokument.Source.SCAN and dokument.kind == "Rückscan"
    assert dokument.title.startswith("Rückscan Papierakte")
    assert dokument.page_count == 2 and dokument.current_version is not None
    version_pages = seiten.page_count(_blob(dokument.current_version.sha256))
    assert version_pages == 2  # the original's pages, in their order, without the Deckblatt
    assert "Seite zwei" in dokument.current_version.text.split("\f")[-1]
    assert not Wiedervorlage.objects.for_tenant(tenant).filter(akte=site.one).exists()
    row = Rueckscanakte.objects.for_tenant(tenant).get(akte=site.one)
    assert row.state == "gescannt" and row.pages == 2 and row.stapel_id == stapel.pk

    assert waiting.state == State.ZU_PRUEFEN
    assert "GIBT-ES-NICHT-1" in waiting.reason and "gibt es nicht" in waiting.reason
    lines = list(
        Protokolleintrag.objects.for_tenant(tenant)
        .filter(stapel=stapel, action="rueckscan")
        .values_list("message", flat=True)
    )
    assert lines == [
        f"Rückscan: Deckblatt AZ {site.one.aktenzeichen} auf Seite 1, Akte auf Seiten 2–3",
        "Rückscan: Deckblatt AZ GIBT-ES-NICHT-1 auf Seite 4, Akte auf Seite 5",
    ]
    assert not Problem.objects.for_tenant(tenant).filter(stapel=stapel).exists()

    # Run again: nothing twice.
    process_stapel(stapel=Stapel.objects.for_tenant(tenant).get(pk=stapel.pk))
    assert Dokument.objects.for_tenant(tenant).filter(kind="Rückscan").count() == 1
    assert Rueckscanakte.objects.for_tenant(tenant).get(akte=site.one).pages == 2

    # The rollout: the north planned one and scanned it; the unknown file waits in the
    # queue of the batch's unit (the provider's Poststelle, a Standort of its own).
    stand = {s.name: s for s in selectors.rollout(tenant)}
    assert (stand["Standort Nord"].geplant, stand["Standort Nord"].gescannt) == (1, 1)
    assert sum(s.probleme for s in stand.values()) == 1

    # Filed by hand in triage, the unknown file becomes a Rückscan of that Akte too.
    klaerung.accept(actor=site.planner, doc=waiting, akte=site.two)
    second = Rueckscanakte.objects.for_tenant(tenant).get(akte=site.two)
    assert second.state == "gescannt" and second.planned_at is None and second.pages == 1
    assert Dokument.objects.for_tenant(tenant).filter(kind="Rückscan").count() == 2


def _blob(sha256: str) -> bytes:
    with get_store().open(sha256) as stream:
        return stream.read()


# --- pages and API -------------------------------------------------------------------------

OPENAPI = json.loads(
    (Path(__file__).resolve().parents[2] / "docs" / "openapi.json").read_text(encoding="utf-8")
)
DECKBLAETTER_API = "/api/v1/posteingang/rueckscan/deckblaetter"
STAND_API = "/api/v1/posteingang/rueckscan/stand"


def _schema_errors(body: Any, path: str, method: str, status: int) -> list[str]:
    answer = OPENAPI["paths"][path][method]["responses"][str(status)]["content"]
    schema = (answer.get("application/json") or answer["application/problem+json"])["schema"]
    return errors(body, schema, OPENAPI["components"]["schemas"])


def test_the_pages_show_the_rollout_and_print_deckblaetter(tenant: Mandant, site: Site) -> None:
    _printed(site, tenant, site.one)
    client = signed_in(site.planner)
    page = client.get(reverse("inbox:rueckscan")).content.decode()
    assert page.count("<h1") == 1 and "Rückscan: Stand je Standort" in page
    assert '<svg class="koffer-chart"' in page and "Standort Nord" in page
    assert "importiert" in page and reverse("inbox:rueckscan_deckblaetter") in page

    listing = client.get(
        reverse("inbox:rueckscan_deckblaetter"), {"einheit": str(site.nord.pk)}
    ).content.decode()
    assert site.one.aktenzeichen in listing and site.two.aktenzeichen in listing
    assert site.south.aktenzeichen not in listing  # not readable for the planner
    assert "geplant, Deckblatt 1× gedruckt" in listing

    answer = client.post(reverse("inbox:rueckscan_deckblaetter"), {"akte": [str(site.two.pk)]})
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert answer["Content-Disposition"].startswith("attachment;")
    assert seiten.page_count(answer.content) == 1
    refused = client.post(reverse("inbox:rueckscan_deckblaetter"), {"akte": [str(site.south.pk)]})
    assert refused.status_code == 400 and "dürfen sie nicht lesen" in refused.content.decode()

    caseworker = signed_in(site.worker)
    assert caseworker.get(reverse("inbox:rueckscan")).status_code in (403, 404)


def test_the_api_prints_and_reports_per_standort(tenant: Mandant, site: Site) -> None:
    client = signed_in(site.planner)
    answer = client.post(
        DECKBLAETTER_API,
        {"akten": [str(site.one.pk)], "einheit": None},
        content_type="application/json",
    )
    assert answer.status_code == 200 and answer["Content-Type"] == "application/pdf"
    assert seiten.page_count(answer.content) == 1
    refused = client.post(
        DECKBLAETTER_API, {"akten": [str(site.south.pk)]}, content_type="application/json"
    )
    assert refused.status_code == 404
    assert not _schema_errors(json.loads(refused.content), DECKBLAETTER_API, "post", 404)

    stand = client.get(STAND_API)
    body = json.loads(stand.content)
    assert stand.status_code == 200 and not _schema_errors(body, STAND_API, "get", 200)
    assert body == [
        {
            "standort": str(site.nord.pk),
            "name": "Standort Nord",
            "geplant": 1,
            "gescannt": 0,
            "offen": 1,
            "probleme": 0,
            "importiert": 0,
        }
    ]
    forbidden = signed_in(site.worker).get(STAND_API)
    assert forbidden.status_code == 403
    assert not _schema_errors(json.loads(forbidden.content), STAND_API, "get", 403)


def test_the_lists_cost_the_same_queries_for_more_akten(tenant: Mandant, site: Site) -> None:
    """Five more planned Akten cost no query more on the pages and the API (no N+1)."""
    client = signed_in(site.planner)
    urls = [
        reverse("inbox:rueckscan"),
        reverse("inbox:rueckscan_deckblaetter") + f"?einheit={site.nord.pk}",
        STAND_API,
    ]

    def counts() -> list[int]:
        found = []
        for url in urls:
            with CaptureQueriesContext(connection) as queries:
                assert client.get(url).status_code == 200
            found.append(len(queries))
        return found

    _printed(site, tenant, site.one)
    counts()  # the first request fills the per-process caches of the page frame
    before = counts()
    more = [
        record_factories.akte(caseworker=site.worker, plan=site.plan, unit=site.team_nord)
        for _ in range(5)
    ]
    _printed(site, tenant, *more)
    assert counts() == before
    assert before == PINNED_QUERIES, before


PINNED_QUERIES = [8, 7, 10]  # the rollout adds the imported Akten per Standort (2)


def test_the_lieferschein_says_what_the_batch_holds() -> None:
    files = {"0001.pdf": scans.pdf()}
    assert manifest.parse(scans.manifest(files)).art == "post"
    assert manifest.parse(scans.manifest(files, art="rueckscan")).art == "rueckscan"
    with pytest.raises(InboxError, match="„art“ muss „post“ oder „rueckscan“ sein"):
        manifest.parse(scans.manifest(files, art="altakten"))


def _born_digital(*parts: bytes) -> bytes:
    """PDFs with a real text layer, one after the other (no OCR needed)."""
    joined = pikepdf.new()
    for part in parts:
        joined.pages.extend(pikepdf.open(io.BytesIO(part)).pages)
    out = io.BytesIO()
    joined.save(out)
    return out.getvalue()


def _sheet(tenant: Mandant, aktenzeichen: str, *, key_of: Mandant | None = None) -> bytes:
    return pdf.render(
        tenant_id=(key_of or tenant).pk,
        mandant=tenant.name,
        blaetter=[pdf.Blatt(aktenzeichen, "Akte", "Team", "Team")],
        gedruckt="01.11.2026",
    )


def test_closed_foreign_and_missing_deckblaetter_wait_in_triage_and_nothing_is_lost(
    tenant: Mandant, other_tenant: Mandant, site: Site, deliver: Deliver
) -> None:
    records.change_akte(
        actor=site.worker, akte=site.two, reason="Leistung beendet", status=Akte.Status.CLOSED
    )
    page = pdf_bytes("Alte Akte", ("Ein Blatt aus der Papierakte.",))
    data = _born_digital(
        page,  # before any Deckblatt
        _sheet(tenant, site.two.aktenzeichen),  # closed meanwhile
        page,
        _sheet(tenant, site.one.aktenzeichen, key_of=other_tenant),  # another Mandant's
        page,
        _sheet(tenant, site.one.aktenzeichen),  # the last page: nothing follows
    )
    files = {"0001.pdf": data}
    note = scans.manifest(files, pages={"0001.pdf": 6}, art="rueckscan")
    stapel = process_stapel(stapel=checked(deliver(files, note).stapel))

    docs = list(Eingangsdokument.objects.for_tenant(tenant).order_by("teil"))
    assert [d.pages for d in docs] == [[0], [2], [4]]
    assert all(d.state == State.ZU_PRUEFEN for d in docs)
    assert "ohne Deckblatt" in docs[0].reason
    assert "geschlossen" in docs[1].reason
    assert "nicht gültig" in docs[2].reason
    problems = set(
        Problem.objects.for_tenant(tenant).filter(stapel=stapel).values_list("code", flat=True)
    )
    assert problems == {"ohne_deckblatt", "deckblatt_ohne_seiten"}
    assert not Dokument.objects.for_tenant(tenant).filter(kind="Rückscan").exists()
    assert not Rueckscanakte.objects.for_tenant(tenant).exists()
    stand = selectors.rollout(tenant)
    assert sum(s.probleme for s in stand) == 3
    assert protokoll.report(stapel)["stapel"]["art"] == "rueckscan"


def test_a_deckblatt_in_a_batch_of_post_is_no_separator(
    tenant: Mandant, site: Site, deliver: Deliver
) -> None:
    page = pdf_bytes("Brief", ("Ein Brief ohne Aktenzeichen.",))
    files = {"0001.pdf": _born_digital(page, _sheet(tenant, site.one.aktenzeichen), page)}
    note = scans.manifest(files, pages={"0001.pdf": 3})
    process_stapel(stapel=checked(deliver(files, note).stapel))
    (doc,) = Eingangsdokument.objects.for_tenant(tenant)
    assert doc.pages == [0, 1, 2] and doc.kind != "rueckscan"


@pytest.mark.parametrize(("dpi", "turn"), [(150, 3.0), (200, -2.0), (300, 180.0)])
def test_a_deckblatt_reads_back_from_a_poor_scan(tenant: Mandant, dpi: int, turn: float) -> None:
    """Printed and scanned badly: skewed (or upside down), specks, JPEG artefacts."""
    data = _sheet(tenant, "50.10-2026/0042")
    (_, image), *_ = list(seiten.page_images(data, [0], dpi=dpi))
    page = image.convert("L").rotate(turn, expand=True, fillcolor=255)
    specks = random.Random(dpi)
    for _ in range(page.width * page.height // 400):
        page.putpixel((specks.randrange(page.width), specks.randrange(page.height)), 0)
    out = io.BytesIO()
    page.save(out, format="JPEG", quality=35)
    scanned = Image.open(io.BytesIO(out.getvalue()))
    pdf_data = io.BytesIO()
    scanned.save(pdf_data, format="PDF", resolution=dpi)
    found = codes.read_codes(pdf_data.getvalue())
    assert [deckblatt.read(c.text, tenant.pk) for c in found] == [
        deckblatt.Deckblatt("50.10-2026/0042", valid=True)
    ]
