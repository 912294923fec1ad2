"""The ranked search: the best ``limit`` hits are exactly the head of the full ranking,
although free places are counted only for the most promising candidates."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from koffer.placements.angebote import services as angebot_services
from koffer.placements.models import Betreuungsform, Merkmal, Region
from koffer.placements.search import Need, search
from koffer.tenancy.models import Mandant
from tests import factories

# Data built from today's date: make test-dates runs these on several days.
pytestmark = pytest.mark.calendar


def _exchange(heim: Betreuungsform, rng: random.Random) -> None:
    """60 facilities with random ages, genders, places, criteria, rates and distances;
    some places free late, some not at all, some offers without a rate or inactive."""
    traeger = factories.mandant("Träger Zufall", kind=Mandant.Kind.TRAEGER)
    merkmale = list(Merkmal.objects.filter(fachbereich=heim.fachbereich))
    today = timezone.localdate()
    for i in range(60):
        low = rng.choice([0, 6, 12])
        einrichtung = angebot_services.create_einrichtung(
            actor=None,
            tenant=traeger,
            fachbereich=heim.fachbereich,
            formen=[heim],
            merkmale=rng.sample(merkmale, rng.randint(0, 2)),
            name=f"Haus {i:02d}",
            street="Weg 1",
            postcode="60000",
            city="Ort",
            lat=49.6 + rng.random(),
            lon=8.2 + rng.random(),
            age_min=low,
            age_max=low + rng.choice([6, 9, 12]),
            accepts_w=rng.random() > 0.2,
            accepts_m=rng.random() > 0.2,
        )
        angebot = angebot_services.create_angebot(
            actor=None, einrichtung=einrichtung, betreuungsform=heim, title=f"Gruppe {i:02d}"
        )
        if rng.random() > 0.1:
            angebot_services.set_entgelt(
                actor=None,
                angebot=angebot,
                valid_from=date(2026, 1, 1),
                valid_to=None,
                # Few distinct rates, so that ties fall through to distance and name.
                leistungsentgelt=Decimal(rng.choice([150, 180, 210])),
                grundleistung=Decimal("0"),
                investitionsbetrag=Decimal("0"),
            )
        free = rng.choice([0, 1, 2])
        if free:
            angebot_services.add_plaetze(
                actor=None,
                angebot=angebot,
                count=free,
                valid_from=date(2026, 1, 1),
                frei_ab=today + timedelta(days=rng.choice([-3, 0, 10, 30])),
            )


def test_top_hits_are_the_head_of_the_full_ranking(heim: Betreuungsform) -> None:
    rng = random.Random(11)
    _exchange(heim, rng)
    regions = list(Region.objects.all())
    merkmale = list(Merkmal.objects.filter(fachbereich=heim.fachbereich))
    for _ in range(25):
        region = rng.choice(regions)
        need = Need(
            betreuungsform_id=heim.pk,
            alter=rng.randint(0, 17),
            geschlecht=rng.choice("wmd"),
            ab_datum=timezone.localdate() + timedelta(days=rng.choice([0, 7, 20])),
            lat=region.lat,
            lon=region.lon,
            radius_km=rng.choice([10, 30, 80]),
            merkmal_ids=frozenset(m.pk for m in rng.sample(merkmale, rng.randint(0, 2))),
        )
        full = search(need, limit=1000)
        assert full, "the exchange has free places"
        ranks = [(-h.met, h.tagessatz or Decimal("1e9"), h.distance_km) for h in full]
        assert ranks == sorted(ranks), "ranked by fit, then day rate, then distance"
        for limit in (1, 3, 5, 10):
            top = search(need, limit=limit)
            assert [h.angebot_id for h in top] == [h.angebot_id for h in full[:limit]]
            assert [h.reason for h in top] == [h.reason for h in full[:limit]]
