"""Statistik Platzbörse at state scale: what the page's selector costs for the
Landesjugendamt (everything, aggregated and suppressed) and for one youth office.

Data, written in bulk (no services: a million audit events would measure the audit):
200 Träger with 2,000 facilities in 40 regions, 3,000 Angebote (Heimerziehung for all,
Inobhutnahme for every second facility) with day rates (half of them change on 1 July),
20,000 places, 40 youth offices and about 15,000 Belegungen over 2025/2026 (12,000
places occupied, 3,000 of them also by an earlier Belegung ended in 2026).

Measured: :func:`koffer.placements.statistik.builders.statistik` for 2026 (all queries, the
roll-up, the suppression, the tables) for the LJA, one youth office and one Träger with
ten facilities; the whole page for the LJA through Django's test client (middleware,
charts, template); the CSV and XLSX of the LJA's tables. Cases alternate round-robin. Baseline in the same run: one plain aggregate over the same
rows (Belegungen begun in 2026 per form of care).

Target (ours): p95 under 1 s for the LJA and the youth office, selector and page.
"""

from __future__ import annotations

import gc
import random
import time
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from uuid6 import uuid7

from benchmarks.report import emit, note, percentile
from benchmarks.scale import setting, sized
from koffer.accounts import services as accounts
from koffer.accounts.models import User
from koffer.placements import katalog
from koffer.placements.models import (
    Angebot,
    Belegung,
    Betreuungsform,
    Einrichtung,
    Entgelt,
    Fachbereich,
    Platz,
    Platzgesuch,
    Region,
)
from koffer.placements.statistik import builders
from koffer.placements.statistik.export import csv_bytes, xlsx_bytes
from koffer.placements.statistik.scopes import Scope
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant

NAME = "placements_statistik"
DATABASES = ("sqlite", "postgresql")
TRAEGER = sized(200, 4)
FACILITIES = sized(2000, 20)
PLACES_PER_FACILITY = sized(10, 2)
YOUTH_OFFICES = sized(40, 4)
REGIONS = sized(40, 4)
ROUNDS = setting("KOFFER_BENCH_ROUNDS_STATISTIK", 30, 1)
TARGET_P95_MS = 1000.0
YEAR = 2026
TODAY = date(2026, 12, 31)
BATCH = 2000


def _bulk(model: type, rows: list[object]) -> None:
    for i in range(0, len(rows), BATCH):
        model.objects.bulk_create(rows[i : i + BATCH])  # type: ignore[attr-defined]


def build() -> tuple[Mandant, Mandant, dict[str, int]]:
    """The state-wide data (module docstring); also ``scale_citus_statistik``'s."""
    rng = random.Random(2026)
    katalog.load_default_catalogue()
    fb = Fachbereich.objects.get(code="jugendhilfe")
    heim = Betreuungsform.objects.get(fachbereich=fb, code="heim-34")
    inobhut = Betreuungsform.objects.get(fachbereich=fb, code="inobhut-42")
    region = Region.objects.order_by("name").first()
    assert region is not None
    lja = tenancy.create_mandant(
        actor=None, slug="bench-lja", name="Landesjugendamt", kind=Mandant.Kind.LANDESJUGENDAMT
    )
    offices = [
        tenancy.create_mandant(
            actor=None, slug=f"bench-ja-{i}", name=f"Jugendamt {i:02d}", kind=Mandant.Kind.KREIS
        )
        for i in range(YOUTH_OFFICES)
    ]
    traeger = [
        tenancy.create_mandant(
            actor=None, slug=f"bench-tr-{i}", name=f"Träger {i:03d}", kind=Mandant.Kind.TRAEGER
        )
        for i in range(TRAEGER)
    ]
    root = tenancy.create_unit(actor=None, tenant=offices[0], parent=None, name="ASD", kind="amt")
    user = accounts.create_user(
        actor=None,
        must_change_password=False,
        tenant=offices[0],
        username="bench.statistik",
        first_name="Bea",
        last_name="Bench",
        email=None,
        password="Benchmark-Passwort-1",
        unit=root,
        role="teamleitung",
    )
    counts: dict[str, int] = {}
    with transaction.atomic():
        facilities, angebote, entgelte, plaetze = [], [], [], []
        for i in range(FACILITIES):
            owner = traeger[i % TRAEGER]
            e = Einrichtung(
                id=uuid7(),
                tenant=owner,
                fachbereich=fb,
                name=f"Einrichtung {i:04d}",
                street="Weg 1",
                postcode="12345",
                city=f"Ort {i % REGIONS}",
                region=f"Region {i % REGIONS:02d}",
                lat=50.0 + (i % 100) / 100,
                lon=8.0 + (i % 97) / 100,
            )
            facilities.append(e)
            forms = [heim, inobhut] if i % 2 == 0 else [heim]
            for form in forms:
                a = Angebot(
                    id=uuid7(), tenant=owner, einrichtung=e, betreuungsform=form, title=form.label
                )
                angebote.append(a)
                rate = Decimal(rng.randrange(15000, 30000)) / 100
                if len(angebote) % 2:
                    entgelte.append(
                        Entgelt(
                            id=uuid7(),
                            tenant=owner,
                            angebot=a,
                            valid_from=date(2024, 1, 1),
                            leistungsentgelt=rate,
                        )
                    )
                else:
                    entgelte += [
                        Entgelt(
                            id=uuid7(),
                            tenant=owner,
                            angebot=a,
                            valid_from=date(2024, 1, 1),
                            valid_to=date(2026, 6, 30),
                            leistungsentgelt=rate,
                        ),
                        Entgelt(
                            id=uuid7(),
                            tenant=owner,
                            angebot=a,
                            valid_from=date(2026, 7, 1),
                            leistungsentgelt=rate + Decimal("7.50"),
                        ),
                    ]
            per_form = PLACES_PER_FACILITY // len(forms)
            offers = angebote[-len(forms) :]
            for p in range(PLACES_PER_FACILITY):
                a = offers[min(p // per_form, len(offers) - 1)]
                plaetze.append(
                    Platz(
                        id=uuid7(),
                        tenant=owner,
                        einrichtung=e,
                        angebot=a,
                        label=f"Platz {p + 1}",
                        valid_from=date(2024, 1, 1),
                    )
                )
        _bulk(Einrichtung, facilities)
        through = Einrichtung.formen.through
        through.objects.bulk_create(
            [through(einrichtung_id=e.pk, betreuungsform_id=heim.pk) for e in facilities]
            + [
                through(einrichtung_id=e.pk, betreuungsform_id=inobhut.pk)
                for i, e in enumerate(facilities)
                if i % 2 == 0
            ],
            batch_size=BATCH,
        )
        _bulk(Angebot, angebote)
        _bulk(Entgelt, entgelte)
        _bulk(Platz, plaetze)
        gesuche, belegungen = [], []
        serial = 0

        def occupy(platz: Platz, beginn: date, ende: date | None) -> None:
            nonlocal serial
            serial += 1
            office = offices[rng.randrange(YOUTH_OFFICES)]
            form = platz.angebot.betreuungsform
            alter = rng.randrange(0, 21)
            geschlecht = rng.choice("wwwwmmmmd")
            g = Platzgesuch(
                id=uuid7(),
                tenant=office,
                fachbereich=fb,
                betreuungsform=form,
                pseudonym=f"G-B-{serial:06d}",
                alter=alter,
                geschlecht=geschlecht,
                ab_datum=beginn,
                region=region,
                status=Platzgesuch.Status.VERMITTELT,
                created_by=user,
            )
            gesuche.append(g)
            belegungen.append(
                Belegung(
                    id=uuid7(),
                    tenant_id=platz.tenant_id,
                    platz=platz,
                    einrichtung_id=platz.einrichtung_id,
                    angebot_id=platz.angebot_id,
                    gesuch=g,
                    jugendamt=office,
                    alter_bei_beginn=alter,
                    geschlecht=geschlecht,
                    beginn=beginn,
                    ende=ende,
                    ende_grund=rng.choice(Belegung.Endegrund.values) if ende else "",
                )
            )

        # 12,000 of 20,000 places occupied, 3,000 of them twice (at full size)
        for n, platz in enumerate(rng.sample(plaetze, len(plaetze) * 3 // 5)):
            if (
                n < len(plaetze) * 3 // 20
            ):  # an earlier Belegung that ended in 2026, then the current one
                first = date(2025, 7, 1) + timedelta(days=rng.randrange(0, 300))
                end = first + timedelta(days=rng.randrange(30, 200))
                end = max(end, date(2026, 1, 5))
                occupy(platz, first, end)
                occupy(platz, end + timedelta(days=rng.randrange(1, 60)), None)
            else:
                occupy(platz, date(2025, 1, 1) + timedelta(days=rng.randrange(0, 640)), None)
        _bulk(Platzgesuch, gesuche)
        _bulk(Belegung, belegungen)
    counts = {
        "facilities": len(facilities),
        "places": len(plaetze),
        "belegungen": len(belegungen),
        "angebote": len(angebote),
    }
    lja_root = tenancy.create_unit(
        actor=None, tenant=lja, parent=None, name="Heimaufsicht", kind="team"
    )
    accounts.create_user(
        actor=None,
        must_change_password=False,
        tenant=lja,
        username="bench.lja",
        first_name="Lara",
        last_name="Jung",
        email=None,
        password="Benchmark-Passwort-1",
        unit=lja_root,
        role="landesjugendamt",
    )
    return lja, offices[0], counts


def _time(fn: object) -> float:
    began = time.perf_counter()
    fn()  # type: ignore[operator]
    return (time.perf_counter() - began) * 1000


def run() -> None:
    started = time.perf_counter()
    lja, office, counts = build()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
    note(f"Daten angelegt in {time.perf_counter() - started:.1f} s: {counts}")
    fb = Fachbereich.objects.get(code="jugendhilfe")
    lja_scope = Scope("aggregate", lja.pk, lja.name)
    office_scope = Scope("requester", office.pk, office.name)
    traeger = Mandant.objects.get(slug="bench-tr-0")
    provider_scope = Scope("provider", traeger.pk, traeger.name)
    client = Client()
    client.force_login(User.objects.get(username="bench.lja"))
    page_url = f"/plaetze/statistik/?jahr={YEAR}&fachbereich=jugendhilfe"
    assert client.get(page_url).status_code == 200

    def baseline() -> None:
        list(
            Belegung.objects.unscoped()
            .filter(beginn__year=YEAR)
            .values("angebot__betreuungsform_id")
            .annotate(n=Count("pk"))
            .order_by()
        )

    cases = {
        "baseline_one_aggregate": baseline,
        "lja_aggregiert": lambda: builders.statistik(
            scope=lja_scope, year=YEAR, fachbereich=fb, today=TODAY
        ),
        "jugendamt": lambda: builders.statistik(
            scope=office_scope, year=YEAR, fachbereich=fb, today=TODAY
        ),
        "traeger_10_einrichtungen": lambda: builders.statistik(
            scope=provider_scope, year=YEAR, fachbereich=fb, today=TODAY
        ),
        "lja_seite_http": lambda: client.get(page_url),
    }
    stat = builders.statistik(scope=lja_scope, year=YEAR, fachbereich=fb, today=TODAY)
    assert stat.table("uebersicht").rows[-1].cells[0].value, "keine Belegungen gezählt"
    cases["lja_csv_xlsx"] = lambda: (
        [csv_bytes(stat, t) for t in stat.tables],
        xlsx_bytes(stat),
    )
    queries = {}
    for name, fn in cases.items():
        fn()  # warm-up
        with CaptureQueriesContext(connection) as ctx:
            fn()
        queries[name] = len(ctx.captured_queries)
    samples: dict[str, list[float]] = {name: [] for name in cases}
    gc.collect()
    for _ in range(ROUNDS):
        for name, fn in cases.items():
            samples[name].append(_time(fn))
    base = percentile(samples["baseline_one_aggregate"], 50)
    for name, values in samples.items():
        p95 = percentile(values, 95)
        extra: dict[str, object] = {}
        if name in {"lja_aggregiert", "jugendamt", "lja_seite_http"}:
            extra = {"target": "p95<1000ms", "met": p95 < TARGET_P95_MS}
        emit(
            NAME,
            db=connection.vendor,
            case=name,
            rounds=ROUNDS,
            belegungen=counts["belegungen"],
            p50_ms=percentile(values, 50),
            p95_ms=p95,
            queries=queries[name],
            ratio_vs_baseline=percentile(values, 50) / base,
            **extra,
        )
