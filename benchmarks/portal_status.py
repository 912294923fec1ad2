"""A citizen's status pages (issue 19, „Mein Anliegen“), through the whole stack.

Data: one citizen account linked to the person of an Akte, with twenty online applications (the issue's citizen with 20 Vorgänge)
submitted through the portal's own services (receipt PDF typeset, delivered to the
Posteingang and filed by its job, so each opened a Vorgang), two of them with a request
for documents, one of those answered with an uploaded file. Measured in-process with
Django's test client (session, the citizen's account, the audit event each opening
writes, template rendering): wall-clock p50/p95/p99 and SQL statements of „Meine
Anträge“ and of one application's timeline. Baseline in the same run: the citizen's
start page „Mein Bereich“ (the same frame and session).

Target: p95 ≤ 50 ms for both pages.
"""

from __future__ import annotations

import io
import time
from datetime import timedelta

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.utils import timezone
from PIL import Image

from benchmarks.inprocess import PASSWORD, leistungsakte, measure
from benchmarks.report import emit, note, percentile
from benchmarks.scale import setting, sized
from koffer.accounts import services as accounts
from koffer.accounts.access import Access
from koffer.forms.katalog import services as katalog
from koffer.inbox.models import Eingangsdokument
from koffer.jobs import runner
from koffer.jobs.models import Job
from koffer.portal import sitzung
from koffer.portal.anliegen import services as anliegen
from koffer.portal.antrag import angebote
from koffer.portal.antrag import services as antraege
from koffer.portal.models import Antrag, Buergerkonto, Vertrauensniveau
from koffer.records.models import Vorgang

NAME = "portal_status"
DATABASES = ("sqlite", "postgresql")
ANTRAEGE = sized(20, 1)
REQUESTS = setting("KOFFER_BENCH_ITERATIONS", 300, 5)
TARGET_P95_MS = 50.0


def _definition(n: int) -> dict[str, object]:
    return {
        "format": 1,
        "schluessel": f"bench-antrag-{n}",
        "titel": {"de": f"Antrag {n} (Benchmark)"},
        "fachbereich": "sgb2",
        "vorgang": {"vorgangstyp": "antrag"},
        "schritte": [
            {
                "id": "angaben",
                "titel": {"de": "Angaben"},
                "felder": [
                    {"id": "nachname", "typ": "text", "label": {"de": "Nachname"}, "pflicht": True}
                ],
            }
        ],
    }


def _png() -> SimpleUploadedFile:
    puffer = io.BytesIO()
    Image.new("RGB", (80, 120), (30, 90, 30)).save(puffer, format="PNG")
    return SimpleUploadedFile("nachweis.png", puffer.getvalue(), content_type="image/png")


def citizen_with_applications():  # type: ignore[no-untyped-def]
    fall = leistungsakte("bench-portal")
    tenant, team, caseworker, akte = fall.tenant, fall.team, fall.caseworker, fall.akte
    admin = accounts.create_user(
        actor=None,
        must_change_password=False,
        tenant=tenant,
        username="bench.admin",
        first_name="Ada",
        last_name="Admin",
        email=None,
        password=PASSWORD,
        unit=fall.root,
        role="mandant_admin",
    )
    konto = Buergerkonto.objects.create(
        tenant=tenant,
        kennung="bench-bundid-0001",
        art=Buergerkonto.Art.BUNDID,
        vertrauensniveau=Vertrauensniveau.HOCH,
        family_name="Beispiel",
        given_names="Anna",
        person=akte.subjects.get(),
    )
    grants = Access.for_user(admin.pk, tenant.pk)
    staff = Access.for_user(caseworker.pk, tenant.pk)
    for n in range(ANTRAEGE):
        [importiert] = katalog.importieren(
            actor=admin, access=grants, tenant=tenant, daten=_definition(n)
        )
        angebot = angebote.angebot_setzen(
            actor=admin, access=grants, formular=importiert.formular, unit=team, aktiv=True
        )
        assert angebot is not None
        antrag = antraege.beginnen(actor=konto, angebot=angebot)
        antraege.speichern(
            actor=konto,
            antrag=antrag,
            schritt="angaben",
            antworten={"nachname": "Beispiel"},
            version=antrag.version,
        )
        antrag = antraege.einreichen(actor=konto, antrag=antrag)
    for job in Job.objects.for_tenant(tenant).filter(kind="inbox.online", status="waiting"):
        runner.execute(job.pk)
    eingereicht = list(Antrag.objects.for_tenant(tenant).filter(konto=konto).order_by("created_at"))
    for n, antrag in enumerate(eingereicht[:2]):
        eingang = Eingangsdokument.objects.for_tenant(tenant).get(pk=antrag.eingang_id)
        vorgang = (
            Vorgang.objects.for_tenant(tenant).select_related("akte").get(pk=eingang.vorgang_id)
        )
        nf = anliegen.nachfordern(
            actor=caseworker,
            access=staff,
            vorgang=vorgang,
            posten=["Lohnabrechnungen Oktober und November", "Mietbescheinigung"],
            frist=timezone.localdate() + timedelta(days=14),
        )
        if n == 0:
            for posten in nf.posten.all():
                anliegen.hochladen(
                    actor=konto, nachforderung=nf, posten_id=posten.pk, dateien=[_png()]
                )
            anliegen.beantworten(actor=konto, nachforderung=nf)
    return konto, eingereicht[-1]


def run() -> None:
    started = time.perf_counter()
    konto, antrag = citizen_with_applications()
    note(f"{ANTRAEGE} Online-Anträge eingereicht in {time.perf_counter() - started:.1f} s")
    client = Client()
    session = client.session
    session[sitzung.SESSION_KONTO] = str(konto.pk)
    session[sitzung.SESSION_TENANT] = str(konto.tenant_id)
    session[sitzung.SESSION_NIVEAU] = konto.vertrauensniveau
    session.save()
    slug = konto.tenant.slug
    liste_url = f"/portal/{slug}/antraege/"
    body = client.get(liste_url).content.decode()
    assert body.count("Stand: <strong>") == ANTRAEGE, "nicht alle Anträge auf der Seite"
    baseline, baseline_queries = measure(client, f"/portal/{slug}/", REQUESTS)
    emit(
        NAME,
        db=connection.vendor,
        case="start_baseline",
        requests=REQUESTS,
        p50_ms=percentile(baseline, 50),
        p95_ms=percentile(baseline, 95),
        queries=baseline_queries,
    )
    for case, url in (
        (f"meine_antraege_{ANTRAEGE}", liste_url),
        ("antrag_verlauf", f"/portal/{slug}/antraege/{antrag.pk}/"),
    ):
        samples, statements = measure(client, url, REQUESTS)
        p95 = percentile(samples, 95)
        emit(
            NAME,
            db=connection.vendor,
            case=case,
            requests=REQUESTS,
            p50_ms=percentile(samples, 50),
            p95_ms=p95,
            p99_ms=percentile(samples, 99),
            queries=statements,
            ratio_vs_start=percentile(samples, 50) / percentile(baseline, 50),
            target="p95<=50ms",
            met=p95 <= TARGET_P95_MS,
        )
