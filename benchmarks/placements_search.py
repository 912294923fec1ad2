"""Search of the Platzbörse: 2,000 facilities, 20,000 places, 200 youth offices.

Builds the data with bulk inserts (about half of the places occupied, a tenth held, the
rest offered), then runs 200 random needs (form of care, age, gender, region, one or two
criteria) as a youth office caseworker through ``GET /api/v1/platzboerse/suche`` (the
whole request: session, access, search, ranking, JSON) and through the ranking function
alone. Baseline in the same run: ``GET /api/v1/platzboerse/fachbereiche``, the same
stack without the search. Target: p95 ≤ 50 ms.
"""

from __future__ import annotations

import random
import time
from datetime import date, timedelta
from decimal import Decimal

from django.db import connection, transaction
from django.test import Client
from django.utils import timezone
from uuid6 import uuid7

from benchmarks.report import emit, note, percentile
from benchmarks.scale import sized
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
    Merkmal,
    Platz,
    Platzgesuch,
    Region,
    Reservierung,
)
from koffer.placements.search import Need, search
from koffer.tenancy import services as tenancy
from koffer.tenancy.models import Mandant, Organisationseinheit

NAME = "placements_search"
DATABASES = ("sqlite", "postgresql")
FACILITIES = sized(2000, 20)
PLACES_PER_FACILITY = sized(10, 2)
PROVIDERS = sized(100, 4)
OFFICES = sized(200, 4)
QUERIES = sized(200, 5)
TARGET_P95_MS = 50.0


def _build(rng: random.Random) -> tuple[list[Mandant], User]:
    katalog.load_default_catalogue()
    fb = Fachbereich.objects.get(code="jugendhilfe")
    forms = list(Betreuungsform.objects.filter(fachbereich=fb))
    merkmale = list(Merkmal.objects.filter(fachbereich=fb))
    today = timezone.localdate()
    now = timezone.now()
    providers = Mandant.objects.bulk_create(
        [
            Mandant(slug=f"traeger-{i}", name=f"Träger {i}", kind=Mandant.Kind.TRAEGER)
            for i in range(PROVIDERS)
        ]
    )
    home = tenancy.create_mandant(
        actor=None, slug="amt-0", name="Jugendamt 0", kind=Mandant.Kind.KREIS
    )
    offices = [
        home,
        *Mandant.objects.bulk_create(
            [
                Mandant(slug=f"amt-{i}", name=f"Jugendamt {i}", kind=Mandant.Kind.KREIS)
                for i in range(1, OFFICES)
            ]
        ),
    ]
    caseworker = accounts.create_user(
        actor=None,
        must_change_password=False,
        tenant=home,
        username="sb.bench",
        first_name="Sina",
        last_name="Bench",
        email="sb.bench@example.org",
        password=None,
        unit=Organisationseinheit.objects.for_tenant(home).get(parent=None),
        role="sachbearbeitung",
    )
    region = Region.objects.get(name="Musterstadt")
    einrichtungen, angebote, entgelte, plaetze, gesuche, belegungen, holds = (
        [],
        [],
        [],
        [],
        [],
        [],
        [],
    )
    through = Einrichtung.merkmale.through
    forms_through = Einrichtung.formen.through
    links, form_links = [], []
    for i in range(FACILITIES):
        tenant = providers[i % PROVIDERS]
        low = rng.choice([0, 3, 6, 12])
        e = Einrichtung(
            id=uuid7(),
            tenant=tenant,
            fachbereich=fb,
            name=f"Einrichtung {i}",
            street="Weg 1",
            postcode="60000",
            city=f"Ort {i % 300}",
            region=f"Kreis {i % 40}",
            lat=47.5 + rng.random() * 7,
            lon=6.0 + rng.random() * 9,
            age_min=low,
            age_max=min(27, low + rng.choice([6, 9, 12, 15])),
            accepts_w=rng.random() > 0.1,
            accepts_m=rng.random() > 0.1,
            accepts_d=True,
        )
        einrichtungen.append(e)
        own_forms = rng.sample(forms, rng.choice([1, 1, 2]))
        form_links.extend(
            forms_through(einrichtung_id=e.pk, betreuungsform_id=f.pk) for f in own_forms
        )
        links.extend(
            through(einrichtung_id=e.pk, merkmal_id=m.pk)
            for m in rng.sample(merkmale, rng.randint(0, 3))
        )
        own_angebote = []
        for f in own_forms:
            a = Angebot(
                id=uuid7(), tenant=tenant, einrichtung=e, betreuungsform=f, title=f"{f.label} {i}"
            )
            own_angebote.append(a)
            entgelte.append(
                Entgelt(
                    tenant=tenant,
                    angebot=a,
                    valid_from=date(2026, 1, 1),
                    leistungsentgelt=Decimal(rng.randint(120, 280)),
                )
            )
        angebote.extend(own_angebote)
        for k in range(PLACES_PER_FACILITY):
            a = own_angebote[k % len(own_angebote)]
            state = rng.random()
            p = Platz(
                id=uuid7(),
                tenant=tenant,
                einrichtung=e,
                angebot=a,
                label=f"Platz {k + 1}",
                valid_from=date(2026, 1, 1),
                frei_ab=None if state < 0.5 else today + timedelta(days=rng.randint(-10, 20)),
            )
            plaetze.append(p)
            if state < 0.6:
                office = offices[rng.randrange(OFFICES)]
                g = Platzgesuch(
                    id=uuid7(),
                    tenant=office,
                    fachbereich=fb,
                    betreuungsform=a.betreuungsform,
                    pseudonym=f"B-{len(gesuche)}",
                    alter=10,
                    geschlecht="w",
                    ab_datum=today,
                    region=region,
                    created_by=caseworker,
                )
                gesuche.append(g)
                if state < 0.5:
                    belegungen.append(
                        Belegung(
                            tenant=tenant,
                            platz=p,
                            einrichtung=e,
                            angebot=a,
                            gesuch=g,
                            jugendamt=office,
                            alter_bei_beginn=10,
                            geschlecht="w",
                            beginn=today - timedelta(days=rng.randint(1, 300)),
                        )
                    )
                else:
                    holds.append(
                        Reservierung(
                            tenant=tenant,
                            platz=p,
                            gesuch=g,
                            jugendamt=office,
                            created_by=caseworker,
                            expires_at=now + timedelta(hours=rng.choice([-5, 20, 40])),
                        )
                    )
    with transaction.atomic():
        for model, rows in (
            (Einrichtung, einrichtungen),
            (forms_through, form_links),
            (through, links),
            (Angebot, angebote),
            (Entgelt, entgelte),
            (Platz, plaetze),
            (Platzgesuch, gesuche),
            (Belegung, belegungen),
            (Reservierung, holds),
        ):
            model.objects.bulk_create(rows, batch_size=2000)
    with connection.cursor() as cursor:  # as autovacuum would after a load this size
        cursor.execute("ANALYZE")
    note(
        f"{len(einrichtungen)} Einrichtungen, {len(angebote)} Angebote, {len(plaetze)} Plätze, "
        f"{len(belegungen)} Belegungen, {len(holds)} Reservierungen, {len(offices)} Jugendämter"
    )
    return offices, caseworker


def run() -> None:
    rng = random.Random(47)
    _, caseworker = _build(rng)
    forms = list(Betreuungsform.objects.filter(fachbereich__code="jugendhilfe"))
    merkmale = list(Merkmal.objects.filter(fachbereich__code="jugendhilfe"))
    regions = list(Region.objects.all())
    today = timezone.localdate()
    needs = []
    for _ in range(QUERIES):
        region = rng.choice(regions)
        needs.append(
            Need(
                betreuungsform_id=rng.choice(forms).pk,
                alter=rng.randint(0, 17),
                geschlecht=rng.choice("wmd"),
                ab_datum=today + timedelta(days=rng.randint(0, 14)),
                lat=region.lat,
                lon=region.lon,
                radius_km=rng.choice([25, 50, 100]),
                merkmal_ids=frozenset(m.pk for m in rng.sample(merkmale, rng.randint(0, 2))),
            )
        )
    client = Client()
    client.force_login(caseworker)
    client.get("/api/v1/platzboerse/fachbereiche")
    api, base, direct, hits = [], [], [], []
    for need in needs:
        params = {
            "betreuungsform": str(need.betreuungsform_id),
            "alter": need.alter,
            "geschlecht": need.geschlecht,
            "ab": need.ab_datum.isoformat(),
            "lat": need.lat,
            "lon": need.lon,
            "radius_km": need.radius_km,
            "merkmal": [str(m) for m in need.merkmal_ids],
        }
        started = time.perf_counter()
        response = client.get("/api/v1/platzboerse/suche", params)
        api.append(time.perf_counter() - started)
        assert response.status_code == 200, response.content[:300]
        hits.append(len(response.json()))
        started = time.perf_counter()
        client.get("/api/v1/platzboerse/fachbereiche")
        base.append(time.perf_counter() - started)
        started = time.perf_counter()
        search(need, limit=25)
        direct.append(time.perf_counter() - started)
    for case, samples in (("api", api), ("ranking", direct), ("baseline_fachbereiche", base)):
        samples.sort()
        emit(
            NAME,
            case=case,
            queries=len(samples),
            p50_ms=round(percentile(samples, 50) * 1000, 1),
            p95_ms=round(percentile(samples, 95) * 1000, 1),
            max_ms=round(samples[-1] * 1000, 1),
        )
    p95 = percentile(sorted(api), 95) * 1000
    emit(
        NAME,
        case="summary",
        facilities=FACILITIES,
        places=FACILITIES * PLACES_PER_FACILITY,
        offices=OFFICES,
        mean_hits=round(sum(hits) / len(hits), 1),
        p95_ms=round(p95, 1),
        ratio_to_baseline=round(p95 / max(percentile(sorted(base), 95) * 1000, 1e-9), 2),
        met="yes" if p95 <= TARGET_P95_MS else "no",
    )
