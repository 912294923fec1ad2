"""Demo data of the Posteingang: scan batches delivered into the Jobcenter's Eingangszone
(where the shared mail room, post.zentral, starts), one as declared, one with problems (a
file altered on the way, one missing), and one the mail room scanned itself (with two
letters in one file, for triage to split); and one into
the Kreis's Poststelle, the mail room's other Mandant. Each is checked like a real
delivery. And a Rückscan: the Deckblätter of Leistungsteam 1 printed, and a Rückscan
batch bringing one paper file back with its Deckblatt, and one whose Deckblatt names an
Aktenzeichen nobody knows (it waits in triage). And older batches whose paper originals
are due, with destruction lists (``destruction_lists``). After the letters, a batch of
returned mail (``ruecklaeufer``): the Kreis's Anhörung came back from the Post."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from datetime import timedelta

import pikepdf
from django.db.models import Q
from django.utils import timezone

from koffer.accounts.access import Access
from koffer.accounts.models import User
from koffer.blobs.store import get_store
from koffer.demo.records import pdf_bytes
from koffer.inbox.lieferung import services
from koffer.inbox.models import Stapel, Vernichtungsliste
from koffer.inbox.originale import selectors as originale_selectors
from koffer.inbox.originale import services as originale
from koffer.inbox.rueckscan import pdf as deckblatt_pdf
from koffer.inbox.rueckscan import services as rueckscan
from koffer.inbox.verarbeitung import seiten
from koffer.jobs import runner
from koffer.outbox.models import Brief
from koffer.tenancy.models import Mandant, Organisationseinheit

JOBCENTER = "jobcenter-musterland"
KREIS = "landkreis-musterland"
# Older batches: Mandant, who delivered, batch id, weeks since scanned, list confirmed.
OLD_BATCHES = (
    (KREIS, "scan.dienstleister", "KR-2026-0090", 12, True),
    (KREIS, "scan.dienstleister", "KR-2026-0101", 9, False),
    (JOBCENTER, "post.zentral", "POST-0000", 10, False),
)


def _note(
    batch_id: str,
    files: dict[str, bytes],
    pages: dict[str, int],
    *,
    wrong: str = "",
    art: str = "post",
    weeks_ago: int = 0,
    days_ago: int = 1,
) -> bytes:
    scan_day = timezone.localdate() - timedelta(days=days_ago, weeks=weeks_ago)
    return json.dumps(
        {
            "version": 1,
            "art": art,
            "stapel_id": batch_id,
            "scan_datum": scan_day.isoformat(),
            "operator": "B. Scanner",
            "scanner": "Fujitsu fi-7600 Nr. 2",
            "qualitaetspruefung": {
                "ergebnis": "bestanden",
                "bemerkung": "Sichtprüfung jeder Seite",
            },
            "dateien": [
                {
                    "name": name,
                    "seiten": pages[name],
                    "sha256": "0" * 64 if name == wrong else hashlib.sha256(data).hexdigest(),
                }
                for name, data in files.items()
            ],
        },
        ensure_ascii=False,
        indent=2,
    ).encode()


def _deliver(
    tenant: Mandant, username: str, batch_id: str, files: dict[str, bytes], note: bytes
) -> uuid.UUID | None:
    user = User.objects.get(username=username)
    delivery = services.deliver(
        actor=user,
        access=Access.for_user(user.pk, tenant.pk),
        tenant=tenant,
        manifest_bytes=note,
        files=[services.IncomingFile(name, io.BytesIO(data)) for name, data in files.items()],
    )
    return delivery.stapel.job_id


def load(mandanten: dict[str, Mandant]) -> list[uuid.UUID]:
    """Deliver the demo batches; returns their check jobs (run by :func:`finish`)."""
    tenant = mandanten[JOBCENTER]
    # Letters with a real text layer (the pipeline keeps it, no OCR at demo load): one
    # names its person's Kundennummer and is filed by itself, the others wait in triage.
    antrag = pdf_bytes(
        "Weiterbewilligungsantrag",
        (
            "Deniz Yilmaz, Kundennummer 123D765432, geboren am 03.11.1979. Hiermit beantrage "
            "ich die Weiterbewilligung der Leistungen zur Sicherung des Lebensunterhalts "
            "nach dem SGB II ab dem 1. Januar 2027. Meine Verhältnisse haben sich nicht "
            "geändert.",
            "Die Kontoauszüge der letzten drei Monate und die Mietbescheinigung liegen bei. "
            "Mit freundlichen Grüßen, Deniz Yilmaz",
        ),
    )
    nachweis = pdf_bytes(
        "Lohnabrechnung Oktober 2026",
        (
            "Gartenbau Grünewald GmbH, Lohnabrechnung für Oktober 2026. Arbeitnehmerin: "
            "Anna Beispiel. Bruttolohn 1.240,00 Euro, Nettolohn 986,40 Euro, ausgezahlt am "
            "30.10.2026 auf das Konto der Arbeitnehmerin.",
        ),
    )
    bescheinigung = pdf_bytes(
        "Mietbescheinigung",
        (
            "Wohnungsbau Musterland eG. Hiermit bescheinigen wir, dass die Wohnung im "
            "Lindenweg 4, 2. Obergeschoss links, seit dem 1. März 2024 vermietet ist. "
            "Grundmiete 420,00 Euro, Nebenkosten 110,00 Euro, Heizkosten 75,00 Euro "
            "monatlich.",
        ),
    )
    jobs: list[uuid.UUID | None] = []
    files = {"0001.pdf": antrag, "0002.pdf": nachweis}
    jobs.append(
        _deliver(
            tenant,
            "scan.dienstleister",
            "JC-2026-0001",
            files,
            _note("JC-2026-0001", files, {"0001.pdf": 2, "0002.pdf": 1}),
        )
    )
    declared = {"0001.pdf": bescheinigung, "0002.pdf": nachweis, "0003.pdf": antrag}
    sent = {"0001.pdf": bescheinigung, "0002.pdf": nachweis}
    jobs.append(
        _deliver(
            tenant,
            "scan.dienstleister",
            "JC-2026-0002",
            sent,
            _note(
                "JC-2026-0002",
                declared,
                {"0001.pdf": 1, "0002.pdf": 1, "0003.pdf": 2},
                wrong="0002.pdf",
            ),
        )
    )
    # Two letters scanned as one file without a separator sheet: triage splits them.
    together = seiten.join([bescheinigung, nachweis])
    own = {"eingang-1.pdf": bescheinigung, "eingang-2.pdf": together}
    jobs.append(
        _deliver(
            tenant,
            "post.zentral",
            "POST-0001",
            own,
            _note("POST-0001", own, {"eingang-1.pdf": 1, "eingang-2.pdf": 2}),
        )
    )
    kreis = {"0001.pdf": bescheinigung}
    jobs.append(
        _deliver(
            mandanten[KREIS],
            "scan.dienstleister",
            "KR-2026-0001",
            kreis,
            _note("KR-2026-0001", kreis, {"0001.pdf": 1}),
        )
    )
    rs = _rueckscan_file(tenant)
    jobs.append(
        _deliver(
            tenant,
            "scan.dienstleister",
            "RS-2026-0001",
            rs,
            _note("RS-2026-0001", rs, {"akten-0001.pdf": 5}, art="rueckscan"),
        )
    )
    # Older batches whose paper originals are due (``destruction_lists``). Delivered last,
    # so that the first batches by id stay those of both Mandanten.
    for slug, username, batch_id, weeks, _ in OLD_BATCHES:
        old = {"0001.pdf": _statement(slug, batch_id)}
        jobs.append(
            _deliver(
                mandanten[slug],
                username,
                batch_id,
                old,
                _note(batch_id, old, {"0001.pdf": 1}, weeks_ago=weeks),
            )
        )
    return [job for job in jobs if job is not None]


def ruecklaeufer(mandanten: dict[str, Mandant]) -> list[uuid.UUID]:
    """After the letters (``demo.briefe``): the Kreis's Anhörung came back from the Post,
    and the scan provider delivers it in a batch of returned mail (Lieferschein ``"art":
    "rueckpost"``), so that its letter is „unzustellbar zurück“ with the scan and its
    caseworker has a Wiedervorlage. The letter's own PDF (born digital: no OCR)."""
    kreis = mandanten[KREIS]
    brief = (
        Brief.objects.for_tenant(kreis)
        .filter(version__vorlage__code="sa-anhoerung", dokument__isnull=False)
        .select_related("dokument")
        .first()
    )
    version = brief.dokument.current_version if brief and brief.dokument else None
    if brief is None or version is None:
        return []
    with get_store().open(version.sha256) as stream:
        files = {"rueck-0001.pdf": stream.read()}
    batch_id = "KR-2026-R001"
    # Scanned today: the letter went into its batch at this morning's cut-off.
    note = _note(batch_id, files, {"rueck-0001.pdf": brief.seiten}, art="rueckpost", days_ago=0)
    job = _deliver(kreis, "scan.dienstleister", batch_id, files, note)
    return [job] if job is not None else []


def _statement(slug: str, batch_id: str) -> bytes:
    if slug == JOBCENTER:
        text = (
            "Kontoinhaber: Deniz Yilmaz, Kundennummer 123D765432, geboren am 03.11.1979. "
            "Gutschrift Jobcenter Musterland 563,00 Euro; Lastschrift Wohnungsbau "
            "Musterland eG 605,00 Euro."
        )
    else:
        text = (
            "Kontoinhaberin: Marta Beispiel. Gutschrift Landkreis Musterland, Wohngeld "
            "212,00 Euro; Lastschrift Wohnungsbau Musterland eG 605,00 Euro."
        )
    return pdf_bytes("Kontoauszug", (f"Sparkasse Musterland, Kontoauszug ({batch_id}). {text}",))


def _rueckscan_file(tenant: Mandant) -> dict[str, bytes]:
    """Plan the Rückscan of Leistungsteam 1 (its Deckblätter printed) and scan one of its
    paper files back, and one whose Deckblatt names an unknown Aktenzeichen. Born digital,
    so the demo loads without OCR."""
    team = Organisationseinheit.objects.for_tenant(tenant).get(name="Leistungsteam 1")
    sheets = rueckscan.print_deckblaetter(actor=None, access=None, tenant=tenant, unit_id=team.pk)
    unknown = deckblatt_pdf.render(
        tenant_id=tenant.pk,
        mandant=tenant.name,
        blaetter=[deckblatt_pdf.Blatt("JC-ALT-0815", "Altakte", "Leistung", "Leistung")],
        gedruckt=f"{timezone.localdate():%d.%m.%Y}",
    )
    paper = pdf_bytes(
        "Antrag auf Arbeitslosengeld II (2015)",
        (
            "Antrag auf Leistungen zur Sicherung des Lebensunterhalts nach dem SGB II, "
            "gestellt am 2. Februar 2015. Angaben zur Bedarfsgemeinschaft und zum Einkommen.",
            "Bescheid vom 20. Februar 2015 über die Bewilligung von Leistungen für die Zeit "
            "vom 1. März 2015 bis zum 31. August 2015.",
        ),
    )
    old = pdf_bytes("Mietvertrag (2012)", ("Mietvertrag über die Wohnung Lindenweg 4.",))
    out = pikepdf.new()
    for data, pages in ((sheets, [0]), (paper, [0, 1]), (unknown, [0]), (old, [0])):
        source = pikepdf.open(io.BytesIO(data))
        out.pages.extend(source.pages[p] for p in pages)
    buffer = io.BytesIO()
    out.save(buffer)
    return {"akten-0001.pdf": buffer.getvalue()}


def finish(jobs: list[uuid.UUID]) -> None:
    """Check the batches right away and run the pipeline on what passed (the demo has no
    worker yet when it loads; the queued tasks later find the jobs done and skip them)."""
    for job in jobs:
        runner.execute(job)
    processing = Stapel.objects.unscoped().filter(job_id__in=jobs, processing_job_id__isnull=False)
    for job_id in processing.values_list("processing_job_id", flat=True):
        runner.execute(job_id)
    destruction_lists()


def destruction_lists() -> None:
    """The older batches as if checked weeks ago, each with its destruction list: in the
    Kreis one the provider confirmed about four weeks ago (with its protocol) and one
    waiting for it; in the Jobcenter one of the mail room's own scans, waiting for the
    mail room's confirmation."""
    for _, _, batch_id, weeks, confirmed in OLD_BATCHES:
        stapel = (
            Stapel.objects.unscoped().select_related("tenant", "provider").get(batch_id=batch_id)
        )
        checked = timezone.now() - timedelta(weeks=weeks) + timedelta(days=1)
        Stapel.objects.unscoped().filter(pk=stapel.pk).update(checked_at=checked)
        due = originale_selectors.due(stapel.tenant, Q(pk=stapel.pk))
        for liste in originale.create_lists(actor=None, tenant=stapel.tenant, due=due):
            if not confirmed:
                continue
            # Made two days after its originals became due, destroyed two days later.
            made = checked + timedelta(weeks=8, days=2)
            Vernichtungsliste.objects.unscoped().filter(pk=liste.pk).update(created_at=made)
            liste.refresh_from_db()
            originale.confirm(
                actor=stapel.provider,
                liste=liste,
                destroyed_by="Aktenvernichtung Nord GmbH",
                destroyed_at=made + timedelta(days=2),
            )
